//! Moving bytes: sendall / recvall; `sockhelp_slice`, the view of bytes the batch calls
//! take and give.

use std::os::raw::{c_int, c_void};

use crate::deadline::Deadline;
use crate::error::Result;
use crate::ffi::{array, bytes, bytes_mut, call_with_count, sockhelp_socket};
use crate::io;

/// Sends all `len` bytes of `buf`, looping over short sends (the HOWTO's first lesson).
///
/// - `timeout_ms`: -1 waits as long as it takes, 0 sends what the socket takes now
///   without waiting, > 0 is a deadline for the whole call (not per system call).
/// - Works on blocking and non-blocking sockets alike and never changes the socket's mode;
///   `EINTR` is retried; never raises `SIGPIPE`.
/// - `sent` may be NULL; otherwise it receives the number of bytes sent, on every return,
///   success or failure, so nothing is lost track of.
/// - `buf` may be NULL only when `len` is 0 (then nothing is sent and `SOCKHELP_OK` returned).
///
/// Returns `SOCKHELP_OK` when all bytes were sent; `SOCKHELP_ETIMEDOUT` (deadline passed),
/// `SOCKHELP_EWOULDBLOCK` (`timeout_ms` 0 and the socket took less than `len`),
/// `SOCKHELP_ERESET` (peer reset, or broken pipe), `SOCKHELP_EINVAL` (NULL `buf` with
/// `len` > 0, invalid socket, `timeout_ms` < -1), `SOCKHELP_EOS` (see
/// `sockhelp_last_os_error`), `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_sendall(
    s: sockhelp_socket,
    buf: *const c_void,
    len: usize,
    timeout_ms: c_int,
    sent: *mut usize,
) -> c_int {
    call_with_count(sent, || {
        let data = bytes(buf, len)?;
        Ok(io::send_all(
            s,
            data,
            Deadline::from_timeout_ms(timeout_ms)?,
        ))
    })
}

/// Receives exactly `len` bytes into `buf`, looping over short receives.
///
/// - `timeout_ms`: -1 waits as long as it takes, 0 takes what is already there without
///   waiting, > 0 is a deadline for the whole call.
/// - Works on blocking and non-blocking sockets alike and never changes the socket's mode;
///   `EINTR` is retried.
/// - `received` may be NULL; otherwise it receives the number of bytes stored in `buf`,
///   on every return. `buf` may be NULL only when `len` is 0.
///
/// Returns `SOCKHELP_OK` when `len` bytes arrived; `SOCKHELP_ECLOSED` when the peer closed
/// first (`*received` tells how many came); `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK`
/// (`timeout_ms` 0 and fewer than `len` bytes were there), `SOCKHELP_ERESET`,
/// `SOCKHELP_EINVAL` (NULL `buf` with `len` > 0, invalid socket, `timeout_ms` < -1),
/// `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_recvall(
    s: sockhelp_socket,
    buf: *mut c_void,
    len: usize,
    timeout_ms: c_int,
    received: *mut usize,
) -> c_int {
    call_with_count(received, || {
        let data = bytes_mut(buf, len)?;
        Ok(io::recv_all(
            s,
            data,
            Deadline::from_timeout_ms(timeout_ms)?,
        ))
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

impl sockhelp_slice {
    /// The view of `payload` (bytes the library hands out: a frame inside a reader).
    pub(super) fn of(payload: &[u8]) -> sockhelp_slice {
        sockhelp_slice {
            ptr: payload.as_ptr().cast(),
            len: payload.len(),
        }
    }
}

/// A payload view `payloads` has checked (as `bytes` checks): read as its bytes with no
/// check of its own, on the per-frame path of `send_frames`.
#[repr(transparent)]
pub(super) struct CheckedView(sockhelp_slice);

impl AsRef<[u8]> for CheckedView {
    #[inline(always)]
    fn as_ref(&self) -> &[u8] {
        let v = &self.0;
        if v.len == 0 {
            return &[];
        }
        // SAFETY: a `CheckedView` is made only by `payloads`, which checked this view as
        // `bytes` does (non-NULL with `len` > 0, `len` within `isize`); the C caller
        // promises the `len` bytes readable and unchanged for the call.
        unsafe { std::slice::from_raw_parts(v.ptr.cast::<u8>(), v.len) }
    }
}

/// The caller's `n` payload views (`views` may be NULL only with `n` 0), each checked as
/// `bytes` checks: `Invalid` before anything is done when one is not a valid view.
pub(super) fn payloads<'a>(views: *const sockhelp_slice, n: usize) -> Result<&'a [CheckedView]> {
    let views = array(views, n)?;
    for v in views {
        bytes(v.ptr, v.len)?;
    }
    // SAFETY: `CheckedView` is `repr(transparent)` over `sockhelp_slice`, so the slice of
    // views, every one checked above, reads as a slice of checked views (same length,
    // same lifetime).
    Ok(unsafe { &*(views as *const [sockhelp_slice] as *const [CheckedView]) })
}
