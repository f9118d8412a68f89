//! The safe core over real sockets: socketpairs and loopback TCP.
//! Each test is named after the HOWTO trap it guards.

#![cfg(unix)]

mod portable_util;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;
use std::thread;
use std::time::{Duration, Instant};

use portable_util::{close, get_nonblocking, set_nonblocking};
use sockhelp::deadline::Deadline;
use sockhelp::io::{recv_all, send_all};
use sockhelp::{net, Error};

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 251) as u8).collect()
}

fn ms(t: i32) -> Deadline {
    Deadline::from_timeout_ms(t).unwrap()
}

#[test]
fn send_moves_fewer_bytes_than_asked_so_send_all_loops() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let data = pattern(8 << 20);
    let expect = data.clone();
    let reader = thread::spawn(move || {
        let mut got = Vec::new();
        let mut chunk = [0u8; 777];
        loop {
            let n = b.read(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&chunk[..n]);
        }
        got
    });
    let (n, r) = send_all(a.as_raw_fd(), &data, ms(-1));
    assert_eq!(r, Ok(()));
    assert_eq!(n, data.len());
    drop(a);
    assert!(reader.join().unwrap() == expect);
}

#[test]
fn recv_moves_fewer_bytes_than_asked_so_recv_all_loops() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let data = pattern(1 << 20);
    let send = data.clone();
    let writer = thread::spawn(move || {
        for piece in send.chunks(1000) {
            b.write_all(piece).unwrap();
        }
    });
    let mut buf = vec![0u8; data.len()];
    let (n, r) = recv_all(a.as_raw_fd(), &mut buf, ms(5000));
    writer.join().unwrap();
    assert_eq!(r, Ok(()));
    assert_eq!(n, data.len());
    assert!(buf == data);
}

#[test]
fn recv_of_zero_means_the_peer_closed() {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.write_all(&[7u8; 100]).unwrap();
    drop(b);
    let mut buf = [0u8; 4096];
    let (n, r) = recv_all(a.as_raw_fd(), &mut buf, ms(-1));
    assert_eq!((n, r), (100, Err(Error::Closed)));
}

#[test]
fn a_silent_peer_cannot_hang_recv_all_past_its_deadline() {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.write_all(b"abc").unwrap();
    let mut buf = [0u8; 10];
    let start = Instant::now();
    let (n, r) = recv_all(a.as_raw_fd(), &mut buf, ms(150));
    let took = start.elapsed();
    assert_eq!((n, r), (3, Err(Error::TimedOut)));
    assert!(took >= Duration::from_millis(140), "{:?}", took);
    assert!(took < Duration::from_secs(3), "{:?}", took);
}

#[test]
fn a_peer_that_never_reads_cannot_hang_send_all_past_its_deadline() {
    let (a, _b) = UnixStream::pair().unwrap();
    let data = vec![1u8; 32 << 20];
    let (n, r) = send_all(a.as_raw_fd(), &data, ms(150));
    assert_eq!(r, Err(Error::TimedOut));
    assert!(n > 0 && n < data.len(), "{}", n);
}

