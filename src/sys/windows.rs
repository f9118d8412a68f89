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
const SO_EXCLUSIVEADDRUSE: i32 = !(ws::SO_REUSEADDR as i32);

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
    // SAFETY: `s` is not INVALID_SOCKET, and the borrow lives only for this
    // call, during which the caller keeps its socket open (the C contract).
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

/// One `send` of at most `CHUNK_MAX` bytes of `buf`.
pub fn send(s: RawSocket, buf: &[u8], dontwait: bool) -> io::Result<usize> {
    if dontwait {
        ready_now(s, Interest::Writable)?;
    }
    let len = buf.len().min(CHUNK_MAX);
    // SAFETY: `buf` is valid for `len` bytes for the call.
    let n = unsafe { ws::send(s, buf.as_ptr(), len as i32, 0) };
    if n == ws::SOCKET_ERROR {
        Err(last_error())
    } else {
        Ok(n as usize)
    }
}

/// One gathered write (`WSASend`) of `bufs`.
pub fn send_vectored(s: RawSocket, bufs: &[IoSlice<'_>], dontwait: bool) -> io::Result<usize> {
    if dontwait {
        ready_now(s, Interest::Writable)?;
    }
    let mut wsabufs = [ws::WSABUF {
        len: 0,
        buf: std::ptr::null_mut(),
    }; BUFS_MAX];
    let mut count = 0;
    let mut total = 0usize;
    for b in bufs.iter().take(BUFS_MAX) {
        let len = b.len().min(CHUNK_MAX - total);
        wsabufs[count] = ws::WSABUF {
            len: len as u32,
            buf: b.as_ptr() as *mut u8,
        };
        count += 1;
        total += len;
        if total >= CHUNK_MAX {
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
