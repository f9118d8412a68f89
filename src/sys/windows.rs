//! Windows (Winsock 2).
//!
//! The differences the HOWTO warns about live here: `SOCKET` is an unsigned
//! handle, `closesocket`, `WSAGetLastError`, `ioctlsocket(FIONBIO)` with no way
//! to read the mode back, no `SIGPIPE`, `int` lengths for send/recv, and no
//! `MSG_DONTWAIT` (a zero-timeout `WSAPoll` stands in for it).

use std::io::{self, IoSlice};
use std::os::raw::c_int;
use std::os::windows::io::{AsRawSocket, BorrowedSocket, IntoRawSocket};
use std::sync::Mutex;
use std::time::Duration;

use socket2::{SockRef, Socket, TcpKeepalive};
use windows_sys::Win32::Networking::WinSock as ws;

use super::{Interest, RawSocket};
use crate::error::{Error, Result};

/// `INVALID_SOCKET`: no socket.
pub(crate) const INVALID_SOCKET: RawSocket = ws::INVALID_SOCKET;

/// Used when the caller passes a backlog <= 0 (`SOMAXCONN`).
pub(crate) const LISTEN_BACKLOG_MAX: c_int = 0x7fff_ffff;

/// send/recv take an `int` length: bigger buffers go in chunks of this.
const CHUNK_MAX: usize = 1 << 30;

/// At most this many WSABUFs in one `WSASend`.
const BUFS_MAX: usize = 64;

/// `SO_EXCLUSIVEADDRUSE` is `~SO_REUSEADDR` in the Windows headers.
const SO_EXCLUSIVEADDRUSE: i32 = !ws::SO_REUSEADDR;

/// How many `init` calls are not yet matched by `cleanup`.
static INIT_COUNT: Mutex<usize> = Mutex::new(0);

/// `WSAStartup(2.2)`, reference counted.
pub fn init() -> Result<()> {
    let mut count = INIT_COUNT.lock().unwrap_or_else(|p| p.into_inner());
    // SAFETY: an all-zero WSADATA is a valid out-parameter.
    let mut data: ws::WSADATA = unsafe { std::mem::zeroed() };
    // SAFETY: `data` is a valid out-parameter for the call.
    let rc = unsafe { ws::WSAStartup(0x0202, &mut data) };
    if rc != 0 {
        return Err(Error::Os(rc));
    }
    *count += 1;
    Ok(())
}

/// `WSACleanup` for a matching `init`; extra calls are no-ops.
pub fn cleanup() {
    let mut count = INIT_COUNT.lock().unwrap_or_else(|p| p.into_inner());
    if *count > 0 {
        *count -= 1;
        // SAFETY: matches a successful WSAStartup.
        unsafe { ws::WSACleanup() };
    }
}

/// The calling thread's `WSAGetLastError()`.
pub fn last_os_error() -> i32 {
    // SAFETY: no arguments; reads thread-local state.
    unsafe { ws::WSAGetLastError() }
}

fn last_error() -> io::Error {
    io::Error::from_raw_os_error(last_os_error())
}

/// True for a value that can name a socket (not `INVALID_SOCKET`).
pub fn is_valid(s: RawSocket) -> bool {
    s != INVALID_SOCKET
}

/// Runs `f` with a socket2 view of `s`, which stays owned by the caller.
pub fn with_socket<R>(s: RawSocket, f: impl FnOnce(SockRef<'_>) -> Result<R>) -> Result<R> {
    if !is_valid(s) {
        return Err(Error::Invalid);
    }
    // A closed socket is the caller's mistake that the header answers with EOS /
    // WSAENOTSOCK: find it here, before a borrow that must name an open socket.
    let mut kind: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as i32;
    // SAFETY: SO_TYPE writes one int into `kind`; `len` holds its size; `s` is only a
    // handle value to Winsock, which answers WSAENOTSOCK for one that is not a socket.
    let rc = unsafe {
        ws::getsockopt(
            s,
            ws::SOL_SOCKET,
            ws::SO_TYPE,
            &mut kind as *mut i32 as *mut u8,
            &mut len,
        )
    };
    if rc != 0 {
        return Err(Error::from(last_error()));
    }
    // SAFETY: `s` was an open socket just now (checked above), and the borrow lives only
    // for this call, during which the caller keeps its socket open (the C contract: a
    // socket is not closed by one thread while another thread passes it to sockhelp).
    let sock = unsafe { BorrowedSocket::borrow_raw(s as _) };
    f(SockRef::from(&sock))
}

/// The handle of `sock`, still owned by `sock`.
pub fn as_raw(sock: &Socket) -> RawSocket {
    sock.as_raw_socket() as RawSocket
}

/// Hands the socket of `sock` to the caller, who closes it.
pub fn into_raw(sock: Socket) -> RawSocket {
    sock.into_raw_socket() as RawSocket
}

/// Without `MSG_DONTWAIT`, a non-waiting call first asks `WSAPoll` with a zero timeout.
fn ready_now(s: RawSocket, interest: Interest) -> io::Result<()> {
    if wait(s, interest, 0)? {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(ws::WSAEWOULDBLOCK))
    }
}

