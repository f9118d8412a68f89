//! Framed I/O over real sockets: the reader keeps leftovers, survives prefixes
//! split across receives, and turns hostile input into codes, not allocations.

#![cfg(unix)]

mod portable_util;

use std::io::{Read, Write};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;
use std::thread;
use std::time::Duration;

use portable_util::set_nonblocking;
use sockhelp::deadline::Deadline;
use sockhelp::framing::{Framing, TypeBody};
use sockhelp::stream::{send_frame, Reader, Writer, READ_CHUNK};
use sockhelp::Error;

fn ms(t: i32) -> Deadline {
    Deadline::from_timeout_ms(t).unwrap()
}

fn u32be(max: usize) -> Framing {
    Framing::length_prefixed(4, false, max).unwrap()
}

fn recv(r: &mut Reader, s: &UnixStream, cap: usize, t: i32) -> Result<Vec<u8>, (Error, usize)> {
    let mut out = vec![0u8; cap];
    let (n, res) = r.recv_frame(s.as_raw_fd(), &mut out, ms(t));
    match res {
        Ok(()) => {
            out.truncate(n);
            Ok(out)
        }
        Err(e) => Err((e, n)),
    }
}

#[test]
fn one_recv_may_hold_the_next_message_so_the_reader_keeps_leftovers() {
    let (a, mut b) = UnixStream::pair().unwrap();
    // three frames in one write: one recv gets them all
    b.write_all(b"\x00\x00\x00\x05hello\x00\x00\x00\x00\x00\x00\x00\x03abc")
        .unwrap();
    let mut r = Reader::new(u32be(1 << 20));
    assert_eq!(recv(&mut r, &a, 100, 1000).unwrap(), b"hello");
    assert_eq!(r.buffered(), 11);
    assert_eq!(recv(&mut r, &a, 100, 1000).unwrap(), b"");
    assert_eq!(recv(&mut r, &a, 100, 1000).unwrap(), b"abc");
    assert_eq!(r.buffered(), 0);
    assert_eq!(recv(&mut r, &a, 100, 0), Err((Error::WouldBlock, 0)));
}

#[test]
fn a_length_prefix_split_across_receives_still_decodes() {
    let (a, b) = UnixStream::pair().unwrap();
    let frames: Vec<Vec<u8>> = (0..200).map(|i| vec![i as u8; i * 7 % 300]).collect();
    let f = u32be(1 << 20);
    let mut wire = Vec::new();
    for p in &frames {
        let mut buf = vec![0u8; p.len() + 4];
        let n = f.encode(p, &mut buf).unwrap();
        wire.extend_from_slice(&buf[..n]);
    }
    let writer = thread::spawn(move || {
        let mut b = b;
        for byte in wire {
            b.write_all(&[byte]).unwrap();
        }
    });
    let mut r = Reader::new(f);
    for p in &frames {
        assert_eq!(&recv(&mut r, &a, 1000, 5000).unwrap(), p);
    }
    writer.join().unwrap();
}

#[test]
fn a_frame_larger_than_the_callers_buffer_stays_queued() {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.write_all(b"\x00\x00\x00\x0ahelloworld").unwrap();
    let mut r = Reader::new(u32be(1 << 20));
    assert_eq!(recv(&mut r, &a, 4, 1000), Err((Error::NoSpace, 10)));
    assert_eq!(recv(&mut r, &a, 10, 1000).unwrap(), b"helloworld");
}

#[test]
fn a_4_gib_length_prefix_is_refused_at_once_without_allocating_it() {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.write_all(&[0xff, 0xff, 0xff, 0xff, 1, 2, 3]).unwrap();
    let mut r = Reader::new(u32be(1 << 20));
    assert_eq!(recv(&mut r, &a, 100, 1000), Err((Error::TooBig, 0)));
    assert!(r.memory_limit() <= (1 << 20) + 4 + READ_CHUNK);
    // the stream stays broken
    assert_eq!(recv(&mut r, &a, 100, 1000), Err((Error::TooBig, 0)));
}

#[test]
fn a_delimiter_that_never_comes_is_too_big_after_max_bytes() {
    let (a, b) = UnixStream::pair().unwrap();
    let writer = thread::spawn(move || {
        let mut b = b;
        let junk = [b'x'; 4096];
        // far more than the maximum; stops when the reader side closes
        for _ in 0..1024 {
            if b.write_all(&junk).is_err() {
                break;
            }
        }
    });
    let mut r = Reader::new(Framing::delimited(b"\n", 10_000).unwrap());
    assert_eq!(recv(&mut r, &a, 100_000, 5000), Err((Error::TooBig, 0)));
    assert!(r.buffered() <= 10_000 + 1 + READ_CHUNK);
    drop(a);
    writer.join().unwrap();
}

