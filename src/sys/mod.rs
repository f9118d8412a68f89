//! The platform seam: one face, two houses (`unix.rs`, `windows.rs`).
//!
//! Everything else in the crate calls these names and never asks which OS it
//! runs on. Both houses export the same functions with the same signatures.

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

/// What a wait is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    Readable,
    Writable,
}

pub(crate) use imp::NOT_LISTENING;
pub use imp::{
    accept, connect_backlog_full, is_family_unsupported, is_listening, os_strerror, unix_path,
};
pub use imp::{
    as_raw, before_send, cleanup, close, connect_in_progress, get_nonblocking, init, into_raw,
    is_valid, prepare_listener, prepare_stream, recv, send, send_vectored, set_keepalive_params,
    set_nonblocking, wait, with_socket,
};
pub(crate) use imp::{INVALID_SOCKET, LISTEN_BACKLOG_MAX};

/// What `poll_sockets` learned about one socket, in `select`'s three senses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readiness {
    /// A read (or an accept) will not block: data, a peer's close, a hang-up or an error.
    pub readable: bool,
    /// A write will not block, or a connect has finished (success or failure), or an error.
    pub writable: bool,
    /// Out-of-band data is waiting, or an error is pending (`SO_ERROR`).
    pub exceptional: bool,
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
use imp::poller_delete;
pub use imp::{is_bad_socket_error, poll_sockets, PollFd};
// illumos registers in polling_backend.rs (event ports: oneshot, re-armed by each wait).
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "illumos")))]
use imp::{poller_add, poller_modify};

/// What the poller's backend saw for one socket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    pub socket: RawSocket,
    /// Readable, or hung up, or in error (the poller keeps it only when asked for).
    pub readable: bool,
    /// Writable, or hung up, or in error (the poller keeps it only when asked for).
    pub writable: bool,
    /// Both directions are closed or the connection was reset (`EPOLLHUP`).
    pub hangup: bool,
    /// An error is pending (`EPOLLERR`).
    pub error: bool,
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
