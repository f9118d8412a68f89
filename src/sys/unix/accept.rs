//! Accepting connections for a server: whether a socket is listening, and an `accept` that,
//! when the caller must not wait, does not block past one clock tick even on a blocking
//! listener that other processes accept on too.

use std::io;
use std::os::raw::c_int;
use std::os::unix::io::AsRawFd;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::time::Duration;

use socket2::{SockRef, Socket};

use super::check;

/// The error `accept` reports for a socket that is not listening.
pub(crate) const NOT_LISTENING: i32 = libc::EINVAL;

/// The error `connect_finish` reports for a socket that is not connecting.
pub(crate) const NOT_CONNECTED: i32 = libc::ENOTCONN;

/// Whether `listen` was called on `sock` (`SO_ACCEPTCONN`).
pub fn is_listening(sock: &SockRef<'_>) -> io::Result<bool> {
    let mut v: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: SO_ACCEPTCONN writes one int into `v`; `len` holds its size.
    check(unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            (&mut v as *mut c_int).cast(),
            &mut len,
        )
    })?;
    Ok(v != 0)
}

/// How long one `accept` on a blocking listener may wait when the caller must not block:
/// the shortest receive timeout Linux has (it rounds up to one clock tick, 1-4 ms).
#[cfg(any(target_os = "linux", target_os = "android"))]
const ACCEPT_SLICE: Duration = Duration::from_micros(1);

/// One `accept` on `listener`. With `dontwait` it must not block past one clock tick even
/// though the listener is blocking and other processes accept on it too (a connection seen
/// by `poll` can be taken by another process before this call). The caller passes
/// `dontwait` only for a listener it found blocking: a non-blocking one's accept never
/// blocks (`net::accept_loop` asks the mode once per call).
///
/// There is no per-call non-blocking accept on POSIX (`accept4` flags apply to the new
/// socket only, `MSG_DONTWAIT` is for data), and the listener's `O_NONBLOCK` belongs to
/// every process sharing the open file description, so it is never touched. On Linux,
/// `accept` honours `SO_RCVTIMEO` (which concerns nothing else on a listening socket):
/// a blocking listener with no receive timeout gets the shortest one, set once and kept
/// (restoring it would race with other processes and could leave one of them blocked).
/// A blocking `accept` then returns `EAGAIN` after one idle clock tick: sockhelp waits
/// with `poll` and tries again; a raw blocking `accept()` on that listener sees `EAGAIN`
/// too (the header says so). Elsewhere `accept` ignores `SO_RCVTIMEO` and the race stays.
pub fn accept(listener: &SockRef<'_>, dontwait: bool) -> io::Result<(Socket, socket2::SockAddr)> {
    sliced(listener, dontwait, || listener.accept())
}

/// `accept`, the new socket non-blocking and close-on-exec as asked, set atomically by
/// `accept4` where the system has it (Linux, Android, the BSDs but macOS, illumos), by
/// `fcntl` right after `accept` elsewhere (macOS, whose accepted socket inherits the
/// listener's `O_NONBLOCK`: set either way).
pub fn accept_as(
    listener: &SockRef<'_>,
    dontwait: bool,
    nonblocking: bool,
    cloexec: bool,
) -> io::Result<(Socket, socket2::SockAddr)> {
    sliced(listener, dontwait, || {
        accept_flags(listener, nonblocking, cloexec)
    })
}

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    target_os = "illumos",
))]
fn accept_flags(
    listener: &SockRef<'_>,
    nonblocking: bool,
    cloexec: bool,
) -> io::Result<(Socket, socket2::SockAddr)> {
    let mut flags = 0;
    if nonblocking {
        flags |= libc::SOCK_NONBLOCK;
    }
    if cloexec {
        flags |= libc::SOCK_CLOEXEC;
    }
    // accept4 sets both from `flags`, whatever the listener's own O_NONBLOCK.
    listener.accept4(flags)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    target_os = "illumos",
)))]
fn accept_flags(
    listener: &SockRef<'_>,
    nonblocking: bool,
    cloexec: bool,
) -> io::Result<(Socket, socket2::SockAddr)> {
    let (sock, addr) = listener.accept_raw()?;
    sock.set_cloexec(cloexec)?;
    sock.set_nonblocking(nonblocking)?;
    Ok((sock, addr))
}

/// Runs `accept` (one system call on `listener`) with the shortest receive timeout given to
/// the (blocking) listener first when `dontwait` (Linux; see `accept`).
fn sliced(
    listener: &SockRef<'_>,
    dontwait: bool,
    accept: impl FnOnce() -> io::Result<(Socket, socket2::SockAddr)>,
) -> io::Result<(Socket, socket2::SockAddr)> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let sliced = dontwait;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if sliced && listener.read_timeout()?.is_none() {
        listener.set_read_timeout(Some(ACCEPT_SLICE))?;
    }
    let _ = (dontwait, listener);
    let (sock, addr) = accept()?;
    // The slice is the listener's business: never let a new connection carry it (Linux
    // does not copy SO_RCVTIMEO to accepted sockets today; this keeps it so).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if sliced && matches!(sock.read_timeout(), Ok(Some(t)) if t <= ACCEPT_SLICE_MAX) {
        sock.set_read_timeout(None)?;
    }
    Ok((sock, addr))
}

/// What `ACCEPT_SLICE` reads back as: one clock tick, at most 10 ms (HZ = 100).
#[cfg(any(target_os = "linux", target_os = "android"))]
const ACCEPT_SLICE_MAX: Duration = Duration::from_millis(10);
