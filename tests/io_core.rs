//! The safe core's POSIX-only traps: the ones `portable_io.rs` (which runs on Linux and
//! Windows alike, and holds every trap both systems share) cannot express: socketpairs,
//! `SIGPIPE`, `-1` as a socket, listening on every interface, Unix-domain sockets. Each
//! test is named after the trap it guards, with the same name as its C twin in
//! `c_api.rs` where there is one.

#![cfg(unix)]

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;

use common::sock::close;
use sockhelp::deadline::Deadline;
use sockhelp::io::{recv_all, send_all};
use sockhelp::{net, Error};

fn ms(t: i32) -> Deadline {
    Deadline::from_timeout_ms(t).unwrap()
}

/// Writing to a peer that closed: `Reset` (EPIPE), and the process gets no SIGPIPE.
#[test]
fn writing_to_a_closed_peer_raises_no_sigpipe() {
    let (a, b) = UnixStream::pair().unwrap();
    drop(b);
    let (n, r) = send_all(a.as_raw_fd(), b"hello", ms(1000));
    assert_eq!(n, 0);
    assert!(matches!(r, Err(Error::Reset(_))), "{:?}", r);
}

/// Bad timeouts, `-1` sockets, empty hosts: `Invalid`, never a call on -1.
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