#[test]
fn a_peer_closing_mid_frame_returns_closed_and_no_partial_frame() {
    for cut in [2usize, 4, 7] {
        let (a, mut b) = UnixStream::pair().unwrap();
        b.write_all(&b"\x00\x00\x00\x05hello"[..cut]).unwrap();
        drop(b);
        let mut r = Reader::new(u32be(100));
        assert_eq!(recv(&mut r, &a, 100, 1000), Err((Error::Closed, 0)));
        assert_eq!(r.buffered(), cut);
    }
}

#[test]
fn a_big_frame_goes_straight_to_the_callers_buffer_and_a_timeout_loses_nothing() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let payload: Vec<u8> = (0..(1usize << 20)).map(|i| (i % 251) as u8).collect();
    let f = u32be(4 << 20);
    let mut wire = vec![0u8; payload.len() + 4];
    f.encode(&payload, &mut wire).unwrap();
    let rest = wire.split_off(300_000);
    let first = wire;
    let mut r = Reader::new(f);
    let writer = thread::spawn(move || {
        b.write_all(&first).unwrap();
        thread::sleep(Duration::from_millis(300));
        b.write_all(&rest).unwrap();
        b
    });
    // The deadline passes with the frame incomplete: nothing returned, nothing lost.
    let err = recv(&mut r, &a, 2 << 20, 100).unwrap_err();
    assert_eq!(err, (Error::TimedOut, 0));
    assert!(r.buffered() > 0);
    let got = recv(&mut r, &a, 2 << 20, 5000).unwrap();
    assert!(got == payload);
    writer.join().unwrap();
}

#[test]
fn typed_frames_carry_their_type_byte_first() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let table = vec![
        (b'P', TypeBody::Fixed(0)),
        (b'T', TypeBody::Fixed(4)),
        (
            b'M',
            TypeBody::Header(Framing::length_prefixed(2, false, 1000).unwrap()),
        ),
    ];
    let f = Framing::typed(&table, 1000).unwrap();
    b.write_all(b"PT1234M\x00\x03abcP").unwrap();
    let mut r = Reader::new(f.clone());
    assert_eq!(recv(&mut r, &a, 100, 1000).unwrap(), b"P");
    assert_eq!(recv(&mut r, &a, 100, 1000).unwrap(), b"T1234");
    // the non-blocking path presents the same payloads
    assert_eq!(r.next_frame().unwrap(), b"Mabc");
    assert_eq!(r.next_frame().unwrap(), b"P");
    assert_eq!(r.next_frame(), Err(Error::WouldBlock));
    b.write_all(b"X").unwrap();
    assert_eq!(r.fill(a.as_raw_fd()), Ok(1));
    assert_eq!(r.next_frame(), Err(Error::BadFrame));
    assert_eq!(r.fill(a.as_raw_fd()), Err(Error::BadFrame));
}

#[test]
fn send_frame_writes_header_and_payload_in_one_go() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let (n, res) = send_frame(a.as_raw_fd(), &u32be(100), b"hello", ms(1000));
    assert_eq!((n, res), (9, Ok(())));
    let mut buf = [0u8; 9];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"\x00\x00\x00\x05hello");
    let nl = Framing::delimited(b"\n", 100).unwrap();
    assert_eq!(
        send_frame(a.as_raw_fd(), &nl, b"a\nb", ms(0)),
        (0, Err(Error::Invalid))
    );
    let small = Framing::length_prefixed(1, false, 1000).unwrap();
    assert_eq!(
        send_frame(a.as_raw_fd(), &small, &[0u8; 256], ms(0)),
        (0, Err(Error::TooBig))
    );
}

#[test]
fn non_blocking_writer_and_reader_move_many_frames() {
    let (a, b) = UnixStream::pair().unwrap();
    set_nonblocking(a.as_raw_fd(), true);
    set_nonblocking(b.as_raw_fd(), true);
    let f = Framing::delimited(b"\r\n", 1000).unwrap();
    let mut w = Writer::new(f.clone());
    let mut r = Reader::new(f);
    let total = 20_000usize;
    let mut queued = 0;
    let mut got = 0;
    let mut rounds = 0;
    while got < total {
        rounds += 1;
        assert!(rounds < 1_000_000, "no progress");
        while queued < total && w.pending() < 100_000 {
            w.queue(format!("message {}", queued).as_bytes()).unwrap();
            queued += 1;
        }
        match w.flush(a.as_raw_fd(), ms(0)) {
            Ok(()) | Err(Error::WouldBlock) => {}
            Err(e) => panic!("flush: {:?}", e),
        }
        match r.fill(b.as_raw_fd()) {
            Ok(_) | Err(Error::WouldBlock) => {}
            Err(e) => panic!("fill: {:?}", e),
        }
        loop {
            match r.next_frame() {
                Ok(frame) => {
                    assert_eq!(frame, format!("message {}", got).as_bytes());
                    got += 1;
                }
                Err(Error::WouldBlock) => break,
                Err(e) => panic!("next: {:?}", e),
            }
        }
    }
    assert_eq!(w.pending(), 0);
    drop(a);
    assert_eq!(r.fill(b.as_raw_fd()), Err(Error::Closed));
    assert_eq!(r.next_frame(), Err(Error::Closed));
}

