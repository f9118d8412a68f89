//! The text of a Winsock error number, for `sockhelp_os_strerror`.

use windows_sys::Win32::Networking::WinSock as ws;

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
