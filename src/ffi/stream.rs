//! Readers (leftovers kept, whole frames out) and writers (frames queued, flushed).

use std::os::raw::{c_int, c_void};
use std::ptr;
use std::slice;

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::ffi::cast::castable;
use crate::ffi::framing::sockhelp_framing;
use crate::ffi::{
    boundary, bytes, bytes_mut, call, free_boxed, out_param, put, sockhelp_socket, to_c, try_mut,
    try_ref,
};
use crate::frames::{self, Reader, Writer};
use crate::framing::Framing;

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

/// A framing plus frames queued but not yet sent, for non-blocking writers: queue frames,
/// then `sockhelp_writer_flush` when the socket is writable. Opaque; one thread at a time.
///
/// The pattern that reaches the wire's speed with small frames: queue them, and flush once
/// about 256 KiB are pending (`sockhelp_writer_pending`) or when you have nothing more to
/// send now (each flush is one system call: flushing every few KiB costs a call per few
/// frames, 64 KiB per call measured 20% below 256 KiB at 64-byte frames). Frames of 256 KiB
/// and more: `sockhelp_writer_send`, which writes them through without a copy when nothing
/// is pending.
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
    boundary(|| try_ref(r).map_or(0, |r| r.buffered()))
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

/// Encodes one frame of `payload` at the end of the writer's queue (one copy: `payload` is
/// yours again on return). Sends nothing: call `sockhelp_writer_flush` (about every 256 KiB
/// pending: see `sockhelp_writer`). Never waits.
///
/// Returns `SOCKHELP_OK`; the refusals of `sockhelp_frame_encode` (`SOCKHELP_EINVAL`,
/// `SOCKHELP_ETOOBIG`: nothing queued); `SOCKHELP_ENOSPACE` (the frame would take the
/// pending bytes past `sockhelp_writer_set_limit`'s limit: nothing queued);
/// `SOCKHELP_EINVAL` (NULL `w`, NULL `payload` with `len` > 0); `SOCKHELP_ENOMEM`,
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_writer_queue(
    w: *mut sockhelp_writer,
    payload: *const c_void,
    len: usize,
) -> c_int {
    call(|| try_mut(w)?.queue(bytes(payload, len)?))
}

/// Queues one frame per payload of `payloads[0..n]`, in order, as `sockhelp_writer_queue`
/// does for each: the way to hand a writer many small frames with one call instead of one
/// call each. Sends nothing; never waits.
///
/// `*queued` (may be NULL) receives, on every return, how many frames were queued whole: the
/// payloads before the first one refused. Nothing of a refused payload is queued, and none
/// after it: queue `payloads[*queued..]` again once the reason is gone (after a flush, for
/// `SOCKHELP_ENOSPACE`).
///
/// Returns `SOCKHELP_OK` (all `n` queued); for the first payload refused, what
/// `sockhelp_writer_queue` returns for it (`SOCKHELP_EINVAL`, `SOCKHELP_ETOOBIG`,
/// `SOCKHELP_ENOSPACE`, `SOCKHELP_ENOMEM`); `SOCKHELP_EINVAL` (NULL `w`, NULL `payloads` with
/// `n` > 0: nothing queued); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_writer_queue_many(
    w: *mut sockhelp_writer,
    payloads: *const sockhelp_slice,
    n: usize,
    queued: *mut usize,
) -> c_int {
    put(queued, 0);
    call(|| {
        let writer = try_mut(w)?;
        let views = slices_in(payloads, n)?;
        for (i, v) in views.iter().enumerate() {
            if let Err(e) = bytes(v.ptr, v.len).and_then(|p| writer.queue(p)) {
                put(queued, i);
                return Err(e);
            }
        }
        put(queued, n);
        Ok(())
    })
}

