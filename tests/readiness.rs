//! Waiting for readiness: `select` and the poller (a test of both lives here too). First
//! over loopback TCP on every platform (Linux here: `poll` and epoll; Windows under Wine
//! via `scripts/windows-test.sh`: `WSAPoll` and the `polling` crate's IOCP/AFD backend),
//! then the POSIX-only cases over socketpairs and raw descriptors, each marked
//! `#[cfg(unix)]`: descriptors above FD_SETSIZE, connects in progress, signals during a
//! wait, the poller's add / modify / remove and its mistakes. Each test is named after the
//! trap it guards. Every wait is bounded.

mod common;

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use common::sock::*;
use sockhelp::error::Error;
use sockhelp::poller::{Event, Poller, HANGUP, READABLE, WRITABLE};
use sockhelp::select::{select, Selected};
use sockhelp::RawSocket;

#[cfg(unix)]
use std::io;
#[cfg(unix)]
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
#[cfg(unix)]
use std::os::raw::c_int;
#[cfg(unix)]
use std::os::unix::io::AsRawFd;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
#[cfg(unix)]
use std::ptr;
#[cfg(unix)]
use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(unix)]
use std::sync::Once;

#[cfg(unix)]
use common::cabi::*;
#[cfg(unix)]
use socket2::{Domain, SockAddr, Socket, Type};
#[cfg(unix)]
use sockhelp::net;
#[cfg(unix)]
use sockhelp::poller::ERROR;

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

// ---------------------------------------------------------------------------
// POSIX only: socketpairs, raw descriptors, signals

/// `select` over vectors, which are cut to their ready entries (`sel` keeps them whole).
#[cfg(unix)]
fn sel_cut(r: &mut Vec<c_int>, w: &mut Vec<c_int>, e: &mut Vec<c_int>, t: i32) -> Selected {
    let got = select(r, w, e, ms(t)).unwrap();
    r.truncate(got.readers);
    w.truncate(got.writers);
    e.truncate(got.errors);
    got
}

#[cfg(unix)]
fn wait(p: &mut Poller, cap: usize, t: i32) -> Vec<Event> {
    let mut out = vec![Event::default(); cap];
    let n = p.wait(&mut out, ms(t)).unwrap();
    out.truncate(n);
    out
}

/// Raises the soft RLIMIT_NOFILE as far as `want` (bounded by the hard limit); returns it.
#[cfg(unix)]
fn raise_nofile(want: libc::rlim_t) -> libc::rlim_t {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid out-parameter.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    let target = want.min(lim.rlim_max);
    if lim.rlim_cur < target {
        lim.rlim_cur = target;
        // SAFETY: a valid rlimit, soft <= hard.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    }
    lim.rlim_cur.max(target)
}

#[cfg(unix)]
fn dup_to(fd: c_int, to: c_int) -> c_int {
    // SAFETY: plain descriptor numbers; `to` is unused by this test binary otherwise.
    let r = unsafe { libc::dup2(fd, to) };
    assert_eq!(r, to, "dup2: {}", io::Error::last_os_error());
    r
}

#[cfg(unix)]
fn close_fd(fd: c_int) {
    close(fd);
}

#[cfg(unix)]
#[test]
fn descriptors_above_fd_setsize_work_in_select_and_the_poller() {
    let limit = raise_nofile(20_000);
    assert!(limit > 5_001, "RLIMIT_NOFILE hard limit too low: {}", limit);
    let low: c_int = 5_000;
    let high: c_int = (limit as c_int - 1).min(19_000);
    let (a, mut b) = UnixStream::pair().unwrap();
    dup_to(a.as_raw_fd(), low);
    dup_to(a.as_raw_fd(), high);

    // Nothing yet: both time out quietly.
    let (mut r, mut w, mut e) = (vec![low, high], vec![], vec![]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, 0).total(), 0);

    b.write_all(b"x").unwrap();
    let (mut r, mut w, mut e) = (vec![high, low], vec![], vec![]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, 1000).total(), 2);
    assert_eq!(r, vec![high, low]);

    // The memory around the caller's array stays as it was (select() would scribble
    // past an fd_set here).
    #[repr(C)]
    struct Guarded {
        before: [u64; 64],
        readers: [c_int; 2],
        after: [u64; 64],
    }
    let mut g = Guarded {
        before: [0x5A5A_5A5A_5A5A_5A5A; 64],
        readers: [low, high],
        after: [0xA5A5_A5A5_A5A5_A5A5; 64],
    };
    let mut n: usize = 2;
    let rc = sockhelp_select(
        g.readers.as_mut_ptr(),
        &mut n,
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
        1000,
    );
    assert_eq!(rc, 2);
    assert_eq!(n, 2);
    assert_eq!(g.readers, [low, high]);
    assert!(g.before.iter().all(|&x| x == 0x5A5A_5A5A_5A5A_5A5A));
    assert!(g.after.iter().all(|&x| x == 0xA5A5_A5A5_A5A5_A5A5));

    let mut p = Poller::new().unwrap();
    p.add(low, READABLE, 5_000).unwrap();
    p.add(high, READABLE, 19_000).unwrap();
    let mut tags: Vec<u64> = wait(&mut p, 8, 1000).iter().map(|e| e.tag).collect();
    tags.sort_unstable();
    assert_eq!(tags, vec![5_000, 19_000]);
    p.remove(low).unwrap();
    p.remove(high).unwrap();
    close_fd(low);
    close_fd(high);
}

