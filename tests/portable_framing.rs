//! Framed I/O over loopback TCP on every platform (Linux here, Windows under Wine via
//! `scripts/windows-test.sh`): send_frame's gathered write (`sendmsg` on POSIX, `WSASend`
//! on Windows), recv_frame, the non-blocking reader (fill + next) and the writer's queue,
//! for every frame format, with the peer splitting the stream at random places.

mod common;

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use common::sock::*;
use sockhelp::error::Error;
use sockhelp::frames::{send_frame, Reader, Writer};
use sockhelp::framing::{Framing, LengthEncoding, LengthFieldSpec, TypeBody};

/// Every format, each with payloads it accepts (the last ones large: they take many
/// system calls each way).
fn formats() -> Vec<(&'static str, Framing, Vec<Vec<u8>>)> {
    let big = pattern(300_000);
    let words: Vec<Vec<u8>> = vec![
        b"hello".to_vec(),
        Vec::new(),
        b"x".to_vec(),
        pattern(1000),
        big.clone(),
    ];
    let no_crlf: Vec<u8> = big
        .iter()
        .map(|&b| if b == b'\r' { b'R' } else { b })
        .collect();
    let typed = Framing::typed(
        &[
            (1, TypeBody::Fixed(4)),
            (2, TypeBody::Fixed(0)),
            (
                3,
                TypeBody::Header(Framing::length_prefixed(4, false, 1 << 20).unwrap()),
            ),
            (4, TypeBody::Header(Framing::varint(1 << 20).unwrap())),
        ],
        1 << 20,
    )
    .unwrap();
    let mut t_big = vec![3u8];
    t_big.extend_from_slice(&big);
    vec![
        (
            "fixed(5)",
            Framing::fixed(5).unwrap(),
            vec![b"hello".to_vec(), b"world".to_vec(), pattern(5)],
        ),
        (
            "delimited(\\r\\n)",
            Framing::delimited(b"\r\n", 1 << 20).unwrap(),
            vec![b"line one".to_vec(), Vec::new(), b"x".to_vec(), no_crlf],
        ),
        (
            "length_prefixed(4, big endian)",
            Framing::length_prefixed(4, false, 1 << 20).unwrap(),
            words.clone(),
        ),
        (
            "length_prefixed(2, little endian)",
            Framing::length_prefixed(2, true, 60_000).unwrap(),
            vec![b"hello".to_vec(), Vec::new(), pattern(60_000)],
        ),
        ("varint", Framing::varint(1 << 20).unwrap(), words.clone()),
        (
            "ascii_length(5)",
            Framing::ascii_length(5, 99_999).unwrap(),
            vec![b"hello".to_vec(), Vec::new(), pattern(99_999)],
        ),
        (
            "length_field(PostgreSQL: head 1, 4 bytes BE counting themselves)",
            Framing::length_field(LengthFieldSpec {
                head: 1,
                encoding: LengthEncoding::Binary {
                    width: 4,
                    little_endian: false,
                },
                adjustment: -4,
                max_len: 1 << 20,
            })
            .unwrap(),
            vec![
                b"QSELECT 1\0".to_vec(),
                b"S".to_vec(),
                [&b"D"[..], &big[..]].concat(),
                b"Z".to_vec(),
            ],
        ),
        (
            "length_field(MQTT: head 1, varint)",
            Framing::length_field(LengthFieldSpec {
                head: 1,
                encoding: LengthEncoding::Varint,
                adjustment: 0,
                max_len: 1 << 20,
            })
            .unwrap(),
            vec![
                vec![0xc0],
                [&[0x30u8][..], &pattern(200)[..]].concat(),
                [&[0x32u8][..], &big[..]].concat(),
            ],
        ),
        (
            "length_field(TLS record: head 3, 2 bytes BE)",
            Framing::length_field(LengthFieldSpec {
                head: 3,
                encoding: LengthEncoding::Binary {
                    width: 2,
                    little_endian: false,
                },
                adjustment: 0,
                max_len: 3 + 65535,
            })
            .unwrap(),
            vec![
                vec![0x16, 0x03, 0x01],
                [&[0x17u8, 0x03, 0x03][..], &pattern(65535)[..]].concat(),
            ],
        ),
        (
            "typed",
            typed,
            vec![
                vec![1, b'a', b'b', b'c', b'd'],
                vec![2],
                vec![3, b'h', b'i'],
                vec![4],
                t_big,
            ],
        ),
    ]
}