#[test]
fn feed_is_bounded() {
    let mut r = Reader::new(Framing::fixed(10).unwrap());
    let limit = r.memory_limit();
    assert_eq!(r.feed(&vec![0u8; limit + 1]), Err(Error::NoSpace));
    assert_eq!(r.buffered(), 0);
    r.feed(&[1u8; 25]).unwrap();
    assert_eq!(r.next_frame().unwrap(), &[1u8; 10]);
    assert_eq!(r.next_frame().unwrap(), &[1u8; 10]);
    assert_eq!(r.next_frame(), Err(Error::WouldBlock));
    assert_eq!(r.buffered(), 5);
}

/// Many small frames must cost one system call, not one each (the HOWTO's
/// naive loop makes two per frame). Prints the counted ratio.
#[test]
fn many_small_frames_share_one_recv() {
    let (a, b) = UnixStream::pair().unwrap();
    let f = u32be(1 << 20);
    let frames = 20_000usize;
    let writer_framing = f.clone();
    let writer = thread::spawn(move || {
        let mut w = Writer::new(writer_framing);
        for i in 0..frames {
            let mut p = [0u8; 64];
            p[..8].copy_from_slice(&(i as u64).to_be_bytes());
            w.queue(&p).unwrap();
        }
        w.flush(b.as_raw_fd(), ms(-1)).unwrap();
        b
    });
    let mut r = Reader::new(f);
    let mut out = [0u8; 64];
    for i in 0..frames {
        let (n, res) = r.recv_frame(a.as_raw_fd(), &mut out, ms(10_000));
        assert_eq!((n, res), (64, Ok(())));
        assert_eq!(out[..8], (i as u64).to_be_bytes());
    }
    let _b = writer.join().unwrap();
    let calls = r.recv_calls();
    println!(
        "{} frames of 64 bytes in {} recv calls: {:.4} recv per frame",
        frames,
        calls,
        calls as f64 / frames as f64
    );
    assert!(calls * 20 <= frames as u64, "{} recv calls", calls);
}

/// Property: whatever bytes arrive, in whatever chunks, a reader never holds more
/// than its bound (one maximal frame plus READ_CHUNK), never panics, and once it
/// reports a broken stream it keeps reporting it.
#[test]
fn reader_memory_stays_bounded_on_random_input() {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let framings = [
        Framing::fixed(100).unwrap(),
        Framing::delimited(b"\r\n", 5000).unwrap(),
        Framing::length_prefixed(4, false, 5000).unwrap(),
        Framing::length_prefixed(2, true, 300).unwrap(),
        Framing::varint(5000).unwrap(),
        Framing::ascii_length(5, 5000).unwrap(),
        Framing::typed(
            &[
                (b'a', TypeBody::Fixed(3)),
                (b'b', TypeBody::Header(Framing::varint(5000).unwrap())),
            ],
            5000,
        )
        .unwrap(),
    ];
    for f in framings.iter() {
        for _round in 0..40 {
            let mut r = Reader::new(f.clone());
            let limit = r.memory_limit();
            let mut broken = None;
            for _chunk in 0..200 {
                let len = (rand() % 3000) as usize;
                // Mostly digits and small bytes, so headers often parse.
                let chunk: Vec<u8> = (0..len)
                    .map(|_| {
                        let x = rand();
                        match x % 4 {
                            0 => b'0' + (x >> 8) as u8 % 10,
                            1 => (x >> 8) as u8 % 4,
                            _ => (x >> 8) as u8,
                        }
                    })
                    .collect();
                match r.feed(&chunk) {
                    Ok(()) | Err(Error::NoSpace) => {}
                    Err(e) => {
                        if let Some(b) = broken {
                            assert_eq!(e, b);
                        }
                        broken = Some(e);
                    }
                }
                assert!(r.buffered() <= limit, "{} > {}", r.buffered(), limit);
                loop {
                    match r.next_frame() {
                        Ok(frame) => assert!(frame.len() <= f.max_payload()),
                        Err(Error::WouldBlock) => break,
                        Err(e) => {
                            assert!(e == Error::TooBig || e == Error::BadFrame, "{:?}", e);
                            if let Some(b) = broken {
                                assert_eq!(e, b);
                            }
                            broken = Some(e);
                            break;
                        }
                    }
                }
            }
        }
    }
}
