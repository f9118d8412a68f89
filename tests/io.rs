//! The byte-moving and connection calls (`sockhelp::io`, `sockhelp::net`): over loopback
//! TCP on every platform (Linux here, Windows under Wine via `scripts/windows-test.sh`),
//! then the POSIX-only traps, each marked `#[cfg(unix)]`: socketpairs, `SIGPIPE`, `-1` as a
//! socket, listening on every interface, Unix-domain sockets, and the blocking calls under
//! an EINTR storm. Each test is named after the HOWTO trap it guards (the same name as its
//! C twin in `c.rs` where there is one); where Windows differs, the test says how and
//! checks the Windows way.

mod common;

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use common::sock::*;
use sockhelp::error::Error;
use sockhelp::io::{recv_all, send_all};
use sockhelp::net::{self, Shutdown};
use sockhelp::RawSocket;

#[cfg(unix)]
use std::net::TcpStream;
#[cfg(unix)]
use std::os::unix::io::AsRawFd;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
#[cfg(unix)]
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
#[cfg(unix)]
use std::sync::{mpsc, Arc, Once};

#[cfg(unix)]
use sockhelp::deadline::Deadline;
#[cfg(unix)]
use sockhelp::frames::{Reader, Writer};
#[cfg(unix)]
use sockhelp::framing::Framing;
#[cfg(unix)]
use sockhelp::select;

/// 4 MiB each way through a peer that moves the first bytes one at a time, then random
/// chunks with pauses: `send_all` / `recv_all` loop over partial transfers, and every byte
/// arrives in order.
#[test]
fn partial_send_and_recv_are_looped() {
    let p = pair();
    let len = 4 << 20;
    let data = pattern(len);

    let mut peer = p.peer.try_clone().unwrap();
    let reader = thread::spawn(move || slow_read(&mut peer, len, 2000, 1));
    let (n, r) = send_all(p.s, &data, ms(-1));
    assert_eq!((n, r), (len, Ok(())));
    assert!(reader.join().unwrap() == data, "the peer got other bytes");

    let mut peer = p.peer.try_clone().unwrap();
    let sent = data.clone();
    let writer = thread::spawn(move || slow_write(&mut peer, &sent, 2000, 2));
    let mut got = vec![0u8; len];
    let (n, r) = recv_all(p.s, &mut got, ms(-1));
    writer.join().unwrap();
    assert_eq!((n, r), (len, Ok(())));
    assert!(got == data, "received other bytes than sent");
    close(p.s);
}

/// The peer sends 1000 bytes and closes: `Closed` with exactly 1000 received.
#[test]
fn recv_zero_is_peer_closed_and_keeps_the_bytes() {
    let mut p = pair();
    p.peer.write_all(&pattern(1000)).unwrap();
    p.peer.shutdown(std::net::Shutdown::Both).unwrap();
    let mut buf = vec![0u8; 4000];
    let (n, r) = recv_all(p.s, &mut buf, ms(5000));
    assert_eq!((n, r), (1000, Err(Error::Closed)));
    assert!(buf[..1000] == pattern(1000)[..]);
    // The close stays visible: again Closed, nothing received.
    let (n, r) = recv_all(p.s, &mut buf, ms(5000));
    assert_eq!((n, r), (0, Err(Error::Closed)));
    close(p.s);
}

/// `SO_LINGER {1, 0}` + close on the peer sends a RST: `Reset` from recv_all (after the
/// bytes that came before it) and from a later send_all, never a hang
/// (Windows: WSAECONNRESET 10054; Linux: ECONNRESET / EPIPE).
#[test]
fn peer_reset_is_an_error_not_a_hang() {
    let Pair { s, mut peer } = pair();
    peer.write_all(b"abc").unwrap();
    let mut buf = [0u8; 3];
    assert_eq!(recv_all(s, &mut buf, ms(5000)), (3, Ok(())));
    reset(peer);
    let mut buf = [0u8; 10];
    let t0 = Instant::now();
    let (n, r) = recv_all(s, &mut buf, ms(5000));
    assert_eq!(n, 0);
    assert!(matches!(r, Err(Error::Reset(_))), "recv_all: {:?}", r);
    assert!(elapsed_ms(t0) < 4000, "the reset was not seen at once");
    let (_, r) = send_all(s, &[7u8; 100_000], ms(5000));
    assert!(matches!(r, Err(Error::Reset(_))), "send_all: {:?}", r);
    close(s);
}