/// Sends one frame of `payload` on `s` now, without copying it, when nothing is queued and
/// the socket takes it; otherwise queues what was not sent (all of it when frames are
/// already pending, behind them). For big frames (256 KiB and more) on non-blocking sockets:
/// the socket takes what it can straight from `payload` and only the rest is copied into the
/// queue. (For small frames, `sockhelp_writer_queue` and a flush every ~256 KiB make far
/// fewer system calls: this call makes one per frame when nothing is pending.) Never waits;
/// blocking sockets are never blocked on (the write is attempted without waiting). `payload`
/// is yours again on return. Flush the rest with `sockhelp_writer_flush` when `s` is writable
/// (`sockhelp_writer_pending` tells how much is left).
///
/// Returns `SOCKHELP_OK` (the frame is sent, or its unsent part queued); the refusals of
/// `sockhelp_frame_encode` (`SOCKHELP_EINVAL`, `SOCKHELP_ETOOBIG`) and `SOCKHELP_ENOSPACE`
/// (over the limit of `sockhelp_writer_set_limit`): nothing sent or queued; `SOCKHELP_ERESET`,
/// `SOCKHELP_EOS`: nothing queued when the socket failed before taking a byte, else the
/// frame's rest is queued (close the connection either way); `SOCKHELP_EINVAL` (NULL `w`,
/// NULL `payload` with `len` > 0, invalid socket: nothing sent); `SOCKHELP_ENOMEM` (nothing
/// sent, or, after part of the frame was sent, the stream is left mid-frame: close the
/// connection); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_writer_send(
    w: *mut sockhelp_writer,
    s: sockhelp_socket,
    payload: *const c_void,
    len: usize,
) -> c_int {
    call(|| try_mut(w)?.send_or_queue(s, bytes(payload, len)?))
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
    put(received, 0);
    call(|| {
        let reader = try_mut(r)?;
        let out = bytes_mut(buf, len)?;
        let (n, res) = reader.recv_all(s, out, Deadline::from_timeout_ms(timeout_ms)?);
        put(received, n);
        res
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
    put(taken, 0);
    call(|| {
        let n = try_mut(r)?.feed_some(bytes(data, len)?)?;
        put(taken, n);
        Ok(())
    })
}

/// A view of bytes: `len` bytes at `ptr` (NULL allowed when `len` is 0). Used for many
/// payloads at once (`sockhelp_send_frames`) and many frames at once
/// (`sockhelp_reader_next_batch`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sockhelp_slice {
    /// First byte.
    pub ptr: *const c_void,
    /// Number of bytes.
    pub len: usize,
}

impl AsRef<[u8]> for sockhelp_slice {
    /// The bytes viewed: for views already checked with `bytes` (a view that fails the
    /// check reads as empty, never as memory it does not name).
    fn as_ref(&self) -> &[u8] {
        bytes(self.ptr, self.len).unwrap_or(&[])
    }
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
    put(n, 0);
    call(|| {
        let n = out_param(n)?;
        let out = slices_out(frames, cap)?;
        let mut count = 0;
        try_mut(r)?.next_batch(cap, |payload| view_into(out, &mut count, payload))?;
        n.set(count);
        Ok(())
    })
}

/// The blocking form of `sockhelp_reader_next_batch`, for blocking code that wants frames
/// at the speed of the wire: waits up to `timeout_ms` (-1 forever, 0 never: only what
/// arrives without waiting) until at least one whole frame is buffered, receiving from `s`
/// into the reader as needed, then sets `frames[0..*n]` to views of up to `cap` whole
/// buffered frames, in order, exactly as `sockhelp_reader_next_batch` does (payloads inside
/// the reader, valid until the next call on `r`). The timeout bounds the whole call.
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
    put(n, 0);
    call(|| {
        let n = out_param(n)?;
        let out = slices_out(frames, cap)?;
        let deadline = Deadline::from_timeout_ms(timeout_ms)?;
        let mut count = 0;
        try_mut(r)?.recv_batch(s, cap, deadline, |payload| {
            view_into(out, &mut count, payload)
        })?;
        n.set(count);
        Ok(())
    })
}

/// The caller's `n` views to read (none for `n` 0, where `payloads` may be NULL):
/// `Invalid` for NULL with `n` > 0 or a length no array can have.
fn slices_in<'a>(payloads: *const sockhelp_slice, n: usize) -> Result<&'a [sockhelp_slice]> {
    if n == 0 {
        return Ok(&[]);
    }
    if payloads.is_null() || n > isize::MAX as usize / std::mem::size_of::<sockhelp_slice>() {
        return Err(Error::Invalid);
    }
    // SAFETY: the C caller promises `n` readable sockhelp_slice at `payloads`, alive for the
    // call (checked non-NULL and not absurdly long above).
    Ok(unsafe { slice::from_raw_parts(payloads, n) })
}

