//! Readers (leftovers kept, whole frames out) and writers (frames queued, flushed).

use std::os::raw::{c_int, c_void};
use std::ptr;

use crate::deadline::Deadline;
use crate::ffi::cast::castable;
use crate::ffi::framing::sockhelp_framing;
use crate::ffi::{
    boundary, bytes, bytes_mut, call, free_boxed, out_param, put, sockhelp_socket, to_c, try_mut,
    try_ref,
};
use crate::framing::Framing;
use crate::stream::{Reader, Writer};

/// A framing plus the bytes received but not yet returned as frames: one `recv` may hold
/// the end of one message and the start of the next, and the reader keeps the leftovers.
/// Opaque; belongs to one thread at a time; one reader per connection.
///
/// Memory: at most the framing's maximum frame plus 64 KiB, whatever the peer sends.
pub struct sockhelp_reader {
    inner: Reader,
}

/// A framing plus frames queued but not yet sent, for non-blocking writers: queue frames,
/// then `sockhelp_writer_flush` when the socket is writable. Opaque; one thread at a time.
pub struct sockhelp_writer {
    inner: Writer,
}

castable!(sockhelp_reader => Reader);
castable!(sockhelp_writer => Writer);

/// Makes a reader for framing `f` (copied: `f` may be freed afterwards). The buffer is
/// allocated on first use. Returns NULL when `f` is NULL.
#[no_mangle]
pub extern "C" fn sockhelp_reader_new(f: *const sockhelp_framing) -> *mut sockhelp_reader {
    boundary(|| match try_ref::<sockhelp_framing>(f) {
        Ok(framing) => to_c::<sockhelp_reader>(Reader::new(Framing::clone(framing))),
        Err(_) => ptr::null_mut(),
    })
}

/// Frees a reader and whatever it buffered. NULL is fine.
#[no_mangle]
pub extern "C" fn sockhelp_reader_free(r: *mut sockhelp_reader) {
    free_boxed(r)
}

/// Receives the next whole frame from `s` into `buf` (`cap` bytes): the blocking path.
///
/// - `*len` (may be NULL) receives the payload length on success (for typed framings the
///   type byte is `buf[0]`), and the size needed on `SOCKHELP_ENOSPACE`, else 0.
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
    put(len, 0);
    call(|| {
        let reader = try_mut(r)?;
        let out = bytes_mut(buf, cap)?;
        let (n, res) = reader.recv_frame(s, out, Deadline::from_timeout_ms(timeout_ms)?);
        put(len, n);
        res
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

/// At most one `recv` from `s` into the reader, never waiting (the non-blocking path: call
/// it when `s` is readable, then `sockhelp_reader_next` until `SOCKHELP_EWOULDBLOCK`). Reads
/// nothing, and returns `SOCKHELP_OK`, while a whole frame is already buffered, so memory
/// stays bounded. Works on blocking sockets too (without waiting).
///
/// Returns `SOCKHELP_OK` (bytes added, or a whole frame was already there);
/// `SOCKHELP_EWOULDBLOCK` (nothing to read now); `SOCKHELP_ECLOSED` (the peer closed;
/// frames already buffered can still be taken with `sockhelp_reader_next`);
/// `SOCKHELP_ETOOBIG` / `SOCKHELP_EBADFRAME` (the stream is broken: close it);
/// `SOCKHELP_ERESET`; `SOCKHELP_EINVAL` (NULL `r`, invalid socket); `SOCKHELP_ENOMEM`,
/// `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_reader_fill(r: *mut sockhelp_reader, s: sockhelp_socket) -> c_int {
    call(|| try_mut(r)?.fill(s).map(|_| ()))
}

/// Takes the next whole buffered frame without copying: `*frame` points at its payload
/// inside the reader (for typed framings starting with the type byte) and `*len` is its
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
    put(frame, ptr::null());
    put(len, 0);
    call(|| {
        let (frame, len) = (out_param(frame)?, out_param(len)?);
        let payload = try_mut(r)?.next_frame()?;
        frame.set(payload.as_ptr());
        len.set(payload.len());
        Ok(())
    })
}

/// Bytes the reader holds that were not yet returned as frames (0 for NULL). After
/// `SOCKHELP_ECLOSED`, non-zero means the peer closed mid-frame.
#[no_mangle]
pub extern "C" fn sockhelp_reader_buffered(r: *const sockhelp_reader) -> usize {
    boundary(|| try_ref(r).map_or(0, Reader::buffered))
}

/// Makes a writer for framing `f` (copied: `f` may be freed afterwards). Returns NULL when
/// `f` is NULL.
#[no_mangle]
pub extern "C" fn sockhelp_writer_new(f: *const sockhelp_framing) -> *mut sockhelp_writer {
    boundary(|| match try_ref::<sockhelp_framing>(f) {
        Ok(framing) => to_c::<sockhelp_writer>(Writer::new(Framing::clone(framing))),
        Err(_) => ptr::null_mut(),
    })
}

/// Frees a writer and whatever it still had queued. NULL is fine.
#[no_mangle]
pub extern "C" fn sockhelp_writer_free(w: *mut sockhelp_writer) {
    free_boxed(w)
}

/// Encodes one frame of `payload` at the end of the writer's queue (a copy: `payload` is
/// yours again on return). Sends nothing: call `sockhelp_writer_flush`. Never waits.
///
/// Returns `SOCKHELP_OK`; the refusals of `sockhelp_frame_encode` (`SOCKHELP_EINVAL`,
/// `SOCKHELP_ETOOBIG`: nothing queued); `SOCKHELP_EINVAL` (NULL `w`, NULL `payload` with
/// `len` > 0); `SOCKHELP_ENOMEM`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_writer_queue(
    w: *mut sockhelp_writer,
    payload: *const c_void,
    len: usize,
) -> c_int {
    call(|| try_mut(w)?.queue(bytes(payload, len)?))
}

/// Sends as much of the queue on `s` as the socket takes, many frames per system call.
///
/// - `timeout_ms`: 0 sends what the socket takes now (the non-blocking path: call again when
///   `s` is writable), -1 until the queue is empty, > 0 a deadline for the whole call.
///
/// Returns `SOCKHELP_OK` (the queue is empty); `SOCKHELP_EWOULDBLOCK` / `SOCKHELP_ETIMEDOUT`
/// (bytes are left: see `sockhelp_writer_pending`); `SOCKHELP_ERESET`; `SOCKHELP_EINVAL`
/// (NULL `w`, invalid socket, `timeout_ms` < -1); `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_writer_flush(
    w: *mut sockhelp_writer,
    s: sockhelp_socket,
    timeout_ms: c_int,
) -> c_int {
    call(|| try_mut(w)?.flush(s, Deadline::from_timeout_ms(timeout_ms)?))
}

/// Bytes queued and not yet sent (0 for NULL).
#[no_mangle]
pub extern "C" fn sockhelp_writer_pending(w: *const sockhelp_writer) -> usize {
    boundary(|| try_ref(w).map_or(0, Writer::pending))
}