/// A silent peer: recv_all and send_all with a 200 ms timeout end in about 200 ms with
/// `TimedOut` and the true count.
#[test]
fn silent_peer_is_bounded_by_the_timeout() {
    let mut p = pair();
    p.peer.write_all(&[1u8; 10]).unwrap();
    thread::sleep(Duration::from_millis(50));
    let mut buf = [0u8; 100];
    let t0 = Instant::now();
    let (n, r) = recv_all(p.s, &mut buf, ms(200));
    assert_eq!((n, r), (10, Err(Error::TimedOut)));
    assert_elapsed("recv_all(200)", t0, 190, 2000);

    // The peer reads nothing: the send fills both buffers and must stop at the deadline.
    let big = vec![5u8; 64 << 20];
    let t0 = Instant::now();
    let (n, r) = send_all(p.s, &big, ms(200));
    assert_eq!(r, Err(Error::TimedOut));
    assert!(n > 0 && n < big.len(), "sent {} of {}", n, big.len());
    assert_elapsed("send_all(200)", t0, 190, 3000);
    // The count is true: exactly n bytes reach the peer.
    close(p.s);
    let mut total = 0usize;
    let mut chunk = vec![0u8; 1 << 16];
    p.peer
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    loop {
        let k = p.peer.read(&mut chunk).unwrap();
        if k == 0 {
            break;
        }
        assert!(chunk[..k].iter().all(|&b| b == 5));
        total += k;
    }
    assert_eq!(total, n, "the count reported is not what the peer got");
}

/// Timeout 0 is one attempt: `WouldBlock` at once, with what was there.
#[test]
fn timeout_zero_never_waits() {
    let mut p = pair();
    let mut buf = [0u8; 10];
    let t0 = Instant::now();
    assert_eq!(recv_all(p.s, &mut buf, ms(0)), (0, Err(Error::WouldBlock)));
    p.peer.write_all(b"four").unwrap();
    thread::sleep(Duration::from_millis(100));
    assert_eq!(recv_all(p.s, &mut buf, ms(0)), (4, Err(Error::WouldBlock)));
    assert_eq!(&buf[..4], b"four");
    assert!(elapsed_ms(t0) < 1000);
    // A send that fits is done in the one attempt.
    assert_eq!(send_all(p.s, b"hello", ms(0)), (5, Ok(())));
    let mut got = [0u8; 5];
    p.peer.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hello");
    close(p.s);
}

/// How a socket's mode is observed: `get_nonblocking` on POSIX; on Windows it is
/// `Unsupported` (Winsock cannot read FIONBIO back), so the behaviour is checked instead:
/// a plain `recv` on an idle non-blocking socket says would-block at once.
fn assert_nonblocking(s: RawSocket, expected: bool) {
    match get_nonblocking(s) {
        Ok(on) => assert_eq!(on, expected, "the socket's mode changed"),
        Err(Error::Unsupported) => {
            let windows = cfg!(windows);
            assert!(windows, "get_nonblocking is Unsupported only on Windows");
            if expected {
                let mut b = [0u8; 1];
                let t0 = Instant::now();
                let r = plain_recv(s, &mut b);
                assert_eq!(
                    r.map_err(|e| e.kind()),
                    Err(std::io::ErrorKind::WouldBlock),
                    "a non-blocking socket blocked or read"
                );
                assert!(elapsed_ms(t0) < 1000);
            }
        }
        Err(e) => panic!("get_nonblocking: {:?}", e),
    }
}

