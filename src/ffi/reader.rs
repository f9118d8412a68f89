//! Readers: a framing plus the bytes received but not yet returned as frames, taken as
//! whole frames by the blocking calls (recv_frame, recv_batch, reader_recvall), the
//! non-blocking ones (fill, then next / next_batch) and the sans-IO ones (feed, feed_some,
//! take).

use std::os::raw::{c_char, c_int, c_uint, c_void};
use std::ptr;

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::ffi::bytes::sockhelp_slice;
use crate::ffi::cast::castable;
use crate::ffi::framing::{new_with_framing, sockhelp_framing};
use crate::ffi::{
    array, array_mut, boundary, bytes, bytes_mut, call, call_with_count, free_boxed, out_param,
    put, sockhelp_socket, try_mut, try_ref,
};
use crate::frames::Reader;
use crate::framing::{Framing, LengthLine, LengthLineSpec, LineValue};

/// A framing plus the bytes received but not yet returned as frames: one `recv` may hold
/// the end of one message and the start of the next, and the reader keeps the leftovers.
/// Opaque; belongs to one thread at a time; one reader per connection.
///
/// Memory: grows with the bytes that actually arrive, never with a length a header
/// announces: at most the larger of 64 KiB and 4 times the bytes it holds at its fullest, and
/// never more than the framing's maximum frame plus 64 KiB, whatever the peer sends. A peer
/// that sends only a header announcing 64 MiB costs the reader 64 KiB.
pub struct sockhelp_reader {
    inner: Reader,
}

castable!(sockhelp_reader => Reader);

/// Makes a reader for framing `f` (copied: `f` may be freed afterwards). The buffer is
/// allocated on first use. Returns NULL when `f` is NULL.
#[no_mangle]
pub extern "C" fn sockhelp_reader_new(f: *const sockhelp_framing) -> *mut sockhelp_reader {
    new_with_framing(f, Reader::new)
}

/// Frees a reader and whatever it buffered. NULL is fine.
#[no_mangle]
pub extern "C" fn sockhelp_reader_free(r: *mut sockhelp_reader) {
    free_boxed(r)
}

/// Frames from this point on use framing `f` (copied: `f` may be freed afterwards), for
/// protocols whose framing changes mid-stream (a startup message, then typed messages). The
/// frame last returned by `sockhelp_reader_next` is consumed first (its pointer becomes
/// invalid); the bytes still buffered are kept and framed by `f`. A stream the old framing
/// found broken (`SOCKHELP_ETOOBIG`, `SOCKHELP_EBADFRAME`) is judged afresh by `f`. The
/// reader's memory bound becomes `f`'s (bytes already held stay). Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `r` or `f`: nothing changed);
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_reader_set_framing(
    r: *mut sockhelp_reader,
    f: *const sockhelp_framing,
) -> c_int {
    call(|| {
        let framing = Framing::clone(try_ref::<sockhelp_framing>(f)?);
        try_mut(r)?.set_framing(framing);
        Ok(())
    })
}

/// Receives the next whole frame from `s` into `buf` (`cap` bytes): the blocking path.
///
/// - `*len` (may be NULL) receives the payload length on success, and the size needed on
///   `SOCKHELP_ENOSPACE`, else 0. The payload is what the sender passed: for typed framings
///   the type byte is `buf[0]`; for a length field with a head, the head bytes come first
///   (PostgreSQL's message type), then the body; the length field itself is stripped.
/// - Leftovers: bytes of later frames received with this one stay in the reader for the next
///   call. A large frame is received straight into `buf` once its header is known.
/// - `timeout_ms`: -1 forever, 0 only what can be read without waiting, > 0 a deadline for
///   the whole call. On a timeout the bytes received so far stay in the reader: call again.
/// - Blocking and non-blocking sockets alike; the mode is never changed.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ENOSPACE` (the frame is larger than `cap`: it stays
/// queued, `*len` tells the size needed); `SOCKHELP_ECLOSED` (the peer closed, at a frame
/// boundary or mid-frame: no partial frame is returned; `sockhelp_reader_buffered` tells
/// which); `SOCKHELP_ETOOBIG` (a frame over the framing's maximum: close the connection);
/// `SOCKHELP_EBADFRAME` (a malformed header: close the connection); `SOCKHELP_ETIMEDOUT`,
/// `SOCKHELP_EWOULDBLOCK`, `SOCKHELP_ERESET`; `SOCKHELP_EINVAL` (NULL `r`, NULL `buf` with
/// `cap` > 0, invalid socket, `timeout_ms` < -1); `SOCKHELP_ENOMEM`, `SOCKHELP_EOS`,
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_recv_frame(
    r: *mut sockhelp_reader,
    s: sockhelp_socket,
    buf: *mut c_void,
    cap: usize,
    len: *mut usize,
    timeout_ms: c_int,
) -> c_int {
    into_buf(r, buf, cap, timeout_ms, len, |reader, out, deadline| {
        Ok(reader.recv_frame(s, out, deadline))
    })
}

