//! Sockets and their flags: connect, listen, accept, options, shutdown, close.
//!
//! Every socket sockhelp creates is close-on-exec, in blocking mode, and (on
//! macOS) marked `SO_NOSIGPIPE`; the caller owns it and closes it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::io::{retry, wait_ready};
use crate::sys::{self, Interest, RawSocket};

/// Which direction `shutdown` closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    Read,
    Write,
    Both,
}

/// Resolves `host:port`. Address literals never touch the resolver. Names are
/// resolved on a helper thread when the deadline is finite, so a hung DNS
/// server cannot outlast it (the thread finishes on its own later).
pub fn resolve(host: &str, port: u16, deadline: Deadline) -> Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let lookup = move |name: String| -> Result<Vec<SocketAddr>> {
        match (name.as_str(), port).to_socket_addrs() {
            Ok(addrs) => {
                let v: Vec<SocketAddr> = addrs.collect();
                if v.is_empty() {
                    Err(Error::NotFound)
                } else {
                    Ok(v)
                }
            }
            Err(_) => Err(Error::NotFound),
        }
    };
    let ms = match deadline {
        Deadline::At(_) => deadline.remaining_ms(),
        _ => return lookup(host.to_owned()),
    };
    let (tx, rx) = mpsc::channel();
    let name = host.to_owned();
    std::thread::Builder::new()
        .name("sockhelp-resolve".into())
        .spawn(move || {
            let _ = tx.send(lookup(name));
        })
        .map_err(|_| Error::NoMem)?;
    match rx.recv_timeout(Duration::from_millis(ms as u64)) {
        Ok(r) => r,
        Err(_) => Err(Error::TimedOut),
    }
}

fn new_stream(addr: &SocketAddr) -> io::Result<Socket> {
    let sock = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    sys::prepare_stream(&sock)?;
    Ok(sock)
}

/// Connects to one address within the deadline: a non-blocking connect, a
/// wait for writability, then `SO_ERROR` says how it went.
fn connect_one(addr: &SocketAddr, deadline: Deadline) -> Result<Socket> {
    let sock = new_stream(addr)?;
    sock.set_nonblocking(true)?;
    match sock.connect(&SockAddr::from(*addr)) {
        Ok(()) => {}
        Err(e) if sys::connect_in_progress(&e) || e.kind() == io::ErrorKind::Interrupted => {
            let raw = sys::as_raw(&sock);
            wait_ready(raw, Interest::Writable, deadline)?;
            if let Some(err) = sock.take_error()? {
                return Err(Error::from_io(&err));
            }
        }
        Err(e) => return Err(Error::from_io(&e)),
    }
    sock.set_nonblocking(false)?;
    Ok(sock)
}

/// Connects to `host:port`, trying every resolved address in turn until one
/// answers, all within one deadline. Returns the last address's error when none does.
pub fn connect(host: &str, port: u16, deadline: Deadline) -> Result<RawSocket> {
    if host.is_empty() || port == 0 {
        return Err(Error::Invalid);
    }
    let addrs = resolve(host, port, deadline)?;
    let mut last = Error::NotFound;
    for addr in addrs {
        match connect_one(&addr, deadline) {
            Ok(sock) => return Ok(sys::into_raw(sock)),
            Err(e) => last = e,
        }
        if deadline.expired() {
            break;
        }
    }
    Err(last)
}

