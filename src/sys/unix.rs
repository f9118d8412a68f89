//! POSIX: Linux, the BSDs, macOS.

use std::io::{self, IoSlice};
use std::os::raw::c_int;
use std::os::unix::io::{AsRawFd, BorrowedFd, IntoRawFd, RawFd};
use std::time::Duration;

use socket2::{SockRef, Socket, TcpKeepalive};

use super::{Interest, RawSocket};
use crate::error::{Error, Result};

/// `-1`: no socket.
pub(crate) const INVALID_SOCKET: RawSocket = -1;

/// Used when the caller passes a backlog <= 0.
pub(crate) const LISTEN_BACKLOG_MAX: c_int = libc::SOMAXCONN;

/// No `SIGPIPE` from a write to a closed peer. macOS has no `MSG_NOSIGNAL`;
/// there `before_send` sets `SO_NOSIGPIPE` on the socket instead.
#[cfg(not(any(target_os = "macos", target_os = "ios")))]
const NOSIGNAL: c_int = libc::MSG_NOSIGNAL;
#[cfg(any(target_os = "macos", target_os = "ios"))]
const NOSIGNAL: c_int = 0;

/// At most this many buffers in one `sendmsg` (POSIX guarantees 16, Linux takes 1024).
const IOV_MAX: usize = 1024;

fn dontwait_flag(dontwait: bool) -> c_int {
    if dontwait {
        libc::MSG_DONTWAIT
    } else {
        0
    }
}

/// WSAStartup's place: nothing to do on POSIX.
pub fn init() -> Result<()> {
    Ok(())
}

/// WSACleanup's place: nothing to do on POSIX.
pub fn cleanup() {}

/// True for a value that can name a socket (`>= 0`).
pub fn is_valid(s: RawSocket) -> bool {
    s >= 0
}

