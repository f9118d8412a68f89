//! Waiting for readiness: the `WSAPoll` call (`poll_sockets`) with this house's entry type
//! and bits (the rest of a poll set, shared with POSIX, is `sys/pollfd.rs`), and the
//! `polling` crate's registrations (IOCP/AFD).

use std::io;
use std::os::windows::io::BorrowedSocket;

use windows_sys::Win32::Networking::WinSock as ws;

use super::{check, is_valid};
use crate::sys::pollfd::{PollBits, PollFd};
use crate::sys::RawSocket;

/// This house's `poll` bits (see `PollBits`).
pub(in crate::sys) const POLL_BITS: PollBits = PollBits {
    readable: ws::POLLRDNORM,
    writable: ws::POLLWRNORM,
    exceptional: ws::POLLRDBAND,
    hangup: ws::POLLHUP,
    error: ws::POLLERR,
};

/// This house's entry of a poll set.
pub(in crate::sys) type OsPollFd = ws::WSAPOLLFD;

/// One `WSAPoll` over `fds` (never `select`, whose `fd_set` holds 64 sockets by default).
/// `fds` must not be empty (`WSAPoll` refuses an empty set). Returns how many entries have
/// something to report. An entry that is not a socket (`POLLNVAL`) fails the call with
/// `WSAENOTSOCK`.
pub fn poll_sockets(fds: &mut [PollFd], timeout_ms: i32) -> io::Result<usize> {
    // SAFETY: `PollFd` is a transparent `WSAPOLLFD`, so `fds` is `fds.len()` valid, writable
    // entries for the call.
    let n = check(unsafe {
        ws::WSAPoll(
            fds.as_mut_ptr().cast::<ws::WSAPOLLFD>(),
            fds.len() as u32,
            timeout_ms,
        )
    })?;
    if n > 0 && fds.iter().any(|p| p.0.revents & ws::POLLNVAL != 0) {
        return Err(io::Error::from_raw_os_error(ws::WSAENOTSOCK));
    }
    Ok(n as usize)
}

/// Registers `s` with `poller`, level-triggered, for `ev` (its key names the socket).
pub fn poller_add(poller: &polling::Poller, s: RawSocket, ev: polling::Event) -> io::Result<()> {
    if !is_valid(s) {
        return Err(io::Error::from_raw_os_error(ws::WSAENOTSOCK));
    }
    // SAFETY: polling asks that `s` be deleted before it is closed. Its IOCP backend keeps
    // the state of a registration in its own allocations and only hands `s` to AFD as a
    // handle; a caller who closes first sees the pending poll cancelled and a stale entry
    // that `poller_delete` clears, never a dangling access.
    unsafe {
        poller.add_with_mode(
            s as std::os::windows::io::RawSocket,
            ev,
            polling::PollMode::Level,
        )
    }
}

/// Changes what `s` is watched for (level-triggered), and its key.
pub fn poller_modify(poller: &polling::Poller, s: RawSocket, ev: polling::Event) -> io::Result<()> {
    if !is_valid(s) {
        return Err(io::Error::from_raw_os_error(ws::WSAENOTSOCK));
    }
    // SAFETY: `s` is not INVALID_SOCKET; the borrow lives only for this call, where polling
    // uses it as a key into its own table.
    let sock = unsafe { BorrowedSocket::borrow_raw(s as _) };
    poller.modify_with_mode(sock, ev, polling::PollMode::Level)
}

/// Stops watching `s`.
pub fn poller_delete(poller: &polling::Poller, s: RawSocket) -> io::Result<()> {
    if !is_valid(s) {
        return Err(io::Error::from_raw_os_error(ws::WSAENOTSOCK));
    }
    // SAFETY: as in `poller_modify`.
    let sock = unsafe { BorrowedSocket::borrow_raw(s as _) };
    poller.delete(sock)
}
