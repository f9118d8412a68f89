//! Accepting connections for a server: whether a socket is listening, and an `accept`
//! that, when the caller must not wait, does not block even on a blocking listener that
//! other processes or threads accept on too (an overlapped `AcceptEx`, cancelled after a
//! moment).

use std::io;
use std::os::windows::io::AsRawSocket;

use socket2::{SockRef, Socket};
use windows_sys::Win32::Networking::WinSock as ws;

use super::{check, last_error, last_os_error};

/// The error `accept` reports for a socket that is not listening.
pub(crate) const NOT_LISTENING: i32 = ws::WSAEINVAL;

/// The error `connect_finish` reports for a socket that is not connecting.
pub(crate) const NOT_CONNECTED: i32 = ws::WSAENOTCONN;

/// Whether `listen` was called on `sock` (`SO_ACCEPTCONN`).
pub fn is_listening(sock: &SockRef<'_>) -> io::Result<bool> {
    let mut v: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as i32;
    // SAFETY: SO_ACCEPTCONN writes one BOOL (an int) into `v`; `len` holds its size.
    check(unsafe {
        ws::getsockopt(
            sock.as_raw_socket() as ws::SOCKET,
            ws::SOL_SOCKET,
            ws::SO_ACCEPTCONN,
            &mut v as *mut i32 as *mut u8,
            &mut len,
        )
    })?;
    Ok(v != 0)
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
    check(unsafe {
        ws::setsockopt(
            nsock,
            ws::SOL_SOCKET,
            ws::SO_UPDATE_ACCEPT_CONTEXT,
            &lsock as *const ws::SOCKET as *const u8,
            std::mem::size_of::<ws::SOCKET>() as i32,
        )
    })?;
    let peer = new.peer_addr()?;
    Ok((new, peer))
}

/// `accept`, the new socket non-blocking as asked (`ioctlsocket(FIONBIO)`: an accepted
/// socket inherits the listener's mode otherwise) and, with `cloexec`, not inherited by
/// child processes (`HANDLE_FLAG_INHERIT` cleared; sockets sockhelp makes never are).
pub fn accept_as(
    listener: &SockRef<'_>,
    dontwait: bool,
    nonblocking: bool,
    cloexec: bool,
) -> io::Result<(Socket, socket2::SockAddr)> {
    let (sock, addr) = accept(listener, dontwait)?;
    sock.set_nonblocking(nonblocking)?;
    if cloexec {
        sock.set_no_inherit(true)?;
    }
    Ok((sock, addr))
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
    check(unsafe {
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
    })?;
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