/// How much a non-waiting send may hand to `send` at once.
///
/// Writable only promises room for *some* bytes, and on a blocking socket Winsock's `send`
/// does not return early with a partial count (as POSIX `MSG_DONTWAIT` would): it blocks
/// until it has taken the whole buffer. A timed `send_all` of 64 MiB to a peer that reads
/// nothing would then block forever inside `send`, past its deadline. A quarter of
/// `SO_SNDBUF` fits in the room a writable socket has (Windows buffers a send while its
/// queue is below `SO_SNDBUF`; Linux, under Wine, reports writable only with at least a
/// third of the buffer free), so each timed send returns at once and the deadline holds.
fn dontwait_cap(s: RawSocket) -> usize {
    let mut size: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as i32;
    // SAFETY: SO_SNDBUF writes one int into `size`; `len` holds its size.
    let rc = unsafe {
        ws::getsockopt(
            s,
            ws::SOL_SOCKET,
            ws::SO_SNDBUF,
            &mut size as *mut i32 as *mut u8,
            &mut len,
        )
    };
    if rc != 0 || size <= 0 {
        // Unknown (or SO_SNDBUF 0: sends go straight from the caller's buffer): small steps.
        return 4096;
    }
    (size as usize / 4).max(1)
}

/// One `send` of at most `CHUNK_MAX` bytes of `buf` (with `dontwait`, at most what fits
/// without blocking: see `dontwait_cap`).
pub fn send(s: RawSocket, buf: &[u8], dontwait: bool) -> io::Result<usize> {
    let mut max = CHUNK_MAX;
    if dontwait {
        ready_now(s, Interest::Writable)?;
        max = dontwait_cap(s);
    }
    let len = buf.len().min(max);
    // SAFETY: `buf` is valid for `len` bytes for the call.
    let n = unsafe { ws::send(s, buf.as_ptr(), len as i32, 0) };
    if n == ws::SOCKET_ERROR {
        Err(last_error())
    } else {
        Ok(n as usize)
    }
}