/// The blocking form of `sockhelp_reader_next_batch`, for blocking code that takes frames in
/// batches: waits up to `timeout_ms` (-1 forever, 0 never: only what arrives without
/// waiting) until at least one whole frame is buffered, receiving from `s` into the reader
/// as needed, then sets `frames[0..*n]` to views of up to `cap` whole buffered frames, in
/// order, exactly as `sockhelp_reader_next_batch` does (payloads inside the reader, valid
/// until the next call on `r`). The timeout bounds the whole call.
/// Frames already buffered are handed out without receiving; the reader never holds more
/// than one maximal frame plus 64 KiB. `*n` is 0 on every error, and bytes received stay
/// buffered for the next call (nothing is lost). Mixes freely with the other reader calls
/// on the same stream.
///
/// Returns `SOCKHELP_OK` (`*n` >= 1); `SOCKHELP_ETIMEDOUT` (no frame became whole in
/// time), `SOCKHELP_EWOULDBLOCK` (the same for `timeout_ms` 0); `SOCKHELP_ECLOSED` (the peer
/// closed before a frame was whole: `sockhelp_reader_buffered` > 0 means mid-frame);
/// `SOCKHELP_ETOOBIG` / `SOCKHELP_EBADFRAME` (the stream is broken: close it; when found
/// after some frames, those are returned first and the next call reports it);
/// `SOCKHELP_ERESET`; `SOCKHELP_EINVAL` (NULL `r` or `n`, NULL `frames` or `cap` 0, invalid
/// socket, `timeout_ms` < -1); `SOCKHELP_ENOMEM`, `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_recv_batch(
    r: *mut sockhelp_reader,
    s: sockhelp_socket,
    frames: *mut sockhelp_slice,
    cap: usize,
    n: *mut usize,
    timeout_ms: c_int,
) -> c_int {
    batch(r, frames, cap, n, |reader, views| {
        let deadline = Deadline::from_timeout_ms(timeout_ms)?;
        reader.recv_batch(s, cap, deadline, |payload| views.push(payload))
    })
}

/// Receives exactly `len` raw bytes into `buf`, unframed (a body whose length a header line
/// gave, say): the bytes the reader already buffered first (after the frame last returned by
/// `sockhelp_reader_next`), then from `s`. Framing resumes after them.
///
/// - `timeout_ms`: -1 forever, 0 only what is buffered or can be read without waiting, > 0 a
///   deadline for the whole call (the rules of `sockhelp_recvall`).
/// - `*received` (may be NULL) receives the bytes written to `buf` on every return; they are
///   consumed from the stream whether or not the call succeeds.
///
/// Returns `SOCKHELP_OK` (all `len` bytes); `SOCKHELP_ECLOSED` (the peer closed first);
/// `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK` (fewer bytes: see `*received`);
/// `SOCKHELP_ERESET`; `SOCKHELP_EINVAL` (NULL `r`, NULL `buf` with `len` > 0, invalid socket,
/// `timeout_ms` < -1); `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_reader_recvall(
    r: *mut sockhelp_reader,
    s: sockhelp_socket,
    buf: *mut c_void,
    len: usize,
    timeout_ms: c_int,
    received: *mut usize,
) -> c_int {
    into_buf(
        r,
        buf,
        len,
        timeout_ms,
        received,
        |reader, out, deadline| Ok(reader.recv_all(s, out, deadline)),
    )
}