#[cfg(unix)]
#[test]
fn a_listener_with_a_pending_connection_is_readable() {
    let l = net::listen(Some("127.0.0.1"), 0, 0).unwrap();
    let port = net::local_port(l).unwrap();
    let (mut r, mut w, mut e) = (vec![l], vec![], vec![]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, 0).total(), 0);
    let mut p = Poller::new().unwrap();
    p.add(l, READABLE, 1).unwrap();
    assert!(wait(&mut p, 4, 0).is_empty());

    let _c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (mut r, mut w, mut e) = (vec![l], vec![], vec![]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, 2000).total(), 1);
    assert_eq!(r, vec![l]);
    let evs = wait(&mut p, 4, 2000);
    assert_eq!(evs.len(), 1);
    assert_eq!((evs[0].tag, evs[0].events & READABLE), (1, READABLE));
    // accept will not block now.
    let s = net::accept(l, ms(0)).unwrap();
    p.remove(l).unwrap();
    close_fd(s);
    close_fd(l);
}

#[cfg(unix)]
fn start_connect(addr: SocketAddr) -> Socket {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    s.set_nonblocking(true).unwrap();
    match s.connect(&SockAddr::from(addr)) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        // Loopback may refuse at once; SO_ERROR then no longer tells, so fail loudly.
        Err(e) => panic!("non-blocking connect: {}", e),
    }
    s
}

#[cfg(unix)]
#[test]
fn a_connect_that_succeeds_is_writable_with_so_error_0() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let s = start_connect(l.local_addr().unwrap());
    let fd = s.as_raw_fd();
    let (mut r, mut w, mut e) = (vec![], vec![fd], vec![fd]);
    let got = sel_cut(&mut r, &mut w, &mut e, 2000);
    assert_eq!((got.writers, got.errors), (1, 0));
    assert!(s.take_error().unwrap().is_none());

    let s2 = start_connect(l.local_addr().unwrap());
    let mut p = Poller::new().unwrap();
    p.add(s2.as_raw_fd(), WRITABLE, 2).unwrap();
    let evs = wait(&mut p, 4, 2000);
    assert_eq!(
        evs,
        vec![Event {
            tag: 2,
            events: WRITABLE
        }]
    );
    assert!(s2.take_error().unwrap().is_none());
    p.remove(s2.as_raw_fd()).unwrap();
}