/// What send_frame puts on the wire for each payload of `framing`, as the peer reads it.
fn wire_of(framing: &Framing, payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut p = pair();
    let expected: usize = payloads
        .iter()
        .map(|pl| framing.encoded_len_of(pl).unwrap())
        .sum();
    let mut peer = p.peer.try_clone().unwrap();
    let reader = thread::spawn(move || slow_read(&mut peer, expected, 50, 5));
    for pl in payloads {
        let want = framing.encoded_len_of(pl).unwrap();
        assert_eq!(send_frame(p.s, framing, pl, ms(-1)), (want, Ok(())));
    }
    let wire = reader.join().unwrap();
    p.peer
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut extra = [0u8; 1];
    assert!(
        p.peer.read(&mut extra).is_err(),
        "send_frame sent more than the frames"
    );
    close(p.s);
    wire
}

/// The spec's byte-exact examples go over a real socket unchanged.
#[test]
fn wire_bytes_are_exact() {
    let f = Framing::length_prefixed(4, false, 100).unwrap();
    assert_eq!(
        wire_of(&f, &[b"hello".to_vec()]),
        b"\x00\x00\x00\x05hello".to_vec()
    );
    let f = Framing::ascii_length(5, 100).unwrap();
    assert_eq!(wire_of(&f, &[b"hello".to_vec()]), b"00005hello".to_vec());
    let f = Framing::length_prefixed(2, true, 100).unwrap();
    assert_eq!(wire_of(&f, &[b"hi".to_vec()]), b"\x02\x00hi".to_vec());
    let pg = Framing::length_field(LengthFieldSpec {
        head: 1,
        encoding: LengthEncoding::Binary {
            width: 4,
            little_endian: false,
        },
        adjustment: -4,
        max_len: 1000,
    })
    .unwrap();
    assert_eq!(
        wire_of(&pg, &[b"QSELECT 1\0".to_vec()]),
        b"Q\x00\x00\x00\x0dSELECT 1\0".to_vec()
    );
}

/// Every format: frames sent with send_frame come back whole and in order through
/// recv_frame while the peer writes the stream in random pieces (a length prefix split
/// across receives included).
#[test]
fn send_frame_and_recv_frame_round_trip_every_format() {
    for (name, framing, payloads) in formats() {
        let wire = wire_of(&framing, &payloads);
        let p = pair();
        let mut peer = p.peer.try_clone().unwrap();
        let w = wire.clone();
        let writer = thread::spawn(move || slow_write(&mut peer, &w, 100, 6));
        let mut reader = Reader::new(framing.clone());
        let mut out = vec![0u8; 1 << 20];
        for (i, pl) in payloads.iter().enumerate() {
            let (n, r) = reader.recv_frame(p.s, &mut out, ms(10_000));
            assert_eq!(r, Ok(()), "{}: frame {}", name, i);
            assert!(
                out[..n] == pl[..],
                "{}: frame {} differs ({} bytes, expected {})",
                name,
                i,
                n,
                pl.len()
            );
        }
        writer.join().unwrap();
        // Then the peer closes: Closed, nothing pending.
        p.peer.shutdown(std::net::Shutdown::Write).unwrap();
        let (_, r) = reader.recv_frame(p.s, &mut out, ms(5000));
        assert_eq!(r, Err(Error::Closed), "{}", name);
        assert_eq!(reader.buffered(), 0, "{}", name);
        close(p.s);
    }
}

