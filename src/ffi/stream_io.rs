//! The stream handle and the stream form of every byte and frame call: the same contract
//! as the socket call of the same name, over a plain socket or a TLS session alike.
//!
//! Every sending call ends by writing the records the session still holds (a TLS send may
//! leave some queued when the socket is full) under the same deadline, so `SOCKHELP_OK`
//! means every byte is on the socket; on `SOCKHELP_EWOULDBLOCK` / `SOCKHELP_ETIMEDOUT`
//! the count is the bytes the stream accepted (exact), and `sockhelp_stream_flush` writes
//! what is left.

use std::os::raw::{c_int, c_void};
use std::ptr;

use crate::any_stream::Stream;
use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::ffi::bytes::sockhelp_slice;
use crate::ffi::cast::castable;
use crate::ffi::framing::sockhelp_framing;
use crate::ffi::reader::{batch, into_buf, sockhelp_reader};
use crate::ffi::send::{send_many, send_one};
use crate::ffi::writer::sockhelp_writer;
use crate::ffi::{
    boundary, bytes, bytes_mut, call, call_with_count, free_boxed, out_param, put, sockhelp_socket,
    to_c, try_mut, try_ref,
};
use crate::io::{recv_all, send_all};

/// A connected byte stream: a plain socket (`sockhelp_stream_plain`) or a TLS session over
/// one (`sockhelp_tls_connect`, `sockhelp_tls_client`, `sockhelp_tls_server`). It owns its
/// socket: `sockhelp_stream_close` (graceful) or `sockhelp_stream_free` (at once) closes it.
/// Opaque; one thread at a time.
///
/// Event loops: register `sockhelp_stream_socket(st)` with the poller. TLS decrypts whole
/// records, so a readable event may bring more plaintext than one call takes, and plaintext
/// the session already decrypted does not show as socket readiness: after a readable
/// event, call `sockhelp_stream_fill` (taking frames with `sockhelp_reader_next` in
/// between) until it returns `SOCKHELP_EWOULDBLOCK`, or check `sockhelp_stream_buffered`
/// before waiting again. After a call answered `SOCKHELP_EWOULDBLOCK`, wait for what
/// `sockhelp_stream_wants` says (a TLS receive may need the socket writable first).
pub struct sockhelp_stream {
    inner: Stream,
}

castable!(sockhelp_stream => Stream);

/// Hands a new stream to C through `out`.
pub(super) fn stream_out(out: &crate::ffi::cast::Out<*mut sockhelp_stream>, st: Stream) {
    out.set(to_c::<sockhelp_stream>(st));
}

/// Takes the stream out of its C box, which is freed (`Invalid` for NULL).
pub(super) fn take_stream(st: *mut sockhelp_stream) -> Result<Stream> {
    if st.is_null() {
        return Err(Error::Invalid);
    }
    // SAFETY: a non-NULL `st` came from `to_c` and is freed once, here (the C contract:
    // not used after the call that takes it).
    Ok(unsafe { Box::from_raw(st) }.inner)
}

/// Makes a stream over connected socket `s`, with no TLS (works in every build): the
/// stream calls then behave exactly as the socket calls. The stream owns `s` from now on
/// (do not close `s` yourself). Never waits.
///
/// Returns `SOCKHELP_OK` (`*out` is the new stream); `SOCKHELP_EINVAL` (invalid socket, NULL
/// `out`: `s` stays yours); `SOCKHELP_EINTERNAL`. `*out` is NULL on every error.
#[no_mangle]
pub extern "C" fn sockhelp_stream_plain(
    s: sockhelp_socket,
    out: *mut *mut sockhelp_stream,
) -> c_int {
    put(out, ptr::null_mut());
    call(|| {
        let out = out_param(out)?;
        stream_out(&out, Stream::plain(s)?);
        Ok(())
    })
}

/// The socket under the stream, for a poller (still owned by the stream: do not close it,
/// and do not read or write it directly on a TLS stream). `SOCKHELP_INVALID_SOCKET` for
/// NULL.
#[no_mangle]
pub extern "C" fn sockhelp_stream_socket(st: *const sockhelp_stream) -> sockhelp_socket {
    boundary(|| try_ref(st).map_or(crate::sys::INVALID_SOCKET, Stream::socket))
}

/// Frees the stream and closes its socket at once: no close_notify is sent (the peer of a
/// TLS stream sees a truncation: use `sockhelp_stream_close` for a graceful end), records
/// still queued are dropped. NULL is fine.
#[no_mangle]
pub extern "C" fn sockhelp_stream_free(st: *mut sockhelp_stream) {
    free_boxed(st)
}

