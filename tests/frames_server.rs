//! What a server needs of the reader and writer (issue 22): raw bytes as frames on both
//! sides, a fill that never judges, and idle connections that hold no buffer.

mod portable_util;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use portable_util::*;
use sockhelp::error::Error;
use sockhelp::frames::{Reader, Writer};
use sockhelp::framing::Framing;

/// Fills and takes frames until `n` frames came or 5 s passed.
fn next_frames(r: &mut Reader, s: sockhelp::RawSocket, n: usize) -> Vec<Vec<u8>> {
    let t0 = Instant::now();
    let mut got = Vec::new();
    while got.len() < n {
        assert!(t0.elapsed() < Duration::from_secs(5), "only {:?}", got);
        match r.next_frame() {
            Ok(f) => {
                got.push(f.to_vec());
                continue;
            }
            Err(Error::WouldBlock) => {}
            Err(e) => panic!("next_frame: {:?} after {:?}", e, got),
        }
        match r.fill(s) {
            Ok(_) | Err(Error::WouldBlock) => std::thread::sleep(Duration::from_millis(1)),
            Err(e) => panic!("fill: {:?}", e),
        }
    }
    got
}

/// A RESP bulk string: the `$len` line, then `len + 2` raw bytes that hold CR LF inside.
fn resp_body() -> Vec<u8> {
    let mut body = b"two\r\nlines and more".to_vec();
    body.extend_from_slice(b"\r\n");
    body
}

#[test]
fn a_raw_frame_after_a_length_line_comes_whole_through_fill_and_next() {
    let mut p = pair();
    let body = resp_body();
    let mut wire = format!("${}\r\n", body.len() - 2).into_bytes();
    wire.extend_from_slice(&body);
    wire.extend_from_slice(b"+OK\r\n");
    p.peer.write_all(&wire).unwrap();
    let mut r = Reader::new(Framing::delimited(b"\r\n", 1024).unwrap());
    assert_eq!(next_frames(&mut r, p.s, 1), vec![b"$19".to_vec()]);
    r.expect_raw(body.len()).unwrap();
    assert_eq!(next_frames(&mut r, p.s, 2), vec![body, b"+OK".to_vec()]);
    close(p.s);
}

#[test]
fn a_raw_frame_comes_whole_through_recv_frame_and_recv_batch() {
    let mut p = pair();
    let body = resp_body();
    let mut r = Reader::new(Framing::delimited(b"\r\n", 1024).unwrap());
    for round in 0..2 {
        let mut wire = format!("${}\r\n", body.len() - 2).into_bytes();
        wire.extend_from_slice(&body);
        wire.extend_from_slice(b"+OK\r\n");
        p.peer.write_all(&wire).unwrap();
        let mut out = [0u8; 64];
        let (n, res) = r.recv_frame(p.s, &mut out, ms(5000));
        assert_eq!((&out[..n], res), (&b"$19"[..], Ok(())));
        r.expect_raw(body.len()).unwrap();
        if round == 0 {
            let (n, res) = r.recv_frame(p.s, &mut out, ms(5000));
            assert_eq!((&out[..n], res), (&body[..], Ok(())));
        } else {
            let mut got = Vec::new();
            while got.len() < 2 {
                r.recv_batch(p.s, 8, ms(5000), |f| got.push(f.to_vec()))
                    .unwrap();
            }
            assert_eq!(got, vec![body.clone(), b"+OK".to_vec()]);
            continue;
        }
        let (n, res) = r.recv_frame(p.s, &mut out, ms(5000));
        assert_eq!((&out[..n], res), (&b"+OK"[..], Ok(())));
    }
    close(p.s);
}

#[test]
fn a_raw_frame_is_refused_past_the_maximum_and_nothing_changes() {
    let mut r = Reader::new(Framing::delimited(b"\r\n", 100).unwrap());
    assert_eq!(r.expect_raw(101), Err(Error::TooBig));
    r.feed(b"line\r\n").unwrap();
    assert_eq!(r.next_frame().unwrap(), b"line");
    r.expect_raw(0).unwrap();
    assert_eq!(r.next_frame().unwrap(), b"");
    assert_eq!(r.next_frame(), Err(Error::WouldBlock));
}