/// At most one `recv` from `s` into the reader, never waiting (the non-blocking path: call
/// it when `s` is readable, then `sockhelp_reader_next` until `SOCKHELP_EWOULDBLOCK`). Reads
/// nothing, and returns `SOCKHELP_OK`, while a whole frame is already buffered or the reader
/// holds its memory bound, so memory stays bounded. Fill moves bytes and never judges them:
/// a stream the framing refuses is reported by `sockhelp_reader_next` (so the raw bytes of a
/// body after a header line can be received and taken even when the line framing would
/// refuse them). Works on blocking sockets too (without waiting).
///
/// `SOCKHELP_EWOULDBLOCK` with nothing buffered is an idle point: a reader whose buffer is
/// more than 4 times bigger than the most it held since the last idle point gives the memory
/// back (see `sockhelp_reader_set_idle`), so an idle connection holds no buffer.
///
/// Returns `SOCKHELP_OK` (bytes added, or nothing to do until frames are taken);
/// `SOCKHELP_EWOULDBLOCK` (nothing to read now); `SOCKHELP_ECLOSED` (the peer closed;
/// frames already buffered can still be taken with `sockhelp_reader_next`);
/// `SOCKHELP_ERESET`; `SOCKHELP_EINVAL` (NULL `r`, invalid socket); `SOCKHELP_ENOMEM`,
/// `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_reader_fill(r: *mut sockhelp_reader, s: sockhelp_socket) -> c_int {
    call(|| try_mut(r)?.fill(s).map(|_| ()))
}

/// Takes the next whole buffered frame without copying: `*frame` points at its payload
/// inside the reader (starting with the type byte for typed framings, with the head bytes for
/// a length field with a head; the length field itself is stripped) and `*len` is its
/// length. The pointer stays valid until the next call on `r` (any call). Never waits.
/// `*frame` is NULL and `*len` 0 on every error.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EWOULDBLOCK` (no whole frame buffered: fill or feed
/// more); `SOCKHELP_ECLOSED` (none, and the peer closed); `SOCKHELP_ETOOBIG` /
/// `SOCKHELP_EBADFRAME` (the stream is broken: close it); `SOCKHELP_EINVAL` (NULL `r`,
/// `frame` or `len`); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_reader_next(
    r: *mut sockhelp_reader,
    frame: *mut *const u8,
    len: *mut usize,
) -> c_int {
    // The outputs are written once, on every return (NULL / 0 on an error).
    let (mut at, mut n) = (ptr::null(), 0);
    let rc = call(|| {
        out_param(frame)?;
        out_param(len)?;
        let payload = try_mut(r)?.next_frame()?;
        at = payload.as_ptr();
        n = payload.len();
        Ok(())
    });
    put(frame, at);
    put(len, n);
    rc
}

/// Takes up to `cap` whole buffered frames at once without copying: `frames[0..*n]` point at
/// their payloads inside the reader (starting with the type byte or the length field's head
/// where the framing has one, as `sockhelp_reader_next` gives them), in
/// order. Every pointer stays valid until the next call on `r` (any call). One call instead
/// of one `sockhelp_reader_next` per frame. Never waits. `*n` is 0 on every error.
///
/// Returns `SOCKHELP_OK` (`*n` >= 1); `SOCKHELP_EWOULDBLOCK` (no whole frame buffered: fill
/// or feed more); `SOCKHELP_ECLOSED` (none, and the peer closed); `SOCKHELP_ETOOBIG` /
/// `SOCKHELP_EBADFRAME` (the stream is broken: close it; when found after some frames, those
/// are returned first and the next call reports it); `SOCKHELP_EINVAL` (NULL `r` or `n`,
/// NULL `frames` or `cap` 0); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_reader_next_batch(
    r: *mut sockhelp_reader,
    frames: *mut sockhelp_slice,
    cap: usize,
    n: *mut usize,
) -> c_int {
    batch(r, frames, cap, n, |reader, views| {
        reader.next_batch(cap, |payload| views.push(payload))
    })
}