/// A non-blocking socket works with timeout -1 (the helpers wait for readiness) and
/// stays non-blocking; a blocking one stays blocking.
#[test]
fn nonblocking_sockets_work_and_modes_are_kept() {
    let p = pair();
    set_nonblocking(p.s, true);
    assert_nonblocking(p.s, true);

    let mut peer = p.peer.try_clone().unwrap();
    let writer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        slow_write(&mut peer, &pattern(300_000), 100, 3);
    });
    let mut buf = vec![0u8; 300_000];
    assert_eq!(recv_all(p.s, &mut buf, ms(-1)), (300_000, Ok(())));
    writer.join().unwrap();
    assert!(buf == pattern(300_000));
    assert_nonblocking(p.s, true);

    let mut peer = p.peer.try_clone().unwrap();
    let reader = thread::spawn(move || slow_read(&mut peer, 2 << 20, 100, 4));
    assert_eq!(send_all(p.s, &pattern(2 << 20), ms(-1)), (2 << 20, Ok(())));
    assert!(reader.join().unwrap() == pattern(2 << 20));
    assert_nonblocking(p.s, true);

    // Timed calls on a blocking socket leave it blocking.
    set_nonblocking(p.s, false);
    let mut b = [0u8; 1];
    assert_eq!(recv_all(p.s, &mut b, ms(50)), (0, Err(Error::TimedOut)));
    assert_nonblocking(p.s, false);
    if cfg!(windows) {
        // Blocking again: a plain recv waits for the peer's byte.
        let mut peer = p.peer.try_clone().unwrap();
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            peer.write_all(b"x").unwrap();
        });
        let t0 = Instant::now();
        assert_eq!(plain_recv(p.s, &mut b).unwrap(), 1);
        assert!(elapsed_ms(t0) >= 250, "a blocking socket did not block");
        t.join().unwrap();
    }
    close(p.s);
}

/// Connecting to a loopback port where nothing listens: `Refused`
/// (Windows: WSAECONNREFUSED 10061), well before the timeout.
#[test]
fn connect_to_a_closed_port_is_refused_at_once() {
    init();
    let port = {
        let (_l, port) = listener();
        port
    };
    let t0 = Instant::now();
    let r = net::connect("127.0.0.1", port, ms(10_000));
    assert!(matches!(r, Err(Error::Refused(_))), "connect: {:?}", r);
    // Real Windows retries a refused SYN for about 2 s; Linux and Wine answer at once.
    assert!(elapsed_ms(t0) < 5000);
}

/// A listener with backlog 1 that never accepts: once its queue is full, a connect gets
/// no answer and must end with `TimedOut` in about the timeout.
#[test]
fn connect_that_gets_no_answer_times_out() {
    init();
    let l = net::listen(Some("127.0.0.1"), 0, 1).unwrap();
    let port = net::local_port(l).unwrap();
    let mut fillers = Vec::new();
    let mut timed_out = false;
    for _ in 0..16 {
        let t0 = Instant::now();
        match net::connect("127.0.0.1", port, ms(300)) {
            Ok(s) => fillers.push(s),
            Err(Error::TimedOut) => {
                assert_elapsed("connect(300)", t0, 290, 3000);
                timed_out = true;
                break;
            }
            // Real Windows answers a full queue with a RST (retried for ~2 s, so the
            // 300 ms deadline normally comes first).
            Err(Error::Refused(_)) if cfg!(windows) => {}
            Err(e) => panic!("connect: {:?}", e),
        }
    }
    for s in fillers {
        close(s);
    }
    close(l);
    assert!(timed_out, "no connect timed out against a full queue");
}

/// accept with 200 ms / 0 ends with `TimedOut` / `WouldBlock`; the accepted socket is
/// blocking even when the listener is not (BSDs and Windows inherit the listener's mode).
#[test]
fn accept_is_bounded_and_gives_blocking_sockets() {
    init();
    let l = net::listen(Some("127.0.0.1"), 0, 8).unwrap();
    let port = net::local_port(l).unwrap();
    let t0 = Instant::now();
    assert_eq!(net::accept(l, ms(200)), Err(Error::TimedOut));
    assert_elapsed("accept(200)", t0, 190, 2000);
    assert_eq!(net::accept(l, ms(0)), Err(Error::WouldBlock));

    set_nonblocking(l, true);
    let c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let a = net::accept(l, ms(5000)).unwrap();
    assert_nonblocking(a, false);
    let mut peer = c.try_clone().unwrap();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        peer.write_all(b"y").unwrap();
    });
    let mut b = [0u8; 1];
    let t0 = Instant::now();
    assert_eq!(plain_recv(a, &mut b).unwrap(), 1);
    assert!(elapsed_ms(t0) >= 250, "the accepted socket did not block");
    t.join().unwrap();
    // The listener is still non-blocking: a plain accept says would-block at once.
    let r = with_socket(l, |ls| Ok(ls.accept().map(|_| ()).map_err(|e| e.kind())));
    assert_eq!(r, Ok(Err(std::io::ErrorKind::WouldBlock)));
    close(a);
    close(l);
}

