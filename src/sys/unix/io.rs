//! Sending and receiving: one system call each, never a `SIGPIPE`, and `MSG_DONTWAIT` for
//! a call that must not wait whatever the socket's mode.

use std::io::{self, IoSlice};
use std::os::raw::c_int;

use super::check;
use crate::sys::RawSocket;

/// No `SIGPIPE` from a write to a closed peer. macOS has no `MSG_NOSIGNAL`;
/// there `before_send` sets `SO_NOSIGPIPE` on the socket instead.
#[cfg(not(any(target_os = "macos", target_os = "ios")))]
const NOSIGNAL: c_int = libc::MSG_NOSIGNAL;
#[cfg(any(target_os = "macos", target_os = "ios"))]
const NOSIGNAL: c_int = 0;

/// At most this many buffers in one `sendmsg` (POSIX guarantees 16, Linux takes 1024).
const IOV_MAX: usize = 1024;

fn dontwait_flag(dontwait: bool) -> c_int {
    if dontwait {
        libc::MSG_DONTWAIT
    } else {
        0
    }
}

/// One `send` of `buf`; `dontwait` makes this call non-blocking without
/// touching the socket's mode. Never raises `SIGPIPE`.
pub fn send(s: RawSocket, buf: &[u8], dontwait: bool) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes for the duration of the call.
    let n = check(unsafe {
        libc::send(
            s,
            buf.as_ptr().cast(),
            buf.len(),
            NOSIGNAL | dontwait_flag(dontwait),
        )
    })?;
    Ok(n as usize)
}

/// One gathered write (`sendmsg`) of `bufs`; see `send`.
pub fn send_vectored(s: RawSocket, bufs: &[IoSlice<'_>], dontwait: bool) -> io::Result<usize> {
    let count = bufs.len().min(IOV_MAX);
    // SAFETY: an all-zero msghdr is a valid empty message.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // IoSlice is guaranteed ABI-compatible with `struct iovec` on unix.
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = count as _;
    // SAFETY: msg points at `count` valid iovecs borrowed for the call.
    let n = check(unsafe { libc::sendmsg(s, &msg, NOSIGNAL | dontwait_flag(dontwait)) })?;
    Ok(n as usize)
}

/// One `recv` into `buf`; see `send` for `dontwait`. `Ok(0)` is the peer's close.
pub fn recv(s: RawSocket, buf: &mut [u8], dontwait: bool) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the call.
    let n = check(unsafe {
        libc::recv(
            s,
            buf.as_mut_ptr().cast(),
            buf.len(),
            dontwait_flag(dontwait),
        )
    })?;
    Ok(n as usize)
}
