//! Passing a socket to another process over a Unix-domain stream socket (Windows 10 1803+
//! has `AF_UNIX`): Winsock's `WSADuplicateSocketW`.
//!
//! - The sender asks the connected `AF_UNIX` socket for the receiver's process id
//!   (`WSAIoctl(SIO_AF_UNIX_GETPEERPID)`: no handshake of our own), duplicates `s` for that
//!   process, and sends one message of fixed size: `TAG` then the `WSAPROTOCOL_INFOW`
//!   (628 bytes). `s` stays the sender's.
//! - The receiver takes a message only when all of it is there (`MSG_PEEK` first), so a
//!   deadline that passes, or a call that must not wait, consumes nothing; then
//!   `WSASocketW(FROM_PROTOCOL_INFO, .., WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT)`
//!   makes this process's socket of the same connection.
//! - What is not such a message is `Passed::Nothing` (the core's `BadFrame`), never a crash:
//!   data that does not start with `TAG` (left in place), a whole message whose protocol
//!   info Winsock refuses (consumed: it is gone, like POSIX's byte), or a message cut short
//!   (left in place) that stays short for `REST_WAIT_MS` in a call that may wait forever.
//!
//! Limits: `WSADuplicateSocketW` puts the duplicate into the receiver's process at once (so
//! Wine does, by `DuplicateHandle`; Windows documents only that the info is for that process
//! and good once); if the message then cannot be sent (the call checks that `unix_sock` is
//! writable first, so only a failure of the send itself does this), or the receiver never
//! takes it, that duplicate stays there unused until the receiver exits: Winsock has no way
//! to take it back.
//!
//! Wine 8 has no `AF_UNIX` at all (`socket(AF_UNIX, ..)` fails with `WSAEAFNOSUPPORT`), so
//! `SIO_AF_UNIX_GETPEERPID` and the core's path (which checks for a Unix-domain socket
//! first) cannot run there; `WSADuplicateSocketW` and `WSASocketW(FROM_PROTOCOL_INFO)` work,
//! within a process and across processes, so the unit tests below carry the message over
//! loopback TCP (the receiver tells its id itself), to this process and to a child. Wine's
//! `WSASocketW(FROM_PROTOCOL_INFO)` returns the handle written in the info unchecked, so
//! under Wine a forged message could name another handle of the process (not checked on
//! Windows here).

use std::io;
use std::mem::{size_of, zeroed};
use std::time::{Duration, Instant};

use windows_sys::Win32::Networking::WinSock as ws;

use super::{check, io::ready_now, last_error};
use crate::sys::{Interest, Passed, RawSocket};

/// Sockets pass between processes here.
pub(crate) const PASSES_SOCKETS: bool = true;

/// The first bytes of every message: data that does not start with them is not one.
const TAG: [u8; 4] = *b"SHW1";

/// The size of `WSAPROTOCOL_INFOW` (628 bytes).
const INFO_LEN: usize = size_of::<ws::WSAPROTOCOL_INFOW>();

/// One message: `TAG` and the protocol info.
const MSG_LEN: usize = TAG.len() + INFO_LEN;

/// How long a call that may wait forever waits for the rest of a message cut short before
/// it answers `Nothing` (leaving the bytes in place): the sender writes a message in one
/// send, so a part that stays alone this long is from a sender that died mid-message.
const REST_WAIT_MS: u64 = 2000;

/// Between two looks at a message cut short: it is readable all along, so readiness
/// cannot tell when the rest has come.
const REST_POLL: Duration = Duration::from_millis(1);

/// The peer's process id, from the connected `AF_UNIX` socket.
fn peer_pid(unix_sock: RawSocket) -> io::Result<u32> {
    let mut pid: u32 = 0;
    let mut returned: u32 = 0;
    // SAFETY: SIO_AF_UNIX_GETPEERPID takes no input and writes one ULONG into `pid`
    // (`returned` its length); no overlapped I/O.
    check(unsafe {
        ws::WSAIoctl(
            unix_sock,
            ws::SIO_AF_UNIX_GETPEERPID,
            std::ptr::null(),
            0,
            (&mut pid as *mut u32).cast(),
            size_of::<u32>() as u32,
            &mut returned,
            std::ptr::null_mut(),
            None,
        )
    })?;
    // Some providers return a length of 0 with the id written; an id of 0 is nobody.
    if pid == 0 {
        return Err(io::Error::from_raw_os_error(ws::WSAENOTCONN));
    }
    Ok(pid)
}