/// `shutdown(Write)` gives the peer EOF while the other direction still works.
#[test]
fn shutdown_write_gives_the_peer_eof() {
    let mut p = pair();
    assert_eq!(send_all(p.s, b"last", ms(1000)), (4, Ok(())));
    net::shutdown(p.s, Shutdown::Write).unwrap();
    let mut all = Vec::new();
    p.peer.read_to_end(&mut all).unwrap();
    assert_eq!(all, b"last");
    p.peer.write_all(b"back").unwrap();
    let mut b = [0u8; 4];
    assert_eq!(recv_all(p.s, &mut b, ms(1000)), (4, Ok(())));
    assert_eq!(&b, b"back");
    close(p.s);
}

/// `TCP_NODELAY` and keepalive: the options are set (read back through socket2).
/// Windows fixes the keepalive probe count (10): a count is `Unsupported` there, and the
/// idle / interval timings alone work.
#[test]
fn nodelay_and_keepalive_do_what_they_say() {
    let p = pair();
    net::set_nodelay(p.s, true).unwrap();
    with_socket(p.s, |s| {
        assert!(s.nodelay()?);
        Ok(())
    })
    .unwrap();
    net::set_nodelay(p.s, false).unwrap();
    with_socket(p.s, |s| {
        assert!(!s.nodelay()?);
        Ok(())
    })
    .unwrap();

    let r = net::set_keepalive(p.s, true, 30, 5, 3);
    if cfg!(windows) {
        assert_eq!(r, Err(Error::Unsupported));
    } else {
        assert_eq!(r, Ok(()));
    }
    net::set_keepalive(p.s, true, 30, 5, 0).unwrap();
    net::set_keepalive(p.s, true, 0, 0, 0).unwrap();
    with_socket(p.s, |s| {
        assert!(s.keepalive()?);
        Ok(())
    })
    .unwrap();
    net::set_keepalive(p.s, false, 0, 0, 0).unwrap();
    with_socket(p.s, |s| {
        assert!(!s.keepalive()?);
        Ok(())
    })
    .unwrap();
    close(p.s);
}

/// close_graceful: shut down the write side, drain, close. `Ok` with a polite peer (it
/// sees EOF, answers, closes); `TimedOut` with a peer that never closes, and the socket is
/// closed either way.
#[test]
fn close_graceful_shuts_down_drains_and_closes() {
    let Pair { s, mut peer } = pair();
    // The polite peer reads to EOF, answers, and closes (drops its only handle).
    let polite = thread::spawn(move || {
        let mut all = Vec::new();
        peer.read_to_end(&mut all).unwrap();
        peer.write_all(&[9u8; 50_000]).unwrap();
        all
    });
    assert_eq!(send_all(s, b"bye", ms(1000)), (3, Ok(())));
    let t0 = Instant::now();
    assert_eq!(net::close_graceful(s, ms(5000)), Ok(()));
    assert!(elapsed_ms(t0) < 4000);
    assert_eq!(polite.join().unwrap(), b"bye");

    let Pair { s, mut peer } = pair();
    let t0 = Instant::now();
    assert_eq!(net::close_graceful(s, ms(200)), Err(Error::TimedOut));
    assert_elapsed("close_graceful(200)", t0, 190, 2000);
    // Closed: the peer sees EOF.
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut b = [0u8; 1];
    assert_eq!(peer.read(&mut b).unwrap(), 0);
}

/// Accept on a socket that is not listening fails at once (`Os`: EINVAL, WSAEINVAL),
/// whatever the timeout, instead of waiting it out.
#[test]
fn accept_on_a_socket_that_is_not_listening_fails_at_once() {
    let p = pair();
    for t in [-1, 0, 2000] {
        let t0 = Instant::now();
        let r = net::accept(p.s, ms(t));
        assert!(
            matches!(r, Err(Error::Os(c)) if c != 0),
            "timeout {}: {:?}",
            t,
            r
        );
        assert!(elapsed_ms(t0) < 1000, "timeout {} waited", t);
    }
    close(p.s);
}