#[test]
fn timeout_zero_never_waits() {
    let (a, _b) = UnixStream::pair().unwrap();
    let mut buf = [0u8; 10];
    let start = Instant::now();
    let (n, r) = recv_all(a.as_raw_fd(), &mut buf, ms(0));
    assert_eq!((n, r), (0, Err(Error::WouldBlock)));
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn helpers_take_a_non_blocking_socket_as_it_is_and_leave_it_so() {
    let (a, mut b) = UnixStream::pair().unwrap();
    set_nonblocking(a.as_raw_fd(), true);
    let data = pattern(4 << 20);
    let expect = data.clone();
    let reader = thread::spawn(move || {
        let mut got = Vec::new();
        let mut chunk = [0u8; 4096];
        while got.len() < expect.len() {
            let n = b.read(&mut chunk).unwrap();
            assert!(n > 0);
            got.extend_from_slice(&chunk[..n]);
            if got.len() % (256 << 10) < 4096 {
                thread::sleep(Duration::from_millis(1));
            }
        }
        got == expect
    });
    let (n, r) = send_all(a.as_raw_fd(), &data, ms(-1));
    assert_eq!((n, r), (data.len(), Ok(())));
    assert!(reader.join().unwrap());
    assert_eq!(get_nonblocking(a.as_raw_fd()), Ok(true));
    // and a blocking socket stays blocking after a timed call
    let (c, _d) = UnixStream::pair().unwrap();
    let mut buf = [0u8; 4];
    let _ = recv_all(c.as_raw_fd(), &mut buf, ms(10));
    assert_eq!(get_nonblocking(c.as_raw_fd()), Ok(false));
}

#[test]
fn writing_to_a_closed_peer_is_a_reset_not_a_sigpipe() {
    let (a, b) = UnixStream::pair().unwrap();
    drop(b);
    let (n, r) = send_all(a.as_raw_fd(), b"hello", ms(1000));
    assert_eq!(n, 0);
    assert!(matches!(r, Err(Error::Reset(_))), "{:?}", r);
}

#[test]
fn invalid_arguments_are_refused() {
    assert_eq!(Deadline::from_timeout_ms(-7), Err(Error::Invalid));
    let mut buf = [0u8; 4];
    assert_eq!(recv_all(-1, &mut buf, ms(0)).1, Err(Error::Invalid));
    assert_eq!(send_all(-1, b"x", ms(0)).1, Err(Error::Invalid));
    assert_eq!(net::set_nodelay(-1, true), Err(Error::Invalid));
    assert_eq!(net::connect("", 80, ms(100)), Err(Error::Invalid));
}

#[test]
fn connect_to_a_closed_port_fails_at_once() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let start = Instant::now();
    let r = net::connect("127.0.0.1", port, ms(2000));
    assert!(matches!(r, Err(Error::Refused(_))), "{:?}", r);
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn listen_connect_accept_and_local_port() {
    let l = net::listen(Some("127.0.0.1"), 0, 16).unwrap();
    let port = net::local_port(l).unwrap();
    assert!(port > 0);
    assert_eq!(net::accept(l, ms(0)), Err(Error::WouldBlock));
    let start = Instant::now();
    assert_eq!(net::accept(l, ms(100)), Err(Error::TimedOut));
    assert!(start.elapsed() >= Duration::from_millis(90));
    let c = net::connect("localhost", port, ms(2000))
        .or_else(|_| net::connect("127.0.0.1", port, ms(2000)))
        .unwrap();
    let s = net::accept(l, ms(2000)).unwrap();
    let (n, r) = send_all(c, b"ping", ms(1000));
    assert_eq!((n, r), (4, Ok(())));
    let mut buf = [0u8; 4];
    assert_eq!(recv_all(s, &mut buf, ms(1000)), (4, Ok(())));
    assert_eq!(&buf, b"ping");
    net::set_nodelay(c, true).unwrap();
    net::set_keepalive(c, true, 30, 5, 3).unwrap();
    net::shutdown(c, net::Shutdown::Write).unwrap();
    assert_eq!(recv_all(s, &mut buf, ms(1000)), (0, Err(Error::Closed)));
    assert_eq!(net::close_graceful(s, ms(1000)), Ok(()));
    for fd in [c, l] {
        close(fd);
    }
}

#[test]
fn listen_on_any_interface_accepts_ipv4_loopback() {
    let l = net::listen(None, 0, 0).unwrap();
    let port = net::local_port(l).unwrap();
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let s = net::accept(l, ms(2000)).unwrap();
    c.write_all(b"x").unwrap();
    let mut buf = [0u8; 1];
    assert_eq!(recv_all(s, &mut buf, ms(1000)), (1, Ok(())));
    close(s);
    close(l);
}

#[test]
fn graceful_close_times_out_on_a_peer_that_never_closes() {
    let (a, _b) = UnixStream::pair().unwrap();
    let fd = std::os::unix::io::IntoRawFd::into_raw_fd(a);
    let start = Instant::now();
    assert_eq!(net::close_graceful(fd, ms(100)), Err(Error::TimedOut));
    assert!(start.elapsed() >= Duration::from_millis(90));
}
