//! Connected socket pairs and the few raw libc calls the baselines use.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

/// Which kind of connection a case runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// `socketpair(AF_UNIX, SOCK_STREAM)`.
    Unix,
    /// Loopback TCP (127.0.0.1), TCP_NODELAY on both ends.
    Tcp,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Unix => "unix",
            Transport::Tcp => "tcp",
        }
    }
}

/// A connected pair: (sender end, receiver end), both blocking.
pub fn pair(t: Transport) -> (OwnedFd, OwnedFd) {
    match t {
        Transport::Unix => {
            let (a, b) = UnixStream::pair().expect("socketpair");
            (a.into(), b.into())
        }
        Transport::Tcp => {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
            let addr = listener.local_addr().expect("local_addr");
            let a = TcpStream::connect(addr).expect("connect");
            let (b, _) = listener.accept().expect("accept");
            a.set_nodelay(true).expect("TCP_NODELAY");
            b.set_nodelay(true).expect("TCP_NODELAY");
            (a.into(), b.into())
        }
    }
}

pub fn set_nonblocking(fd: RawFd, on: bool) {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        assert!(flags >= 0, "F_GETFL: {}", io::Error::last_os_error());
        let flags = if on {
            flags | libc::O_NONBLOCK
        } else {
            flags & !libc::O_NONBLOCK
        };
        assert!(libc::fcntl(fd, libc::F_SETFL, flags) >= 0);
    }
}

/// One `send`; panics on errors other than EINTR (returns 0 then).
pub fn raw_send(fd: RawFd, buf: &[u8]) -> usize {
    // SAFETY: `buf` is valid for reads of its length.
    let n = unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL) };
    if n < 0 {
        let e = io::Error::last_os_error();
        assert_eq!(e.kind(), io::ErrorKind::Interrupted, "send: {e}");
        return 0;
    }
    n as usize
}

/// One `recv`; panics on errors other than EINTR (returns `None` then) and on EOF.
pub fn raw_recv(fd: RawFd, buf: &mut [u8]) -> usize {
    // SAFETY: `buf` is valid for writes of its length.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        let e = io::Error::last_os_error();
        assert_eq!(e.kind(), io::ErrorKind::Interrupted, "recv: {e}");
        return 0;
    }
    assert!(n > 0, "unexpected EOF");
    n as usize
}

/// Waits (forever) until `fd` is ready for `events` (POLLIN / POLLOUT).
pub fn wait_fd(fd: RawFd, events: libc::c_short) {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, -1) };
}

pub fn fd_of(fd: &OwnedFd) -> RawFd {
    fd.as_raw_fd()
}
