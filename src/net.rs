//! Sockets and their flags: connect, listen, accept, options, shutdown, close.
//!
//! Every socket sockhelp creates is close-on-exec, in blocking mode, and (on
//! macOS) marked `SO_NOSIGPIPE`; the caller owns it and closes it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
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

pub use crate::resolve::resolve;

/// How long `listen` waits for a name to resolve (literals never wait): `TimedOut` past it.
pub const LISTEN_RESOLVE: Duration = Duration::from_millis(2000);

fn new_stream(addr: &SocketAddr) -> io::Result<Socket> {
    let sock = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    sys::prepare_stream(&sock)?;
    Ok(sock)
}

/// Connects to `host:port` racing every resolved address (Happy Eyeballs, see
/// [`crate::connect`]) within one deadline, the name lookup included.
pub fn connect(host: &str, port: u16, deadline: Deadline) -> Result<RawSocket> {
    let opts = crate::connect::Options::default();
    crate::connect::connect(host, port, &opts, deadline).map(|w| sys::into_raw(w.sock))
}

/// Listens on `host:port` (`None` or "" = every interface, IPv6 and IPv4 when
/// the system has both). A name is resolved within `LISTEN_RESOLVE` (`TimedOut` past it). `SO_REUSEADDR` on POSIX, `SO_EXCLUSIVEADDRUSE` on Windows.
/// `backlog <= 0` asks for the system's maximum.
pub fn listen(host: Option<&str>, port: u16, backlog: i32) -> Result<RawSocket> {
    listen_ex(host, port, backlog, ListenOptions::default())
}

/// How `listen_ex` sets up a listener beyond `listen`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListenOptions {
    /// Several listeners (in this or other processes) bound to one port, the system
    /// spreading new connections among them: `SO_REUSEPORT` (`SO_REUSEPORT_LB` on
    /// FreeBSD); `Unsupported` where the system has neither (Windows, illumos).
    pub reuse_port: bool,
}