/// Runs `f` with a socket2 view of `s`, which stays owned by the caller.
pub fn with_socket<R>(s: RawSocket, f: impl FnOnce(SockRef<'_>) -> Result<R>) -> Result<R> {
    if !is_valid(s) {
        return Err(Error::Invalid);
    }
    // A closed descriptor is the caller's mistake that the header answers with EOS /
    // EBADF: find it here, before a borrow that must name an open descriptor.
    // SAFETY: F_GETFD reads the descriptor's flags; `s` is only a number to the kernel.
    if unsafe { libc::fcntl(s, libc::F_GETFD) } < 0 {
        return Err(Error::from(io::Error::last_os_error()));
    }
    // SAFETY: `s` was open just now (checked above), and the borrow lives only for this
    // call, during which the caller keeps its descriptor open (the C contract: a socket
    // is not closed by one thread while another thread passes it to sockhelp).
    let fd = unsafe { BorrowedFd::borrow_raw(s) };
    f(SockRef::from(&fd))
}

/// The descriptor of `sock`, still owned by `sock`.
pub fn as_raw(sock: &Socket) -> RawSocket {
    sock.as_raw_fd()
}

/// Hands the descriptor of `sock` to the caller, who closes it.
pub fn into_raw(sock: Socket) -> RawSocket {
    sock.into_raw_fd()
}

/// One `send` of `buf`; `dontwait` makes this call non-blocking without
/// touching the socket's mode. Never raises `SIGPIPE`.
pub fn send(s: RawSocket, buf: &[u8], dontwait: bool) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes for the duration of the call.
    let n = unsafe {
        libc::send(
            s,
            buf.as_ptr().cast(),
            buf.len(),
            NOSIGNAL | dontwait_flag(dontwait),
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// One gathered write (`sendmsg`) of `bufs`; see `send`.
pub fn send_vectored(s: RawSocket, bufs: &[IoSlice<'_>], dontwait: bool) -> io::Result<usize> {
    let count = bufs.len().min(IOV_MAX);
    // SAFETY: an all-zero msghdr is a valid empty message.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // IoSlice is guaranteed ABI-compatible with `struct iovec` on unix.
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = count as _;
    // SAFETY: msg points at `count` valid iovecs borrowed for the call.
    let n = unsafe { libc::sendmsg(s, &msg, NOSIGNAL | dontwait_flag(dontwait)) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// One `recv` into `buf`; see `send` for `dontwait`. `Ok(0)` is the peer's close.
pub fn recv(s: RawSocket, buf: &mut [u8], dontwait: bool) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the call.
    let n = unsafe {
        libc::recv(
            s,
            buf.as_mut_ptr().cast(),
            buf.len(),
            dontwait_flag(dontwait),
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Waits up to `timeout_ms` (-1 forever) for `s` to be ready for `interest`.
/// Ready includes an error or a hang-up (the next call will report it).
/// `EINTR` is returned to the caller, who owns the deadline.
pub fn wait(s: RawSocket, interest: Interest, timeout_ms: i32) -> io::Result<bool> {
    let events = match interest {
        Interest::Readable => libc::POLLIN,
        Interest::Writable => libc::POLLOUT,
    };
    let mut pfd = libc::pollfd {
        fd: s,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    if n > 0 && pfd.revents & libc::POLLNVAL != 0 {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    Ok(n > 0)
}

/// Sets or clears `O_NONBLOCK` (never `O_NDELAY`, whose reads return 0 like EOF on System V).
pub fn set_nonblocking(s: RawSocket, on: bool) -> Result<()> {
    let flags = fcntl_getfl(s)?;
    let new = if on {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    if new != flags {
        // SAFETY: F_SETFL with an int argument on a caller-owned descriptor.
        if unsafe { libc::fcntl(s, libc::F_SETFL, new) } < 0 {
            return Err(io::Error::last_os_error().into());
        }
    }
    Ok(())
}

/// Whether `O_NONBLOCK` is set.
pub fn get_nonblocking(s: RawSocket) -> Result<bool> {
    Ok(fcntl_getfl(s)? & libc::O_NONBLOCK != 0)
}

fn fcntl_getfl(s: RawSocket) -> Result<c_int> {
    if !is_valid(s) {
        return Err(Error::Invalid);
    }
    // SAFETY: F_GETFL takes no argument.
    let flags = unsafe { libc::fcntl(s, libc::F_GETFL) };
    if flags < 0 {
        Err(io::Error::last_os_error().into())
    } else {
        Ok(flags)
    }
}

/// Closes the descriptor. `EINTR` is not retried: the descriptor is gone
/// either way on Linux, and retrying could close someone else's.
pub fn close(s: RawSocket) -> Result<()> {
    if !is_valid(s) {
        return Err(Error::Invalid);
    }
    // SAFETY: the caller gives up `s`.
    if unsafe { libc::close(s as RawFd) } < 0 {
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e.into());
        }
    }
    Ok(())
}

/// Called once before a run of sends: macOS needs `SO_NOSIGPIPE` on the socket.
pub fn before_send(s: RawSocket) -> Result<()> {
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        with_socket(s, |sock| sock.set_nosigpipe(true).map_err(Error::from))?;
    }
    let _ = s;
    Ok(())
}

/// Settings every socket that sockhelp creates or accepts gets.
pub fn prepare_stream(sock: &Socket) -> io::Result<()> {
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    sock.set_nosigpipe(true)?;
    let _ = sock;
    Ok(())
}

/// A listener may rebind a port whose old connections linger in TIME_WAIT.
pub fn prepare_listener(sock: &Socket) -> io::Result<()> {
    sock.set_reuse_address(true)
}

/// True when a non-blocking `connect` has started and will finish later.
pub fn connect_in_progress(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock
}

/// Keepalive timing; each value <= 0 keeps the OS default.
pub fn set_keepalive_params(
    sock: &SockRef<'_>,
    idle_s: i32,
    interval_s: i32,
    count: i32,
) -> Result<()> {
    let mut ka = TcpKeepalive::new();
    let mut any = false;
    if idle_s > 0 {
        ka = ka.with_time(Duration::from_secs(idle_s as u64));
        any = true;
    }
    if interval_s > 0 || count > 0 {
        ka = keepalive_probes(ka, interval_s, count)?;
        any = true;
    }
    if any {
        sock.set_tcp_keepalive(&ka)?;
    }
    Ok(())
}

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "dragonfly",
    target_os = "illumos",
    target_os = "fuchsia"
))]
fn keepalive_probes(mut ka: TcpKeepalive, interval_s: i32, count: i32) -> Result<TcpKeepalive> {
    if interval_s > 0 {
        ka = ka.with_interval(Duration::from_secs(interval_s as u64));
    }
    if count > 0 {
        ka = ka.with_retries(count as u32);
    }
    Ok(ka)
}

/// OpenBSD and others fix the probe interval and count system-wide.
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "dragonfly",
    target_os = "illumos",
    target_os = "fuchsia"
)))]
fn keepalive_probes(_ka: TcpKeepalive, _interval_s: i32, _count: i32) -> Result<TcpKeepalive> {
    Err(Error::Unsupported)
}

/// One entry of a `poll()` set: a `struct pollfd`, so a slice of them is the array `poll` takes.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct PollFd(libc::pollfd);

impl PollFd {
    /// An entry for `s`, asking for the conditions behind `readable`, `writable` and
    /// `exceptional` (`POLLIN`, `POLLOUT`, `POLLPRI`); errors and hang-ups are always reported.
    pub fn new(s: RawSocket, readable: bool, writable: bool, exceptional: bool) -> PollFd {
        let mut events = 0;
        if readable {
            events |= libc::POLLIN;
        }
        if writable {
            events |= libc::POLLOUT;
        }
        if exceptional {
            events |= libc::POLLPRI;
        }
        PollFd(libc::pollfd {
            fd: s,
            events,
            revents: 0,
        })
    }

    /// The socket this entry is for.
    pub fn socket(&self) -> RawSocket {
        self.0.fd
    }

    /// What the last `poll_sockets` reported for this entry:
    /// readable = `POLLIN|POLLHUP|POLLERR`, writable = `POLLOUT|POLLHUP|POLLERR`,
    /// exceptional = `POLLPRI|POLLERR`.
    pub fn readiness(&self) -> super::Readiness {
        let r = self.0.revents;
        super::Readiness {
            readable: r & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0,
            writable: r & (libc::POLLOUT | libc::POLLHUP | libc::POLLERR) != 0,
            exceptional: r & (libc::POLLPRI | libc::POLLERR) != 0,
        }
    }
}

/// One `poll()` over `fds` (never `select()`, which cannot name a descriptor at or above
/// `FD_SETSIZE` and writes past its bitmaps if asked to). Returns how many entries have
/// something to report; `EINTR` is returned to the caller, who owns the deadline. An entry
/// that is not an open descriptor (`POLLNVAL`) fails the call with `EBADF`.
pub fn poll_sockets(fds: &mut [PollFd], timeout_ms: i32) -> io::Result<usize> {
    // SAFETY: `PollFd` is a transparent `pollfd`, so `fds` is `fds.len()` valid, writable
    // pollfds for the call.
    let n = unsafe {
        libc::poll(
            fds.as_mut_ptr().cast::<libc::pollfd>(),
            fds.len() as libc::nfds_t,
            timeout_ms,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    if n > 0 && fds.iter().any(|p| p.0.revents & libc::POLLNVAL != 0) {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    Ok(n as usize)
}

/// True when `e` says the descriptor is not (or no longer) an open socket, or is not
/// registered: `EBADF`, `ENOTSOCK`, `ENOENT`.
pub fn is_bad_socket_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EBADF) | Some(libc::ENOTSOCK) | Some(libc::ENOENT)
    )
}

// The `polling` backend's registration (not Linux, where epoll is called directly).
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

// ---- Accept, addresses and Unix-domain sockets (the servers issue) ----

/// The error `accept` reports for a socket that is not listening.
pub(crate) const NOT_LISTENING: i32 = libc::EINVAL;

/// Whether `listen` was called on `sock` (`SO_ACCEPTCONN`).
pub fn is_listening(sock: &SockRef<'_>) -> io::Result<bool> {
    let mut v: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: SO_ACCEPTCONN writes one int into `v`; `len` holds its size.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            (&mut v as *mut c_int).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(v != 0)
    }
}

