//! Sockets for the portable tests (the ones that run on Linux and Windows alike): loopback
//! TCP pairs made with std's `TcpListener` / `TcpStream` and sockhelp's own `net` calls, no
//! `UnixStream`, no `libc`, and `#[cfg]` only in the few raw-handle helpers at the end (the
//! platform seam `sockhelp::sys` is private to the crate), so a test using only these runs
//! on Linux and on Windows (under Wine here, see `scripts/windows-test.sh`). The C ABI
//! itself is declared in `cabi`.
//!
//! Kept free of anything newer than Rust 1.63 (the Windows build's compiler).

#![allow(dead_code)] // every test binary uses a different subset

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use sockhelp::deadline::Deadline;
use sockhelp::{Error, RawSocket};

use super::cabi;

/// `sockhelp_init` (WSAStartup on Windows; std has usually done it already). Every
/// test calls it first, as a C program must.
pub fn init() {
    assert_eq!(cabi::sockhelp_init(), cabi::SOCKHELP_OK, "sockhelp init");
}

/// Closes `s` through the C ABI; a failure fails the test.
pub fn close(s: RawSocket) {
    assert_eq!(cabi::sockhelp_close(s), cabi::SOCKHELP_OK, "close {:?}", s);
}

/// Sets the socket's mode through the C ABI; a failure fails the test.
pub fn set_nonblocking(s: RawSocket, on: bool) {
    assert_eq!(cabi::sockhelp_set_nonblocking(s, on), cabi::SOCKHELP_OK);
}

/// The socket's mode through the C ABI (`Err(Unsupported)` on Windows).
pub fn get_nonblocking(s: RawSocket) -> Result<bool, Error> {
    let mut on = false;
    match cabi::sockhelp_get_nonblocking(s, &mut on) {
        cabi::SOCKHELP_OK => Ok(on),
        cabi::SOCKHELP_EUNSUPPORTED => Err(Error::Unsupported),
        rc => panic!("sockhelp_get_nonblocking: {}", rc),
    }
}

/// A deadline from a C-style timeout.
pub fn ms(timeout_ms: i32) -> Deadline {
    Deadline::from_timeout_ms(timeout_ms).expect("a valid timeout")
}

/// A connected loopback pair: `s` is a sockhelp socket (blocking, made by
/// `net::connect`; the test closes it), `peer` the std stream accepted on the other side.
pub struct Pair {
    pub s: RawSocket,
    pub peer: TcpStream,
}

/// A loopback listener on a port the OS picks.
pub fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = l.local_addr().expect("local_addr").port();
    (l, port)
}

/// A connected pair (see [`Pair`]).
pub fn pair() -> Pair {
    init();
    let (l, port) = listener();
    let s = sockhelp::net::connect("127.0.0.1", port, ms(5000)).expect("connect to loopback");
    let (peer, _) = l.accept().expect("accept");
    Pair { s, peer }
}

/// A connected pair of two sockhelp sockets: (connected, accepted).
pub fn raw_pair() -> (RawSocket, RawSocket) {
    init();
    let l = sockhelp::net::listen(Some("127.0.0.1"), 0, 8).expect("listen");
    let port = sockhelp::net::local_port(l).expect("local_port");
    let a = sockhelp::net::connect("127.0.0.1", port, ms(5000)).expect("connect");
    let b = sockhelp::net::accept(l, ms(5000)).expect("accept");
    close(l);
    (a, b)
}

/// Aborts the connection of `stream`: `SO_LINGER {1, 0}` then close sends a RST.
pub fn reset(stream: TcpStream) {
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::from_secs(0)))
        .expect("SO_LINGER {1, 0}");
    drop(stream);
}

/// The byte at offset `i` of the test pattern: not periodic in 256, so a lost,
/// duplicated or reordered chunk shows.
pub fn pattern_byte(i: usize) -> u8 {
    ((i ^ (i >> 8) ^ (i >> 16)) as u8)
        .wrapping_mul(31)
        .wrapping_add(7)
}

/// `len` bytes of the test pattern.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(pattern_byte).collect()
}

/// A small deterministic generator (xorshift) for chunk sizes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    /// A value in `1..=max`.
    pub fn upto(&mut self, max: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % max as u64) as usize + 1
    }
}

