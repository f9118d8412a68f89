//! Framing objects (the constructors, free, the maximum payload) and encoding one frame.

use std::os::raw::{c_int, c_uint, c_void};
use std::ptr;

use crate::error::Error;
use crate::ffi::cast::castable;
use crate::ffi::{
    array, boundary, bytes, bytes_mut, call, call_with_count, free_boxed, new_boxed, out_param,
    put, to_c, try_ref, Castable,
};
use crate::framing::{Framing, LengthEncoding, LengthFieldSpec, TypeBody};

/// A wire format (fixed, delimited, length-prefixed, varint, ASCII length, typed) with its
/// maximum payload length. Opaque; immutable once made, so one framing may be shared by
/// any number of readers and writers, in any threads. Free it with `sockhelp_framing_free`
/// (readers and writers keep their own copy: the framing may be freed after making them).
pub struct sockhelp_framing {
    inner: Framing,
}

castable!(sockhelp_framing => Framing);

/// A new reader or writer (`make`) over a copy of framing `f`; NULL when `f` is NULL.
pub(super) fn new_with_framing<T: Castable>(
    f: *const sockhelp_framing,
    make: impl FnOnce(Framing) -> T::Inner,
) -> *mut T {
    boundary(|| match try_ref::<sockhelp_framing>(f) {
        Ok(framing) => to_c(make(framing.clone())),
        Err(_) => ptr::null_mut(),
    })
}

/// One entry of a typed framing's table (see `sockhelp_framing_typed`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sockhelp_type_entry {
    /// The type byte that starts the frame.
    pub type_byte: u8,
    /// The body length of this type when `length_format` is NULL (0 allowed: a frame that is
    /// just its type byte). Ignored otherwise.
    pub fixed_len: usize,
    /// NULL for a fixed-length body; otherwise the length format whose frame follows the type
    /// byte: a framing made by `sockhelp_framing_length_prefixed`, `sockhelp_framing_varint`,
    /// `sockhelp_framing_ascii_length` or `sockhelp_framing_length_field` (its own maximum
    /// applies too). It is copied: free it whenever you like after the call.
    pub length_format: *const sockhelp_framing,
}

/// fixed(N): every frame is exactly `len` payload bytes, nothing else on the wire.
/// Returns a new framing, or NULL when `len` is 0.
#[no_mangle]
pub extern "C" fn sockhelp_framing_fixed(len: usize) -> *mut sockhelp_framing {
    boundary(|| new_boxed(Framing::fixed(len)))
}

/// delimited(D): the payload, then the `delim_len`-byte delimiter `delim` (1 to 16 bytes,
/// e.g. "\n", "\r\n", or a single 0 byte). Receiving strips the delimiter; a payload may be
/// up to `max_len` bytes, and a peer that sends more without a delimiter gets
/// `SOCKHELP_ETOOBIG` after `max_len + delim_len` bytes (memory stays bounded). Sending a
/// payload that contains the delimiter (or that would merge with it) is refused with
/// `SOCKHELP_EINVAL`. The delimiter is copied. Returns NULL when `delim` is NULL or
/// `delim_len` is not 1..16.
#[no_mangle]
pub extern "C" fn sockhelp_framing_delimited(
    delim: *const c_void,
    delim_len: usize,
    max_len: usize,
) -> *mut sockhelp_framing {
    boundary(|| new_boxed(delimited_of(delim, delim_len, max_len)))
}

fn delimited_of(delim: *const c_void, delim_len: usize, max_len: usize) -> crate::Result<Framing> {
    if delim.is_null() {
        return Err(Error::Invalid);
    }
    Framing::delimited(bytes(delim, delim_len)?, max_len)
}

/// length-prefixed(W): an unsigned `width`-byte (1, 2, 4 or 8) length of the payload, in
/// big-endian (network) byte order or, when `little_endian`, little-endian; then the
/// payload. `max_len` (clamped to what `width` bytes can express) bounds what is accepted:
/// a header announcing more is `SOCKHELP_ETOOBIG` at once, before any payload is received
/// or allocated. Example: the 4-byte big-endian frame of "hello" is
/// `00 00 00 05 68 65 6c 6c 6f`. Returns NULL for another width.
#[no_mangle]
pub extern "C" fn sockhelp_framing_length_prefixed(
    width: c_uint,
    little_endian: bool,
    max_len: usize,
) -> *mut sockhelp_framing {
    boundary(|| {
        new_boxed(Framing::length_prefixed(
            width as usize,
            little_endian,
            max_len,
        ))
    })
}