/// Gives the reader `len` bytes the caller received itself (the sans-IO path); take frames
/// with `sockhelp_reader_next`. Never waits.
///
/// Returns `SOCKHELP_OK` (all bytes taken); `SOCKHELP_ENOSPACE` (nothing taken: the reader
/// would hold more than one maximal frame plus 64 KiB; take frames with
/// `sockhelp_reader_next` first); `SOCKHELP_ETOOBIG` / `SOCKHELP_EBADFRAME` (the stream was
/// already found broken); `SOCKHELP_EINVAL` (NULL `r`, NULL `data` with `len` > 0);
/// `SOCKHELP_ENOMEM`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_reader_feed(
    r: *mut sockhelp_reader,
    data: *const c_void,
    len: usize,
) -> c_int {
    call(|| try_mut(r)?.feed(bytes(data, len)?))
}

/// Gives the reader as many of the `len` bytes at `data` as fit under its memory bound (the
/// framing's maximum frame plus 64 KiB) and sets `*taken` (may be NULL) to how many, for
/// event loops that read more than one frame's worth at a time: take frames with
/// `sockhelp_reader_next`, then offer the rest again. Never waits.
///
/// Returns `SOCKHELP_OK` (`*taken` may be less than `len`, 0 when the reader is full);
/// `SOCKHELP_ETOOBIG` / `SOCKHELP_EBADFRAME` (the stream was already found broken: nothing
/// taken); `SOCKHELP_EINVAL` (NULL `r`, NULL `data` with `len` > 0); `SOCKHELP_ENOMEM`,
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_reader_feed_some(
    r: *mut sockhelp_reader,
    data: *const c_void,
    len: usize,
    taken: *mut usize,
) -> c_int {
    call_with_count(taken, || {
        let n = try_mut(r)?.feed_some(bytes(data, len)?)?;
        Ok((n, Ok(())))
    })
}

/// Takes up to `cap` buffered raw bytes into `buf`, unframed, without touching any socket
/// (the sans-IO counterpart of `sockhelp_reader_recvall`, for example the body bytes a
/// delimited header left behind). The frame last returned by `sockhelp_reader_next` is
/// consumed first. Framing resumes after the bytes taken.
///
/// Returns the bytes copied: `min(cap, sockhelp_reader_buffered(r))`; 0 for a NULL `r`, or
/// a NULL `buf` with `cap` > 0 (nothing taken).
#[no_mangle]
pub extern "C" fn sockhelp_reader_take(
    r: *mut sockhelp_reader,
    buf: *mut c_void,
    cap: usize,
) -> usize {
    boundary(|| match (try_mut(r), bytes_mut(buf, cap)) {
        (Ok(reader), Ok(out)) => reader.take(out),
        _ => 0,
    })
}

/// The next `n` bytes of the stream (after the frame last returned) are one raw frame: the
/// next `sockhelp_reader_next`, `sockhelp_reader_next_batch`, `sockhelp_recv_frame` or
/// `sockhelp_recv_batch` delivers them as one payload, whatever the framing would make of
/// them, and the framing resumes after them (a RESP bulk string's `len + 2` bytes after its
/// `$len` line, an HTTP body after its header block). Bytes taken with
/// `sockhelp_reader_take` / `sockhelp_reader_recvall` meanwhile count towards it. A stream
/// the framing had found broken is judged afresh. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ETOOBIG` (`n` is over the framing's maximum payload:
/// nothing changes, the reader's memory bound stays the framing's); `SOCKHELP_EINVAL` (NULL
/// `r`); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_reader_expect_raw(r: *mut sockhelp_reader, n: usize) -> c_int {
    call(|| try_mut(r)?.expect_raw(n))
}

