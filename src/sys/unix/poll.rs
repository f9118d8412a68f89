//! Waiting for readiness: the `poll()` call (`poll_sockets`) with this house's entry type and
//! bits (the rest of a poll set, shared with Windows, is `sys/pollfd.rs`), and the
//! `polling` crate's registrations where the poller is not epoll.

use std::io;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use std::os::unix::io::BorrowedFd;
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "illumos")))]
use std::os::unix::io::RawFd;

use super::check;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use super::is_valid;
use crate::sys::pollfd::{PollBits, PollFd};
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use crate::sys::RawSocket;

/// This house's `poll` bits (see `PollBits`).
pub(in crate::sys) const POLL_BITS: PollBits = PollBits {
    readable: libc::POLLIN,
    writable: libc::POLLOUT,
    exceptional: libc::POLLPRI,
    hangup: libc::POLLHUP,
    error: libc::POLLERR,
};

/// This house's entry of a poll set.
pub(in crate::sys) type OsPollFd = libc::pollfd;

/// One `poll()` over `fds` (never `select()`, which cannot name a descriptor at or above
/// `FD_SETSIZE` and writes past its bitmaps if asked to). Returns how many entries have
/// something to report; `EINTR` is returned to the caller, who owns the deadline. An entry
/// that is not an open descriptor (`POLLNVAL`) fails the call with `EBADF`.
pub fn poll_sockets(fds: &mut [PollFd], timeout_ms: i32) -> io::Result<usize> {
    // SAFETY: `PollFd` is a transparent `pollfd`, so `fds` is `fds.len()` valid, writable
    // pollfds for the call.
    let n = check(unsafe {
        libc::poll(
            fds.as_mut_ptr().cast::<libc::pollfd>(),
            fds.len() as libc::nfds_t,
            timeout_ms,
        )
    })?;
    if n > 0 && fds.iter().any(|p| p.0.revents & libc::POLLNVAL != 0) {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    Ok(n as usize)
}

// The `polling` backend's registration (not Linux, where epoll is called directly; not
// illumos, whose event ports register in polling_backend.rs).
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "illumos")))]
/// Registers `s` with `poller`, level-triggered, for `ev` (its key names the socket).
pub fn poller_add(poller: &polling::Poller, s: RawSocket, ev: polling::Event) -> io::Result<()> {
    if !is_valid(s) {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    // SAFETY: polling asks that `s` be deleted before it is closed. This house runs on
    // kqueue only (Linux drives epoll itself, in epoll.rs, which deals with descriptors
    // shared by dup or fork; an epoll entry outlives a close while the file lives on).
    // kqueue removes every kevent naming a descriptor when that descriptor is closed, even
    // if another descriptor still refers to the file, so a caller who closes first leaves
    // at most polling's own bookkeeping, which `poller_delete` or a new add clears up,
    // never a dangling access: `s` is only handed to kevent as a number.
    unsafe { poller.add_with_mode(s as RawFd, ev, polling::PollMode::Level) }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "illumos")))]
/// Changes what `s` is watched for (level-triggered), and its key.
pub fn poller_modify(poller: &polling::Poller, s: RawSocket, ev: polling::Event) -> io::Result<()> {
    if !is_valid(s) {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    // SAFETY: `s` is not -1; the borrow lives only for this call and the descriptor is
    // only handed to epoll_ctl / kevent, which answer EBADF if the caller closed it.
    let fd = unsafe { BorrowedFd::borrow_raw(s) };
    poller.modify_with_mode(fd, ev, polling::PollMode::Level)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
/// Stops watching `s`.
pub fn poller_delete(poller: &polling::Poller, s: RawSocket) -> io::Result<()> {
    if !is_valid(s) {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    // SAFETY: as in `poller_modify`.
    let fd = unsafe { BorrowedFd::borrow_raw(s) };
    poller.delete(fd)
}