/// `s` duplicated for process `pid`, as the message that carries it.
fn message(s: RawSocket, pid: u32) -> io::Result<[u8; MSG_LEN]> {
    // SAFETY: an all-zero WSAPROTOCOL_INFOW is a valid buffer for the call to fill.
    let mut info: ws::WSAPROTOCOL_INFOW = unsafe { zeroed() };
    // SAFETY: `info` is a writable WSAPROTOCOL_INFOW for the call.
    check(unsafe { ws::WSADuplicateSocketW(s, pid, &mut info) })?;
    let mut msg = [0u8; MSG_LEN];
    msg[..TAG.len()].copy_from_slice(&TAG);
    // SAFETY: `msg[TAG.len()..]` holds INFO_LEN bytes; the write is unaligned.
    unsafe {
        std::ptr::write_unaligned(msg[TAG.len()..].as_mut_ptr().cast(), info);
    }
    Ok(msg)
}

/// Sends `s` to the process at the other end of `unix_sock` (see the file's comment).
/// Whether or not the call may wait, `unix_sock` must be writable first (see `send_to`).
pub fn send_socket(unix_sock: RawSocket, s: RawSocket, _dontwait: bool) -> io::Result<()> {
    let pid = peer_pid(unix_sock)?;
    send_to(unix_sock, s, pid)
}

