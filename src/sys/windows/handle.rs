//! The socket handle: Winsock's start and end, validity, borrowing and handing it over,
//! its blocking mode, closing.

use std::os::windows::io::{AsRawSocket, BorrowedSocket, IntoRawSocket};
use std::sync::Mutex;

use socket2::{SockRef, Socket};
use windows_sys::Win32::Networking::WinSock as ws;

use super::{check, INVALID_SOCKET};
use crate::error::{Error, Result};
use crate::sys::RawSocket;

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
    check(unsafe {
        ws::getsockopt(
            s,
            ws::SOL_SOCKET,
            ws::SO_TYPE,
            &mut kind as *mut i32 as *mut u8,
            &mut len,
        )
    })?;
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

/// `ioctlsocket(FIONBIO)`.
pub fn set_nonblocking(s: RawSocket, on: bool) -> Result<()> {
    if !is_valid(s) {
        return Err(Error::Invalid);
    }
    let mut arg: u32 = on as u32;
    // SAFETY: FIONBIO takes a pointer to a u32.
    check(unsafe { ws::ioctlsocket(s, ws::FIONBIO, &mut arg) })?;
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
    check(unsafe { ws::closesocket(s) })?;
    Ok(())
}
