//! What an error number means to the core: the few `errno` values it acts on.

use std::io;

/// True when a non-blocking `connect` has started and will finish later.
pub fn connect_in_progress(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock
}

/// True when a non-blocking Unix-domain `connect` failed because the listener's queue is
/// full (Linux answers `EAGAIN`, not `EINPROGRESS`): nothing is in progress, try again.
pub fn connect_backlog_full(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EAGAIN)
}

/// True when `e` says the descriptor is not (or no longer) an open socket, or is not
/// registered: `EBADF`, `ENOTSOCK`, `ENOENT`.
pub fn is_bad_socket_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EBADF) | Some(libc::ENOTSOCK) | Some(libc::ENOENT)
    )
}

/// True when `e` says the system has no such address family (no `AF_UNIX`).
pub fn is_family_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EAFNOSUPPORT) | Some(libc::EPROTONOSUPPORT)
    )
}