/// varint: the payload length as an unsigned LEB128 varint (protobuf style, at most 10
/// bytes; overlong encodings are `SOCKHELP_EBADFRAME`), then the payload, at most `max_len`
/// bytes. Never returns NULL except when out of memory.
#[no_mangle]
pub extern "C" fn sockhelp_framing_varint(max_len: usize) -> *mut sockhelp_framing {
    boundary(|| new_boxed(Framing::varint(max_len)))
}

/// ascii-length(K): the payload length as exactly `digits` ASCII decimal digits,
/// zero-padded (the HOWTO's "5 numeric characters": `digits` = 5), then the payload.
/// `max_len` is clamped to 10^digits - 1. A non-digit is `SOCKHELP_EBADFRAME`. Example: the
/// 5-digit frame of "hello" is `30 30 30 30 35 68 65 6c 6c 6f`. Returns NULL unless
/// `digits` is 1..20.
#[no_mangle]
pub extern "C" fn sockhelp_framing_ascii_length(
    digits: c_uint,
    max_len: usize,
) -> *mut sockhelp_framing {
    boundary(|| new_boxed(Framing::ascii_length(digits as usize, max_len)))
}

/// typed(table): the HOWTO's "first byte is the type, the type decides the length". Each
/// frame is one type byte, then a body whose length the type's entry decides: a fixed
/// length, or a length header (`length_format`). A type byte not in the table is
/// `SOCKHELP_EBADFRAME`. `max_len` bounds every body.
///
/// The payload you send and receive is the type byte followed by the body: `payload[0]` is
/// the type. Example, from C:
///
/// ```c
/// sockhelp_framing *u16 = sockhelp_framing_length_prefixed(2, false, 65535);
/// sockhelp_type_entry table[] = {
///     { 'P', 0, NULL },   // "ping": just the type byte
///     { 'T', 8, NULL },   // a timestamp: 8 bytes
///     { 'M', 0, u16 },    // a message: 2-byte length, then the text
/// };
/// sockhelp_framing *f = sockhelp_framing_typed(table, 3, 65535);
/// sockhelp_framing_free(u16);   // the typed framing keeps its own copy
/// ```
///
/// The table is copied. Returns NULL when `entries` is NULL, `count` is 0, a type byte
/// appears twice, a `length_format` is not a length format, or a fixed length exceeds
/// `max_len`.
#[no_mangle]
pub extern "C" fn sockhelp_framing_typed(
    entries: *const sockhelp_type_entry,
    count: usize,
    max_len: usize,
) -> *mut sockhelp_framing {
    boundary(|| new_boxed(typed_of(entries, count, max_len)))
}

fn typed_of(
    entries: *const sockhelp_type_entry,
    count: usize,
    max_len: usize,
) -> crate::Result<Framing> {
    if count == 0 || count > 256 {
        return Err(Error::Invalid);
    }
    let entries = array(entries, count)?;
    let mut table = Vec::with_capacity(count);
    for e in entries {
        let body = if e.length_format.is_null() {
            TypeBody::Fixed(e.fixed_len)
        } else {
            TypeBody::Header(try_ref(e.length_format)?.clone())
        };
        table.push((e.type_byte, body));
    }
    Framing::typed(&table, max_len)
}

/// `sockhelp_length_field.encoding`: an unsigned binary integer of `width` bytes (1 to 8),
/// big-endian (network order) unless `little_endian`.
pub const SOCKHELP_LEN_BINARY: c_uint = 0;
/// `sockhelp_length_field.encoding`: an unsigned LEB128 varint (protobuf style, 1 to 10
/// bytes, shortest form only: an overlong one is `SOCKHELP_EBADFRAME`); `width` is ignored.
pub const SOCKHELP_LEN_VARINT: c_uint = 1;
/// `sockhelp_length_field.encoding`: exactly `width` ASCII decimal digits (1 to 20),
/// zero-padded; a non-digit is `SOCKHELP_EBADFRAME`.
pub const SOCKHELP_LEN_DECIMAL: c_uint = 2;
/// `sockhelp_length_field.encoding`: exactly `width` ASCII hex digits (1 to 20), zero-padded,
/// lowercase on send, either case on receive; a non-hex-digit is `SOCKHELP_EBADFRAME`.
pub const SOCKHELP_LEN_HEX: c_uint = 3;