/// Listens on `host:port` (`None` or "" = every interface, IPv6 and IPv4 when
/// the system has both). `SO_REUSEADDR` on POSIX, `SO_EXCLUSIVEADDRUSE` on Windows.
/// `backlog <= 0` asks for the system's maximum.
pub fn listen(host: Option<&str>, port: u16, backlog: i32) -> Result<RawSocket> {
    let backlog = if backlog <= 0 {
        sys::LISTEN_BACKLOG_MAX
    } else {
        backlog
    };
    let candidates = match host {
        None | Some("") => vec![
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
            SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
        ],
        Some(h) => resolve(h, port, Deadline::Forever)?,
    };
    let mut last = Error::NotFound;
    for addr in candidates {
        match listen_one(&addr, backlog) {
            Ok(sock) => return Ok(sys::into_raw(sock)),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn listen_one(addr: &SocketAddr, backlog: i32) -> Result<Socket> {
    let sock = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    sys::prepare_listener(&sock)?;
    if addr.is_ipv6() && addr.ip().is_unspecified() {
        sock.set_only_v6(false)?;
    }
    sock.bind(&SockAddr::from(*addr))?;
    sock.listen(backlog)?;
    Ok(sock)
}

/// Accepts one connection within the deadline. The new socket is in blocking
/// mode (BSDs would otherwise inherit the listener's `O_NONBLOCK`).
/// A connection the peer aborted before it was accepted is skipped.
pub fn accept(listener: RawSocket, deadline: Deadline) -> Result<RawSocket> {
    sys::with_socket(listener, |l| loop {
        if !deadline.is_forever() {
            wait_ready(listener, Interest::Readable, deadline)?;
        }
        let accepted = retry(listener, Interest::Readable, deadline, |_| l.accept());
        match accepted {
            Ok((sock, _)) => {
                sock.set_nonblocking(false)?;
                sys::prepare_stream(&sock)?;
                return Ok(sys::into_raw(sock));
            }
            Err(Error::Reset(_)) => {}
            Err(e) => return Err(e),
        }
    })
}

/// The local port of a bound socket.
pub fn local_port(s: RawSocket) -> Result<u16> {
    sys::with_socket(s, |sock| {
        let addr = sock.local_addr()?;
        addr.as_socket().map(|a| a.port()).ok_or(Error::Invalid)
    })
}

/// `TCP_NODELAY`: Nagle's algorithm off (`on`) or on. Unrelated to `O_NDELAY`.
pub fn set_nodelay(s: RawSocket, on: bool) -> Result<()> {
    sys::with_socket(s, |sock| Ok(sock.set_nodelay(on)?))
}

/// `SO_KEEPALIVE` and, when `on`, its timing; each value <= 0 keeps the OS default.
pub fn set_keepalive(
    s: RawSocket,
    on: bool,
    idle_s: i32,
    interval_s: i32,
    count: i32,
) -> Result<()> {
    sys::with_socket(s, |sock| {
        sock.set_keepalive(on)?;
        if on {
            sys::set_keepalive_params(&sock, idle_s, interval_s, count)?;
        }
        Ok(())
    })
}

/// Shuts down one or both directions.
pub fn shutdown(s: RawSocket, how: Shutdown) -> Result<()> {
    let how = match how {
        Shutdown::Read => std::net::Shutdown::Read,
        Shutdown::Write => std::net::Shutdown::Write,
        Shutdown::Both => std::net::Shutdown::Both,
    };
    sys::with_socket(s, |sock| Ok(sock.shutdown(how)?))
}

/// The HOWTO's polite goodbye: shut down the write side so the peer sees EOF,
/// read and discard until the peer closes too (or the deadline passes), then
/// close. The socket is closed on every return except `Invalid`.
/// Returns `Ok` when the peer's EOF was seen; `TimedOut`/`WouldBlock` when
/// it was not in time; `Reset` when the peer reset.
pub fn close_graceful(s: RawSocket, deadline: Deadline) -> Result<()> {
    if !sys::is_valid(s) {
        return Err(Error::Invalid);
    }
    let result = drain_after_shutdown(s, deadline);
    let closed = sys::close(s);
    result.and(closed)
}

fn drain_after_shutdown(s: RawSocket, deadline: Deadline) -> Result<()> {
    match shutdown(s, Shutdown::Write) {
        // Already disconnected: nothing left to drain.
        Err(Error::Os(_)) => return Ok(()),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    let mut scratch = [0u8; 4096];
    loop {
        match retry(s, Interest::Readable, deadline, |dw| {
            sys::recv(s, &mut scratch, dw)
        }) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(e),
        }
    }
}