/// The caller's array of `cap` views to fill: `Invalid` for NULL, `cap` 0 or a length no
/// array can have.
fn slices_out<'a>(frames: *mut sockhelp_slice, cap: usize) -> Result<&'a mut [sockhelp_slice]> {
    if frames.is_null() || cap == 0 {
        return Err(Error::Invalid);
    }
    if cap > isize::MAX as usize / std::mem::size_of::<sockhelp_slice>() {
        return Err(Error::Invalid);
    }
    // SAFETY: the C caller promises `cap` writable sockhelp_slice at `frames`, alive and
    // unaliased for the call (checked non-NULL and not absurdly long above).
    Ok(unsafe { slice::from_raw_parts_mut(frames, cap) })
}

/// Stores the view of `payload` at `out[*count]` and counts it (the batch calls never hand
/// out more than `out.len()` frames).
fn view_into(out: &mut [sockhelp_slice], count: &mut usize, payload: &[u8]) {
    out[*count] = sockhelp_slice {
        ptr: payload.as_ptr().cast(),
        len: payload.len(),
    };
    *count += 1;
}

/// Bounds the bytes a writer may hold pending: `sockhelp_writer_queue` refuses a frame that
/// would take them past `max_pending` with `SOCKHELP_ENOSPACE` and queues nothing of it. The
/// pattern: on `SOCKHELP_ENOSPACE`, stop taking work from the producer, wait until the socket
/// is writable, `sockhelp_writer_flush`, then queue again. 0 (the default) means no limit.
/// Frames already queued stay, even above a new, lower limit.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `w`); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_writer_set_limit(w: *mut sockhelp_writer, max_pending: usize) -> c_int {
    call(|| {
        try_mut(w)?.set_limit(max_pending);
        Ok(())
    })
}

/// Sends one frame of framing `f` per payload of `payloads[0..n]`, in order, in as few
/// gathered writes as the system allows (runs of small frames are copied into one buffer on
/// the stack, big payloads are sent from your memory): the way to send many frames on a
/// blocking socket without one system call each.
///
/// - `timeout_ms`: -1 forever, 0 what the socket takes now, > 0 a deadline for the whole
///   call (the rules of `sockhelp_send_frame`).
/// - `*frames_sent` and `*bytes_sent` (each may be NULL) receive, on every return, the frames
///   sent whole and the wire bytes sent. After a timeout or a reset the bytes may end inside
///   a frame: finish it or close the connection.
/// - A payload the framing refuses stops the call before that frame: the frames before it are
///   sent, nothing of it (`*frames_sent` is its index).
///
/// Returns `SOCKHELP_OK` (all `n` frames sent); the refusals of `sockhelp_frame_encode`
/// (`SOCKHELP_EINVAL`, `SOCKHELP_ETOOBIG`); `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK`,
/// `SOCKHELP_ERESET`; `SOCKHELP_EINVAL` (NULL `f`, NULL `payloads` with `n` > 0, a payload
/// with a NULL `ptr` and `len` > 0: nothing sent; invalid socket, `timeout_ms` < -1);
/// `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_send_frames(
    s: sockhelp_socket,
    f: *const sockhelp_framing,
    payloads: *const sockhelp_slice,
    n: usize,
    timeout_ms: c_int,
    frames_sent: *mut usize,
    bytes_sent: *mut usize,
) -> c_int {
    put(frames_sent, 0);
    put(bytes_sent, 0);
    call(|| {
        let framing = try_ref::<sockhelp_framing>(f)?;
        let deadline = Deadline::from_timeout_ms(timeout_ms)?;
        let views = slices_in(payloads, n)?;
        for v in views {
            bytes(v.ptr, v.len)?;
        }
        // One core call for all of them (the views are read as payloads in place), so
        // every gathered write is as full as its buffer allows.
        let (frames, sent, r) = frames::send_frames(s, framing, views, deadline);
        put(frames_sent, frames);
        put(bytes_sent, sent);
        r
    })
}
