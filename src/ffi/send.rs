//! The send calls: one frame (send_frame) or many (send_frames) of a framing on a socket,
//! without a writer, waiting up to the timeout.

use std::os::raw::{c_int, c_void};

use crate::deadline::Deadline;
use crate::error::Result;
use crate::ffi::bytes::{payloads, sockhelp_slice};
use crate::ffi::framing::sockhelp_framing;
use crate::ffi::{bytes, call_with_count, put, sockhelp_socket, try_ref};
use crate::frames;
use crate::stream::ByteStream;

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
    call_with_count(sent, || {
        let deadline = Deadline::from_timeout_ms(timeout_ms)?;
        send_one(s, f, payload, len, deadline)
    })
}

/// `send_frame` on any stream, its arguments checked: (wire bytes sent, result).
pub(super) fn send_one(
    s: impl ByteStream,
    f: *const sockhelp_framing,
    payload: *const c_void,
    len: usize,
    deadline: Deadline,
) -> Result<(usize, Result<()>)> {
    let framing = try_ref(f)?;
    let payload = bytes(payload, len)?;
    Ok(frames::send_frame(s, framing, payload, deadline))
}

/// `send_frames` on any stream, its arguments checked (every view before anything is
/// sent): (frames sent whole, result), the wire bytes sent into `bytes_sent`.
pub(super) fn send_many(
    s: impl ByteStream,
    f: *const sockhelp_framing,
    views: *const sockhelp_slice,
    n: usize,
    deadline: Deadline,
    bytes_sent: *mut usize,
) -> Result<(usize, Result<()>)> {
    let framing = try_ref::<sockhelp_framing>(f)?;
    // One core call for all of them (the views are read as payloads in place), so every
    // gathered write is as full as its buffer allows.
    let (frames, sent, r) = frames::send_frames(s, framing, payloads(views, n)?, deadline);
    put(bytes_sent, sent);
    Ok((frames, r))
}

/// Sends one frame of framing `f` per payload of `payloads[0..n]`, in order, in as few
/// gathered writes as the system allows (runs of small frames are copied into one 256 KiB
/// buffer, big payloads are sent from your memory): the way to send many frames on a
/// blocking socket without one system call each. The buffer belongs to the calling thread:
/// allocated on its first call, kept until the thread ends.
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
/// `SOCKHELP_ENOMEM` (the thread's first call could not have its buffer: nothing sent);
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
    put(bytes_sent, 0);
    call_with_count(frames_sent, || {
        let deadline = Deadline::from_timeout_ms(timeout_ms)?;
        send_many(s, f, payloads, n, deadline, bytes_sent)
    })
}