/// One gathered write (`WSASend`) of `bufs` (with `dontwait`, at most what fits without
/// blocking: see `dontwait_cap`).
pub fn send_vectored(s: RawSocket, bufs: &[IoSlice<'_>], dontwait: bool) -> io::Result<usize> {
    let mut max = CHUNK_MAX;
    if dontwait {
        ready_now(s, Interest::Writable)?;
        max = dontwait_cap(s);
    }
    let mut wsabufs = [ws::WSABUF {
        len: 0,
        buf: std::ptr::null_mut(),
    }; BUFS_MAX];
    let mut count = 0;
    let mut total = 0usize;
    for b in bufs.iter().take(BUFS_MAX) {
        let len = b.len().min(max - total);
        wsabufs[count] = ws::WSABUF {
            len: len as u32,
            buf: b.as_ptr() as *mut u8,
        };
        count += 1;
        total += len;
        if total >= max {
            break;
        }
    }
    let mut sent: u32 = 0;
    // SAFETY: `wsabufs[..count]` point into `bufs`, borrowed for the call; no overlapped I/O.
    let rc = unsafe {
        ws::WSASend(
            s,
            wsabufs.as_ptr(),
            count as u32,
            &mut sent,
            0,
            std::ptr::null_mut(),
            None,
        )
    };
    if rc == ws::SOCKET_ERROR {
        Err(last_error())
    } else {
        Ok(sent as usize)
    }
}

/// One `recv` into at most `CHUNK_MAX` bytes of `buf`. `Ok(0)` is the peer's close.
pub fn recv(s: RawSocket, buf: &mut [u8], dontwait: bool) -> io::Result<usize> {
    if dontwait {
        ready_now(s, Interest::Readable)?;
    }
    let len = buf.len().min(CHUNK_MAX);
    // SAFETY: `buf` is valid for writes of `len` bytes for the call.
    let n = unsafe { ws::recv(s, buf.as_mut_ptr(), len as i32, 0) };
    if n == ws::SOCKET_ERROR {
        Err(last_error())
    } else {
        Ok(n as usize)
    }
}

/// Waits up to `timeout_ms` (-1 forever) for `s` to be ready (`WSAPoll`).
pub fn wait(s: RawSocket, interest: Interest, timeout_ms: i32) -> io::Result<bool> {
    let events = match interest {
        Interest::Readable => ws::POLLRDNORM,
        Interest::Writable => ws::POLLWRNORM,
    };
    let mut pfd = ws::WSAPOLLFD {
        fd: s,
        events,
        revents: 0,
    };
    // SAFETY: one valid WSAPOLLFD.
    let n = unsafe { ws::WSAPoll(&mut pfd, 1, timeout_ms) };
    if n == ws::SOCKET_ERROR {
        return Err(last_error());
    }
    if n > 0 && pfd.revents & ws::POLLNVAL != 0 {
        return Err(io::Error::from_raw_os_error(ws::WSAENOTSOCK));
    }
    Ok(n > 0)
}

/// `ioctlsocket(FIONBIO)`.
pub fn set_nonblocking(s: RawSocket, on: bool) -> Result<()> {
    if !is_valid(s) {
        return Err(Error::Invalid);
    }
    let mut arg: u32 = on as u32;
    // SAFETY: FIONBIO takes a pointer to a u32.
    if unsafe { ws::ioctlsocket(s, ws::FIONBIO, &mut arg) } != 0 {
        return Err(last_error().into());
    }
    Ok(())
}

/// Windows cannot tell whether a socket is non-blocking.
pub fn get_nonblocking(_s: RawSocket) -> Result<bool> {
    Err(Error::Unsupported)
}

/// `closesocket`.
pub fn close(s: RawSocket) -> Result<()> {
    if !is_valid(s) {
        return Err(Error::Invalid);
    }
    // SAFETY: the caller gives up `s`.
    if unsafe { ws::closesocket(s) } != 0 {
        return Err(last_error().into());
    }
    Ok(())
}

/// Windows has no `SIGPIPE`: nothing to do.
pub fn before_send(_s: RawSocket) -> Result<()> {
    Ok(())
}

/// Nothing to set on Windows for new streams.
pub fn prepare_stream(_sock: &Socket) -> io::Result<()> {
    Ok(())
}

/// On Windows `SO_REUSEADDR` lets another process steal the port;
/// `SO_EXCLUSIVEADDRUSE` is the safe choice (TIME_WAIT does not block rebinding there).
pub fn prepare_listener(sock: &Socket) -> io::Result<()> {
    let on: i32 = 1;
    let raw = sock.as_raw_socket() as ws::SOCKET;
    // SAFETY: setsockopt with a 4-byte int option value.
    let rc = unsafe {
        ws::setsockopt(
            raw,
            ws::SOL_SOCKET,
            SO_EXCLUSIVEADDRUSE,
            &on as *const i32 as *const u8,
            4,
        )
    };
    if rc != 0 {
        Err(last_error())
    } else {
        Ok(())
    }
}

/// A non-blocking `connect` on Windows reports `WSAEWOULDBLOCK`.
pub fn connect_in_progress(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(ws::WSAEWOULDBLOCK) | Some(ws::WSAEINPROGRESS)
    ) || e.kind() == io::ErrorKind::WouldBlock
}

