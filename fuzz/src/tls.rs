//! A TLS client stream driven over random chunkings of a live TLS conversation (the
//! fuzz crate's feature `tls`). A sockhelp server stream and a sockhelp client stream,
//! both rustls with the fixed test certificate (tests/tls_certs), each on its own
//! socketpair; between them a relay in this thread moves the bytes: client to server as
//! they come, server to client in pieces whose sizes the input chooses (one piece per
//! round, so records and handshake messages arrive cut at any byte). Everything runs
//! without waiting (`Deadline::Now`), one thread, a bounded number of rounds.
//!
//! The input: `data[0]` picks the framing and whether one server byte is flipped on the
//! way (`data[1..3]` its position), `data[3..]` the frames' lengths and the piece sizes.
//!
//! Checked: no panic; the reader's memory stays within its bound; on a clean relay the
//! client receives exactly the frames the server sent, in order, byte for byte, then an
//! orderly close (the server's close_notify: `Closed`, never `Truncated`), and
//! `buffered()` is 0 once it is done; with a flipped byte, the client either stops with a
//! TLS error (never a panic, never a frame that was not sent) or, if the flip fell in a
//! byte no check covers, still receives only frames that were sent.

use std::io::{Read, Write};
use std::os::unix::io::IntoRawFd;
use std::os::unix::net::UnixStream;
use std::sync::OnceLock;

use sockhelp::any_stream::Stream;
use sockhelp::deadline::Deadline;
use sockhelp::frames::{send_frames, Reader};
use sockhelp::framing::Framing;
use sockhelp::tls::TlsConfig;
use sockhelp::Error;

const CERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/tls_certs/");

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}{}", CERTS, name)).unwrap()
}

/// The configs, made once (rustls builds them on first use; shared by every run).
fn configs() -> &'static (TlsConfig, TlsConfig) {
    static C: OnceLock<(TlsConfig, TlsConfig)> = OnceLock::new();
    C.get_or_init(|| {
        let server = TlsConfig::server_pem(&read("server.pem"), &read("server.key")).unwrap();
        let mut client = TlsConfig::client();
        client.add_ca_pem(&read("ca.pem")).unwrap();
        (server, client)
    })
}

/// One end of a non-blocking socketpair for a stream, the other for the relay.
fn pair() -> (sockhelp::RawSocket, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a.into_raw_fd(), b)
}

/// A stream whose handshake was started without waiting.
fn started(r: std::result::Result<Stream, sockhelp::any_stream::Refused>) -> Stream {
    match r {
        Ok(st) => st,
        Err(f) => {
            assert_eq!(f.error, Error::WouldBlock, "{:?}", f.detail);
            f.in_progress.unwrap()
        }
    }
}

/// Reads what `from` has now into `into` (true once it reported end of stream).
fn drain(from: &mut UnixStream, into: &mut Vec<u8>) -> bool {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => into.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) => panic!("relay read: {}", e),
        }
    }
}

/// Writes as much of `queue[..limit]` to `to` as it takes; returns the bytes written.
fn deliver(to: &mut UnixStream, queue: &mut Vec<u8>, limit: usize) -> usize {
    let n = limit.min(queue.len());
    if n == 0 {
        return 0;
    }
    match to.write(&queue[..n]) {
        Ok(w) => {
            queue.drain(..w);
            w
        }
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => 0,
        Err(e) => panic!("relay write: {}", e),
    }
}