/// Who connected: the accept gives the peer's printable address, and both ends agree.
#[test]
fn addresses_print_and_never_overflow_the_callers_buffer() {
    let l = net::listen(Some("127.0.0.1"), 0, 4).unwrap();
    let port = net::local_port(l).unwrap();
    assert_eq!(net::local_addr(l).unwrap(), format!("127.0.0.1:{}", port));
    let c = net::connect("127.0.0.1", port, ms(5000)).unwrap();
    let (s, addr) = net::accept_with_addr(l, ms(5000)).unwrap();
    assert_eq!(addr, net::local_addr(c).unwrap());
    assert_eq!(net::peer_addr(s).unwrap(), addr);
    assert_eq!(net::peer_addr(c).unwrap(), format!("127.0.0.1:{}", port));
    for x in [c, s, l] {
        close(x);
    }
}

/// Non-blocking connect: start, wait for writable, finish; a refused one says `Refused`
/// (POSIX: EINPROGRESS then SO_ERROR; Windows: WSAEWOULDBLOCK then SO_ERROR).
#[test]
fn nonblocking_connect_reports_how_it_ended() {
    let l = net::listen(Some("127.0.0.1"), 0, 4).unwrap();
    let port = net::local_port(l).unwrap();
    let (c, connected) = net::connect_start("127.0.0.1", port).unwrap();
    if !connected {
        let t0 = Instant::now();
        loop {
            match net::connect_finish(c) {
                Ok(()) => break,
                Err(Error::WouldBlock) => {
                    assert!(elapsed_ms(t0) < 10_000, "never connected");
                    thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("connect_finish: {:?}", e),
            }
        }
    }
    let s = net::accept(l, ms(5000)).unwrap();
    assert_eq!(send_all(c, b"hi", ms(1000)), (2, Ok(())));
    close(s);
    close(c);
    close(l);

    // Nothing listens there now.
    let r = match net::connect_start("127.0.0.1", port) {
        Ok((c, false)) => {
            let t0 = Instant::now();
            let r = loop {
                match net::connect_finish(c) {
                    Err(Error::WouldBlock) if elapsed_ms(t0) < 10_000 => {
                        thread::sleep(Duration::from_millis(5))
                    }
                    r => break r,
                }
            };
            close(c);
            r
        }
        Ok((c, true)) => panic!("connected to a closed port: {}", c),
        Err(e) => Err(e),
    };
    assert!(matches!(r, Err(Error::Refused(_))), "{:?}", r);
}

/// A listener shared by several acceptors (here threads; a pre-fork server's processes
/// share it the same way), blocking, one connection: the one that wins gets it, the others
/// come back by their deadline (`WouldBlock` for 0, `TimedOut` for 300 ms), never stuck in
/// a blocking accept(). Each acceptor's call is timed; a stuck one fails the test by the
/// bounded join below instead of hanging it.
#[test]
fn accept_on_a_shared_listener_never_outlives_its_deadline() {
    let l = net::listen(Some("127.0.0.1"), 0, 64).unwrap();
    let port = net::local_port(l).unwrap();
    for round in 0..6 {
        let timeout = if round % 2 == 0 { 0 } else { 300 };
        let peer = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        thread::sleep(Duration::from_millis(30));
        let (tx, rx) = std::sync::mpsc::channel();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(6));
        for _ in 0..6 {
            let tx = tx.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                let t0 = Instant::now();
                let r = net::accept(l, ms(timeout));
                let took = elapsed_ms(t0);
                if let Ok(s) = r {
                    close(s);
                }
                let _ = tx.send((r.map(|_| ()), took));
            });
        }
        drop(tx);
        let mut winners = 0;
        for _ in 0..6 {
            let (r, took) = rx
                .recv_timeout(Duration::from_secs(5))
                .expect("an acceptor is stuck in accept() past its deadline");
            match r {
                Ok(()) => winners += 1,
                Err(e) if timeout == 0 => assert_eq!(e, Error::WouldBlock),
                Err(e) => assert_eq!(e, Error::TimedOut),
            }
            assert!(
                took < timeout as u128 + 1000,
                "accept({}) took {} ms",
                timeout,
                took
            );
        }
        assert_eq!(winners, 1, "round {}", round);
        drop(peer);
    }
    close(l);
}

// ---------------------------------------------------------------------------
// POSIX only: socketpairs, SIGPIPE, -1 as a socket, every interface, Unix-domain sockets