/// Keepalive timing (`SIO_KEEPALIVE_VALS`); Windows fixes the probe count (10),
/// so `count > 0` is `Unsupported`.
pub fn set_keepalive_params(
    sock: &SockRef<'_>,
    idle_s: i32,
    interval_s: i32,
    count: i32,
) -> Result<()> {
    if count > 0 {
        return Err(Error::Unsupported);
    }
    if idle_s <= 0 && interval_s <= 0 {
        return Ok(());
    }
    // SIO_KEEPALIVE_VALS sets both values at once: fill the unset one with Windows' default.
    let idle = if idle_s > 0 { idle_s as u64 } else { 7200 };
    let interval = if interval_s > 0 { interval_s as u64 } else { 1 };
    let ka = TcpKeepalive::new()
        .with_time(Duration::from_secs(idle))
        .with_interval(Duration::from_secs(interval));
    sock.set_tcp_keepalive(&ka)?;
    Ok(())
}

/// One entry of a `WSAPoll` set: a `WSAPOLLFD`, so a slice of them is the array `WSAPoll` takes.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct PollFd(ws::WSAPOLLFD);

impl PollFd {
    /// An entry for `s`, asking for the conditions behind `readable`, `writable` and
    /// `exceptional` (`POLLRDNORM`, `POLLWRNORM`, `POLLRDBAND`: `WSAPoll` refuses `POLLPRI`);
    /// errors and hang-ups are always reported.
    pub fn new(s: RawSocket, readable: bool, writable: bool, exceptional: bool) -> PollFd {
        let mut events = 0;
        if readable {
            events |= ws::POLLRDNORM;
        }
        if writable {
            events |= ws::POLLWRNORM;
        }
        if exceptional {
            events |= ws::POLLRDBAND;
        }
        PollFd(ws::WSAPOLLFD {
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
    /// readable = `POLLRDNORM|POLLHUP|POLLERR`, writable = `POLLWRNORM|POLLHUP|POLLERR`,
    /// exceptional = `POLLRDBAND|POLLERR`.
    pub fn readiness(&self) -> super::Readiness {
        let r = self.0.revents;
        super::Readiness {
            readable: r & (ws::POLLRDNORM | ws::POLLHUP | ws::POLLERR) != 0,
            writable: r & (ws::POLLWRNORM | ws::POLLHUP | ws::POLLERR) != 0,
            exceptional: r & (ws::POLLRDBAND | ws::POLLERR) != 0,
        }
    }
}

/// One `WSAPoll` over `fds` (never `select`, whose `fd_set` holds 64 sockets by default).
/// `fds` must not be empty (`WSAPoll` refuses an empty set). Returns how many entries have
/// something to report. An entry that is not a socket (`POLLNVAL`) fails the call with
/// `WSAENOTSOCK`.
pub fn poll_sockets(fds: &mut [PollFd], timeout_ms: i32) -> io::Result<usize> {
    // SAFETY: `PollFd` is a transparent `WSAPOLLFD`, so `fds` is `fds.len()` valid, writable
    // entries for the call.
    let n = unsafe {
        ws::WSAPoll(
            fds.as_mut_ptr().cast::<ws::WSAPOLLFD>(),
            fds.len() as u32,
            timeout_ms,
        )
    };
    if n == ws::SOCKET_ERROR {
        return Err(last_error());
    }
    if n > 0 && fds.iter().any(|p| p.0.revents & ws::POLLNVAL != 0) {
        return Err(io::Error::from_raw_os_error(ws::WSAENOTSOCK));
    }
    Ok(n as usize)
}

/// True when `e` says the handle is not (or no longer) a socket, or is not registered.
pub fn is_bad_socket_error(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(ws::WSAENOTSOCK) | Some(ws::WSAEBADF))
        || e.kind() == io::ErrorKind::NotFound
}

/// Registers `s` with `poller`, level-triggered, for `ev` (its key names the socket).
pub fn poller_add(poller: &polling::Poller, s: RawSocket, ev: polling::Event) -> io::Result<()> {
    if !is_valid(s) {
        return Err(io::Error::from_raw_os_error(ws::WSAENOTSOCK));
    }
    // SAFETY: polling asks that `s` be deleted before it is closed. Its IOCP backend keeps
    // the state of a registration in its own allocations and only hands `s` to AFD as a
    // handle; a caller who closes first sees the pending poll cancelled and a stale entry
    // that `poller_delete` clears, never a dangling access.
    unsafe {
        poller.add_with_mode(
            s as std::os::windows::io::RawSocket,
            ev,
            polling::PollMode::Level,
        )
    }
}

/// Changes what `s` is watched for (level-triggered), and its key.
pub fn poller_modify(poller: &polling::Poller, s: RawSocket, ev: polling::Event) -> io::Result<()> {
    if !is_valid(s) {
        return Err(io::Error::from_raw_os_error(ws::WSAENOTSOCK));
    }
    // SAFETY: `s` is not INVALID_SOCKET; the borrow lives only for this call, where polling
    // uses it as a key into its own table.
    let sock = unsafe { BorrowedSocket::borrow_raw(s as _) };
    poller.modify_with_mode(sock, ev, polling::PollMode::Level)
}

/// Stops watching `s`.
pub fn poller_delete(poller: &polling::Poller, s: RawSocket) -> io::Result<()> {
    if !is_valid(s) {
        return Err(io::Error::from_raw_os_error(ws::WSAENOTSOCK));
    }
    // SAFETY: as in `poller_modify`.
    let sock = unsafe { BorrowedSocket::borrow_raw(s as _) };
    poller.delete(sock)
}

// ---- Accept, addresses and Unix-domain sockets (the servers issue) ----

/// The error `accept` reports for a socket that is not listening.
pub(crate) const NOT_LISTENING: i32 = ws::WSAEINVAL;

/// The error `connect_finish` reports for a socket that is not connecting.
pub(crate) const NOT_CONNECTED: i32 = ws::WSAENOTCONN;

/// Whether `listen` was called on `sock` (`SO_ACCEPTCONN`).
pub fn is_listening(sock: &SockRef<'_>) -> io::Result<bool> {
    let mut v: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as i32;
    // SAFETY: SO_ACCEPTCONN writes one BOOL (an int) into `v`; `len` holds its size.
    let rc = unsafe {
        ws::getsockopt(
            sock.as_raw_socket() as ws::SOCKET,
            ws::SOL_SOCKET,
            ws::SO_ACCEPTCONN,
            &mut v as *mut i32 as *mut u8,
            &mut len,
        )
    };
    if rc != 0 {
        Err(last_error())
    } else {
        Ok(v != 0)
    }
}

/// How long a non-waiting accept lets a pending `AcceptEx` run before cancelling it: a
/// connection already queued completes at once; this only absorbs scheduling.
const ACCEPT_SLICE_MS: u32 = 1;

/// One `accept` on `listener`. With `dontwait` it must not block even when the listener
/// is blocking and other processes or threads accept on it too (a connection `WSAPoll`
/// saw can be taken by another first). Winsock's `accept` has no per-call bound and
/// ignores `SO_RCVTIMEO`, and the listener's mode (`FIONBIO`) is never touched, so a
/// non-waiting accept is an overlapped `AcceptEx`: waited for `ACCEPT_SLICE_MS`, then
/// cancelled (`CancelIoEx`) and reported as `WSAEWOULDBLOCK`.
pub fn accept(listener: &SockRef<'_>, dontwait: bool) -> io::Result<(Socket, socket2::SockAddr)> {
    if !dontwait {
        return listener.accept();
    }
    let domain = listener.local_addr()?.domain();
    let new = Socket::new(domain, socket2::Type::STREAM, None)?;
    let lsock = listener.as_raw_socket() as ws::SOCKET;
    let nsock = new.as_raw_socket() as ws::SOCKET;
    // SAFETY: no arguments; the event is closed below on every path.
    let event = unsafe { ws::WSACreateEvent() };
    if event == 0 {
        return Err(last_error());
    }
    let r = accept_ex(lsock, nsock, event);
    // SAFETY: `event` came from WSACreateEvent and no operation uses it any more.
    unsafe { ws::WSACloseEvent(event) };
    r?;
    // SAFETY: SO_UPDATE_ACCEPT_CONTEXT takes the listening SOCKET by value.
    let rc = unsafe {
        ws::setsockopt(
            nsock,
            ws::SOL_SOCKET,
            ws::SO_UPDATE_ACCEPT_CONTEXT,
            &lsock as *const ws::SOCKET as *const u8,
            std::mem::size_of::<ws::SOCKET>() as i32,
        )
    };
    if rc != 0 {
        return Err(last_error());
    }
    let peer = new.peer_addr()?;
    Ok((new, peer))
}

/// `AcceptEx` as the provider of `listener` exports it (`WSAIoctl`
/// `SIO_GET_EXTENSION_FUNCTION_POINTER`, Microsoft's recommended way: it needs no link
/// against mswsock, so static consumers link with ws2_32 alone, as before).
fn accept_ex_fn(
    listener: ws::SOCKET,
) -> io::Result<
    unsafe extern "system" fn(
        ws::SOCKET,
        ws::SOCKET,
        *mut std::ffi::c_void,
        u32,
        u32,
        u32,
        *mut u32,
        *mut windows_sys::Win32::System::IO::OVERLAPPED,
    ) -> windows_sys::Win32::Foundation::BOOL,
> {
    let guid = ws::WSAID_ACCEPTEX;
    let mut f: ws::LPFN_ACCEPTEX = None;
    let mut bytes: u32 = 0;
    // SAFETY: the input is one GUID, the output one function pointer (an Option of a fn
    // pointer has its size); no overlapped I/O.
    let rc = unsafe {
        ws::WSAIoctl(
            listener,
            ws::SIO_GET_EXTENSION_FUNCTION_POINTER,
            &guid as *const _ as *const std::ffi::c_void,
            std::mem::size_of_val(&guid) as u32,
            &mut f as *mut ws::LPFN_ACCEPTEX as *mut std::ffi::c_void,
            std::mem::size_of::<ws::LPFN_ACCEPTEX>() as u32,
            &mut bytes,
            std::ptr::null_mut(),
            None,
        )
    };
    if rc != 0 {
        return Err(last_error());
    }
    f.ok_or_else(|| io::Error::from_raw_os_error(ws::WSAEOPNOTSUPP))
}

/// Runs one `AcceptEx` of `listener` into `new`, bounded by `ACCEPT_SLICE_MS`.
fn accept_ex(listener: ws::SOCKET, new: ws::SOCKET, event: isize) -> io::Result<()> {
    const ADDR_LEN: usize = std::mem::size_of::<ws::SOCKADDR_STORAGE>() + 16;
    let mut buf = [0u8; 2 * ADDR_LEN];
    let mut received: u32 = 0;
    // SAFETY: an all-zero OVERLAPPED is a valid fresh one.
    let mut ov: windows_sys::Win32::System::IO::OVERLAPPED = unsafe { std::mem::zeroed() };
    // The low bit keeps a completion off any I/O completion port the listener belongs to.
    ov.hEvent = event | 1;
    let accept_ex = accept_ex_fn(listener)?;
    // SAFETY: `buf` and `ov` outlive the operation: it completes, or is cancelled and
    // waited for, before this function returns.
    let ok = unsafe {
        accept_ex(
            listener,
            new,
            buf.as_mut_ptr().cast(),
            0,
            ADDR_LEN as u32,
            ADDR_LEN as u32,
            &mut received,
            &mut ov,
        )
    };
    if ok != 0 {
        return Ok(());
    }
    let err = last_os_error();
    if err != ws::WSA_IO_PENDING {
        return Err(io::Error::from_raw_os_error(err));
    }
    // SAFETY: one valid event handle.
    let waited = unsafe { ws::WSAWaitForMultipleEvents(1, &event, 1, ACCEPT_SLICE_MS, 0) };
    if waited == ws::WSA_WAIT_TIMEOUT {
        // SAFETY: cancels only this operation (by its OVERLAPPED) on the listener's handle.
        unsafe { windows_sys::Win32::System::IO::CancelIoEx(listener as _, &ov) };
    }
    let mut flags: u32 = 0;
    // SAFETY: waits (fWait = TRUE) until the operation is over, completed or cancelled,
    // so `buf` and `ov` are no longer in use afterwards.
    let done = unsafe { ws::WSAGetOverlappedResult(listener, &ov, &mut received, 1, &mut flags) };
    if done != 0 {
        return Ok(());
    }
    let err = last_os_error();
    // Our cancel: nothing was there for us.
    if err == ws::WSA_OPERATION_ABORTED {
        return Err(io::Error::from_raw_os_error(ws::WSAEWOULDBLOCK));
    }
    Err(io::Error::from_raw_os_error(err))
}

/// The raw name of an `AF_UNIX` address (`net::format_addr` prints it; Windows has no
/// abstract names); `None` for another family.
pub fn unix_name(addr: &socket2::SockAddr) -> Option<super::UnixName<'_>> {
    if addr.family() != ws::AF_UNIX {
        return None;
    }
    let len = (addr.len() as usize).min(std::mem::size_of::<ws::SOCKADDR_STORAGE>());
    if len <= 2 {
        return Some(super::UnixName::Unnamed);
    }
    // SAFETY: `addr` holds `len` initialised bytes of a sockaddr_un: the family (2 bytes)
    // then the path; the slice borrows `addr`.
    let bytes = unsafe { std::slice::from_raw_parts(addr.as_ptr() as *const u8, len) };
    let path = &bytes[2..];
    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
    Some(match end {
        0 => super::UnixName::Unnamed,
        _ => super::UnixName::Path(&path[..end]),
    })
}

/// True when `e` says the system has no such address family (no `AF_UNIX` before
/// Windows 10 1803).
pub fn is_family_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(ws::WSAEAFNOSUPPORT) | Some(ws::WSAEPROTONOSUPPORT) | Some(ws::WSAESOCKTNOSUPPORT)
    )
}

