//! Hostile TLS peers for the TLS tests: a plain TCP listener on a free loopback port whose
//! one connection is handed to a closure that answers with crafted bytes (no TLS code: a
//! peer that does not speak TLS properly is exactly what these stand for).

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// A listener on 127.0.0.1, a free port, whose one connection goes to `peer` (read timeout
/// 20 s) in a thread; returns the port and the thread.
pub fn peer<F>(peer: F) -> (u16, thread::JoinHandle<()>)
where
    F: FnOnce(TcpStream) + Send + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = l.local_addr().expect("local address").port();
    let h = thread::spawn(move || {
        if let Ok((c, _)) = l.accept() {
            c.set_read_timeout(Some(Duration::from_secs(20)))
                .expect("read timeout");
            peer(c);
        }
    });
    (port, h)
}

/// What the client sent first (its ClientHello): one read, at most 64 KiB.
pub fn read_some(c: &mut TcpStream) -> Vec<u8> {
    let mut buf = vec![0u8; 65536];
    let n = c.read(&mut buf).unwrap_or(0);
    buf.truncate(n);
    buf
}

/// Holds the connection until the client closes it, or reads time out (20 s).
pub fn hold(mut c: TcpStream) {
    let mut buf = [0u8; 4096];
    for _ in 0..10_000 {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// A record header announcing `len` bytes of handshake (type 22, TLS 1.2 on the wire),
/// followed by 64 bytes of a body that never ends.
pub fn record_announcing(len: u16) -> Vec<u8> {
    let mut rec = vec![0x16, 0x03, 0x03, (len >> 8) as u8, len as u8];
    rec.extend_from_slice(&[0x02; 64]);
    rec
}

/// PostgreSQL's SSLRequest (length 8, code 80877103).
pub const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