/// `listen` with `opts`.
pub fn listen_ex(
    host: Option<&str>,
    port: u16,
    backlog: i32,
    opts: ListenOptions,
) -> Result<RawSocket> {
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
        Some(h) => resolve(h, port, Deadline::after(LISTEN_RESOLVE))?,
    };
    let mut last = Error::NotFound;
    for addr in candidates {
        match listen_one(&addr, backlog, opts) {
            Ok(sock) => return Ok(sys::into_raw(sock)),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn listen_one(addr: &SocketAddr, backlog: i32, opts: ListenOptions) -> Result<Socket> {
    let sock = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    sys::prepare_listener(&sock)?;
    if opts.reuse_port {
        sys::set_reuse_port(&sock)?;
    }
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
    accept_with_addr(listener, deadline).map(|(s, _)| s)
}

/// `accept`, also giving the peer's printable address (see `format_addr`).
///
/// A socket that is not listening fails at once (`Os(EINVAL)`), whatever the timeout.
/// The deadline holds whatever the listener's mode and however many processes accept on
/// it: `sys::accept` with `dontwait` never blocks past a clock tick, and the listener's
/// mode is never touched (its open file description is shared).
pub fn accept_with_addr(listener: RawSocket, deadline: Deadline) -> Result<(RawSocket, String)> {
    let (sock, addr) = accept_loop(listener, deadline, sys::accept)?;
    sock.set_nonblocking(false)?;
    sys::prepare_stream(&sock)?;
    Ok((sys::into_raw(sock), format_addr(&addr)))
}

/// How `accept_ex` hands over a new socket (each `false`: as `accept` does).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AcceptOptions {
    /// Non-blocking (else blocking, whatever the listener's mode).
    pub nonblocking: bool,
    /// `TCP_NODELAY` on (a TCP connection only: nothing for a Unix-domain one).
    pub nodelay: bool,
    /// Close-on-exec (else inherited across `exec`; Windows: not inherited by children).
    pub cloexec: bool,
}

/// `accept_with_addr`, the new socket set up as `opts` asks in the same step: `accept4`
/// where the system has it, so that a non-blocking close-on-exec socket costs no call of
/// its own (`nodelay` one `setsockopt`). The deadline rules are `accept_with_addr`'s.
pub fn accept_ex(
    listener: RawSocket,
    deadline: Deadline,
    opts: AcceptOptions,
) -> Result<(RawSocket, String)> {
    let (sock, addr) = accept_loop(listener, deadline, |l, dw| {
        sys::accept_as(l, dw, opts.nonblocking, opts.cloexec)
    })?;
    sys::prepare_stream(&sock)?;
    if opts.nodelay && addr.as_socket().is_some() {
        sock.set_nodelay(true)?;
    }
    Ok((sys::into_raw(sock), format_addr(&addr)))
}

/// The accept loop of `accept_with_addr` and `accept_ex`: `accept` is one system call on
/// the listener (`dontwait`: it must not block), retried within the deadline, connections
/// aborted before they were taken skipped.
///
/// A non-blocking listener (an event loop's) is tried at once, without asking first
/// whether it listens or has a connection waiting: `accept` itself answers `EINVAL` for a
/// socket that does not listen and `EAGAIN` only for one that does, and never blocks. So a
/// waiting connection costs the descriptor check, the mode query and the `accept`. A
/// blocking listener (or one whose mode the system cannot tell: Windows) is checked with
/// `SO_ACCEPTCONN` first, so that a deadline is never spent waiting on a socket that is
/// not listening, and waited for before each `accept`.
fn accept_loop(
    listener: RawSocket,
    deadline: Deadline,
    mut accept: impl FnMut(&socket2::SockRef<'_>, bool) -> io::Result<(Socket, SockAddr)>,
) -> Result<(Socket, SockAddr)> {
    sys::with_socket(listener, |l| {
        let nonblocking = sys::get_nonblocking(listener).unwrap_or(false);
        if !nonblocking && !sys::is_listening(&l)? {
            return Err(Error::Os(sys::NOT_LISTENING));
        }
        let mut stream = listener;
        let mut pass = Pass::new(deadline);
        loop {
            if !deadline.is_forever() && !nonblocking {
                wait_ready(listener, Interest::Readable, deadline)?;
            }
            // A non-blocking listener's accept cannot block: no slice is needed for it (and
            // `sys::accept` trusts this mode rather than asking it again).
            match retry(&mut stream, Interest::Readable, deadline, |_, dw| {
                accept(&l, dw && !nonblocking)
            }) {
                Ok(accepted) => return Ok(accepted),
                // Aborted before it was accepted: the next one, within the deadline.
                Err(Error::Reset(_)) => pass.next()?,
                Err(e) => return Err(e),
            }
        }
    })
}

/// The printable form of an address: "127.0.0.1:5000", "[::1]:5000", a Unix-domain name
/// ("" for an unnamed Unix socket, '@' then the name for a Linux abstract one).
///
/// A Unix name is printed losslessly: each byte that is not printable ASCII
/// (0x20..=0x7e), and every `\` and `:`, is written `\xNN` (two lowercase hex digits); a
/// path whose first byte is '@' has it written `\x40`. So the text decodes back to the
/// bytes, no two names print alike, a path never reads as an abstract name, and a Unix
/// name never reads as an IP address (those always hold a ':'). At most `ADDR_TEXT_MAX`
/// bytes.
pub fn format_addr(addr: &SockAddr) -> String {
    if let Some(a) = addr.as_socket() {
        return a.to_string();
    }
    let mut text = String::new();
    match sys::unix_name(addr) {
        Some(sys::UnixName::Path(p)) => push_escaped(&mut text, p, true),
        Some(sys::UnixName::Abstract(name)) => {
            text.push('@');
            push_escaped(&mut text, name, false);
        }
        Some(sys::UnixName::Unnamed) | None => {}
    }
    text
}

/// The longest text `format_addr` can write (no NUL): a name filling a whole
/// `sockaddr_storage` (128 bytes less the 2-byte family), every byte escaped to 4. Real
/// names are shorter: at most 108 bytes of `sun_path` (Linux, Windows; 104 on macOS and
/// the BSDs), 432 bytes escaped; the longest IP form, "[v6%scope]:port", is 54.
pub const ADDR_TEXT_MAX: usize = 4 * (128 - 2);

/// Appends `name` to `text`, escaped as `format_addr` says (`path`: a leading '@' too).
fn push_escaped(text: &mut String, name: &[u8], path: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, &b) in name.iter().enumerate() {
        let plain = (0x20..=0x7e).contains(&b) && b != b'\\' && b != b':';
        if plain && !(path && i == 0 && b == b'@') {
            text.push(b as char);
        } else {
            text.push_str("\\x");
            text.push(HEX[(b >> 4) as usize] as char);
            text.push(HEX[(b & 15) as usize] as char);
        }
    }
}

/// The peer's printable address (`format_addr`).
pub fn peer_addr(s: RawSocket) -> Result<String> {
    sys::with_socket(s, |sock| Ok(format_addr(&sock.peer_addr()?)))
}

/// The local printable address (`format_addr`).
pub fn local_addr(s: RawSocket) -> Result<String> {
    sys::with_socket(s, |sock| Ok(format_addr(&sock.local_addr()?)))
}

fn new_unix_stream() -> Result<Socket> {
    let sock = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(|e| {
        if sys::is_family_unsupported(&e) {
            Error::Unsupported
        } else {
            Error::from_io(&e)
        }
    })?;
    sys::prepare_stream(&sock)?;
    Ok(sock)
}

fn unix_addr(path: &str) -> Result<SockAddr> {
    if path.is_empty() {
        return Err(Error::Invalid);
    }
    // Too long for sun_path: EINVAL, before any socket exists.
    SockAddr::unix(path).map_err(|_| Error::Invalid)
}

/// Listens on the Unix-domain socket file `path`. An existing file there (even a socket
/// left by a server that died) is never removed: the bind fails with `Os(EADDRINUSE)`.
/// Telling a stale socket from a live one would take a probe connection, which a live
/// server would accept as a spurious client. The file stays after close.
pub fn listen_unix(path: &str, backlog: i32) -> Result<RawSocket> {
    let addr = unix_addr(path)?;
    let backlog = if backlog <= 0 {
        sys::LISTEN_BACKLOG_MAX
    } else {
        backlog
    };
    let sock = new_unix_stream()?;
    sock.bind(&addr)?;
    sock.listen(backlog)?;
    Ok(sys::into_raw(sock))
}

/// Connects to the Unix-domain listener at `path` within the deadline.
pub fn connect_unix(path: &str, deadline: Deadline) -> Result<RawSocket> {
    let addr = unix_addr(path)?;
    let sock = new_unix_stream()?;
    sock.set_nonblocking(true)?;
    loop {
        match sock.connect(&addr) {
            Ok(()) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Linux: the listener's queue is full; nothing is in progress: try again soon.
            Err(e) if sys::connect_backlog_full(&e) => {
                if deadline.expired() {
                    return Err(deadline.out_of_time());
                }
                let ms = match deadline.remaining_ms() {
                    -1 => 5,
                    r => r.min(5),
                };
                std::thread::sleep(Duration::from_millis(ms as u64));
            }
            Err(e) if sys::connect_in_progress(&e) => {
                finish_in_progress(&sock, deadline)?;
                break;
            }
            Err(e) => return Err(Error::from_io(&e)),
        }
    }
    sock.set_nonblocking(false)?;
    Ok(sys::into_raw(sock))
}

fn finish_in_progress(sock: &Socket, deadline: Deadline) -> Result<()> {
    wait_ready(sys::as_raw(sock), Interest::Writable, deadline)?;
    if let Some(err) = sock.take_error()? {
        return Err(Error::from_io(&err));
    }
    Ok(())
}

/// Starts a connection to the first address `host:port` resolves to, without waiting:
/// `Ok((s, true))` connected at once, `Ok((s, false))` in progress (`s` is non-blocking
/// until `connect_finish` says it is connected). Names are resolved without a deadline.
pub fn connect_start(host: &str, port: u16) -> Result<(RawSocket, bool)> {
    if host.is_empty() || port == 0 {
        return Err(Error::Invalid);
    }
    let addrs = resolve(host, port, Deadline::Forever)?;
    let addr = addrs.first().ok_or(Error::NotFound)?;
    let sock = new_stream(addr)?;
    sock.set_nonblocking(true)?;
    match sock.connect(&SockAddr::from(*addr)) {
        Ok(()) => {
            sock.set_nonblocking(false)?;
            Ok((sys::into_raw(sock), true))
        }
        Err(e) if sys::connect_in_progress(&e) => Ok((sys::into_raw(sock), false)),
        // POSIX: an interrupted connect goes on in the background, as if in progress.
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok((sys::into_raw(sock), false)),
        Err(e) => Err(Error::from_io(&e)),
    }
}

/// Finishes a connection `connect_start` left in progress: `WouldBlock` while it still is
/// (not yet writable), `Ok` once connected (the socket is then in blocking mode), else the
/// reason it failed (`SO_ERROR`). Never waits.
///
/// Only a stream socket that is not listening can be connecting: anything else (a
/// listener, a datagram socket: `Os(ENOTCONN)`; a pipe or a file: `Os(ENOTSOCK)`) fails at
/// once, since it never becomes writable the way a finished connect does (a listener or a
/// pipe's read end never does at all).
pub fn connect_finish(s: RawSocket) -> Result<()> {
    sys::with_socket(s, |sock| {
        if sock.r#type()? != Type::STREAM || sys::is_listening(&sock)? {
            return Err(Error::Os(sys::NOT_CONNECTED));
        }
        match sys::wait(s, Interest::Writable, 0) {
            Ok(true) => {}
            Ok(false) => return Err(Error::WouldBlock),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(Error::WouldBlock),
            Err(e) => return Err(Error::from_io(&e)),
        }
        if let Some(err) = sock.take_error()? {
            return Err(Error::from_io(&err));
        }
        // Writable with no pending error: connected, unless the socket never connected at
        // all (a socket that was not started, or whose error was already taken).
        sock.peer_addr()?;
        sock.set_nonblocking(false)?;
        Ok(())
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

/// `TCP_USER_TIMEOUT`: how long sent data may stay unacknowledged before the system drops
/// the connection (0: the system's default). `Unsupported` where there is no equivalent.
pub fn set_user_timeout(s: RawSocket, ms: u32) -> Result<()> {
    sys::with_socket(s, |sock| sys::set_user_timeout(&sock, ms))
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
    let mut stream = s;
    let mut pass = Pass::new(deadline);
    loop {
        match retry(&mut stream, Interest::Readable, deadline, |_, dw| {
            sys::recv(s, &mut scratch, dw)
        }) {
            Ok(0) => return Ok(()),
            Ok(_) => pass.next()?,
            Err(e) => return Err(e),
        }
    }
}

/// Sends socket `s` (which stays the caller's: the receiver gets a duplicate) to the process
/// at the other end of the connected Unix-domain socket `unix_sock`, within the deadline:
/// one byte with `SCM_RIGHTS` on POSIX; on Windows one message holding the
/// `WSAPROTOCOL_INFOW` of `WSADuplicateSocketW` for the peer's process id (read from the
/// Unix-domain socket). `Unsupported` where sockets cannot pass (no `AF_UNIX`); `Invalid`
/// when `unix_sock` is not a Unix-domain socket.
pub fn send_socket(unix_sock: RawSocket, s: RawSocket, deadline: Deadline) -> Result<()> {
    if !sys::PASSES_SOCKETS {
        return Err(Error::Unsupported);
    }
    if !sys::is_valid(s) {
        return Err(Error::Invalid);
    }
    check_unix_domain(unix_sock)?;
    sys::before_send(unix_sock)?;
    let mut stream = unix_sock;
    retry(&mut stream, Interest::Writable, deadline, |_, dw| {
        sys::send_socket(unix_sock, s, dw)
    })
}

/// Receives a socket `send_socket` sent over `unix_sock`, within the deadline: a new socket
/// of this process, close-on-exec. `Closed` when the peer closed; `BadFrame` when a byte
/// came without a socket (descriptors that came with it, and any beyond the first, closed).
pub fn recv_socket(unix_sock: RawSocket, deadline: Deadline) -> Result<RawSocket> {
    if !sys::PASSES_SOCKETS {
        return Err(Error::Unsupported);
    }
    check_unix_domain(unix_sock)?;
    let mut stream = unix_sock;
    match retry(&mut stream, Interest::Readable, deadline, |_, dw| {
        sys::recv_socket(unix_sock, dw)
    })? {
        sys::Passed::Socket(s) => Ok(s),
        sys::Passed::Closed => Err(Error::Closed),
        sys::Passed::Nothing => Err(Error::BadFrame),
    }
}

/// `Invalid` unless `s` is a Unix-domain socket: a TCP socket would send the byte and
/// drop the descriptor without a word.
fn check_unix_domain(s: RawSocket) -> Result<()> {
    sys::with_socket(s, |sock| {
        if sock.local_addr()?.domain() != Domain::UNIX {
            return Err(Error::Invalid);
        }
        Ok(())
    })
}

/// Most rounds a loop of `Deadline::Now` makes (each one system call that made progress):
/// "what is already there" must end even when a peer keeps sending.
const NOW_ROUNDS: u32 = 64;

/// The deadline checked between two system calls that each succeeded: a loop that never
/// has to wait (a peer that keeps sending, connections aborted one after another) still
/// ends by its deadline, one system call past it at most. `Now` allows `NOW_ROUNDS` rounds.
struct Pass {
    deadline: Deadline,
    rounds: u32,
}

impl Pass {
    fn new(deadline: Deadline) -> Pass {
        Pass {
            deadline,
            rounds: 0,
        }
    }

    /// `Err(out_of_time)` once the deadline passed (or `Now` used its rounds).
    fn next(&mut self) -> Result<()> {
        self.rounds = self.rounds.saturating_add(1);
        let over = match self.deadline {
            Deadline::Now => self.rounds >= NOW_ROUNDS,
            d => d.expired(),
        };
        if over {
            Err(self.deadline.out_of_time())
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes what `push_escaped` wrote (the header's rule read backwards).
    fn unescape(text: &str) -> Vec<u8> {
        let b = text.as_bytes();
        let (mut out, mut i) = (Vec::new(), 0);
        while i < b.len() {
            if b[i] == b'\\' {
                assert_eq!(b[i + 1], b'x', "{:?}", text);
                let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 4;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn unix_names_print_losslessly() {
        let mut all: Vec<u8> = (0..=255).collect();
        all.extend_from_slice(b"@x\\:");
        for path in [false, true] {
            let mut text = String::new();
            push_escaped(&mut text, &all, path);
            assert_eq!(unescape(&text), all);
            assert!(!text.contains(':'));
            assert!(text.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        }
        let mut text = String::new();
        push_escaped(&mut text, b"@a", true);
        assert_eq!(text, "\\x40a");
        text.clear();
        push_escaped(&mut text, b"a2\0evil", false);
        assert_eq!(text, "a2\\x00evil");
        text.clear();
        push_escaped(&mut text, &[0xff; 126], false);
        assert_eq!(text.len(), ADDR_TEXT_MAX);
    }
}
