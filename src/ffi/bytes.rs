//! Moving bytes: sendall / recvall.

use std::os::raw::{c_int, c_void};

use crate::deadline::Deadline;
use crate::ffi::sockhelp_socket;
use crate::ffi::{bytes, bytes_mut, call, put};
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
    put(sent, 0);
    call(|| {
        let data = bytes(buf, len)?;
        let (n, r) = io::send_all(s, data, Deadline::from_timeout_ms(timeout_ms)?);
        put(sent, n);
        r
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
    put(received, 0);
    call(|| {
        let data = bytes_mut(buf, len)?;
        let (n, r) = io::recv_all(s, data, Deadline::from_timeout_ms(timeout_ms)?);
        put(received, n);
        r
    })
}