/// A general length field (see `sockhelp_framing_length_field`). On the wire: `head` bytes,
/// the length field, then (value + `adjustment`) body bytes.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sockhelp_length_field {
    /// Bytes of the frame before the field (0: the field comes first): PostgreSQL's and
    /// MQTT's type byte (1), a TLS record's type and version (3). They are the first bytes
    /// of the payload.
    pub head: usize,
    /// How the field is written: `SOCKHELP_LEN_BINARY`, `_VARINT`, `_DECIMAL` or `_HEX`.
    pub encoding: c_uint,
    /// Bytes of the field: 1 to 8 for binary, 1 to 20 digits for decimal and hex; ignored
    /// for varint.
    pub width: c_uint,
    /// Binary only: least significant byte first (else big-endian, network order).
    pub little_endian: bool,
    /// Added to the field's value to give the body bytes that follow the field: 0 when the
    /// value is the body's length, -4 when it counts its own 4 bytes too (PostgreSQL).
    pub adjustment: i64,
    /// The largest payload (head + body) sent or accepted; clamped to what the field can
    /// announce.
    pub max_len: usize,
}

fn length_field_of(spec: *const sockhelp_length_field) -> crate::Result<Framing> {
    if spec.is_null() {
        return Err(Error::Invalid);
    }
    // SAFETY: a non-NULL `spec` points to a valid `sockhelp_length_field`, alive for the call.
    let spec = unsafe { *spec };
    let width = spec.width as usize;
    let encoding = match spec.encoding {
        SOCKHELP_LEN_BINARY => LengthEncoding::Binary {
            width,
            little_endian: spec.little_endian,
        },
        SOCKHELP_LEN_VARINT => LengthEncoding::Varint,
        SOCKHELP_LEN_DECIMAL => LengthEncoding::Decimal { digits: width },
        SOCKHELP_LEN_HEX => LengthEncoding::Hex { digits: width },
        _ => return Err(Error::Invalid),
    };
    Framing::length_field(LengthFieldSpec {
        head: spec.head,
        encoding,
        adjustment: spec.adjustment,
        max_len: spec.max_len,
    })
}

/// Stores a new framing in `*out` (NULL on every error) and returns the code: the
/// constructors that say why they refused.
fn made(out: *mut *mut sockhelp_framing, make: impl FnOnce() -> crate::Result<Framing>) -> c_int {
    put(out, ptr::null_mut());
    call(|| {
        let out = out_param(out)?;
        out.set(to_c(make()?));
        Ok(())
    })
}

/// length-field(spec): a general length field, as tokio-util's `LengthDelimitedCodec` builder
/// and netty's `LengthFieldBasedFrameDecoder` offer, plus ASCII lengths. On the wire: `head`
/// bytes, the length field (`encoding`, `width`, `little_endian`), then (value + `adjustment`)
/// body bytes. The payload you send and receive is the head followed by the body: sending
/// writes the field (value = body length - `adjustment`), receiving strips it.
///
/// Examples, as `{head, encoding, width, little_endian, adjustment, max_len}`:
/// - PostgreSQL after startup `{1, SOCKHELP_LEN_BINARY, 4, false, -4, max}`: the payload
///   `"Q" "SELECT 1\0"` is `'Q' 00 00 00 0d "SELECT 1\0"` on the wire.
/// - MQTT `{1, SOCKHELP_LEN_VARINT, 0, false, 0, max}`; DNS over TCP
///   `{0, SOCKHELP_LEN_BINARY, 2, false, 0, 65535}`; a TLS record
///   `{3, SOCKHELP_LEN_BINARY, 2, false, 0, max}`.
///
/// The spec is copied. On success `*out` receives a new framing (free it with
/// `sockhelp_framing_free`); on failure `*out` is NULL.
///
/// Sending refuses a payload shorter than `head`, or whose body is shorter than a positive
/// `adjustment` demands, with `SOCKHELP_EINVAL`, and one over `max_len` (or whose value does
/// not fit the field) with `SOCKHELP_ETOOBIG`. Receiving: a value whose adjusted length is
/// negative is `SOCKHELP_EBADFRAME`, one over `max_len` `SOCKHELP_ETOOBIG`, as soon as the
/// field is whole: nothing of the announced size is ever allocated.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` for NULL `spec` or `out`, or a spec that cannot
/// work: an unknown `encoding`, a binary `width` outside 1..8, a digit count outside 1..20,
/// `max_len` smaller than `head`, `head` + field longer than 32 bytes, or an `adjustment` that
/// leaves no valid frame (every value's body negative, or above `max_len`);
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_framing_length_field(
    spec: *const sockhelp_length_field,
    out: *mut *mut sockhelp_framing,
) -> c_int {
    made(out, || length_field_of(spec))
}

/// fixed(N), like `sockhelp_framing_fixed`, but saying why it refused. On success `*out`
/// receives a new framing (free it with `sockhelp_framing_free`); on failure `*out` is NULL.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (`len` 0, NULL `out`); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_framing_new_fixed(len: usize, out: *mut *mut sockhelp_framing) -> c_int {
    made(out, || Framing::fixed(len))
}

