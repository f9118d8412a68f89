//! The platform seam: one face, two houses (`unix/`, `windows/`, a folder each with one
//! file per job), and the poller's two backends (`epoll.rs` on Linux, `polling_backend.rs`
//! elsewhere).
//!
//! Everything else in the crate calls these names and never asks which OS it
//! runs on. Both houses export the same functions with the same signatures. Readiness,
//! asked for or reported, is the bit set of `event_bits.rs` (a `u32`); each house
//! translates it to and from its system's bits.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;

/// The raw socket handle of this platform: a file descriptor on POSIX (the C side's
/// `sockhelp_socket` is this type).
#[cfg(not(windows))]
pub type RawSocket = std::os::raw::c_int;

/// The raw socket handle of this platform: a `SOCKET` (an unsigned pointer-sized integer)
/// on Windows.
#[cfg(windows)]
pub type RawSocket = usize;

/// What a wait is for (a name for one bit of the readiness set).
pub use crate::event_bits::Interest;

pub(crate) use imp::PASSES_SOCKETS;
pub use imp::{
    accept, accept_as, connect_backlog_full, is_family_unsupported, is_listening, os_strerror,
    unix_name,
};
pub use imp::{
    as_raw, before_send, cleanup, close, connect_in_progress, get_nonblocking, init, into_raw,
    is_valid, prepare_listener, prepare_stream, recv, send, send_vectored, set_keepalive_params,
    set_nonblocking, set_reuse_port, with_socket,
};
pub use imp::{getaddrinfo, set_user_timeout};
pub use imp::{recv_socket, send_socket};
pub(crate) use imp::{INVALID_SOCKET, LISTEN_BACKLOG_MAX};
pub(crate) use imp::{NOT_CONNECTED, NOT_LISTENING};

/// What a lookup found, each address once, in the resolver's order; `NotFound` for none.
pub(crate) fn distinct_addrs(
    found: Vec<std::net::SocketAddr>,
) -> crate::error::Result<Vec<std::net::SocketAddr>> {
    let mut out: Vec<std::net::SocketAddr> = Vec::with_capacity(found.len());
    for a in found {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    if out.is_empty() {
        return Err(crate::error::Error::NotFound);
    }
    Ok(out)
}

/// What one receive of a passed socket brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passed {
    /// A socket, now this process's (close-on-exec).
    Socket(RawSocket),
    /// The peer closed: nothing came.
    Closed,
    /// A byte came without a socket (nothing, or descriptors that were not sockets, now
    /// closed).
    Nothing,
}

/// The name of a Unix-domain address, raw bytes as the system holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnixName<'a> {
    /// No name (the client side of a connection).
    Unnamed,
    /// A path (no NUL).
    Path(&'a [u8]),
    /// A Linux abstract name: the bytes after the leading NUL (NULs may follow).
    #[cfg_attr(windows, allow(dead_code))] // Windows has no abstract names
    Abstract(&'a [u8]),
}

mod pollfd;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use imp::poller_delete;
pub use imp::{is_bad_socket_error, poll_sockets};
// illumos registers in polling_backend.rs (event ports: oneshot, re-armed by each wait).
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "illumos")))]
use imp::{poller_add, poller_modify};
pub use pollfd::{wait, PollFd};

/// What the poller's backend saw for one socket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    pub socket: RawSocket,
    /// The readiness bits that hold: `READABLE` (readable, or hung up, or in error),
    /// `WRITABLE` (writable, or hung up, or in error), `HANGUP` (both directions closed or
    /// the connection reset), `ERROR` (an error is pending). The poller keeps `READABLE` /
    /// `WRITABLE` only where asked for.
    pub events: u32,
}

// The poller's backend: epoll directly on Linux, the `polling` crate elsewhere.
#[cfg(any(target_os = "linux", target_os = "android"))]
mod epoll;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use epoll::{PollWaker, PollerBackend};
#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod polling_backend;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub use polling_backend::{PollWaker, PollerBackend};