#[cfg(unix)]
#[test]
fn a_refused_connect_is_ready_and_so_error_says_econnrefused() {
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let s = start_connect(addr);
    let fd = s.as_raw_fd();
    let (mut r, mut w, mut e) = (vec![fd], vec![fd], vec![fd]);
    let got = sel_cut(&mut r, &mut w, &mut e, 2000);
    // Readable, writable, and the pending error is the exceptional condition.
    assert_eq!(
        got,
        Selected {
            readers: 1,
            writers: 1,
            errors: 1
        }
    );
    let err = s.take_error().unwrap().expect("SO_ERROR is set");
    assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));

    let s2 = start_connect(addr);
    let mut p = Poller::new().unwrap();
    p.add(s2.as_raw_fd(), WRITABLE, 3).unwrap();
    let evs = wait(&mut p, 4, 2000);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].tag, 3);
    assert_eq!(evs[0].events & (WRITABLE | ERROR), WRITABLE | ERROR);
    let err = s2.take_error().unwrap().expect("SO_ERROR is set");
    assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
    p.remove(s2.as_raw_fd()).unwrap();
}

#[cfg(unix)]
#[test]
fn data_makes_a_socket_readable_and_reading_it_quiets_it() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let fd = a.as_raw_fd();
    // A fresh stream is writable, not readable; the same socket in both arrays is fine.
    let (mut r, mut w, mut e) = (vec![fd], vec![fd], vec![fd]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, 1000).total(), 1);
    assert_eq!((r.len(), w.len(), e.len()), (0, 1, 0));

    b.write_all(b"hello").unwrap();
    let (mut r, mut w, mut e) = (vec![fd], vec![fd], vec![]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, 1000).total(), 2);
    let mut buf = [0u8; 16];
    assert_eq!(a.read(&mut buf).unwrap(), 5);
    let (mut r, mut w, mut e) = (vec![fd], vec![], vec![]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, 0).total(), 0);
}

#[cfg(unix)]
#[test]
fn a_peer_close_makes_a_socket_readable() {
    // TCP: the FIN makes the socket readable (recv will return 0).
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (srv, _) = l.accept().unwrap();
    let fd = c.as_raw_fd();
    let (mut r, mut w, mut e) = (vec![fd], vec![], vec![]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, 0).total(), 0);
    drop(srv);
    let (mut r, mut w, mut e) = (vec![fd], vec![], vec![]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, 2000).total(), 1);
    let mut p = Poller::new().unwrap();
    p.add(fd, READABLE, 9).unwrap();
    let evs = wait(&mut p, 4, 2000);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].events & READABLE, READABLE);
    p.remove(fd).unwrap();

    // A socketpair whose peer is gone is hung up: readable, and HANGUP in the poller.
    let (a, b) = UnixStream::pair().unwrap();
    drop(b);
    let (mut r, mut w, mut e) = (vec![a.as_raw_fd()], vec![], vec![]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, 2000).total(), 1);
}

#[cfg(unix)]
#[test]
fn out_of_band_data_is_the_exceptional_condition() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (srv, _) = l.accept().unwrap();
    let fd = srv.as_raw_fd();
    let (mut r, mut w, mut e) = (vec![], vec![], vec![fd]);
    assert_eq!(sel(&mut r, &mut w, &mut e, 0).total(), 0);
    // SAFETY: one byte from a live buffer, on an open connected socket.
    let n = unsafe { libc::send(c.as_raw_fd(), b"!".as_ptr().cast(), 1, libc::MSG_OOB) };
    assert_eq!(n, 1);
    let (mut r, mut w, mut e) = (vec![], vec![fd], vec![fd]);
    let got = sel(&mut r, &mut w, &mut e, 2000);
    assert_eq!((got.writers, got.errors), (1, 1));
    assert_eq!(e, vec![fd]);
}

