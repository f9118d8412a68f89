//! What an error number means to the core: the few Winsock errors it acts on.

use std::io;

use windows_sys::Win32::Networking::WinSock as ws;

/// A non-blocking `connect` on Windows reports `WSAEWOULDBLOCK`.
pub fn connect_in_progress(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(ws::WSAEWOULDBLOCK) | Some(ws::WSAEINPROGRESS)
    ) || e.kind() == io::ErrorKind::WouldBlock
}

/// Winsock reports a full queue as a refusal: never "try again".
pub fn connect_backlog_full(_e: &io::Error) -> bool {
    false
}

/// True when `e` says the handle is not (or no longer) a socket, or is not registered.
pub fn is_bad_socket_error(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(ws::WSAENOTSOCK) | Some(ws::WSAEBADF))
        || e.kind() == io::ErrorKind::NotFound
}

/// True when `e` says the system has no such address family (no `AF_UNIX` before
/// Windows 10 1803).
pub fn is_family_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(ws::WSAEAFNOSUPPORT) | Some(ws::WSAEPROTONOSUPPORT) | Some(ws::WSAESOCKTNOSUPPORT)
    )
}