/// Plaintext the TLS session has decrypted that no call took yet (0 for a plain stream or
/// NULL). Such bytes do not make the socket readable: a poller user drains them with
/// `sockhelp_stream_fill` / the receiving calls before waiting again. Never waits.
#[no_mangle]
pub extern "C" fn sockhelp_stream_buffered(st: *mut sockhelp_stream) -> usize {
    boundary(|| try_mut(st).map_or(0, |s| s.buffered()))
}

/// A sending call's result, the session's queued records written under the same deadline.
fn then_flush(st: &mut Stream, r: Result<()>, deadline: Deadline) -> Result<()> {
    r.and_then(|()| st.flush(deadline))
}

/// `sockhelp_sendall` on a stream: all `len` bytes of `buf`, within one deadline (a pending
/// TLS handshake included).
///
/// - `timeout_ms`: -1 forever, 0 what the stream takes now, > 0 a deadline for the call.
/// - `*sent` (may be NULL) receives on every return the bytes the stream accepted (on a
///   TLS stream the plaintext accepted; see this file's rule on queued records).
///
/// Returns `SOCKHELP_OK` (all sent); `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK` (see
/// `*sent`; `sockhelp_stream_flush` finishes records left queued); `SOCKHELP_ERESET`;
/// `SOCKHELP_ETLS`, `SOCKHELP_ECERT` (the handshake or a record failed:
/// `sockhelp_stream_error_detail` says why; close the stream); `SOCKHELP_EINVAL` (NULL `st`,
/// NULL `buf` with `len` > 0, `timeout_ms` < -1); `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
/// Never raises SIGPIPE.
#[no_mangle]
pub extern "C" fn sockhelp_stream_sendall(
    st: *mut sockhelp_stream,
    buf: *const c_void,
    len: usize,
    timeout_ms: c_int,
    sent: *mut usize,
) -> c_int {
    call_with_count(sent, || {
        let st = try_mut(st)?;
        let data = bytes(buf, len)?;
        let deadline = Deadline::from_timeout_ms(timeout_ms)?;
        let (n, r) = send_all(&mut *st, data, deadline);
        Ok((n, then_flush(st, r, deadline)))
    })
}

/// `sockhelp_recvall` on a stream: exactly `len` bytes into `buf`, within one deadline.
///
/// - `*received` (may be NULL) receives the bytes written to `buf` on every return.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ECLOSED` (the peer closed first: for TLS, with
/// close_notify); `SOCKHELP_ETRUNCATED` (a TLS peer closed without close_notify: what came
/// may be cut short); `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK`, `SOCKHELP_ERESET`;
/// `SOCKHELP_ETLS`, `SOCKHELP_ECERT` (see `sockhelp_stream_error_detail`);
/// `SOCKHELP_EINVAL` (NULL `st`, NULL `buf` with `len` > 0, `timeout_ms` < -1);
/// `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_recvall(
    st: *mut sockhelp_stream,
    buf: *mut c_void,
    len: usize,
    timeout_ms: c_int,
    received: *mut usize,
) -> c_int {
    call_with_count(received, || {
        let st = try_mut(st)?;
        let out = bytes_mut(buf, len)?;
        Ok(recv_all(st, out, Deadline::from_timeout_ms(timeout_ms)?))
    })
}

/// `sockhelp_send_frame` on a stream: one frame of framing `f` around `payload`, within one
/// deadline. `*sent` (may be NULL): the wire bytes accepted, header included, on every
/// return.
///
/// Returns `SOCKHELP_OK`; the refusals of `sockhelp_frame_encode` (`SOCKHELP_EINVAL`,
/// `SOCKHELP_ETOOBIG`: nothing sent); `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK` (the
/// frame may be cut: finish it or close); `SOCKHELP_ERESET`; `SOCKHELP_ETLS`,
/// `SOCKHELP_ECERT`; `SOCKHELP_EINVAL` (NULL `st` or `f`, NULL `payload` with `len` > 0,
/// `timeout_ms` < -1); `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_send_frame(
    st: *mut sockhelp_stream,
    f: *const sockhelp_framing,
    payload: *const c_void,
    len: usize,
    timeout_ms: c_int,
    sent: *mut usize,
) -> c_int {
    call_with_count(sent, || {
        let st = try_mut(st)?;
        let deadline = Deadline::from_timeout_ms(timeout_ms)?;
        let (n, r) = send_one(&mut *st, f, payload, len, deadline)?;
        Ok((n, then_flush(st, r, deadline)))
    })
}

