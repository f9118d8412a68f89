//! `select` and the poller over loopback TCP on every platform (Linux here: `poll` and
//! epoll; Windows under Wine via `scripts/windows-test.sh`: `WSAPoll` and the `polling`
//! crate's IOCP/AFD backend).

mod common;

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use common::sock::*;
use sockhelp::error::Error;
use sockhelp::poller::{Event, Poller, HANGUP, READABLE, WRITABLE};
use sockhelp::select::{select, Selected};
use sockhelp::RawSocket;

fn sel(r: &mut [RawSocket], w: &mut [RawSocket], e: &mut [RawSocket], timeout_ms: i32) -> Selected {
    select(r, w, e, ms(timeout_ms)).expect("select")
}

/// Readable only once data (or a connection, or the peer's close) is there; a connected
/// socket is writable; nothing ready ends in about the timeout with all counts 0.
#[test]
fn select_reports_readable_writable_and_times_out() {
    let mut p = pair();
    let t0 = Instant::now();
    assert_eq!(sel(&mut [p.s], &mut [], &mut [], 200), Selected::default());
    assert_elapsed("select(200)", t0, 190, 2000);
    assert_eq!(sel(&mut [p.s], &mut [], &mut [], 0), Selected::default());

    assert_eq!(
        sel(&mut [], &mut [p.s], &mut [], 1000),
        Selected {
            readers: 0,
            writers: 1,
            errors: 0
        }
    );

    p.peer.write_all(b"data").unwrap();
    let mut r = [p.s];
    let mut w = [p.s];
    let got = sel(&mut r, &mut w, &mut [], 5000);
    assert_eq!((got.readers, got.writers), (1, 1));

    // Ready entries move to the front, in order.
    let (other, other_b) = raw_pair();
    let mut r = [other, p.s];
    let got = sel(&mut r, &mut [], &mut [], 5000);
    assert_eq!(got.readers, 1);
    assert_eq!(r[0], p.s);

    // Readable stays readable until the data is read (level, like select).
    assert_eq!(sel(&mut [p.s], &mut [], &mut [], 0).readers, 1);
    let mut b = [0u8; 4];
    assert_eq!(sockhelp::io::recv_all(p.s, &mut b, ms(1000)), (4, Ok(())));
    assert_eq!(sel(&mut [p.s], &mut [], &mut [], 0).readers, 0);

    // The peer's close is readable (recv will say 0).
    p.peer.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(sel(&mut [p.s], &mut [], &mut [], 5000).readers, 1);
    for s in [other, other_b, p.s] {
        close(s);
    }
}

/// A listener with a pending connection is readable, and `accept` then does not wait.
#[test]
fn select_on_a_listener_means_a_connection_waits() {
    init();
    let l = sockhelp::net::listen(Some("127.0.0.1"), 0, 8).unwrap();
    let port = sockhelp::net::local_port(l).unwrap();
    assert_eq!(sel(&mut [l], &mut [], &mut [], 50).readers, 0);
    let _c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert_eq!(sel(&mut [l], &mut [], &mut [], 5000).readers, 1);
    let a = sockhelp::net::accept(l, ms(0)).unwrap();
    close(a);
    close(l);
}

