//! The client side's platform calls, POSIX: the name lookup (`getaddrinfo`, whose error
//! code `std::net::ToSocketAddrs` hides) and the connection's user timeout.

use std::ffi::CString;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::ptr;

use crate::error::{Error, Result};

/// One `getaddrinfo(host)` for TCP: the addresses in the resolver's order, each with
/// `port`, duplicates dropped. `TryAgain` for `EAI_AGAIN` (a temporary failure: the name
/// server did not answer), `NoMem` for `EAI_MEMORY`, `Os(errno)` for `EAI_SYSTEM`,
/// `NotFound` for every other failure and for an empty answer.
pub fn getaddrinfo(host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    let node = CString::new(host).map_err(|_| Error::NotFound)?;
    // SAFETY: an all-zero addrinfo is a valid "no hints" value (null pointers, 0 fields).
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut res: *mut libc::addrinfo = ptr::null_mut();
    // SAFETY: `node` is NUL-terminated and alive for the call, the service may be NULL,
    // `hints` and `res` are valid for the call; `res` is freed below.
    let rc = unsafe { libc::getaddrinfo(node.as_ptr(), ptr::null(), &hints, &mut res) };
    if rc != 0 {
        return Err(match rc {
            libc::EAI_AGAIN => Error::TryAgain,
            libc::EAI_MEMORY => Error::NoMem,
            libc::EAI_SYSTEM => match std::io::Error::last_os_error().raw_os_error() {
                Some(e) if e != 0 => Error::Os(e),
                _ => Error::NotFound,
            },
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
    unsafe { libc::freeaddrinfo(res) };
    crate::sys::distinct_addrs(found)
}

fn to_socket_addr(info: &libc::addrinfo, port: u16) -> Option<SocketAddr> {
    if info.ai_addr.is_null() {
        return None;
    }
    let len = info.ai_addrlen as usize;
    match info.ai_family {
        libc::AF_INET if len >= std::mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: an AF_INET entry's ai_addr points to a sockaddr_in of ai_addrlen bytes.
            let sin = unsafe { ptr::read_unaligned(info.ai_addr.cast::<libc::sockaddr_in>()) };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(ip, port)))
        }
        libc::AF_INET6 if len >= std::mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: an AF_INET6 entry's ai_addr points to a sockaddr_in6 of ai_addrlen bytes.
            let sin6 = unsafe { ptr::read_unaligned(info.ai_addr.cast::<libc::sockaddr_in6>()) };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                port,
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// `TCP_USER_TIMEOUT` (Linux, Android): how long sent data may stay unacknowledged before
/// the system drops the connection; 0 restores the system's default.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn set_user_timeout(sock: &socket2::SockRef<'_>, ms: u32) -> Result<()> {
    let t = if ms == 0 {
        None
    } else {
        Some(std::time::Duration::from_millis(u64::from(ms)))
    };
    Ok(sock.set_tcp_user_timeout(t)?)
}

/// No `TCP_USER_TIMEOUT` equivalent here: `Unsupported`.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn set_user_timeout(_sock: &socket2::SockRef<'_>, _ms: u32) -> Result<()> {
    Err(Error::Unsupported)
}