/// A frame larger than the caller's buffer: `NoSpace` with the length needed, the
/// frame stays queued and comes whole with a big enough buffer. A silent peer mid-frame:
/// `TimedOut`, and the bytes already received are kept.
#[test]
fn too_small_buffer_and_timeout_lose_nothing() {
    let mut p = pair();
    let f = Framing::length_prefixed(4, false, 1000).unwrap();
    p.peer
        .write_all(b"\x00\x00\x00\x0aabcdefghij\x00\x00")
        .unwrap();
    let mut reader = Reader::new(f);
    let mut small = [0u8; 4];
    assert_eq!(
        reader.recv_frame(p.s, &mut small, ms(5000)),
        (10, Err(Error::NoSpace))
    );
    let mut out = [0u8; 100];
    assert_eq!(reader.recv_frame(p.s, &mut out, ms(5000)), (10, Ok(())));
    assert_eq!(&out[..10], b"abcdefghij");
    let t0 = Instant::now();
    let (_, r) = reader.recv_frame(p.s, &mut out, ms(200));
    assert_eq!(r, Err(Error::TimedOut));
    assert_elapsed("recv_frame(200)", t0, 190, 2000);
    assert_eq!(reader.buffered(), 2);
    p.peer.write_all(b"\x00\x03xyz").unwrap();
    assert_eq!(reader.recv_frame(p.s, &mut out, ms(5000)), (3, Ok(())));
    assert_eq!(&out[..3], b"xyz");
    close(p.s);
}

/// The non-blocking reader: fill never waits (`WouldBlock` when nothing is there), next
/// hands out whole frames only, and a peer's close is `Closed` after the last frame.
#[test]
fn reader_fill_and_next_on_a_nonblocking_socket() {
    for (name, framing, payloads) in formats() {
        let wire = wire_of(&framing, &payloads);
        let p = pair();
        set_nonblocking(p.s, true);
        let mut reader = Reader::new(framing.clone());
        let t0 = Instant::now();
        assert_eq!(reader.fill(p.s), Err(Error::WouldBlock), "{}", name);
        assert!(elapsed_ms(t0) < 1000);
        let mut peer = p.peer.try_clone().unwrap();
        let w = wire.clone();
        let writer = thread::spawn(move || {
            slow_write(&mut peer, &w, 50, 7);
            peer.shutdown(std::net::Shutdown::Write).unwrap();
        });
        let mut got: Vec<Vec<u8>> = Vec::new();
        let start = Instant::now();
        loop {
            assert!(start.elapsed() < Duration::from_secs(60), "{}: stuck", name);
            match reader.next_frame() {
                Ok(frame) => {
                    got.push(frame.to_vec());
                    continue;
                }
                Err(Error::WouldBlock) => {}
                Err(Error::Closed) => break,
                Err(e) => panic!("{}: next_frame: {:?}", name, e),
            }
            match reader.fill(p.s) {
                Ok(_) => {}
                Err(Error::WouldBlock) => {
                    sockhelp::io::wait_ready(p.s, sockhelp::Interest::Readable, ms(5000)).unwrap()
                }
                Err(Error::Closed) => {}
                Err(e) => panic!("{}: fill: {:?}", name, e),
            }
        }
        writer.join().unwrap();
        assert_eq!(got.len(), payloads.len(), "{}", name);
        assert!(got == payloads, "{}: frames differ", name);
        close(p.s);
    }
}

/// The writer: frames queued, flushed with timeout 0 against a peer that does not read
/// (`WouldBlock` with bytes pending: nothing lost), then with -1 while the peer reads;
/// the peer gets exactly the frames' bytes.
#[test]
fn writer_queue_and_flush_keep_what_could_not_be_sent() {
    for (name, framing, payloads) in formats() {
        let wire = wire_of(&framing, &payloads);
        let p = pair();
        let mut writer = Writer::new(framing.clone());
        // Enough copies to overflow the socket buffers.
        let mut copies = 0;
        while copies * wire.len() < 8 << 20 {
            for pl in &payloads {
                writer.queue(pl).unwrap();
            }
            copies += 1;
        }
        let total = copies * wire.len();
        assert_eq!(writer.pending(), total, "{}", name);
        let r = writer.flush(p.s, ms(0));
        assert_eq!(r, Err(Error::WouldBlock), "{}", name);
        assert!(writer.pending() > 0 && writer.pending() < total, "{}", name);
        let mut peer = p.peer.try_clone().unwrap();
        let reader = thread::spawn(move || slow_read(&mut peer, total, 10, 8));
        assert_eq!(writer.flush(p.s, ms(-1)), Ok(()), "{}", name);
        assert_eq!(writer.pending(), 0);
        let got = reader.join().unwrap();
        for c in 0..copies {
            assert!(
                got[c * wire.len()..(c + 1) * wire.len()] == wire[..],
                "{}: copy {} differs",
                name,
                c
            );
        }
        close(p.s);
    }
}