/// Sends `s`, duplicated for process `pid`, over `unix_sock`.
///
/// `unix_sock` must be writable first, whether or not the call may wait (`WSAEWOULDBLOCK`
/// otherwise, before anything is duplicated: the core waits and calls again, so no try
/// leaves a duplicate behind). Then the message goes in one send, which Winsock takes whole
/// while the send queue is below `SO_SNDBUF`. A send that takes only part is finished
/// within `REST_WAIT_MS`, or the stream is broken (`WSAECONNABORTED`: the receiver will
/// see the part and answer `Nothing`).
fn send_to(unix_sock: RawSocket, s: RawSocket, pid: u32) -> io::Result<()> {
    ready_now(unix_sock, Interest::Writable)?;
    let msg = message(s, pid)?;
    let mut sent = send_some(unix_sock, &msg)?;
    if sent == MSG_LEN {
        return Ok(());
    }
    let start = Instant::now();
    while sent < MSG_LEN {
        let left = REST_WAIT_MS.saturating_sub(start.elapsed().as_millis() as u64);
        if left == 0 || !crate::sys::wait(unix_sock, Interest::Writable, left as i32)? {
            return Err(io::Error::from_raw_os_error(ws::WSAECONNABORTED));
        }
        match send_some(unix_sock, &msg[sent..]) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// One `send` of `buf` (a message or what is left of one: less than `MSG_LEN` bytes).
fn send_some(s: RawSocket, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes for the call.
    let n = check(unsafe { ws::send(s, buf.as_ptr(), buf.len() as i32, 0) })?;
    Ok(n as usize)
}

/// One `recv` into `buf`, with `flags` (`MSG_PEEK` or 0).
fn recv_some(s: RawSocket, buf: &mut [u8], flags: i32) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the call.
    let n = check(unsafe { ws::recv(s, buf.as_mut_ptr(), buf.len() as i32, flags) })?;
    Ok(n as usize)
}

/// What a look (`MSG_PEEK`) at the front of the stream found.
enum Front {
    /// The peer closed and nothing is left.
    Closed,
    /// Data that is not a message.
    Foreign,
    /// The first bytes of a message.
    Part,
    /// A whole message.
    Whole,
}

/// Looks at what is at the front of `unix_sock`, consuming nothing (blocks on a blocking
/// socket with nothing there; the caller checks readiness when it must not wait).
fn peek(unix_sock: RawSocket, msg: &mut [u8; MSG_LEN]) -> io::Result<Front> {
    let n = recv_some(unix_sock, msg, ws::MSG_PEEK)?;
    let tag = n.min(TAG.len());
    Ok(if n == 0 {
        Front::Closed
    } else if msg[..tag] != TAG[..tag] {
        Front::Foreign
    } else if n < MSG_LEN {
        Front::Part
    } else {
        Front::Whole
    })
}

/// Receives a socket `send_socket` sent over `unix_sock` (see the file's comment). With
/// `dontwait`, a message cut short is `WSAEWOULDBLOCK` after a millisecond (the core's
/// deadline decides how long to keep looking); without, up to `REST_WAIT_MS`, then
/// `Nothing`.
pub fn recv_socket(unix_sock: RawSocket, dontwait: bool) -> io::Result<Passed> {
    if dontwait {
        ready_now(unix_sock, Interest::Readable)?;
    }
    let mut msg = [0u8; MSG_LEN];
    let start = Instant::now();
    loop {
        match peek(unix_sock, &mut msg)? {
            Front::Closed => return Ok(Passed::Closed),
            Front::Foreign => return Ok(Passed::Nothing),
            Front::Whole => break,
            Front::Part => {
                std::thread::sleep(REST_POLL);
                if dontwait {
                    return Err(io::Error::from_raw_os_error(ws::WSAEWOULDBLOCK));
                }
                if start.elapsed() >= Duration::from_millis(REST_WAIT_MS) {
                    return Ok(Passed::Nothing);
                }
            }
        }
    }
    // The whole message is there: take it (another reader of `unix_sock` could take part of
    // it first; what is left is then not a message).
    let mut got = 0;
    while got < MSG_LEN {
        match recv_some(unix_sock, &mut msg[got..], 0) {
            Ok(0) => return Ok(Passed::Nothing),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // SAFETY: `msg[TAG.len()..]` holds INFO_LEN bytes; any bytes are a valid
    // WSAPROTOCOL_INFOW (integers, a GUID and a UTF-16 array); the read is unaligned.
    let info: ws::WSAPROTOCOL_INFOW =
        unsafe { std::ptr::read_unaligned(msg[TAG.len()..].as_ptr().cast()) };
    socket_from(&info)
}

/// This process's socket from a duplicate's protocol info: `Nothing` when Winsock refuses
/// the info (not from `WSADuplicateSocketW` for this process, or used already).
fn socket_from(info: &ws::WSAPROTOCOL_INFOW) -> io::Result<Passed> {
    // SAFETY: `info` is a WSAPROTOCOL_INFOW for the call; FROM_PROTOCOL_INFO takes the
    // family, type and protocol from it; the flags make an overlapped, non-inherited socket.
    let s = unsafe {
        ws::WSASocketW(
            ws::FROM_PROTOCOL_INFO,
            ws::FROM_PROTOCOL_INFO,
            ws::FROM_PROTOCOL_INFO,
            info,
            0,
            ws::WSA_FLAG_OVERLAPPED | ws::WSA_FLAG_NO_HANDLE_INHERIT,
        )
    };
    if s == ws::INVALID_SOCKET {
        let e = last_error();
        return if refused_info(&e) {
            Ok(Passed::Nothing)
        } else {
            Err(e)
        };
    }
    if !is_socket(s) {
        // Not a socket (Wine hands back whatever handle the info names): not ours to close.
        return Ok(Passed::Nothing);
    }
    Ok(Passed::Socket(s))
}

/// Whether `e` from `WSASocketW(FROM_PROTOCOL_INFO)` says the info itself is bad (a message
/// that was not a duplicate for this process), not that the system is short of something.
fn refused_info(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            ws::WSAEINVAL
                | ws::WSAEFAULT
                | ws::WSAENOTSOCK
                | ws::WSAEAFNOSUPPORT
                | ws::WSAEPROTONOSUPPORT
                | ws::WSAEPROTOTYPE
                | ws::WSAESOCKTNOSUPPORT
                | ws::WSAEINVALIDPROVIDER
                | ws::WSAEINVALIDPROCTABLE
                | ws::WSAEPROVIDERFAILEDINIT
        )
    )
}

/// Whether `s` is a socket (`SO_TYPE` answers only for one).
fn is_socket(s: RawSocket) -> bool {
    let mut v: i32 = 0;
    let mut len = size_of::<i32>() as i32;
    // SAFETY: SO_TYPE writes one int into `v`; `len` holds its size.
    let rc = unsafe {
        ws::getsockopt(
            s,
            ws::SOL_SOCKET,
            ws::SO_TYPE,
            (&mut v as *mut i32).cast(),
            &mut len,
        )
    };
    rc == 0
}

#[cfg(test)]
mod tests {
    //! The Windows side in one process, as Wine 8 (no `AF_UNIX`) allows: the message goes
    //! over loopback TCP, the duplicate is for this process. Everything but
    //! `SIO_AF_UNIX_GETPEERPID` runs as in two processes.

    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::windows::io::{AsRawSocket, FromRawSocket};
    use std::time::{Duration, Instant};

    use super::*;

    /// A connected loopback TCP pair. Its receives give up after a minute
    /// (`SO_RCVTIMEO`), so that a receive that wrongly blocks fails the test, not hangs it.
    fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (a, _) = l.accept().unwrap();
        for s in [&c, &a] {
            s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        }
        (c, a)
    }

    fn raw(s: &TcpStream) -> RawSocket {
        s.as_raw_socket() as RawSocket
    }

    fn me() -> u32 {
        std::process::id()
    }

    fn would_block(r: io::Result<Passed>) -> bool {
        matches!(r, Err(ref e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    /// The received socket as a stream this test owns.
    fn take(p: Passed) -> TcpStream {
        match p {
            // SAFETY: a socket received here is this process's and owned by no one else.
            Passed::Socket(s) => unsafe { TcpStream::from_raw_socket(s as _) },
            other => panic!("no socket: {:?}", other),
        }
    }

    /// The passed socket is the same connection, a handle of its own: it works after the
    /// sender closes its handle, and closing it too is the connection's end.
    #[test]
    fn a_socket_passes_and_outlives_the_senders_handle() {
        let (a, mut b) = pair();
        let (c1, c2) = pair();
        send_to(raw(&c1), raw(&a), me()).unwrap();
        let mut u = take(recv_socket(raw(&c2), true).unwrap());
        assert_ne!(raw(&u), raw(&a));
        drop(a);
        u.write_all(b"hi").unwrap();
        let mut buf = [0u8; 2];
        b.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hi");
        b.write_all(b"yo").unwrap();
        u.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"yo");
        drop(u);
        assert_eq!(b.read(&mut buf).unwrap(), 0, "both handles closed: EOF");
        // Nothing more came; the sender's close is `Closed`.
        assert!(would_block(recv_socket(raw(&c2), true)));
        drop(c1);
        assert_eq!(recv_socket(raw(&c2), true).unwrap(), Passed::Closed);
        assert_eq!(recv_socket(raw(&c2), false).unwrap(), Passed::Closed);
    }

    /// Two sockets back to back, the second taken by a call that may wait.
    #[test]
    fn messages_back_to_back_and_a_waiting_receive() {
        let (a1, mut b1) = pair();
        let (a2, mut b2) = pair();
        let (c1, c2) = pair();
        send_to(raw(&c1), raw(&a1), me()).unwrap();
        send_to(raw(&c1), raw(&a2), me()).unwrap();
        let mut u1 = take(recv_socket(raw(&c2), true).unwrap());
        let mut u2 = take(recv_socket(raw(&c2), false).unwrap());
        u1.write_all(b"1").unwrap();
        u2.write_all(b"2").unwrap();
        let mut buf = [0u8; 1];
        b1.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"1");
        b2.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"2");
    }

    /// A message in two pieces: a call that must not wait consumes nothing until all of it
    /// is there; a call that may wait waits for the rest.
    #[test]
    fn a_message_cut_short_is_taken_only_whole() {
        let (a, mut b) = pair();
        let (mut c1, c2) = pair();
        let msg = message(raw(&a), me()).unwrap();
        c1.write_all(&msg[..100]).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(would_block(recv_socket(raw(&c2), true)));
        assert!(would_block(recv_socket(raw(&c2), true)));
        c1.write_all(&msg[100..]).unwrap();
        let mut u = take(recv_socket(raw(&c2), false).unwrap());
        u.write_all(b"x").unwrap();
        let mut buf = [0u8; 1];
        b.read_exact(&mut buf).unwrap();

        let msg = message(raw(&a), me()).unwrap();
        c1.write_all(&msg[..TAG.len() + 1]).unwrap();
        let rest = msg[TAG.len() + 1..].to_vec();
        let mut c1w = c1.try_clone().unwrap();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            c1w.write_all(&rest).unwrap();
        });
        let u = take(recv_socket(raw(&c2), false).unwrap());
        writer.join().unwrap();
        drop(u);
    }

    /// A sender that dies mid-message: a call that may wait forever answers `Nothing` after
    /// `REST_WAIT_MS`, and the part stays where it was.
    #[test]
    fn a_message_that_stays_short_is_nothing_and_stays() {
        let (mut c1, mut c2) = pair();
        let mut part = TAG.to_vec();
        part.extend_from_slice(&[7u8; 10]);
        c1.write_all(&part).unwrap();
        drop(c1);
        std::thread::sleep(Duration::from_millis(50));
        assert!(would_block(recv_socket(raw(&c2), true)));
        let t0 = Instant::now();
        assert_eq!(recv_socket(raw(&c2), false).unwrap(), Passed::Nothing);
        assert!(t0.elapsed() >= Duration::from_millis(REST_WAIT_MS - 100));
        let mut left = Vec::new();
        c2.read_to_end(&mut left).unwrap();
        assert_eq!(left, part);
    }

    /// Data that is not a message is `Nothing`, left in place.
    #[test]
    fn foreign_data_is_nothing_and_stays() {
        let (mut c1, mut c2) = pair();
        c1.write_all(b"hello").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(recv_socket(raw(&c2), true).unwrap(), Passed::Nothing);
        assert_eq!(recv_socket(raw(&c2), false).unwrap(), Passed::Nothing);
        let mut buf = [0u8; 5];
        c2.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hello");
    }

    /// A whole message whose info Winsock refuses (garbage, zeros) is `Nothing`, consumed,
    /// never a crash; the next message still passes.
    #[test]
    fn a_garbled_message_is_nothing_and_consumed() {
        let (a, mut b) = pair();
        let (mut c1, c2) = pair();
        for fill in [0x41u8, 0] {
            let mut msg = [fill; MSG_LEN];
            msg[..TAG.len()].copy_from_slice(&TAG);
            c1.write_all(&msg).unwrap();
        }
        send_to(raw(&c1), raw(&a), me()).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(recv_socket(raw(&c2), true).unwrap(), Passed::Nothing);
        assert_eq!(recv_socket(raw(&c2), false).unwrap(), Passed::Nothing);
        let mut u = take(recv_socket(raw(&c2), true).unwrap());
        u.write_all(b"z").unwrap();
        let mut buf = [0u8; 1];
        b.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"z");
    }

    /// What cannot be duplicated sends nothing; a TCP carrier has no peer process id.
    #[test]
    fn a_non_socket_sends_nothing_and_tcp_has_no_peer_pid() {
        let (c1, c2) = pair();
        let e = send_to(raw(&c1), ws::INVALID_SOCKET, me()).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(ws::WSAENOTSOCK));
        assert!(would_block(recv_socket(raw(&c2), true)));
        assert!(peer_pid(raw(&c1)).is_err());
        assert!(send_socket(raw(&c1), raw(&c2), true).is_err());
        assert!(would_block(recv_socket(raw(&c2), true)));
    }

    /// The child's side of `a_socket_passes_to_another_process`: set, the carrier's port.
    const CHILD_PORT: &str = "SOCKHELP_FDPASS_CHILD_PORT";

    /// Across processes, as a pre-forked server does: this test binary runs itself again
    /// (this test only, `CHILD_PORT` set), the child connects to the carrier and tells its
    /// process id (what `SIO_AF_UNIX_GETPEERPID` tells over `AF_UNIX`), the parent sends a
    /// connection and closes its handle, the child answers on the connection and exits.
    #[test]
    fn a_socket_passes_to_another_process() {
        if let Ok(port) = std::env::var(CHILD_PORT) {
            let mut carrier = TcpStream::connect(("127.0.0.1", port.parse().unwrap())).unwrap();
            carrier
                .set_read_timeout(Some(Duration::from_secs(60)))
                .unwrap();
            carrier.write_all(&me().to_le_bytes()).unwrap();
            let mut u = take(recv_socket(raw(&carrier), false).unwrap());
            u.write_all(b"from-child").unwrap();
            return;
        }
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let (x, mut y) = pair();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "sys::windows::fdpass::tests::a_socket_passes_to_another_process",
                "--test-threads=1",
            ])
            .env(CHILD_PORT, l.local_addr().unwrap().port().to_string())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Bounded: a child that fails before connecting ends the test, not hangs it.
        l.set_nonblocking(true).unwrap();
        let t0 = Instant::now();
        let mut carrier = loop {
            match l.accept() {
                Ok((c, _)) => break c,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("accept: {}", e),
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the child exited without connecting: {}", status);
            }
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "the child never connected"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        carrier.set_nonblocking(false).unwrap();
        carrier
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut pid = [0u8; 4];
        carrier.read_exact(&mut pid).unwrap();
        assert_eq!(u32::from_le_bytes(pid), child.id());
        send_to(raw(&carrier), raw(&x), child.id()).unwrap();
        drop(x);
        let mut buf = [0u8; 10];
        y.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"from-child");
        assert!(child.wait().unwrap().success());
        assert_eq!(
            y.read(&mut buf).unwrap(),
            0,
            "the child's handle closed with it: EOF"
        );
    }
}