#[cfg(unix)]
#[test]
fn a_hang_up_is_not_an_exceptional_condition_and_does_not_spin() {
    let (a, b) = UnixStream::pair().unwrap();
    drop(b);
    let start = Instant::now();
    let (mut r, mut w, mut e) = (vec![], vec![], vec![a.as_raw_fd()]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, 150).total(), 0);
    assert!(start.elapsed() >= Duration::from_millis(140));
}

#[cfg(unix)]
#[test]
fn timeout_zero_returns_at_once() {
    let (a, _b) = UnixStream::pair().unwrap();
    let start = Instant::now();
    let (mut r, mut w, mut e) = (vec![a.as_raw_fd()], vec![], vec![]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, 0), Selected::default());
    let mut p = Poller::new().unwrap();
    p.add(a.as_raw_fd(), READABLE, 0).unwrap();
    assert!(wait(&mut p, 4, 0).is_empty());
    assert!(start.elapsed() < Duration::from_millis(100));
}

#[cfg(unix)]
#[test]
fn a_finite_timeout_is_kept_and_ends_with_zero() {
    let (a, _b) = UnixStream::pair().unwrap();
    let start = Instant::now();
    let (mut r, mut w, mut e) = (vec![a.as_raw_fd()], vec![], vec![]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, 150).total(), 0);
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(140), "{:?}", took);
    assert!(took < Duration::from_millis(2000), "{:?}", took);

    let mut p = Poller::new().unwrap();
    p.add(a.as_raw_fd(), READABLE, 0).unwrap();
    let start = Instant::now();
    assert!(wait(&mut p, 4, 150).is_empty());
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(140), "{:?}", took);
    assert!(took < Duration::from_millis(2000), "{:?}", took);

    // No socket at all: a plain sleep; forever with nothing to wait for is refused.
    let start = Instant::now();
    assert_eq!(
        select(&mut [], &mut [], &mut [], ms(100)),
        Ok(Selected::default())
    );
    assert!(start.elapsed() >= Duration::from_millis(90));
    assert_eq!(
        select(&mut [], &mut [], &mut [], ms(-1)),
        Err(Error::Invalid)
    );
}

#[cfg(unix)]
#[test]
fn wait_forever_returns_when_a_peer_writes() {
    let (a, b) = UnixStream::pair().unwrap();
    let writer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        (&b).write_all(b"late").unwrap();
        b
    });
    let (mut r, mut w, mut e) = (vec![a.as_raw_fd()], vec![], vec![]);
    assert_eq!(sel_cut(&mut r, &mut w, &mut e, -1).total(), 1);
    let _b = writer.join().unwrap();

    let (c, d) = UnixStream::pair().unwrap();
    let mut p = Poller::new().unwrap();
    p.add(c.as_raw_fd(), READABLE, 77).unwrap();
    let writer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        (&d).write_all(b"late").unwrap();
        d
    });
    let evs = wait(&mut p, 4, -1);
    assert_eq!(
        evs,
        vec![Event {
            tag: 77,
            events: READABLE
        }]
    );
    let _d = writer.join().unwrap();
}

#[cfg(unix)]
static HANDLED: AtomicUsize = AtomicUsize::new(0);

#[cfg(unix)]
extern "C" fn on_sigusr1(_: c_int) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

/// SIGUSR1 with a handler and without SA_RESTART: a blocked poll/epoll_wait fails with EINTR.
#[cfg(unix)]
fn install_sigusr1_without_restart() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: a zeroed sigaction is valid; the handler only touches an atomic.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigusr1 as extern "C" fn(c_int) as usize;
            sa.sa_flags = 0;
            libc::sigemptyset(&mut sa.sa_mask);
            assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, ptr::null_mut()), 0);
        }
    });
}