/// Sets the reader's buffer sizes, for servers that know their traffic: `initial` bytes are
/// allocated when the reader first receives (and again after it gave memory back; default 4
/// KiB, grown as receives fill it), and `idle` bytes are kept when it gives memory back at an
/// idle point (default 0: an idle reader holds no buffer). An idle point is a
/// `sockhelp_reader_fill` (or a receive with `timeout_ms` 0) that finds nothing to read while
/// nothing is buffered; the buffer goes back there only when it is more than 4 times bigger
/// than the most it held since the last idle point, so a connection that keeps receiving
/// bursts keeps its buffer. Never waits; takes effect at the next allocation.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `r`, `initial` 0); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_reader_set_idle(
    r: *mut sockhelp_reader,
    initial: usize,
    idle: usize,
) -> c_int {
    call(|| {
        let reader = try_mut(r)?;
        if initial == 0 {
            return Err(Error::Invalid);
        }
        reader.set_sizes(initial, idle);
        Ok(())
    })
}

/// Sets the largest payload the reader takes, lower or higher than its framing's: one
/// framing for a server, a maximum per reader (RESP values of 512 MiB on one connection, 64
/// KiB requests on the rest), without a second `sockhelp_framing`. Everything else stays:
/// buffered bytes, a raw frame armed by `sockhelp_reader_expect_raw`. The reader's memory
/// bound follows: one maximal frame plus 64 KiB (bytes already held stay, even above it). A
/// stream found broken under the old maximum is judged afresh. `max` is clamped as the
/// framing's constructor clamps it (a length field to what its field can announce); for a
/// typed framing it bounds the body. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `r`; no frame would be left: fixed(N) with
/// `max` < N, a length field's `max` below its head or its adjustment's minimum, a typed
/// table with a fixed body over `max`: nothing changes); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_reader_set_max(r: *mut sockhelp_reader, max: usize) -> c_int {
    call(|| try_mut(r)?.set_max(max))
}

/// `sockhelp_length_line.flags`: `;` and an extension (up to 4 KiB) may follow the number,
/// skipped (HTTP chunk extensions).
pub const SOCKHELP_LENGTH_EXT: c_uint = 1;
/// `sockhelp_length_line.flags`: `-1` means "no value" (RESP's `$-1` null bulk string and
/// `*-1` null array): `*value` is `SOCKHELP_LENGTH_NULL` and no body is armed.
pub const SOCKHELP_LENGTH_NULL_OK: c_uint = 2;
/// `sockhelp_length_line.flags`: the number counts what follows instead of giving a body's
/// length (RESP's `*3` array header): no body is armed.
pub const SOCKHELP_LENGTH_COUNT: c_uint = 4;
/// `sockhelp_length_line.flags`: a value of 0 has no body (HTTP's last chunk `0`, after
/// which trailer fields and the empty line come as lines of the reader's framing).
pub const SOCKHELP_LENGTH_ZERO_ENDS: c_uint = 8;
/// `*value` of `sockhelp_reader_next_length` for a `-1` line (`SOCKHELP_LENGTH_NULL_OK`).
pub const SOCKHELP_LENGTH_NULL: u64 = u64::MAX;

/// How a length line is written: an optional prefix character, a number of 1 to
/// `max_digits` digits, optionally `;` and an extension, then the terminator. RESP's bulk
/// header `$5\r\n`: prefix `'$'`, base 10, terminator `"\r\n"`, trailer 2 (the CR LF after
/// the value), flags `SOCKHELP_LENGTH_NULL_OK`. RESP's array header `*3\r\n`: prefix `'*'`,
/// flags `SOCKHELP_LENGTH_COUNT | SOCKHELP_LENGTH_NULL_OK`. An HTTP chunk size `1a;ext\r\n`:
/// prefix 0, base 16, trailer 2, flags `SOCKHELP_LENGTH_EXT | SOCKHELP_LENGTH_ZERO_ENDS`.
/// Filled by the caller (on the stack is fine) and read during each call only.
#[repr(C)]
pub struct sockhelp_length_line {
    /// The character before the number, 0 for none.
    pub prefix: c_char,
    /// 10 (digits 0-9) or 16 (0-9, a-f, A-F).
    pub base: c_int,
    /// What ends the line (1 to 16 bytes; it may not start with a digit, nor with `;` under
    /// `SOCKHELP_LENGTH_EXT`, nor `-` under `SOCKHELP_LENGTH_NULL_OK`).
    pub terminator: *const c_char,
    /// Bytes of `terminator`.
    pub terminator_len: usize,
    /// The most digits the number may have, leading zeros included: 1 to 20.
    pub max_digits: usize,
    /// Bytes after the body that belong to it (0 to 32): the raw frame armed is
    /// `value + trailer` bytes.
    pub trailer: usize,
    /// The largest value accepted.
    pub max_len: u64,
    /// `SOCKHELP_LENGTH_EXT`, `SOCKHELP_LENGTH_NULL_OK`, `SOCKHELP_LENGTH_COUNT`,
    /// `SOCKHELP_LENGTH_ZERO_ENDS`, or'ed; 0 for none.
    pub flags: c_uint,
}