/// Writing to a peer that closed: `Reset` (EPIPE), and the process gets no SIGPIPE.
#[cfg(unix)]
#[test]
fn writing_to_a_closed_peer_raises_no_sigpipe() {
    let (a, b) = UnixStream::pair().unwrap();
    drop(b);
    let (n, r) = send_all(a.as_raw_fd(), b"hello", ms(1000));
    assert_eq!(n, 0);
    assert!(matches!(r, Err(Error::Reset(_))), "{:?}", r);
}

/// Bad timeouts, `-1` sockets, empty hosts: `Invalid`, never a call on -1.
#[cfg(unix)]
#[test]
fn misuse_gives_error_codes_not_crashes() {
    assert_eq!(Deadline::from_timeout_ms(-7), Err(Error::Invalid));
    let mut buf = [0u8; 4];
    assert_eq!(recv_all(-1, &mut buf, ms(0)).1, Err(Error::Invalid));
    assert_eq!(send_all(-1, b"x", ms(0)).1, Err(Error::Invalid));
    assert_eq!(net::set_nodelay(-1, true), Err(Error::Invalid));
    assert_eq!(net::connect("", 80, ms(100)), Err(Error::Invalid));
    assert_eq!(net::accept(-1, ms(0)), Err(Error::Invalid));
    assert_eq!(net::peer_addr(-1), Err(Error::Invalid));
    assert_eq!(net::connect_finish(-1), Err(Error::Invalid));
    assert_eq!(net::listen_unix("", 1), Err(Error::Invalid));
}

/// `listen(None)` is every interface, IPv6 and IPv4 together: an IPv4 client gets in.
#[cfg(unix)]
#[test]
fn listen_on_any_interface_accepts_ipv4_loopback() {
    let l = net::listen(None, 0, 0).unwrap();
    let port = net::local_port(l).unwrap();
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (s, addr) = net::accept_with_addr(l, ms(2000)).unwrap();
    // The dual-stack listener sees the IPv4 client as an IPv4-mapped IPv6 address.
    assert!(
        addr.ends_with(&format!(":{}", c.local_addr().unwrap().port())),
        "{}",
        addr
    );
    c.write_all(b"x").unwrap();
    let mut buf = [0u8; 1];
    assert_eq!(recv_all(s, &mut buf, ms(1000)), (1, Ok(())));
    close(s);
    close(l);
}

/// The HOWTO's IPC lesson in the core: a Unix-domain listener, a client, the addresses
/// (the path; "" for the unnamed client side), bytes both ways; an existing file is kept.
#[cfg(unix)]
#[test]
fn unix_sockets_work_with_every_call_and_keep_foreign_files() {
    let dir = std::env::temp_dir().join(format!("sockhelp-core-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s");
    let path_str = path.to_str().unwrap();
    let _ = std::fs::remove_file(&path);
    let l = net::listen_unix(path_str, 4).unwrap();
    assert_eq!(net::local_addr(l).unwrap(), path_str);
    assert!(matches!(net::listen_unix(path_str, 4), Err(Error::Os(_))));
    let c = net::connect_unix(path_str, ms(1000)).unwrap();
    let (s, addr) = net::accept_with_addr(l, ms(1000)).unwrap();
    assert_eq!(addr, "");
    assert_eq!(net::peer_addr(c).unwrap(), path_str);
    assert_eq!(send_all(c, b"ping", ms(1000)), (4, Ok(())));
    let mut buf = [0u8; 4];
    assert_eq!(recv_all(s, &mut buf, ms(1000)), (4, Ok(())));
    assert_eq!(&buf, b"ping");
    for fd in [c, s, l] {
        close(fd);
    }
    assert!(path.exists(), "the socket file stays after close");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------
// POSIX only: the blocking calls under an EINTR storm. A signal whose handler is installed
// without SA_RESTART hits the working threads (pthread_kill, only those) every 100 µs, so
// nearly every blocking system call is interrupted. Everything must still arrive intact,
// counts must be exact, and deadlines must still hold.

#[cfg(unix)]
static SIGNALS: AtomicUsize = AtomicUsize::new(0);

/// Work for one thread of a storm.
#[cfg(unix)]
type Job<T> = Box<dyn FnOnce() -> T + Send>;
/// How long a timed call took, and what it returned.
#[cfg(unix)]
type Timed = (Duration, (usize, Result<(), Error>));

#[cfg(unix)]
extern "C" fn on_signal(_: libc::c_int) {
    SIGNALS.fetch_add(1, Ordering::Relaxed);
}

/// SIGUSR2 with a handler and no SA_RESTART: interrupted calls fail with EINTR.
#[cfg(unix)]
fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: a zeroed sigaction with a plain handler and an empty mask is valid.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            sa.sa_flags = 0;
            libc::sigemptyset(&mut sa.sa_mask);
            assert_eq!(libc::sigaction(libc::SIGUSR2, &sa, std::ptr::null_mut()), 0);
        }
    });
}