/// Runs `wait_300ms` while another thread signals this one a few times; returns the time taken.
#[cfg(unix)]
fn signalled_during(wait_300ms: impl FnOnce()) -> Duration {
    install_sigusr1_without_restart();
    // SAFETY: no arguments.
    let me = unsafe { libc::pthread_self() };
    let before = HANDLED.load(Ordering::SeqCst);
    let killer = thread::spawn(move || {
        for _ in 0..5 {
            thread::sleep(Duration::from_millis(40));
            // SAFETY: `me` is alive: it joins this thread before it returns.
            unsafe { libc::pthread_kill(me, libc::SIGUSR1) };
        }
    });
    let start = Instant::now();
    wait_300ms();
    let took = start.elapsed();
    killer.join().unwrap();
    assert!(HANDLED.load(Ordering::SeqCst) > before, "no signal arrived");
    took
}

#[cfg(unix)]
#[test]
fn a_signal_during_select_does_not_cut_the_wait_short() {
    let (a, _b) = UnixStream::pair().unwrap();
    let took = signalled_during(|| {
        let (mut r, mut w, mut e) = (vec![a.as_raw_fd()], vec![], vec![]);
        assert_eq!(sel_cut(&mut r, &mut w, &mut e, 300).total(), 0);
    });
    assert!(took >= Duration::from_millis(290), "{:?}", took);
    assert!(took < Duration::from_millis(3000), "{:?}", took);
}

#[cfg(unix)]
#[test]
fn a_signal_during_a_poller_wait_does_not_cut_the_wait_short() {
    let (a, _b) = UnixStream::pair().unwrap();
    let mut p = Poller::new().unwrap();
    p.add(a.as_raw_fd(), READABLE, 1).unwrap();
    let took = signalled_during(|| {
        assert!(wait(&mut p, 4, 300).is_empty());
    });
    assert!(took >= Duration::from_millis(290), "{:?}", took);
    assert!(took < Duration::from_millis(3000), "{:?}", took);
}

#[cfg(unix)]
#[test]
fn poller_add_modify_remove_and_their_mistakes() {
    let (a, b) = UnixStream::pair().unwrap();
    let fd = a.as_raw_fd();
    let mut p = Poller::new().unwrap();
    assert_eq!(p.add(-1, READABLE, 0), Err(Error::Invalid));
    assert_eq!(p.add(fd, 16, 0), Err(Error::Invalid));
    assert_eq!(p.modify(fd, READABLE, 0), Err(Error::Invalid));
    assert_eq!(p.remove(fd), Err(Error::Invalid));

    // Writable at once; then only readable, which needs data.
    p.add(fd, WRITABLE, 1).unwrap();
    assert_eq!(p.add(fd, READABLE, 2), Err(Error::Invalid), "added twice");
    assert_eq!(
        wait(&mut p, 4, 1000),
        vec![Event {
            tag: 1,
            events: WRITABLE
        }]
    );
    p.modify(fd, READABLE, 2).unwrap();
    assert!(wait(&mut p, 4, 0).is_empty());
    (&b).write_all(b"z").unwrap();
    assert_eq!(
        wait(&mut p, 4, 1000),
        vec![Event {
            tag: 2,
            events: READABLE
        }]
    );

    // Interest 0: registered but silent until a hang-up.
    p.modify(fd, 0, 3).unwrap();
    assert!(wait(&mut p, 4, 0).is_empty());
    drop(b);
    let evs = wait(&mut p, 4, 1000);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].tag, 3);
    assert_eq!(evs[0].events & (READABLE | WRITABLE), 0);
    assert_ne!(evs[0].events & HANGUP, 0, "{:?}", evs[0]);

    p.remove(fd).unwrap();
    assert_eq!(p.remove(fd), Err(Error::Invalid), "removed twice");
    assert!(p.is_empty());
    // Added again after removal: fine.
    p.add(fd, READABLE, 4).unwrap();
    p.remove(fd).unwrap();

    // Not an open descriptor: the system says EBADF.
    assert_eq!(p.add(19_500, READABLE, 0), Err(Error::Os(libc::EBADF)));
}

