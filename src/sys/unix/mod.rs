//! POSIX: Linux, the BSDs, macOS. One file per job: the socket handle and its mode
//! (`handle`), sending and receiving (`io`), waiting for readiness (`poll`), the options
//! sockhelp sets (`options`), accepting connections (`accept`), Unix-domain addresses
//! (`addr`), passing sockets to other processes (`fdpass`), what an error number means to
//! the core (`errors`) and its text (`strerror`).

use std::os::raw::c_int;

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
pub use poll::poll_sockets;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub use poll::poller_delete;
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "illumos")))]
pub use poll::{poller_add, poller_modify};
pub(in crate::sys) use poll::{OsPollFd, POLL_BITS};
pub use strerror::os_strerror;

/// `-1`: no socket.
pub(crate) const INVALID_SOCKET: RawSocket = -1;

/// Used when the caller passes a backlog <= 0.
pub(crate) const LISTEN_BACKLOG_MAX: c_int = libc::SOMAXCONN;

/// A libc call's return value as a `Result`: the value when it is not negative, else the
/// thread's `errno` (the `-1`-and-`errno` convention of every call it is used on). The idea
/// of socket2's `syscall!`, as a function: the `unsafe` call stays at its call site, with
/// its SAFETY line.
#[inline]
pub(in crate::sys) fn check<T: Copy + Default + PartialOrd>(rc: T) -> std::io::Result<T> {
    if rc < T::default() {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}
