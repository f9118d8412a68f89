//! Framing objects, encoding, and sending one frame.

use std::os::raw::{c_int, c_uint, c_void};
use std::ptr;

use crate::deadline::Deadline;
use crate::error::Error;
use crate::ffi::cast::castable;
use crate::ffi::{
    boundary, bytes, bytes_mut, call, free_boxed, new_boxed, put, sockhelp_socket, try_ref,
};
use crate::framing::{Framing, TypeBody};
use crate::stream;

/// A wire format (fixed, delimited, length-prefixed, varint, ASCII length, typed) with its
/// maximum payload length. Opaque; immutable once made, so one framing may be shared by
/// any number of readers and writers, in any threads. Free it with `sockhelp_framing_free`
/// (readers and writers keep their own copy: the framing may be freed after making them).
pub struct sockhelp_framing {
    inner: Framing,
}

castable!(sockhelp_framing => Framing);

/// One entry of a typed framing's table (see `sockhelp_framing_typed`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sockhelp_type_entry {
    /// The type byte that starts the frame.
    pub type_byte: u8,
    /// The body length of this type when `length_format` is NULL (0 allowed: a frame that is
    /// just its type byte). Ignored otherwise.
    pub fixed_len: usize,
    /// NULL for a fixed-length body; otherwise the length header that precedes the body: a
    /// framing made by `sockhelp_framing_length_prefixed`, `sockhelp_framing_varint` or
    /// `sockhelp_framing_ascii_length` (its own maximum applies too). It is copied: free it
    /// whenever you like after the call.
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
    boundary(|| {
        if delim.is_null() {
            return ptr::null_mut();
        }
        new_boxed(bytes(delim, delim_len).and_then(|d| Framing::delimited(d, max_len)))
    })
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
    boundary(|| {
        if entries.is_null() || count == 0 || count > 256 {
            return ptr::null_mut();
        }
        // SAFETY: the caller passes `count` valid entries, alive for the call.
        let entries = unsafe { std::slice::from_raw_parts(entries, count) };
        let mut table = Vec::with_capacity(count);
        for e in entries {
            let body = if e.length_format.is_null() {
                TypeBody::Fixed(e.fixed_len)
            } else {
                match try_ref(e.length_format) {
                    Ok(f) => TypeBody::Header(f.clone()),
                    Err(_) => return ptr::null_mut(),
                }
            };
            table.push((e.type_byte, body));
        }
        new_boxed(Framing::typed(&table, max_len))
    })
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
    put(written, 0);
    call(|| {
        let framing = try_ref(f)?;
        let payload = bytes(payload, len)?;
        let need = framing.encoded_len_of(payload)?;
        if need > cap {
            put(written, need);
            return Err(Error::NoSpace);
        }
        let n = framing.encode(payload, bytes_mut(out, cap)?)?;
        put(written, n);
        Ok(())
    })
}

/// Sends one frame of `payload` on `s`: header, payload and delimiter in one gathered write
/// (`writev`/`WSASend`; the payload is never copied), looping over short writes.
///
/// - `timeout_ms`: -1 forever, 0 what the socket takes now, > 0 a deadline for the call.
/// - `*sent` (may be NULL) receives the wire bytes sent, header included, on every return.
///   After a partial send the stream is mid-frame: finish it or close the connection.
/// - Blocking and non-blocking sockets alike; the mode is never changed; never `SIGPIPE`.
///
/// Returns `SOCKHELP_OK`; the refusals of `sockhelp_frame_encode` (`SOCKHELP_EINVAL`,
/// `SOCKHELP_ETOOBIG`: nothing sent); `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK`,
/// `SOCKHELP_ERESET`, `SOCKHELP_EINVAL` (invalid socket, `timeout_ms` < -1),
/// `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_send_frame(
    s: sockhelp_socket,
    f: *const sockhelp_framing,
    payload: *const c_void,
    len: usize,
    timeout_ms: c_int,
    sent: *mut usize,
) -> c_int {
    put(sent, 0);
    call(|| {
        let framing = try_ref(f)?;
        let payload = bytes(payload, len)?;
        let (n, r) =
            stream::send_frame(s, framing, payload, Deadline::from_timeout_ms(timeout_ms)?);
        put(sent, n);
        r
    })
}