/// A non-blocking connect to a port where nothing listens: the socket becomes writable
/// (connect finished) and its error is pending (`errors` array), and SO_ERROR says refused.
/// Real Windows before 10 2004 had a WSAPoll bug here (a refused connect was never
/// reported); Wine and Linux report it.
#[test]
fn select_reports_a_failed_nonblocking_connect() {
    init();
    let port = listener().1; // closed again at once: nothing listens there
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.set_nonblocking(true).unwrap();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    match sock.connect(&addr.into()) {
        Ok(()) => panic!("connected to a closed port"),
        Err(e) => assert!(
            connect_in_progress(&e) || e.kind() == std::io::ErrorKind::ConnectionRefused,
            "connect: {:?}",
            e
        ),
    }
    let s = as_raw(&sock);
    let mut w = [s];
    let mut e = [s];
    let got = sel(&mut [], &mut w, &mut e, 5000);
    assert_eq!((got.writers, got.errors), (1, 1));
    let err = sock.take_error().unwrap().expect("SO_ERROR is set");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

/// Values that are not sockets: an invalid value is `Invalid`; a value naming no open
/// socket is an OS error (EBADF on POSIX, WSAENOTSOCK 10038 on Windows), not a crash or
/// a hang. (A large value nothing uses, not a just-closed socket: parallel tests reuse
/// numbers.)
#[test]
fn select_refuses_what_is_not_a_socket() {
    init();
    let bogus: RawSocket = 0x3fff_fff0u32.try_into().unwrap();
    let r = select(&mut [bogus], &mut [], &mut [], ms(100));
    let expected = if cfg!(windows) { 10038 } else { 9 };
    assert_eq!(
        r,
        Err(Error::Os(expected)),
        "select on a value that is no socket"
    );
    // No socket and no deadline: nothing could end the wait.
    assert_eq!(
        select(&mut [], &mut [], &mut [], ms(-1)),
        Err(Error::Invalid)
    );
    let t0 = Instant::now();
    assert_eq!(
        select(&mut [], &mut [], &mut [], ms(100)),
        Ok(Selected::default())
    );
    assert_elapsed("select with no socket", t0, 90, 2000);
}

/// The poller: add / modify / remove, level-triggered (a ready socket is reported at
/// every wait until it is not), each event with its socket's tag; `Invalid` for a double
/// add and for modify / remove of a socket never added.
#[test]
fn poller_is_level_triggered_with_tags() {
    let mut a = pair();
    let mut b = pair();
    let mut poller = Poller::new().expect("a poller (IOCP/AFD on Windows)");
    let mut out = [Event::default(); 8];
    poller.add(a.s, READABLE, 11).unwrap();
    poller.add(b.s, READABLE, 22).unwrap();
    assert_eq!(poller.len(), 2);
    assert_eq!(poller.add(a.s, READABLE, 33), Err(Error::Invalid));

    let t0 = Instant::now();
    assert_eq!(poller.wait(&mut out, ms(200)).unwrap(), 0);
    assert_elapsed("poller wait(200)", t0, 150, 2000);

    b.peer.write_all(b"x").unwrap();
    let n = poller.wait(&mut out, ms(5000)).unwrap();
    assert_eq!(
        &out[..n],
        &[Event {
            tag: 22,
            events: READABLE
        }]
    );
    // Level-triggered: still there while unread.
    for _ in 0..3 {
        let n = poller.wait(&mut out, ms(1000)).unwrap();
        assert_eq!(
            &out[..n],
            &[Event {
                tag: 22,
                events: READABLE
            }]
        );
    }
    let mut one = [0u8; 1];
    assert_eq!(sockhelp::io::recv_all(b.s, &mut one, ms(1000)), (1, Ok(())));
    assert_eq!(poller.wait(&mut out, ms(100)).unwrap(), 0);

    // modify: writable with a new tag (a connected socket is writable at once).
    poller.modify(a.s, WRITABLE, 44).unwrap();
    let n = poller.wait(&mut out, ms(5000)).unwrap();
    assert_eq!(
        &out[..n],
        &[Event {
            tag: 44,
            events: WRITABLE
        }]
    );
    poller.modify(a.s, READABLE | WRITABLE, 55).unwrap();
    a.peer.write_all(b"y").unwrap();
    thread::sleep(Duration::from_millis(50));
    let n = poller.wait(&mut out, ms(5000)).unwrap();
    assert_eq!(n, 1);
    assert_eq!(out[0].tag, 55);
    assert_eq!(out[0].events & (READABLE | WRITABLE), READABLE | WRITABLE);

    // remove: a's data stays unread, yet nothing is reported any more.
    poller.remove(a.s).unwrap();
    assert_eq!(poller.remove(a.s), Err(Error::Invalid));
    assert_eq!(poller.modify(a.s, READABLE, 1), Err(Error::Invalid));
    assert_eq!(poller.wait(&mut out, ms(100)).unwrap(), 0);
    assert_eq!(poller.len(), 1);

    // A smaller output array than the ready sockets: the rest come at the next wait.
    poller.add(a.s, READABLE, 66).unwrap();
    b.peer.write_all(b"z").unwrap();
    thread::sleep(Duration::from_millis(50));
    let mut tags = Vec::new();
    for _ in 0..2 {
        let mut small = [Event::default(); 1];
        assert_eq!(poller.wait(&mut small, ms(5000)).unwrap(), 1);
        tags.push(small[0].tag);
    }
    tags.sort_unstable();
    tags.dedup();
    let mut all = [Event::default(); 8];
    let n = poller.wait(&mut all, ms(1000)).unwrap();
    let mut both: Vec<u64> = all[..n].iter().map(|e| e.tag).collect();
    both.sort_unstable();
    assert_eq!(both, vec![22, 66]);
    assert!(!tags.is_empty());

    drop(poller);
    for p in [a, b] {
        close(p.s);
    }
}

/// The poller reports the peer's close (readable, and a hang-up where the system says so)
/// and a listener's pending connection.
#[test]
fn poller_sees_hangups_and_connections() {
    let p = pair();
    let l = sockhelp::net::listen(Some("127.0.0.1"), 0, 8).unwrap();
    let port = sockhelp::net::local_port(l).unwrap();
    let mut poller = Poller::new().unwrap();
    let mut out = [Event::default(); 4];
    poller.add(p.s, READABLE, 1).unwrap();
    poller.add(l, READABLE, 2).unwrap();
    assert_eq!(poller.wait(&mut out, ms(50)).unwrap(), 0);

    let c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let n = poller.wait(&mut out, ms(5000)).unwrap();
    assert_eq!(
        &out[..n],
        &[Event {
            tag: 2,
            events: READABLE
        }]
    );
    let a = sockhelp::net::accept(l, ms(0)).unwrap();
    assert_eq!(poller.wait(&mut out, ms(100)).unwrap(), 0);

    drop(p.peer);
    let n = poller.wait(&mut out, ms(5000)).unwrap();
    assert_eq!(n, 1);
    assert_eq!(out[0].tag, 1);
    assert!(
        out[0].events & READABLE != 0,
        "a peer's close is readable: {:?}",
        out[0]
    );
    let _ = out[0].events & HANGUP; // reported where the system does (epoll, AFD)

    poller.remove(p.s).unwrap();
    poller.remove(l).unwrap();
    assert!(poller.is_empty());
    drop(c);
    for s in [a, l, p.s] {
        close(s);
    }
}

/// A busy poller serving many connections from one thread, as the select_server example
/// does: every byte echoed, with no socket lost between waits.
#[test]
fn poller_serves_many_connections_from_one_thread() {
    init();
    let l = sockhelp::net::listen(Some("127.0.0.1"), 0, 128).unwrap();
    let port = sockhelp::net::local_port(l).unwrap();
    let clients = 40;
    let rounds = 10;
    let client = thread::spawn(move || {
        let mut conns: Vec<std::net::TcpStream> = (0..clients)
            .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect();
        for r in 0..rounds {
            for (i, c) in conns.iter_mut().enumerate() {
                c.write_all(&[(i + r) as u8; 100]).unwrap();
            }
            for (i, c) in conns.iter_mut().enumerate() {
                let mut b = [0u8; 100];
                c.read_exact(&mut b).unwrap();
                assert!(b.iter().all(|&x| x == (i + r) as u8));
            }
        }
    });
    let mut poller = Poller::new().unwrap();
    poller.add(l, READABLE, u64::MAX).unwrap();
    let mut socks: Vec<RawSocket> = Vec::new();
    let mut echoed = 0usize;
    let mut out = [Event::default(); 16];
    let start = Instant::now();
    while echoed < clients * rounds * 100 {
        assert!(start.elapsed() < Duration::from_secs(60), "stuck");
        let n = poller.wait(&mut out, ms(5000)).unwrap();
        assert!(n > 0, "no event within 5 s");
        for ev in &out[..n] {
            if ev.tag == u64::MAX {
                let s = sockhelp::net::accept(l, ms(0)).unwrap();
                set_nonblocking(s, true);
                poller.add(s, READABLE, socks.len() as u64).unwrap();
                socks.push(s);
                continue;
            }
            let s = socks[ev.tag as usize];
            let mut buf = [0u8; 4096];
            match plain_recv(s, &mut buf) {
                Ok(0) => panic!("a client closed early"),
                Ok(k) => {
                    assert_eq!(sockhelp::io::send_all(s, &buf[..k], ms(5000)), (k, Ok(())));
                    echoed += k;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("recv: {}", e),
            }
        }
    }
    client.join().unwrap();
    assert_eq!(socks.len(), clients);
    drop(poller);
    for s in socks {
        close(s);
    }
    close(l);
}