/// `sockhelp_send_frames` on a stream: one frame per payload, in as few writes (TLS: as
/// few records) as the stream allows, within one deadline. `*frames_sent`, `*bytes_sent`
/// (each may be NULL): the frames accepted whole and the wire bytes accepted, on every
/// return.
///
/// Returns `SOCKHELP_OK`; the refusals of `sockhelp_frame_encode` for a payload (the frames
/// before it are sent, nothing of it); `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK`,
/// `SOCKHELP_ERESET`; `SOCKHELP_ETLS`, `SOCKHELP_ECERT`; `SOCKHELP_EINVAL` (NULL `st` or `f`,
/// NULL `payloads` with `n` > 0, a payload with NULL `ptr` and `len` > 0: nothing sent;
/// `timeout_ms` < -1); `SOCKHELP_ENOMEM` (as `sockhelp_send_frames`: nothing sent);
/// `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_send_frames(
    st: *mut sockhelp_stream,
    f: *const sockhelp_framing,
    payloads: *const sockhelp_slice,
    n: usize,
    timeout_ms: c_int,
    frames_sent: *mut usize,
    bytes_sent: *mut usize,
) -> c_int {
    put(bytes_sent, 0);
    call_with_count(frames_sent, || {
        let st = try_mut(st)?;
        let deadline = Deadline::from_timeout_ms(timeout_ms)?;
        let (frames, r) = send_many(&mut *st, f, payloads, n, deadline, bytes_sent)?;
        Ok((frames, then_flush(st, r, deadline)))
    })
}

/// `sockhelp_recv_frame` on a stream: the next whole frame into `buf` (`cap` bytes), within
/// one deadline; `*len` (may be NULL) the payload length, or the size needed on
/// `SOCKHELP_ENOSPACE`, else 0. Bytes received stay in the reader on every error.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ENOSPACE`; `SOCKHELP_ECLOSED`; `SOCKHELP_ETRUNCATED` (a
/// TLS peer closed without close_notify); `SOCKHELP_ETOOBIG`, `SOCKHELP_EBADFRAME` (close
/// the stream); `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK`, `SOCKHELP_ERESET`;
/// `SOCKHELP_ETLS`, `SOCKHELP_ECERT`; `SOCKHELP_EINVAL` (NULL `r` or `st`, NULL `buf` with
/// `cap` > 0, `timeout_ms` < -1); `SOCKHELP_ENOMEM`, `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_recv_frame(
    r: *mut sockhelp_reader,
    st: *mut sockhelp_stream,
    buf: *mut c_void,
    cap: usize,
    len: *mut usize,
    timeout_ms: c_int,
) -> c_int {
    into_buf(r, buf, cap, timeout_ms, len, |reader, out, deadline| {
        Ok(reader.recv_frame(try_mut(st)?, out, deadline))
    })
}

/// `sockhelp_recv_batch` on a stream: waits up to `timeout_ms` until at least one whole
/// frame is buffered, then sets `frames[0..*n]` to views of up to `cap` whole frames inside
/// the reader (valid until the next call on `r`). `*n` is 0 on every error.
///
/// Returns `SOCKHELP_OK` (`*n` >= 1); `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK`;
/// `SOCKHELP_ECLOSED`, `SOCKHELP_ETRUNCATED`; `SOCKHELP_ETOOBIG`, `SOCKHELP_EBADFRAME`;
/// `SOCKHELP_ERESET`; `SOCKHELP_ETLS`, `SOCKHELP_ECERT`; `SOCKHELP_EINVAL` (NULL `r`, `st`
/// or `n`, NULL `frames` or `cap` 0, `timeout_ms` < -1); `SOCKHELP_ENOMEM`, `SOCKHELP_EOS`,
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_recv_batch(
    r: *mut sockhelp_reader,
    st: *mut sockhelp_stream,
    frames: *mut sockhelp_slice,
    cap: usize,
    n: *mut usize,
    timeout_ms: c_int,
) -> c_int {
    batch(r, frames, cap, n, |reader, views| {
        let deadline = Deadline::from_timeout_ms(timeout_ms)?;
        reader.recv_batch(try_mut(st)?, cap, deadline, |payload| views.push(payload))
    })
}

/// `sockhelp_reader_fill` on a stream, never waiting: takes every byte the session has
/// decrypted (which the socket's readiness cannot show), whole frames already buffered or
/// not, as far as the reader's memory bound allows; from the socket, one receive (none when
/// a whole frame is already buffered). After it the session holds no plaintext (unless the
/// reader is at its memory bound: `sockhelp_stream_buffered` says). The poller pattern: on a
/// readable event, fill, take frames with `sockhelp_reader_next` until
/// `SOCKHELP_EWOULDBLOCK`, and fill again until fill returns `SOCKHELP_EWOULDBLOCK` (or
/// `sockhelp_stream_buffered` is 0); and after a handshake completes, in
/// `sockhelp_stream_handshake` or already in `sockhelp_tls_server` / `sockhelp_tls_client`,
/// fill at once: the peer's first data may have come with its last handshake message.
///
/// Returns `SOCKHELP_OK` (bytes added, or a whole frame was already buffered);
/// `SOCKHELP_EWOULDBLOCK` (nothing to read now: see `sockhelp_stream_wants`);
/// `SOCKHELP_ECLOSED`, `SOCKHELP_ETRUNCATED` (frames buffered can still be taken);
/// `SOCKHELP_ETOOBIG`, `SOCKHELP_EBADFRAME`; `SOCKHELP_ERESET`; `SOCKHELP_ETLS`,
/// `SOCKHELP_ECERT`; `SOCKHELP_EINVAL` (NULL `r` or `st`); `SOCKHELP_ENOMEM`, `SOCKHELP_EOS`,
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_fill(r: *mut sockhelp_reader, st: *mut sockhelp_stream) -> c_int {
    call(|| {
        let reader = try_mut(r)?;
        try_mut(st)?.fill(reader).map(|_| ())
    })
}