/// How long one `accept` on a blocking listener may wait when the caller must not block:
/// the shortest receive timeout Linux has (it rounds up to one clock tick, 1-4 ms).
#[cfg(any(target_os = "linux", target_os = "android"))]
const ACCEPT_SLICE: Duration = Duration::from_micros(1);

/// One `accept` on `listener`. With `dontwait` it must not block past one clock tick even
/// when the listener is blocking and other processes accept on it too (a connection seen by
/// `poll` can be taken by another process before this call).
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
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if dontwait
        && !get_nonblocking(listener.as_raw_fd()).unwrap_or(true)
        && listener.read_timeout()?.is_none()
    {
        listener.set_read_timeout(Some(ACCEPT_SLICE))?;
    }
    let _ = dontwait;
    let (sock, addr) = listener.accept()?;
    // The slice is the listener's business: never let a new connection carry it (Linux
    // does not copy SO_RCVTIMEO to accepted sockets today; this keeps it so).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if dontwait && matches!(sock.read_timeout(), Ok(Some(t)) if t <= ACCEPT_SLICE_MAX) {
        sock.set_read_timeout(None)?;
    }
    Ok((sock, addr))
}

/// What `ACCEPT_SLICE` reads back as: one clock tick, at most 10 ms (HZ = 100).
#[cfg(any(target_os = "linux", target_os = "android"))]
const ACCEPT_SLICE_MAX: Duration = Duration::from_millis(10);

