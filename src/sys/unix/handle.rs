//! The socket handle: validity, borrowing and handing it over, its blocking mode, closing.

use std::io;
use std::os::raw::c_int;
use std::os::unix::io::{AsRawFd, BorrowedFd, IntoRawFd, RawFd};

use socket2::{SockRef, Socket};

use super::check;
use crate::error::{Error, Result};
use crate::sys::RawSocket;

/// WSAStartup's place: nothing to do on POSIX.
pub fn init() -> Result<()> {
    Ok(())
}

/// WSACleanup's place: nothing to do on POSIX.
pub fn cleanup() {}

/// True for a value that can name a socket (`>= 0`).
pub fn is_valid(s: RawSocket) -> bool {
    s >= 0
}

/// Runs `f` with a socket2 view of `s`, which stays owned by the caller.
pub fn with_socket<R>(s: RawSocket, f: impl FnOnce(SockRef<'_>) -> Result<R>) -> Result<R> {
    if !is_valid(s) {
        return Err(Error::Invalid);
    }
    // A closed descriptor is the caller's mistake that the header answers with EOS /
    // EBADF: find it here, before a borrow that must name an open descriptor.
    // SAFETY: F_GETFD reads the descriptor's flags; `s` is only a number to the kernel.
    check(unsafe { libc::fcntl(s, libc::F_GETFD) })?;
    // SAFETY: `s` was open just now (checked above), and the borrow lives only for this
    // call, during which the caller keeps its descriptor open (the C contract: a socket
    // is not closed by one thread while another thread passes it to sockhelp).
    let fd = unsafe { BorrowedFd::borrow_raw(s) };
    f(SockRef::from(&fd))
}

/// The descriptor of `sock`, still owned by `sock`.
pub fn as_raw(sock: &Socket) -> RawSocket {
    sock.as_raw_fd()
}

/// Hands the descriptor of `sock` to the caller, who closes it.
pub fn into_raw(sock: Socket) -> RawSocket {
    sock.into_raw_fd()
}

/// Sets or clears `O_NONBLOCK` (never `O_NDELAY`, whose reads return 0 like EOF on System V).
pub fn set_nonblocking(s: RawSocket, on: bool) -> Result<()> {
    let flags = fcntl_getfl(s)?;
    let new = if on {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    if new != flags {
        // SAFETY: F_SETFL with an int argument on a caller-owned descriptor.
        check(unsafe { libc::fcntl(s, libc::F_SETFL, new) })?;
    }
    Ok(())
}

/// Whether `O_NONBLOCK` is set.
pub fn get_nonblocking(s: RawSocket) -> Result<bool> {
    Ok(fcntl_getfl(s)? & libc::O_NONBLOCK != 0)
}

fn fcntl_getfl(s: RawSocket) -> Result<c_int> {
    if !is_valid(s) {
        return Err(Error::Invalid);
    }
    // SAFETY: F_GETFL takes no argument.
    Ok(check(unsafe { libc::fcntl(s, libc::F_GETFL) })?)
}

/// Closes the descriptor. `EINTR` is not retried: the descriptor is gone
/// either way on Linux, and retrying could close someone else's.
pub fn close(s: RawSocket) -> Result<()> {
    if !is_valid(s) {
        return Err(Error::Invalid);
    }
    // SAFETY: the caller gives up `s`.
    match check(unsafe { libc::close(s as RawFd) }) {
        Err(e) if e.kind() != io::ErrorKind::Interrupted => Err(e.into()),
        _ => Ok(()),
    }
}