#[cfg(unix)]
#[test]
fn a_socket_closed_before_it_was_removed_can_be_removed_or_replaced() {
    let mut p = Poller::new().unwrap();
    // Closed, then removed: forgotten, no error, nothing leaks.
    let (a, _b) = UnixStream::pair().unwrap();
    let fd = a.as_raw_fd();
    p.add(fd, READABLE, 1).unwrap();
    drop(a);
    assert_eq!(p.remove(fd), Ok(()));
    assert!(p.is_empty());

    // Closed without removal, and a new socket gets the same number. (`num` is made the
    // only descriptor of each socket, so closing it really closes the socket.)
    raise_nofile(20_000);
    let num: c_int = 19_400;
    let (c1, _c2) = UnixStream::pair().unwrap();
    dup_to(c1.as_raw_fd(), num);
    drop(c1);
    p.add(num, READABLE, 10).unwrap();
    close_fd(num);
    let (d1, d2) = UnixStream::pair().unwrap();
    dup_to(d1.as_raw_fd(), num);
    drop(d1);
    #[cfg(target_os = "linux")]
    {
        // epoll dropped the old socket at its close, so the add replaces the stale entry.
        p.add(num, READABLE, 20).unwrap();
    }
    #[cfg(not(target_os = "linux"))]
    {
        // Elsewhere the poller cannot tell a stale entry from a double add: remove first.
        assert_eq!(p.add(num, READABLE, 20), Err(Error::Invalid));
        p.remove(num).unwrap();
        p.add(num, READABLE, 20).unwrap();
    }
    assert!(wait(&mut p, 4, 0).is_empty());
    (&d2).write_all(b"to the new socket").unwrap();
    assert_eq!(
        wait(&mut p, 4, 1000),
        vec![Event {
            tag: 20,
            events: READABLE
        }]
    );
    p.remove(num).unwrap();
    close_fd(num);
    assert!(p.is_empty());
}

#[cfg(unix)]
#[test]
fn a_full_events_array_leaves_the_rest_for_the_next_wait() {
    let pairs: Vec<(UnixStream, UnixStream)> =
        (0..3).map(|_| UnixStream::pair().unwrap()).collect();
    let mut p = Poller::new().unwrap();
    for (i, (a, b)) in pairs.iter().enumerate() {
        p.add(a.as_raw_fd(), READABLE, 100 + i as u64).unwrap();
        (&*b).write_all(b"!").unwrap();
    }
    let first = wait(&mut p, 2, 1000);
    assert_eq!(first.len(), 2);
    let second = wait(&mut p, 2, 1000);
    assert!(!second.is_empty());
    let mut seen: Vec<u64> = first.iter().chain(second.iter()).map(|e| e.tag).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, vec![100, 101, 102]);
}

#[cfg(unix)]
#[test]
fn the_poller_is_level_triggered_unread_data_is_reported_again() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut p = Poller::new().unwrap();
    p.add(a.as_raw_fd(), READABLE, 5).unwrap();
    (&b).write_all(b"unread").unwrap();
    for _ in 0..3 {
        assert_eq!(
            wait(&mut p, 4, 1000),
            vec![Event {
                tag: 5,
                events: READABLE
            }]
        );
    }
    let mut buf = [0u8; 16];
    assert_eq!((&a).read(&mut buf).unwrap(), 6);
    assert!(wait(&mut p, 4, 0).is_empty());
}

#[cfg(unix)]
#[test]
fn tags_round_trip_as_full_64_bit_values() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut p = Poller::new().unwrap();
    let tag = 0xDEAD_BEEF_CAFE_F00D_u64;
    p.add(a.as_raw_fd(), READABLE, tag).unwrap();
    b.shutdown(Shutdown::Write).unwrap();
    let evs = wait(&mut p, 4, 1000);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].tag, tag);
    p.modify(a.as_raw_fd(), READABLE, u64::MAX).unwrap();
    assert_eq!(wait(&mut p, 4, 1000)[0].tag, u64::MAX);
}
