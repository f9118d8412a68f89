//! Passing a socket to another process: not here yet. Winsock's way is
//! `WSADuplicateSocket`, which needs the receiving process's id before the socket is sent
//! (a handshake of its own over the Unix-domain socket); until it is built the calls are
//! `Unsupported` (the core checks `PASSES_SOCKETS` first and never reaches these).

use std::io;

use windows_sys::Win32::Networking::WinSock as ws;

use crate::sys::{Passed, RawSocket};

/// Sockets do not pass between processes here (yet).
pub(crate) const PASSES_SOCKETS: bool = false;

/// Not supported (see the file's comment).
pub fn send_socket(_unix_sock: RawSocket, _s: RawSocket, _dontwait: bool) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(ws::WSAEOPNOTSUPP))
}

/// Not supported (see the file's comment).
pub fn recv_socket(_unix_sock: RawSocket, _dontwait: bool) -> io::Result<Passed> {
    Err(io::Error::from_raw_os_error(ws::WSAEOPNOTSUPP))
}
