//! The client side's platform calls, Windows: the name lookup (Winsock's `getaddrinfo`,
//! whose error code `std::net::ToSocketAddrs` hides) and the connection's user timeout.

use std::ffi::CString;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::ptr;

use windows_sys::Win32::Networking::WinSock as ws;

use crate::error::{Error, Result};

/// One `getaddrinfo(host)` for TCP: the addresses in the resolver's order, each with
/// `port`, duplicates dropped. `TryAgain` for `WSATRY_AGAIN` (`EAI_AGAIN`: the name server
/// did not answer), `NoMem` for `WSA_NOT_ENOUGH_MEMORY`, `NotFound` for every other failure
/// and for an empty answer.
pub fn getaddrinfo(host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    // Winsock must be started: std starts it with its first socket.
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let _ = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0));
    });
    let node = CString::new(host).map_err(|_| Error::NotFound)?;
    // SAFETY: an all-zero ADDRINFOA is a valid "no hints" value (null pointers, 0 fields).
    let mut hints: ws::ADDRINFOA = unsafe { std::mem::zeroed() };
    hints.ai_family = ws::AF_UNSPEC as i32;
    hints.ai_socktype = ws::SOCK_STREAM;
    let mut res: *mut ws::ADDRINFOA = ptr::null_mut();
    // SAFETY: `node` is NUL-terminated and alive for the call, the service may be NULL,
    // `hints` and `res` are valid for the call; `res` is freed below.
    let rc = unsafe { ws::getaddrinfo(node.as_ptr().cast(), ptr::null(), &hints, &mut res) };
    if rc != 0 {
        return Err(match rc {
            ws::WSATRY_AGAIN => Error::TryAgain,
            ws::WSA_NOT_ENOUGH_MEMORY => Error::NoMem,
            _ => Error::NotFound,
        });
    }
    let mut found = Vec::new();
    let mut ai = res;
    while !ai.is_null() {
        // SAFETY: `ai` is a node of the list getaddrinfo returned, not yet freed.
        let info = unsafe { &*ai };
        found.extend(to_socket_addr(info, port));
        ai = info.ai_next;
    }
    // SAFETY: `res` is the list getaddrinfo returned, freed once, not used after.
    unsafe { ws::freeaddrinfo(res) };
    crate::sys::distinct_addrs(found)
}

fn to_socket_addr(info: &ws::ADDRINFOA, port: u16) -> Option<SocketAddr> {
    if info.ai_addr.is_null() {
        return None;
    }
    let len = info.ai_addrlen;
    if info.ai_family == ws::AF_INET as i32 && len >= std::mem::size_of::<ws::SOCKADDR_IN>() {
        // SAFETY: an AF_INET entry's ai_addr points to a SOCKADDR_IN of ai_addrlen bytes;
        // every field of the address union is a plain integer view.
        let sin = unsafe { ptr::read_unaligned(info.ai_addr.cast::<ws::SOCKADDR_IN>()) };
        // SAFETY: as above (S_addr is the whole 4-byte union).
        let ip = Ipv4Addr::from(u32::from_be(unsafe { sin.sin_addr.S_un.S_addr }));
        return Some(SocketAddr::V4(SocketAddrV4::new(ip, port)));
    }
    if info.ai_family == ws::AF_INET6 as i32 && len >= std::mem::size_of::<ws::SOCKADDR_IN6>() {
        // SAFETY: an AF_INET6 entry's ai_addr points to a SOCKADDR_IN6 of ai_addrlen bytes.
        let sin6 = unsafe { ptr::read_unaligned(info.ai_addr.cast::<ws::SOCKADDR_IN6>()) };
        // SAFETY: the unions are integer views of the same bytes.
        let (bytes, scope) = unsafe { (sin6.sin6_addr.u.Byte, sin6.Anonymous.sin6_scope_id) };
        let ip = Ipv6Addr::from(bytes);
        return Some(SocketAddr::V6(SocketAddrV6::new(
            ip,
            port,
            sin6.sin6_flowinfo,
            scope,
        )));
    }
    None
}

/// Windows has no `TCP_USER_TIMEOUT` (`TCP_MAXRT` bounds retransmissions in whole
/// seconds, a different contract): `Unsupported`.
pub fn set_user_timeout(_sock: &socket2::SockRef<'_>, _ms: u32) -> Result<()> {
    Err(Error::Unsupported)
}
