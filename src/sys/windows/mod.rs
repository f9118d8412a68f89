//! Windows (Winsock 2). One file per job: the socket handle, Winsock's start and its mode
//! (`handle`), sending and receiving (`io`), waiting for readiness (`poll`), the options
//! sockhelp sets (`options`), accepting connections (`accept`), Unix-domain addresses
//! (`addr`), passing sockets to other processes (`fdpass`), what an error number means to
//! the core (`errors`) and its text (`strerror`).
//!
//! The differences the HOWTO warns about live here: `SOCKET` is an unsigned
//! handle, `closesocket`, `WSAGetLastError`, `ioctlsocket(FIONBIO)` with no way
//! to read the mode back, no `SIGPIPE`, `int` lengths for send/recv, and no
//! `MSG_DONTWAIT` (a zero-timeout `WSAPoll` stands in for it).

use std::os::raw::c_int;

use windows_sys::Win32::Networking::WinSock as ws;

use super::RawSocket;

mod accept;
mod addr;
mod client;
mod errors;
mod fdpass;
mod handle;
mod io;
mod options;
mod poll;
mod strerror;

pub use accept::{accept, accept_as, is_listening};
pub(crate) use accept::{NOT_CONNECTED, NOT_LISTENING};
pub use addr::unix_name;
pub use client::{getaddrinfo, set_user_timeout};
pub use errors::{
    connect_backlog_full, connect_in_progress, is_bad_socket_error, is_family_unsupported,
};
pub(crate) use fdpass::PASSES_SOCKETS;
pub use fdpass::{recv_socket, send_socket};
pub use handle::{
    as_raw, cleanup, close, get_nonblocking, init, into_raw, is_valid, set_nonblocking, with_socket,
};
pub use io::{recv, send, send_vectored};
pub use options::{
    before_send, prepare_listener, prepare_stream, set_keepalive_params, set_reuse_port,
};
pub use poll::{poll_sockets, poller_add, poller_delete, poller_modify};
pub(in crate::sys) use poll::{OsPollFd, POLL_BITS};
pub use strerror::os_strerror;

/// `INVALID_SOCKET`: no socket.
pub(crate) const INVALID_SOCKET: RawSocket = ws::INVALID_SOCKET;

/// Used when the caller passes a backlog <= 0 (`SOMAXCONN`).
pub(crate) const LISTEN_BACKLOG_MAX: c_int = 0x7fff_ffff;

/// The calling thread's `WSAGetLastError()`.
pub fn last_os_error() -> i32 {
    // SAFETY: no arguments; reads thread-local state.
    unsafe { ws::WSAGetLastError() }
}

/// The calling thread's last Winsock error as an `io::Error`.
fn last_error() -> std::io::Error {
    std::io::Error::from_raw_os_error(last_os_error())
}

/// A Winsock call's return value as a `Result`: the value unless it is `SOCKET_ERROR`,
/// else the thread's `WSAGetLastError()` (the convention of every call it is used on:
/// counts, or 0 for success, and `SOCKET_ERROR` for failure). The idea of socket2's
/// `syscall!`, as a function: the `unsafe` call stays at its call site, with its SAFETY
/// line.
#[inline]
fn check(rc: i32) -> std::io::Result<i32> {
    if rc == ws::SOCKET_ERROR {
        Err(last_error())
    } else {
        Ok(rc)
    }
}
