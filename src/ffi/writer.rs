//! Writers: a framing plus frames queued but not yet sent, for non-blocking code: queue
//! (one frame or many), send (a big frame straight from the caller's memory), flush.

use std::os::raw::{c_int, c_void};

use crate::deadline::Deadline;
use crate::ffi::bytes::sockhelp_slice;
use crate::ffi::cast::castable;
use crate::ffi::framing::{new_with_framing, sockhelp_framing};
use crate::ffi::{
    array, boundary, bytes, call, call_with_count, free_boxed, sockhelp_socket, try_mut, try_ref,
};
use crate::frames::Writer;

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

castable!(sockhelp_writer => Writer);

/// Makes a writer for framing `f` (copied: `f` may be freed afterwards). Returns NULL when
/// `f` is NULL.
#[no_mangle]
pub extern "C" fn sockhelp_writer_new(f: *const sockhelp_framing) -> *mut sockhelp_writer {
    new_with_framing(f, Writer::new)
}

/// Frees a writer and whatever it still had queued. NULL is fine.
#[no_mangle]
pub extern "C" fn sockhelp_writer_free(w: *mut sockhelp_writer) {
    free_boxed(w)
}

/// Bounds the bytes a writer may hold pending: `sockhelp_writer_queue` refuses a frame that
/// would take them past `max_pending` with `SOCKHELP_ENOSPACE` and queues nothing of it. The
/// pattern: on `SOCKHELP_ENOSPACE`, stop taking work from the producer, wait until the socket
/// is writable, `sockhelp_writer_flush`, then queue again. A frame longer on the wire than
/// `max_pending` by itself, which no flush could make room for, is refused with
/// `SOCKHELP_ETOOBIG` instead (by `_queue`, `_queue_raw`, `_queue_many` and `_send`): not
/// a full queue, a frame too big for this writer. 0 (the default) means no limit. Frames
/// already queued stay, even above a new, lower limit.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `w`); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_writer_set_limit(w: *mut sockhelp_writer, max_pending: usize) -> c_int {
    call(|| {
        try_mut(w)?.set_limit(max_pending);
        Ok(())
    })
}

/// Encodes one frame of `payload` at the end of the writer's queue (one copy: `payload` is
/// yours again on return). Sends nothing: call `sockhelp_writer_flush` (about every 256 KiB
/// pending: see `sockhelp_writer`). Never waits.
///
/// Returns `SOCKHELP_OK`; the refusals of `sockhelp_frame_encode` (`SOCKHELP_EINVAL`,
/// `SOCKHELP_ETOOBIG`: nothing queued); `SOCKHELP_ENOSPACE` (the frame would take the
/// pending bytes past `sockhelp_writer_set_limit`'s limit: nothing queued; flush, then queue
/// again); `SOCKHELP_ETOOBIG` also for a frame longer than that limit by itself;
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

/// Sets the largest payload the writer queues, lower or higher than its framing's: one
/// framing, a maximum per writer (a server bounding its replies below what it accepts),
/// without a second `sockhelp_framing`. Frames already queued stay. `max` is clamped as the
/// framing's constructor clamps it. A payload over it is then refused by
/// `sockhelp_writer_queue` and the other queueing calls with `SOCKHELP_ETOOBIG`. Never
/// waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `w`; no frame would be left: fixed(N) with
/// `max` < N, a length field's `max` below its head or its adjustment's minimum, a typed
/// table with a fixed body over `max`: nothing changes); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_writer_set_max(w: *mut sockhelp_writer, max: usize) -> c_int {
    call(|| try_mut(w)?.set_max(max))
}

/// Queues the `len` bytes at `bytes` as they are, with no header or delimiter, behind the
/// frames already queued (one copy: `bytes` is yours again on return): an HTTP body, a
/// value that holds the framing's delimiter, bytes the caller framed itself. Sends nothing:
/// call `sockhelp_writer_flush`. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ENOSPACE` (the bytes would take the pending bytes past
/// `sockhelp_writer_set_limit`'s limit: nothing queued); `SOCKHELP_ETOOBIG` (`len` is over
/// that limit by itself: nothing queued); `SOCKHELP_EINVAL` (NULL `w`, NULL
/// `bytes` with `len` > 0); `SOCKHELP_ENOMEM`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_writer_queue_raw(
    w: *mut sockhelp_writer,
    bytes: *const c_void,
    len: usize,
) -> c_int {
    call(|| try_mut(w)?.queue_raw(crate::ffi::bytes(bytes, len)?))
}

/// The memory the writer's queue holds now, in bytes (0 for NULL; a queue emptied by
/// `sockhelp_writer_flush` gives memory it does not need back, as an idle reader does).
#[no_mangle]
pub extern "C" fn sockhelp_writer_memory(w: *const sockhelp_writer) -> usize {
    boundary(|| try_ref(w).map_or(0, Writer::memory_held))
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
    call_with_count(queued, || {
        let writer = try_mut(w)?;
        let views = array(payloads, n)?;
        Ok(writer.queue_many(views.iter().map(|v| bytes(v.ptr, v.len))))
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
/// (over the limit of `sockhelp_writer_set_limit`; `SOCKHELP_ETOOBIG` for a frame over it by
/// itself): nothing sent or queued; `SOCKHELP_ERESET`,
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

/// Sends what is queued and then the `len` bytes at `data` as they are (no header or
/// delimiter), in one gathered write on `s`, now: a response head queued with
/// `sockhelp_writer_queue` and its big body go out in one system call, and the body is
/// copied only for the part the socket did not take (queued behind the rest; flush it with
/// `sockhelp_writer_flush` when `s` is writable). Never waits (a blocking socket is never
/// blocked on). `data` is yours again on return.
///
/// Returns `SOCKHELP_OK` (sent, or the unsent part queued); `SOCKHELP_ENOSPACE` (`len` more
/// pending bytes could pass `sockhelp_writer_set_limit`'s limit) and `SOCKHELP_ETOOBIG`
/// (`len` is over that limit by itself): nothing sent or queued; `SOCKHELP_ERESET`,
/// `SOCKHELP_EOS`: the rest of `data` is queued when the socket took some of them, none of
/// them when it did not (close the connection either way); `SOCKHELP_EINVAL` (NULL `w`, NULL
/// `data` with `len` > 0, invalid socket: nothing sent); `SOCKHELP_ENOMEM` (the socket took
/// part of `data` and the rest could not be queued: close the connection);
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_writer_send_raw(
    w: *mut sockhelp_writer,
    s: sockhelp_socket,
    data: *const c_void,
    len: usize,
) -> c_int {
    call(|| try_mut(w)?.send_raw(s, bytes(data, len)?))
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