/// Runs `work` on `threads` threads while a storm of signals hits all of them
/// every 100 µs; returns the results and how many signals were sent.
#[cfg(unix)]
fn under_storm<T: Send + 'static>(work: Vec<Box<dyn FnOnce() -> T + Send>>) -> (Vec<T>, usize) {
    install_handler();
    let done = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let mut handles = Vec::new();
    for w in work {
        let tx = tx.clone();
        handles.push(thread::spawn(move || {
            // SAFETY: pthread_self has no preconditions.
            tx.send(unsafe { libc::pthread_self() }).unwrap();
            w()
        }));
    }
    let targets: Vec<libc::pthread_t> = (0..handles.len()).map(|_| rx.recv().unwrap()).collect();
    let storm_done = done.clone();
    let storm = thread::spawn(move || {
        let mut sent = 0usize;
        // Bounded: at most 20 s of signals even if the work hangs.
        let limit = Instant::now() + Duration::from_secs(20);
        while !storm_done.load(Ordering::Relaxed) && Instant::now() < limit {
            for t in &targets {
                // SAFETY: the target threads are alive until `done` is set below.
                unsafe { libc::pthread_kill(*t, libc::SIGUSR2) };
                sent += 1;
            }
            thread::sleep(Duration::from_micros(100));
        }
        sent
    });
    let mut results = Vec::new();
    for h in handles {
        results.push(h.join().unwrap());
    }
    done.store(true, Ordering::Relaxed);
    let sent = storm.join().unwrap();
    (results, sent)
}

#[cfg(unix)]
#[test]
fn sendall_and_recvall_of_64_mib_survive_an_eintr_storm() {
    let (a, b) = UnixStream::pair().unwrap();
    let data = Arc::new(pattern(64 << 20));
    let expect = data.clone();
    let send: Job<(usize, Result<(), Error>)> =
        Box::new(move || send_all(a.as_raw_fd(), &data, Deadline::Forever));
    let recv: Job<(usize, Result<(), Error>)> = Box::new(move || {
        let mut buf = vec![0u8; 64 << 20];
        let r = recv_all(
            b.as_raw_fd(),
            &mut buf,
            Deadline::from_timeout_ms(60_000).unwrap(),
        );
        assert!(buf == *expect, "received bytes differ");
        r
    });
    let (results, sent) = under_storm(vec![send, recv]);
    assert_eq!(results[0], (64 << 20, Ok(())));
    assert_eq!(results[1], (64 << 20, Ok(())));
    println!(
        "{} signals sent, {} handled",
        sent,
        SIGNALS.load(Ordering::Relaxed)
    );
    assert!(sent > 10);
}

#[cfg(unix)]
#[test]
fn framed_io_of_64_mib_survives_an_eintr_storm() {
    let (a, b) = UnixStream::pair().unwrap();
    let f = Framing::length_prefixed(4, false, 1 << 20).unwrap();
    let frames = (64usize << 20) / 4096;
    let wf = f.clone();
    let send: Job<usize> = Box::new(move || {
        let mut w = Writer::new(wf);
        let mut payload = vec![0u8; 4096];
        for i in 0..frames {
            payload[..8].copy_from_slice(&(i as u64).to_le_bytes());
            w.queue(&payload).unwrap();
            if w.pending() > (1 << 20) {
                w.flush(a.as_raw_fd(), Deadline::Forever).unwrap();
            }
        }
        w.flush(a.as_raw_fd(), Deadline::Forever).unwrap();
        frames
    });
    let recv: Job<usize> = Box::new(move || {
        let mut r = Reader::new(f);
        let mut out = vec![0u8; 4096];
        for i in 0..frames {
            let (n, res) = r.recv_frame(
                b.as_raw_fd(),
                &mut out,
                Deadline::from_timeout_ms(60_000).unwrap(),
            );
            assert_eq!((n, res), (4096, Ok(())), "frame {}", i);
            assert_eq!(
                out[..8],
                (i as u64).to_le_bytes(),
                "frame {} out of order",
                i
            );
        }
        frames
    });
    let (results, _) = under_storm(vec![send, recv]);
    assert_eq!(results, vec![frames, frames]);
}