#[test]
fn fill_never_declares_a_valid_stream_broken() {
    // A line announces 300 raw bytes with no delimiter in them, more than the line
    // framing's maximum: fill keeps receiving; the verdict is next's; the raw bytes are
    // then taken and the framing resumes.
    let mut p = pair();
    let raw = vec![b'x'; 300];
    let mut wire = b"LEN 300\r\n".to_vec();
    wire.extend_from_slice(&raw);
    wire.extend_from_slice(b"after\r\n");
    p.peer.write_all(&wire).unwrap();
    let mut r = Reader::new(Framing::delimited(b"\r\n", 64).unwrap());
    assert_eq!(next_frames(&mut r, p.s, 1), vec![b"LEN 300".to_vec()]);
    let t0 = Instant::now();
    while r.buffered() < 300 + 7 {
        assert!(t0.elapsed() < Duration::from_secs(5));
        match r.fill(p.s) {
            Ok(_) | Err(Error::WouldBlock) => {}
            Err(e) => panic!("fill judged the stream: {:?}", e),
        }
    }
    assert_eq!(r.next_frame(), Err(Error::TooBig));
    let mut out = vec![0u8; 300];
    assert_eq!(r.recv_all(p.s, &mut out, ms(5000)), (300, Ok(())));
    assert_eq!(out, raw);
    assert_eq!(r.next_frame().unwrap(), b"after");
    close(p.s);
}

#[test]
fn an_idle_reader_holds_no_buffer_and_a_busy_one_keeps_it() {
    let mut p = pair();
    let mut r = Reader::new(Framing::length_prefixed(4, false, 1 << 20).unwrap());
    // One request, then the connection goes idle: the buffer goes back.
    p.peer.write_all(b"\x00\x00\x00\x05hello").unwrap();
    assert_eq!(next_frames(&mut r, p.s, 1), vec![b"hello".to_vec()]);
    assert_eq!(r.fill(p.s), Err(Error::WouldBlock));
    assert_eq!(r.memory_held(), 0);
    // A burst that used the buffer: it is kept at the idle point that follows.
    let frame = {
        let mut f = 60_000u32.to_be_bytes().to_vec();
        f.extend(std::iter::repeat(7u8).take(60_000));
        f
    };
    p.peer.write_all(&frame).unwrap();
    assert_eq!(next_frames(&mut r, p.s, 1)[0].len(), 60_000);
    assert_eq!(r.fill(p.s), Err(Error::WouldBlock));
    let held = r.memory_held();
    assert!(held >= 60_000, "held {}", held);
    // The next small request: the buffer is oversized for it and goes back once idle.
    p.peer.write_all(b"\x00\x00\x00\x02hi").unwrap();
    assert_eq!(next_frames(&mut r, p.s, 1), vec![b"hi".to_vec()]);
    assert_eq!(r.fill(p.s), Err(Error::WouldBlock));
    assert_eq!(r.memory_held(), 0);
    // A size to keep is honoured.
    r.set_sizes(1024, 512);
    p.peer.write_all(b"\x00\x00\x00\x02hi").unwrap();
    assert_eq!(next_frames(&mut r, p.s, 1), vec![b"hi".to_vec()]);
    assert_eq!(r.fill(p.s), Err(Error::WouldBlock));
    assert_eq!(r.memory_held(), 512);
    close(p.s);
}

#[test]
fn raw_bytes_queue_between_frames_and_an_idle_writer_holds_nothing() {
    let mut p = pair();
    let f = Framing::delimited(b"\r\n", 1024).unwrap();
    let mut w = Writer::new(f);
    w.queue(b"$9").unwrap();
    w.queue_raw(b"a\r\nb\r\nc\r\n").unwrap();
    w.queue(b"+OK").unwrap();
    w.set_limit(20);
    assert_eq!(w.queue_raw(&[0; 10]), Err(Error::NoSpace));
    w.flush(p.s, ms(5000)).unwrap();
    assert_eq!(w.pending(), 0);
    assert_eq!(w.memory_held(), 0);
    let mut got = vec![0u8; 4 + 9 + 5];
    p.peer.read_exact(&mut got).unwrap();
    assert_eq!(got, b"$9\r\na\r\nb\r\nc\r\n+OK\r\n");
    close(p.s);
}