/// The checked core spec of a C length line: `Invalid` for a NULL pointer, a base other
/// than 10 or 16, unknown flags, or what `LengthLine::new` refuses.
fn length_line(spec: *const sockhelp_length_line) -> Result<LengthLine> {
    let spec = array(spec, 1)?.first().ok_or(Error::Invalid)?;
    let all = SOCKHELP_LENGTH_EXT
        | SOCKHELP_LENGTH_NULL_OK
        | SOCKHELP_LENGTH_COUNT
        | SOCKHELP_LENGTH_ZERO_ENDS;
    if !matches!(spec.base, 10 | 16) || spec.flags & !all != 0 || spec.terminator_len == 0 {
        return Err(Error::Invalid);
    }
    LengthLine::new(LengthLineSpec {
        prefix: Some(spec.prefix as u8).filter(|&p| p != 0),
        hex: spec.base == 16,
        terminator: bytes(spec.terminator.cast(), spec.terminator_len)?,
        max_digits: spec.max_digits,
        trailer: spec.trailer,
        max_len: spec.max_len,
        extensions: spec.flags & SOCKHELP_LENGTH_EXT != 0,
        null: spec.flags & SOCKHELP_LENGTH_NULL_OK != 0,
        count: spec.flags & SOCKHELP_LENGTH_COUNT != 0,
        zero_ends: spec.flags & SOCKHELP_LENGTH_ZERO_ENDS != 0,
    })
}

/// Takes the next line buffered in the reader (after the frame last returned) as a length
/// line written as `spec` says, sets `*value` to its number, and arms
/// `sockhelp_reader_expect_raw(r, value + spec->trailer)`: the body then comes as the next
/// frame of `sockhelp_reader_next`, `_next_batch`, `sockhelp_recv_frame` or
/// `sockhelp_recv_batch` (`"$5\r\nhello\r\n"`: `*value` 5, then the frame `"hello\r\n"`).
/// No body is armed for a `-1` line under `SOCKHELP_LENGTH_NULL_OK` (`*value` is
/// `SOCKHELP_LENGTH_NULL`), a count (`SOCKHELP_LENGTH_COUNT`), or a 0 under
/// `SOCKHELP_LENGTH_ZERO_ENDS`. What the line announces is never allocated: the reader
/// receives the body as it arrives, within its memory bound.
///
/// The line is parsed from the buffered bytes with `spec`'s terminator, not with the
/// reader's framing; but `sockhelp_reader_fill` receives only while no whole frame of the
/// framing is buffered, so the reader's framing should be lines ended by the same
/// terminator (a delimited framing), as a RESP or HTTP server's is anyway. Never waits;
/// receive with `sockhelp_reader_fill` (or `sockhelp_reader_feed`) and call again on
/// `SOCKHELP_EWOULDBLOCK`. `*value` is 0 on every error.
///
/// Returns `SOCKHELP_OK` (the line consumed); `SOCKHELP_EWOULDBLOCK` (the line is not whole
/// yet: its bytes stay in the reader); `SOCKHELP_ECLOSED` (not whole, and the peer closed);
/// `SOCKHELP_EBADFRAME` (a malformed line: a wrong prefix, no digit, more than
/// `max_digits`, a byte that is neither a digit, `;` (under `SOCKHELP_LENGTH_EXT`) nor the
/// terminator, a value over 64 bits, an extension over 4 KiB), found as soon as the byte is
/// buffered; `SOCKHELP_ETOOBIG` (the value is over `spec->max_len`, or the body over the
/// reader's maximum payload: see `sockhelp_reader_set_max`). On these two the line stays in
/// the reader, unconsumed, still the next frame of its framing (an inline command, say), and
/// the reader is not marked broken. `SOCKHELP_EINVAL` (NULL `r`, `spec` or `value`; a spec
/// that cannot work: base not 10 or 16, unknown flags, a terminator NULL, empty, over 16
/// bytes or starting with a digit, `max_digits` not 1 to 20, `trailer` over 32, a prefix
/// that is a digit; a raw frame already armed); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_reader_next_length(
    r: *mut sockhelp_reader,
    spec: *const sockhelp_length_line,
    value: *mut u64,
) -> c_int {
    put(value, 0);
    call(|| {
        let out = out_param(value)?;
        let line = length_line(spec)?;
        let v = match try_mut(r)?.next_length(&line)? {
            LineValue::Value(v) => v,
            LineValue::Null => SOCKHELP_LENGTH_NULL,
        };
        out.set(v);
        Ok(())
    })
}