/// The printable path of a Unix-domain address: the path, `@name` for a Linux abstract
/// address, "" for an unnamed socket (the client side of a connection).
pub fn unix_path(addr: &socket2::SockAddr) -> Option<String> {
    if !addr.is_unix() {
        return None;
    }
    if let Some(p) = addr.as_pathname() {
        return Some(p.to_string_lossy().into_owned());
    }
    if let Some(name) = addr.as_abstract_namespace() {
        return Some(format!("@{}", String::from_utf8_lossy(name)));
    }
    Some(String::new())
}

/// True when `e` says the system has no such address family (no `AF_UNIX`).
pub fn is_family_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EAFNOSUPPORT) | Some(libc::EPROTONOSUPPORT)
    )
}

/// True when a non-blocking Unix-domain `connect` failed because the listener's queue is
/// full (Linux answers `EAGAIN`, not `EINPROGRESS`): nothing is in progress, try again.
pub fn connect_backlog_full(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EAGAIN)
}

/// A static English text for an OS error number (`errno`), the same on every thread.
pub fn os_strerror(code: i32) -> &'static str {
    match code {
        0 => "no error\0",
        libc::EPERM => "operation not permitted\0",
        libc::ENOENT => "no such file or directory\0",
        libc::EINTR => "interrupted system call\0",
        libc::EIO => "input/output error\0",
        libc::EBADF => "bad file descriptor\0",
        libc::EAGAIN => "resource temporarily unavailable (would block)\0",
        libc::ENOMEM => "out of memory\0",
        libc::EACCES => "permission denied\0",
        libc::EFAULT => "bad address\0",
        libc::EEXIST => "file exists\0",
        libc::ENOTDIR => "not a directory\0",
        libc::EINVAL => "invalid argument\0",
        libc::ENFILE => "too many open files in the system\0",
        libc::EMFILE => "too many open files\0",
        libc::ENOSPC => "no space left on device\0",
        libc::EPIPE => "broken pipe\0",
        libc::ENAMETOOLONG => "file name too long\0",
        libc::ENOTSOCK => "not a socket\0",
        libc::EDESTADDRREQ => "destination address required\0",
        libc::EMSGSIZE => "message too long\0",
        libc::EPROTOTYPE => "protocol wrong type for socket\0",
        libc::ENOPROTOOPT => "protocol not available\0",
        libc::EPROTONOSUPPORT => "protocol not supported\0",
        libc::EOPNOTSUPP => "operation not supported\0",
        libc::EAFNOSUPPORT => "address family not supported\0",
        libc::EADDRINUSE => "address already in use\0",
        libc::EADDRNOTAVAIL => "cannot assign requested address\0",
        libc::ENETDOWN => "network is down\0",
        libc::ENETUNREACH => "network is unreachable\0",
        libc::ENETRESET => "network dropped connection on reset\0",
        libc::ECONNABORTED => "connection aborted\0",
        libc::ECONNRESET => "connection reset by peer\0",
        libc::ENOBUFS => "no buffer space available\0",
        libc::EISCONN => "socket is already connected\0",
        libc::ENOTCONN => "socket is not connected\0",
        libc::ESHUTDOWN => "cannot send after socket shutdown\0",
        libc::ETIMEDOUT => "connection timed out (by the system)\0",
        libc::ECONNREFUSED => "connection refused\0",
        libc::EHOSTDOWN => "host is down\0",
        libc::EHOSTUNREACH => "no route to host\0",
        libc::EALREADY => "operation already in progress\0",
        libc::EINPROGRESS => "operation now in progress\0",
        _ => "unknown OS error\0",
    }
}