/// Winsock reports a full queue as a refusal: never "try again".
pub fn connect_backlog_full(_e: &io::Error) -> bool {
    false
}

/// A static English text for a Winsock error number, the same on every thread.
pub fn os_strerror(code: i32) -> &'static str {
    match code {
        0 => "no error\0",
        ws::WSAEINTR => "interrupted function call\0",
        ws::WSAEBADF => "bad file handle\0",
        ws::WSAEACCES => "permission denied\0",
        ws::WSAEFAULT => "bad address\0",
        ws::WSAEINVAL => "invalid argument\0",
        ws::WSAEMFILE => "too many open sockets\0",
        ws::WSAEWOULDBLOCK => "resource temporarily unavailable (would block)\0",
        ws::WSAEINPROGRESS => "operation now in progress\0",
        ws::WSAEALREADY => "operation already in progress\0",
        ws::WSAENOTSOCK => "not a socket\0",
        ws::WSAEDESTADDRREQ => "destination address required\0",
        ws::WSAEMSGSIZE => "message too long\0",
        ws::WSAEPROTOTYPE => "protocol wrong type for socket\0",
        ws::WSAENOPROTOOPT => "protocol not available\0",
        ws::WSAEPROTONOSUPPORT => "protocol not supported\0",
        ws::WSAESOCKTNOSUPPORT => "socket type not supported\0",
        ws::WSAEOPNOTSUPP => "operation not supported\0",
        ws::WSAEAFNOSUPPORT => "address family not supported\0",
        ws::WSAEADDRINUSE => "address already in use\0",
        ws::WSAEADDRNOTAVAIL => "cannot assign requested address\0",
        ws::WSAENETDOWN => "network is down\0",
        ws::WSAENETUNREACH => "network is unreachable\0",
        ws::WSAENETRESET => "network dropped connection on reset\0",
        ws::WSAECONNABORTED => "connection aborted\0",
        ws::WSAECONNRESET => "connection reset by peer\0",
        ws::WSAENOBUFS => "no buffer space available\0",
        ws::WSAEISCONN => "socket is already connected\0",
        ws::WSAENOTCONN => "socket is not connected\0",
        ws::WSAESHUTDOWN => "cannot send after socket shutdown\0",
        ws::WSAETIMEDOUT => "connection timed out (by the system)\0",
        ws::WSAECONNREFUSED => "connection refused\0",
        ws::WSAEHOSTDOWN => "host is down\0",
        ws::WSAEHOSTUNREACH => "no route to host\0",
        ws::WSANOTINITIALISED => "sockhelp_init (WSAStartup) was not called\0",
        ws::WSAHOST_NOT_FOUND => "host not found\0",
        ws::WSATRY_AGAIN => "name lookup failed for now, try again\0",
        ws::WSANO_DATA => "name has no address of that kind\0",
        _ => "unknown OS error\0",
    }
}