/// The memory the reader's buffer holds now, in bytes (0 for NULL, and for an idle reader
/// that gave its buffer back).
#[no_mangle]
pub extern "C" fn sockhelp_reader_memory(r: *const sockhelp_reader) -> usize {
    boundary(|| try_ref(r).map_or(0, |r| r.memory_held()))
}

/// Bytes the reader holds that were not yet returned as frames (0 for NULL). After
/// `SOCKHELP_ECLOSED`, non-zero means the peer closed mid-frame.
#[no_mangle]
pub extern "C" fn sockhelp_reader_buffered(r: *const sockhelp_reader) -> usize {
    boundary(|| try_ref(r).map_or(0, |r| r.buffered()))
}

/// The shape of the calls that receive into the caller's `buf` (`cap` bytes) through the
/// reader: `*count` (may be NULL) zeroed, then written on every return with what `recv`
/// answers.
pub(super) fn into_buf(
    r: *mut sockhelp_reader,
    buf: *mut c_void,
    cap: usize,
    timeout_ms: c_int,
    count: *mut usize,
    recv: impl FnOnce(&mut Reader, &mut [u8], Deadline) -> Result<(usize, Result<()>)>,
) -> c_int {
    call_with_count(count, || {
        let reader = try_mut(r)?;
        let out = bytes_mut(buf, cap)?;
        recv(reader, out, Deadline::from_timeout_ms(timeout_ms)?)
    })
}

/// The shape of the batch calls: `*n` (required) is 0 until `take` has handed the reader's
/// frames to the views `frames[0..cap]` (`cap` > 0), then how many it handed.
pub(super) fn batch(
    r: *mut sockhelp_reader,
    frames: *mut sockhelp_slice,
    cap: usize,
    n: *mut usize,
    take: impl FnOnce(&mut Reader, &mut Views<'_>) -> Result<usize>,
) -> c_int {
    call_with_count(n, || {
        out_param(n)?;
        if cap == 0 {
            return Err(Error::Invalid);
        }
        let mut views = Views {
            out: array_mut(frames, cap)?,
            count: 0,
        };
        take(try_mut(r)?, &mut views)?;
        Ok((views.count, Ok(())))
    })
}

/// The caller's array of views, filled from the front (the batch calls never hand out more
/// than `out.len()` frames).
pub(super) struct Views<'a> {
    out: &'a mut [sockhelp_slice],
    count: usize,
}

impl Views<'_> {
    pub(super) fn push(&mut self, payload: &[u8]) {
        self.out[self.count] = sockhelp_slice::of(payload);
        self.count += 1;
    }
}