/// Reads exactly `len` bytes from `peer` in small pieces with pauses (a slow reader),
/// first `slow` bytes one at a time.
pub fn slow_read(peer: &mut TcpStream, len: usize, slow: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let mut got = 0;
    let mut rng = Rng::new(seed);
    while got < len {
        let want = if got < slow {
            1
        } else {
            rng.upto(64 * 1024).min(len - got)
        };
        let n = peer.read(&mut out[got..got + want]).expect("peer read");
        assert!(n > 0, "peer saw EOF after {} of {} bytes", got, len);
        got += n;
        if got >= slow && rng.upto(16) == 1 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    out
}

/// Writes `data` to `peer` in small pieces with pauses (a slow writer), first `slow`
/// bytes one at a time.
pub fn slow_write(peer: &mut TcpStream, data: &[u8], slow: usize, seed: u64) {
    let mut sent = 0;
    let mut rng = Rng::new(seed);
    while sent < data.len() {
        let n = if sent < slow {
            1
        } else {
            rng.upto(64 * 1024).min(data.len() - sent)
        };
        peer.write_all(&data[sent..sent + n]).expect("peer write");
        sent += n;
        if sent >= slow && rng.upto(16) == 1 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Milliseconds since `t0`.
pub fn elapsed_ms(t0: Instant) -> u128 {
    t0.elapsed().as_millis()
}

/// Asserts an elapsed time within `[lo, hi)` ms (generous upper bounds: Wine is slow).
pub fn assert_elapsed(what: &str, t0: Instant, lo: u128, hi: u128) {
    let e = elapsed_ms(t0);
    assert!(
        e >= lo && e < hi,
        "{}: took {} ms, expected at least {} and below {} ms",
        what,
        e,
        lo,
        hi
    );
}

// The raw-handle helpers: the only `#[cfg]` here.

/// The raw handle of a std stream, which the caller now owns (close it with [`close`]).
pub fn into_raw(stream: TcpStream) -> RawSocket {
    #[cfg(unix)]
    return std::os::unix::io::IntoRawFd::into_raw_fd(stream);
    #[cfg(windows)]
    return std::os::windows::io::IntoRawSocket::into_raw_socket(stream) as RawSocket;
}

/// The raw handle of a socket2 socket, which keeps it.
pub fn as_raw(sock: &socket2::Socket) -> RawSocket {
    #[cfg(unix)]
    return std::os::unix::io::AsRawFd::as_raw_fd(sock);
    #[cfg(windows)]
    return std::os::windows::io::AsRawSocket::as_raw_socket(sock) as RawSocket;
}

/// Runs `f` on `s` seen as a socket2 socket, which `s` stays the caller's (never closed).
pub fn with_socket<R>(
    s: RawSocket,
    f: impl FnOnce(&socket2::Socket) -> sockhelp::Result<R>,
) -> sockhelp::Result<R> {
    #[cfg(unix)]
    // SAFETY: `s` is an open socket of the caller's; ManuallyDrop never closes it.
    let sock = unsafe { <socket2::Socket as std::os::unix::io::FromRawFd>::from_raw_fd(s) };
    #[cfg(windows)]
    // SAFETY: as above.
    let sock = unsafe {
        <socket2::Socket as std::os::windows::io::FromRawSocket>::from_raw_socket(s as _)
    };
    let sock = std::mem::ManuallyDrop::new(sock);
    f(&sock)
}

/// One plain `recv` on `s` (no flags: a blocking socket blocks, a non-blocking one says
/// would-block), the way a C program would call it; `s` stays the caller's.
pub fn plain_recv(s: RawSocket, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut r = None;
    with_socket(s, |mut sock| {
        r = Some(sock.read(buf));
        Ok(())
    })
    .expect("borrowing the socket");
    r.expect("the closure ran")
}

/// True for the error of a non-blocking connect still under way (`EINPROGRESS` on POSIX,
/// `WSAEWOULDBLOCK` on Windows).
pub fn connect_in_progress(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    return e.raw_os_error() == Some(libc::EINPROGRESS);
    #[cfg(windows)]
    return e.kind() == std::io::ErrorKind::WouldBlock;
}