/// delimited(D), like `sockhelp_framing_delimited`, but saying why it refused. On success
/// `*out` receives a new framing (free it with `sockhelp_framing_free`); on failure `*out` is
/// NULL.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `delim`, `delim_len` not 1..16, NULL `out`);
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_framing_new_delimited(
    delim: *const c_void,
    delim_len: usize,
    max_len: usize,
    out: *mut *mut sockhelp_framing,
) -> c_int {
    made(out, || delimited_of(delim, delim_len, max_len))
}

/// length-prefixed(W), like `sockhelp_framing_length_prefixed`, but saying why it refused. On
/// success `*out` receives a new framing (free it with `sockhelp_framing_free`); on failure
/// `*out` is NULL.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (`width` not 1, 2, 4 or 8, NULL `out`; other
/// widths: `sockhelp_framing_length_field`); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_framing_new_length_prefixed(
    width: c_uint,
    little_endian: bool,
    max_len: usize,
    out: *mut *mut sockhelp_framing,
) -> c_int {
    made(out, || {
        Framing::length_prefixed(width as usize, little_endian, max_len)
    })
}

/// varint, like `sockhelp_framing_varint`, but with a code. On success `*out` receives a new
/// framing (free it with `sockhelp_framing_free`); on failure `*out` is NULL.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `out`); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_framing_new_varint(
    max_len: usize,
    out: *mut *mut sockhelp_framing,
) -> c_int {
    made(out, || Framing::varint(max_len))
}

/// ascii-length(K), like `sockhelp_framing_ascii_length`, but saying why it refused. On
/// success `*out` receives a new framing (free it with `sockhelp_framing_free`); on failure
/// `*out` is NULL.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (`digits` not 1..20, NULL `out`);
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_framing_new_ascii_length(
    digits: c_uint,
    max_len: usize,
    out: *mut *mut sockhelp_framing,
) -> c_int {
    made(out, || Framing::ascii_length(digits as usize, max_len))
}

/// typed(table), like `sockhelp_framing_typed`, but saying why it refused. The table is
/// copied. On success `*out` receives a new framing (free it with `sockhelp_framing_free`);
/// on failure `*out` is NULL.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `entries` or `out`, `count` 0 or over 256, a
/// type byte twice, a fixed length over `max_len`, a `length_format` that is not a length
/// format or whose field no longer works under `max_len`); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_framing_new_typed(
    entries: *const sockhelp_type_entry,
    count: usize,
    max_len: usize,
    out: *mut *mut sockhelp_framing,
) -> c_int {
    made(out, || typed_of(entries, count, max_len))
}

/// Frees a framing made by a `sockhelp_framing_*` constructor. NULL is fine. Readers and
/// writers made from it are unaffected (they hold their own copy).
#[no_mangle]
pub extern "C" fn sockhelp_framing_free(f: *mut sockhelp_framing) {
    free_boxed(f)
}

/// The largest payload `f` accepts (for typed framings: type byte included), or 0 when `f`
/// is NULL. Handy for sizing receive buffers.
#[no_mangle]
pub extern "C" fn sockhelp_framing_max_payload(f: *const sockhelp_framing) -> usize {
    boundary(|| try_ref(f).map_or(0, Framing::max_payload))
}

/// Encodes one frame of `payload` (`len` bytes) into `out` (`cap` bytes). Never waits.
///
/// `*written` (may be NULL) receives the frame's length on success, the size needed on
/// `SOCKHELP_ENOSPACE`, and 0 on other errors. `payload` may be NULL only when `len` is 0;
/// `out` may be NULL only when `cap` is 0 (a way to ask for the size).
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ENOSPACE` (`out` too small; nothing written);
/// `SOCKHELP_ETOOBIG` (payload over the maximum, or its length does not fit the header);
/// `SOCKHELP_EINVAL` (NULL `f`, NULL pointer with a length, a delimited payload that
/// contains the delimiter, a fixed payload of another length, an empty typed payload or an
/// unknown type byte); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_frame_encode(
    f: *const sockhelp_framing,
    payload: *const c_void,
    len: usize,
    out: *mut c_void,
    cap: usize,
    written: *mut usize,
) -> c_int {
    call_with_count(written, || {
        let framing = try_ref(f)?;
        let payload = bytes(payload, len)?;
        let need = framing.encoded_len_of(payload)?;
        if need > cap {
            return Ok((need, Err(Error::NoSpace)));
        }
        Ok((framing.encode(payload, bytes_mut(out, cap)?)?, Ok(())))
    })
}