pub fn fuzz_tls_chunks(data: &[u8]) {
    if data.len() < 4 {
        return;
    }
    let (server_cfg, client_cfg) = configs();
    let framing = match data[0] % 3 {
        0 => Framing::length_prefixed(4, false, 1 << 16).unwrap(),
        1 => Framing::delimited(b"\n", 1 << 16).unwrap(),
        _ => Framing::varint(1 << 16).unwrap(),
    };
    let flip = if data[0] & 0x80 != 0 {
        Some(usize::from(data[1]) << 4 | usize::from(data[2]) >> 4)
    } else {
        None
    };
    let rest = &data[3..];
    // Up to 16 frames, 0..=2047 bytes each (no '\n' inside, for the delimited framing).
    let payloads: Vec<Vec<u8>> = rest
        .chunks_exact(2)
        .take(16)
        .enumerate()
        .map(|(i, c)| {
            let len = (usize::from(c[0]) << 8 | usize::from(c[1])) % 2048;
            vec![b'a' + (i % 26) as u8; len]
        })
        .collect();
    let mut sizes = rest.iter().cycle().map(|&b| match b % 8 {
        0 => 1,
        1..=5 => 1 + usize::from(b) % 48,
        6 => 300 + usize::from(b),
        _ => 20_000,
    });

    let (srv_sock, mut srv_wire) = pair();
    let (cli_sock, mut cli_wire) = pair();
    let mut server = Some(started(Stream::tls_server(
        server_cfg,
        srv_sock,
        Deadline::Now,
    )));
    let mut client = started(Stream::tls_client(
        client_cfg,
        cli_sock,
        "localhost",
        None,
        Deadline::Now,
    ));
    let mut reader = Reader::new(framing.clone());
    let mut to_server = Vec::new();
    let mut to_client = Vec::new();
    let mut relayed = 0usize; // server bytes handed to the client so far
    let mut server_done = false;
    let mut server_eof = false;
    let mut got: Vec<Vec<u8>> = Vec::new();
    let mut outcome: Option<Error> = None;

    // Every round delivers at least one byte while any is pending: the server's bytes
    // (handshake flight, tickets, records, close_notify) are well under twice the
    // payloads plus 8 KiB, so this bound is never what ends a clean run.
    let rounds = 2 * (payloads.iter().map(Vec::len).sum::<usize>() + 8192);
    for _round in 0..rounds {
        // The server: handshake, then every frame at once, then close_notify.
        if let Some(s) = server.as_mut() {
            match s.handshake(Deadline::Now) {
                Ok(()) if !server_done => {
                    let (k, _, r) = send_frames(&mut *s, &framing, &payloads, Deadline::Now);
                    assert_eq!((k, r), (payloads.len(), Ok(())), "socketpair room");
                    s.flush(Deadline::Now).unwrap();
                    server_done = true;
                }
                Ok(()) | Err(Error::WouldBlock) => {}
                // Only a flipped byte can break the server's side (the client's alert).
                Err(e) => assert!(flip.is_some(), "server: {:?}", e),
            }
        }
        if server_done {
            // close_notify written, then the socket closed (the peer's close not awaited).
            if let Some(s) = server.take() {
                let _ = s.close(Deadline::Now);
            }
        }
        // The relay.
        drain(&mut cli_wire, &mut to_server);
        deliver(&mut srv_wire, &mut to_server, usize::MAX);
        server_eof |= drain(&mut srv_wire, &mut to_client);
        if let Some(at) = flip {
            if at >= relayed && at < relayed + to_client.len() {
                to_client[at - relayed] ^= 0x20;
            }
        }
        let piece = sizes.next().unwrap();
        relayed += deliver(&mut cli_wire, &mut to_client, piece);
        if server_eof && to_client.is_empty() {
            let _ = cli_wire.shutdown(std::net::Shutdown::Write);
        }
        // The client: handshake, then fill and take every whole frame.
        match client.handshake(Deadline::Now) {
            Ok(()) => {}
            Err(Error::WouldBlock) => continue,
            Err(e) => {
                outcome = Some(e);
                break;
            }
        }
        let filled = client.fill(&mut reader);
        assert!(reader.memory_held() <= reader.memory_limit());
        loop {
            match reader.next_frame() {
                Ok(p) => {
                    let i = got.len();
                    assert!(i < payloads.len(), "a frame that was not sent");
                    assert_eq!(p, &payloads[i][..], "frame {}", i);
                    got.push(p.to_vec());
                }
                Err(Error::WouldBlock) | Err(Error::Closed) => break,
                Err(e) => {
                    assert!(flip.is_some(), "a clean stream's frame refused: {:?}", e);
                    outcome = Some(e);
                    break;
                }
            }
        }
        if outcome.is_some() {
            break;
        }
        match filled {
            Ok(_) | Err(Error::WouldBlock) => {}
            Err(e) => {
                outcome = Some(e);
                break;
            }
        }
    }
    match flip {
        None => {
            assert_eq!(outcome, Some(Error::Closed), "an orderly close at the end");
            assert_eq!(got.len(), payloads.len(), "every frame, exactly");
            assert_eq!(client.buffered(), 0);
            assert_eq!(reader.buffered(), 0);
        }
        Some(_) => {
            // Ended (an error or the close), or the flip broke a record no byte of which
            // reached the client's checks yet; never more frames than were sent.
            assert!(got.len() <= payloads.len());
        }
    }
}