/// `sockhelp_reader_recvall` on a stream: exactly `len` raw bytes, the reader's buffered
/// ones first, then from the stream, within one deadline; `*received` (may be NULL) on
/// every return.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ECLOSED`, `SOCKHELP_ETRUNCATED`; `SOCKHELP_ETIMEDOUT`,
/// `SOCKHELP_EWOULDBLOCK`; `SOCKHELP_ERESET`; `SOCKHELP_ETLS`, `SOCKHELP_ECERT`;
/// `SOCKHELP_EINVAL` (NULL `r` or `st`, NULL `buf` with `len` > 0, `timeout_ms` < -1);
/// `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_reader_recvall(
    r: *mut sockhelp_reader,
    st: *mut sockhelp_stream,
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
        |reader, out, deadline| Ok(reader.recv_all(try_mut(st)?, out, deadline)),
    )
}

/// `sockhelp_writer_flush` on a stream: sends the writer's queue (`w` may be NULL: none),
/// then the records the TLS session still holds, within one deadline (0: what the socket
/// takes now).
///
/// Returns `SOCKHELP_OK` (everything is on the socket); `SOCKHELP_EWOULDBLOCK`,
/// `SOCKHELP_ETIMEDOUT` (bytes left: call again when `sockhelp_stream_wants` says);
/// `SOCKHELP_ERESET`; `SOCKHELP_ETLS`, `SOCKHELP_ECERT`; `SOCKHELP_EINVAL` (NULL `st`,
/// `timeout_ms` < -1); `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_flush(
    w: *mut sockhelp_writer,
    st: *mut sockhelp_stream,
    timeout_ms: c_int,
) -> c_int {
    call(|| {
        let st = try_mut(st)?;
        let deadline = Deadline::from_timeout_ms(timeout_ms)?;
        let r = match w.is_null() {
            true => Ok(()),
            false => try_mut(w)?.flush(&mut *st, deadline),
        };
        then_flush(st, r, deadline)
    })
}

/// `sockhelp_writer_send` on a stream: one frame sent now when nothing is queued and the
/// stream takes it, the rest queued in the writer; never waits (flush the rest with
/// `sockhelp_stream_flush`).
///
/// Returns `SOCKHELP_OK` (sent, or its unsent part queued); the refusals of
/// `sockhelp_frame_encode` and `SOCKHELP_ENOSPACE` (nothing sent or queued);
/// `SOCKHELP_ERESET`, `SOCKHELP_EOS`, `SOCKHELP_ETLS`, `SOCKHELP_ECERT` (close the stream);
/// `SOCKHELP_EINVAL` (NULL `w` or `st`, NULL `payload` with `len` > 0); `SOCKHELP_ENOMEM`,
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_writer_send(
    w: *mut sockhelp_writer,
    st: *mut sockhelp_stream,
    payload: *const c_void,
    len: usize,
) -> c_int {
    call(|| {
        let writer = try_mut(w)?;
        let st = try_mut(st)?;
        writer.send_or_queue(st, bytes(payload, len)?)
    })
}

/// `sockhelp_writer_send_raw` on a stream: the queue and then `len` raw bytes in one write
/// (TLS: as few records as the session makes of them), now; the part the stream did not take
/// is queued in the writer. Never waits (flush the rest with `sockhelp_stream_flush`).
///
/// Returns `SOCKHELP_OK` (sent, or its unsent part queued); `SOCKHELP_ENOSPACE`,
/// `SOCKHELP_ETOOBIG` (the writer's limit: nothing sent or queued); `SOCKHELP_ERESET`,
/// `SOCKHELP_EOS`, `SOCKHELP_ETLS`, `SOCKHELP_ECERT` (close the stream); `SOCKHELP_EINVAL`
/// (NULL `w` or `st`, NULL `data` with `len` > 0); `SOCKHELP_ENOMEM`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_writer_send_raw(
    w: *mut sockhelp_writer,
    st: *mut sockhelp_stream,
    data: *const c_void,
    len: usize,
) -> c_int {
    call(|| {
        let writer = try_mut(w)?;
        let st = try_mut(st)?;
        writer.send_raw(st, bytes(data, len)?)
    })
}