#[cfg(unix)]
#[test]
fn deadlines_hold_during_an_eintr_storm() {
    let (a, _b) = UnixStream::pair().unwrap();
    let (c, _d) = UnixStream::pair().unwrap();
    let recv: Job<Timed> = Box::new(move || {
        let start = Instant::now();
        let mut buf = [0u8; 16];
        let r = recv_all(
            a.as_raw_fd(),
            &mut buf,
            Deadline::from_timeout_ms(300).unwrap(),
        );
        (start.elapsed(), r)
    });
    let sel: Job<Timed> = Box::new(move || {
        let start = Instant::now();
        let mut readers = [c.as_raw_fd()];
        let r = select::select(
            &mut readers,
            &mut [],
            &mut [],
            Deadline::from_timeout_ms(300).unwrap(),
        )
        .map(|s| s.total());
        (start.elapsed(), (r.unwrap_or(99), r.map(|_| ())))
    });
    let (results, _) = under_storm(vec![recv, sel]);
    let (took, r) = results[0];
    assert_eq!(r, (0, Err(Error::TimedOut)));
    assert!(
        took >= Duration::from_millis(290) && took < Duration::from_secs(3),
        "{:?}",
        took
    );
    let (took, r) = results[1];
    assert_eq!(r, (0, Ok(())));
    assert!(
        took >= Duration::from_millis(290) && took < Duration::from_secs(3),
        "{:?}",
        took
    );
}

/// Windows (10 1803+, `AF_UNIX`): a socket passes over a Unix-domain connection, within
/// this process (the peer process id `SIO_AF_UNIX_GETPEERPID` answers is this one's): the
/// core's whole path, `WSADuplicateSocketW` and `WSASocketW(FROM_PROTOCOL_INFO)`. The
/// received socket serves the connection after the sender's handle is closed; nothing
/// there is `WouldBlock` / `TimedOut`; data that is not a message is `BadFrame`; the
/// sender's close is `Closed`. Wine 8 has no `AF_UNIX`: scripts/windows-test.sh skips it
/// there (the Windows side's unit tests in src/sys/windows/fdpass.rs run under Wine).
#[cfg(windows)]
#[test]
fn socket_passes_over_af_unix_on_windows() {
    init();
    let dir = std::env::temp_dir().join(format!("sockhelp-pass-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s");
    let path_str = path.to_str().unwrap();
    let _ = std::fs::remove_file(&path);
    let l = net::listen_unix(path_str, 4).unwrap();
    let us = net::connect_unix(path_str, ms(5000)).unwrap();
    let them = net::accept(l, ms(5000)).unwrap();
    close(l);
    let (a, b) = raw_pair();
    assert_eq!(net::recv_socket(them, ms(0)), Err(Error::WouldBlock));
    assert_eq!(net::recv_socket(them, ms(50)), Err(Error::TimedOut));
    assert_eq!(net::send_socket(us, a, ms(5000)), Ok(()));
    let got = net::recv_socket(them, ms(5000)).unwrap();
    assert_ne!(got, a);
    close(a);
    assert_eq!(send_all(got, b"ping", ms(5000)), (4, Ok(())));
    let mut buf = [0u8; 4];
    assert_eq!(recv_all(b, &mut buf, ms(5000)), (4, Ok(())));
    assert_eq!(&buf, b"ping");
    close(got);
    assert_eq!(recv_all(b, &mut buf, ms(5000)), (0, Err(Error::Closed)));
    close(b);
    // A TCP socket is no carrier.
    let (c, d) = raw_pair();
    assert_eq!(net::send_socket(c, d, ms(1000)), Err(Error::Invalid));
    close(c);
    close(d);
    assert_eq!(send_all(us, b"not a socket", ms(5000)), (12, Ok(())));
    assert_eq!(net::recv_socket(them, ms(5000)), Err(Error::BadFrame));
    close(them);
    assert_eq!(net::recv_socket(us, ms(5000)), Err(Error::Closed));
    close(us);
    std::fs::remove_dir_all(&dir).unwrap();
}
