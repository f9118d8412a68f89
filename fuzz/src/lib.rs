//! Shared checks for the fuzz targets: one target per wire format, plus the
//! reader fed random chunkings. The first input bytes choose the framing's
//! parameters; the rest is the byte stream a hostile peer sends.

#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "tls")]
pub use tls::fuzz_tls_chunks;

use sockhelp::frames::Reader;
use sockhelp::framing::{DecodeState, Decoded, Framing, LengthEncoding, LengthFieldSpec, TypeBody};

/// Small maxima, so that length checks are reached often.
const MAX: usize = 4096;

pub fn fixed(p: u8) -> Framing {
    Framing::fixed(1 + (p as usize % 64)).unwrap()
}

pub fn delimited(p: u8) -> Framing {
    let delims: [&[u8]; 5] = [b"\n", b"\r\n", b"\0", b"aa", b"abab"];
    Framing::delimited(
        delims[p as usize % delims.len()],
        (p as usize >> 3) * 16 % MAX,
    )
    .unwrap()
}

pub fn length_prefixed(p: u8) -> Framing {
    let width = [1, 2, 4, 8][p as usize % 4];
    Framing::length_prefixed(width, p & 4 != 0, MAX >> (p as usize >> 4)).unwrap()
}

pub fn varint(p: u8) -> Framing {
    Framing::varint(MAX >> (p as usize % 12)).unwrap()
}

pub fn ascii_length(p: u8) -> Framing {
    Framing::ascii_length(1 + p as usize % 20, MAX >> (p as usize >> 5)).unwrap()
}

pub fn typed(p: u8) -> Framing {
    let table = [
        (b'P', TypeBody::Fixed(0)),
        (b'T', TypeBody::Fixed(1 + p as usize % 9)),
        (
            b'M',
            TypeBody::Header(Framing::length_prefixed(2, p & 1 != 0, MAX).unwrap()),
        ),
        (b'V', TypeBody::Header(Framing::varint(MAX).unwrap())),
        (
            b'A',
            TypeBody::Header(Framing::ascii_length(1 + p as usize % 5, MAX).unwrap()),
        ),
    ];
    Framing::typed(&table, MAX >> (p as usize >> 6)).unwrap()
}

/// A length field from two parameter bytes: every encoding, heads of 0 to 3
/// bytes, adjustments that count the field (and the head) or are small either
/// way, small maxima. Falls back to varint for the specs the constructor refuses
/// (which it must refuse with `Invalid`).
pub fn length_field_spec(a: u8, b: u8) -> Framing {
    let width = 1 + (a as usize >> 2) % 8;
    let encoding = match a % 4 {
        0 => LengthEncoding::Binary {
            width,
            little_endian: b & 1 != 0,
        },
        1 => LengthEncoding::Varint,
        2 => LengthEncoding::Decimal { digits: width },
        _ => LengthEncoding::Hex { digits: width },
    };
    let head = (b as usize >> 1) % 4;
    let adjustment = match (b >> 3) % 4 {
        0 => 0,
        1 => -(width as i64),
        2 => -((width + head) as i64),
        _ => i64::from(b >> 5) - 4,
    };
    let spec = LengthFieldSpec {
        head,
        encoding,
        adjustment,
        max_len: head + (MAX >> (a as usize >> 5)),
    };
    match Framing::length_field(spec) {
        Ok(f) => f,
        Err(e) => {
            assert_eq!(e, sockhelp::Error::Invalid);
            varint(a)
        }
    }
}

/// The reader's maker: one byte picks the length field.
pub fn length_field(p: u8) -> Framing {
    length_field_spec(p, p.rotate_left(3) ^ 0x5a)
}

/// The same frame, but for the case of ASCII hex digits, which decode either way
/// and encode lowercase.
fn same_frame(f: &Framing, a: &[u8], b: &[u8]) -> bool {
    let hex = matches!(f, Framing::LengthField(l) if matches!(l.spec().encoding, LengthEncoding::Hex { .. }));
    a == b || (hex && a.eq_ignore_ascii_case(b))
}

/// Decodes `stream` frame by frame and checks every invariant the reader relies
/// on: spans lie inside the buffer, frames respect the maximum, and a decoded
/// payload encodes back to exactly the bytes it came from (every format is
/// canonical). Returns the frames, and the error that ended the stream if any.
pub fn decode_all(f: &Framing, stream: &[u8]) -> (Vec<Vec<u8>>, Option<sockhelp::Error>) {
    let mut frames = Vec::new();
    let mut at = 0;
    let mut state = DecodeState::new();
    loop {
        let rest = &stream[at..];
        match f.decode(rest, &mut state) {
            Ok(Decoded::Frame(span)) => {
                assert!(span.frame_len <= rest.len() && span.frame_len > 0 || rest.is_empty());
                assert!(span.payload_start + span.payload_len <= span.frame_len);
                assert!(span.user_len() <= f.max_payload());
                let mut copy = rest[..span.frame_len].to_vec();
                let payload = span.user_payload(&mut copy).unwrap().to_vec();
                let mut re = vec![0u8; payload.len() + f.max_overhead() + 1];
                let n = f
                    .encode(&payload, &mut re)
                    .expect("a decoded payload encodes");
                assert!(
                    same_frame(f, &re[..n], &rest[..span.frame_len]),
                    "not canonical"
                );
                frames.push(payload);
                at += span.frame_len;
                if span.frame_len == 0 {
                    return (frames, None);
                }
            }
            Ok(Decoded::NeedMore { total }) => {
                if let Some(t) = total {
                    assert!(t > rest.len());
                    assert!(t <= f.max_payload() + f.max_overhead() + 1);
                }
                return (frames, None);
            }
            Err(e) => return (frames, Some(e)),
        }
    }
}

/// One target per format: `data[0]` picks the parameters, the rest is the stream.
pub fn fuzz_format(data: &[u8], make: fn(u8) -> Framing) {
    if data.is_empty() {
        return;
    }
    let f = make(data[0]);
    let stream = &data[1..];
    let (whole, err) = decode_all(&f, stream);
    // Incremental at every byte boundary: growing the buffer one byte at a time
    // finds the same frames and the same error.
    let (frames, err2) = decode_growing(&f, stream);
    assert_eq!(whole, frames);
    assert_eq!(err, err2);
}

/// Every format's maker, picked by a fuzz byte (its parameters from the next one).
const MAKERS: [fn(u8) -> Framing; 7] = [
    fixed,
    delimited,
    length_prefixed,
    varint,
    ascii_length,
    typed,
    length_field,
];

fn decode_growing(f: &Framing, stream: &[u8]) -> (Vec<Vec<u8>>, Option<sockhelp::Error>) {
    let mut frames = Vec::new();
    let mut start = 0;
    let mut state = DecodeState::new();
    let mut end = start;
    while end <= stream.len() {
        match f.decode(&stream[start..end], &mut state) {
            Ok(Decoded::Frame(span)) => {
                let mut copy = stream[start..start + span.frame_len].to_vec();
                frames.push(span.user_payload(&mut copy).unwrap().to_vec());
                start += span.frame_len;
                end = start;
            }
            Ok(Decoded::NeedMore { .. }) => end += 1,
            Err(e) => return (frames, Some(e)),
        }
    }
    (frames, None)
}

/// The reader fed random chunkings: `data[0]` picks the format, `data[1]` its
/// parameters, `data[2..10]` seed the chunk sizes; the frames must be the
/// ones whole-buffer decoding finds, and memory must stay within the bound.
pub fn fuzz_reader(data: &[u8]) {
    if data.len() < 10 {
        return;
    }
    let f = MAKERS[data[0] as usize % MAKERS.len()](data[1]);
    let mut seed = u64::from_le_bytes(data[2..10].try_into().unwrap()) | 1;
    let stream = &data[10..];
    let (want, want_err) = decode_all(&f, stream);
    let mut r = Reader::new(f);
    let mut got = Vec::new();
    let mut at = 0;
    let mut err = None;
    'outer: while at < stream.len() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let n = 1 + (seed % 700) as usize;
        let chunk = &stream[at..(at + n).min(stream.len())];
        match r.feed(chunk) {
            Ok(()) => at += chunk.len(),
            Err(sockhelp::Error::NoSpace) => {}
            Err(e) => {
                err = Some(e);
                break;
            }
        }
        assert!(r.buffered() <= r.memory_limit());
        assert!(r.memory_held() <= r.memory_limit());
        loop {
            match r.next_frame() {
                Ok(frame) => got.push(frame.to_vec()),
                Err(sockhelp::Error::WouldBlock) => break,
                Err(e) => {
                    err = Some(e);
                    break 'outer;
                }
            }
        }
    }
    assert_eq!(got, want);
    assert_eq!(err, want_err);
}

/// The length-field target: `data[0..2]` pick the spec, the rest is the stream;
/// besides `fuzz_format`'s checks, the stateless per-frame check agrees with
/// `decode` on every whole frame.
pub fn fuzz_length_field(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let f = length_field_spec(data[0], data[1]);
    let stream = &data[2..];
    let (whole, err) = decode_all(&f, stream);
    let (frames, err2) = decode_growing(&f, stream);
    assert_eq!(whole, frames);
    assert_eq!(err, err2);
    let mut at = 0;
    let mut state = DecodeState::new();
    while let Ok(Decoded::Frame(span)) = f.decode(&stream[at..], &mut state) {
        assert_eq!(f.whole_frame(&stream[at..]), Some(span));
        if let Framing::LengthField(l) = &f {
            assert_eq!(span.head, l.spec().head);
            assert!(span.user_len() <= l.spec().max_len);
        }
        at += span.frame_len;
    }
}

#[cfg(test)]
mod tests {
    /// The committed seeds and xorshift inputs through the length-field and
    /// reader targets, without libFuzzer (`cargo test` in fuzz/).
    #[test]
    fn seeds_and_random_inputs_pass_the_checks() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/decode_length_field");
        for entry in std::fs::read_dir(dir).unwrap() {
            super::fuzz_length_field(&std::fs::read(entry.unwrap().path()).unwrap());
        }
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..20_000usize {
            let data: Vec<u8> = (0..2 + i % 64)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    [0u8, 1, 3, 4, 0x30, 0x80, 0xff, b'0', b'f', b'F', x as u8]
                        [(x >> 8) as usize % 11]
                })
                .collect();
            super::fuzz_length_field(&data);
            let mut reader_input = vec![6u8; 10];
            reader_input[1] = data[0];
            reader_input.extend_from_slice(&data);
            super::fuzz_reader(&reader_input);
        }
    }

    /// Random payloads a framing accepts (typed ones start with a known type; lengths
    /// small, and exactly the fixed length for fixed framings).
    fn frames_of(f: &super::Framing, x: &mut u64, count: usize) -> Vec<u8> {
        let mut stream = Vec::new();
        let mut made = 0;
        for _ in 0..count * 30 {
            if made == count {
                break;
            }
            let r = super::next_rand(x);
            let max = f.max_payload().min(60);
            let len = if r % 3 == 0 {
                max
            } else {
                (r >> 8) as usize % (max + 1)
            };
            let mut payload: Vec<u8> = (0..len)
                .map(|i| [b'x', b'y', b'0'][(r >> (i % 40)) as usize % 3])
                .collect();
            if let Some(first) = payload.first_mut() {
                *first = [b'P', b'T', b'M', b'V', b'A', b'x'][(r >> 3) as usize % 6];
            }
            let mut out = vec![0u8; len + f.max_overhead()];
            if let Ok(n) = f.encode(&payload, &mut out) {
                stream.extend_from_slice(&out[..n]);
                made += 1;
            }
        }
        stream
    }

    /// The reader switching framings, on streams made of real frames of both framings
    /// (random bytes would rarely hold a frame), and recv_frame's direct path over a
    /// socket pair on random inputs (that target makes its own frames).
    #[test]
    fn switching_readers_and_the_direct_path_pass_the_checks() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut checked = 0;
        for _ in 0..3000 {
            let r = super::next_rand(&mut x).to_le_bytes();
            let (fa, pa, fb, pb) = (r[0] % 7, r[1], r[2] % 7, r[3]);
            let a = super::MAKERS[fa as usize](pa);
            let b = super::MAKERS[fb as usize](pb);
            let switch_after = (r[4] % 8) as usize;
            let raw_len = (r[5] % 16) as usize;
            let mut data = vec![fa, pa, fb, pb];
            data.extend_from_slice(&super::next_rand(&mut x).to_le_bytes());
            data.push(switch_after as u8);
            data.push(raw_len as u8);
            data.extend(frames_of(&a, &mut x, switch_after));
            data.extend((0..raw_len).map(|i| b'r' + i as u8));
            data.extend(frames_of(&b, &mut x, 1 + r[6] as usize % 6));
            if super::fuzz_reader_switch(&data) {
                checked += 1;
            }
        }
        assert!(
            checked > 2500,
            "only {} of 3000 streams were checked whole",
            checked
        );
        for (dir, run) in [
            (
                "reader_switch",
                (|d: &[u8]| assert!(super::fuzz_reader_switch(d))) as fn(&[u8]),
            ),
            #[cfg(unix)]
            ("recv_direct", super::fuzz_recv_direct as fn(&[u8])),
        ] {
            let dir = format!("{}/seeds/{}", env!("CARGO_MANIFEST_DIR"), dir);
            for entry in std::fs::read_dir(dir).unwrap() {
                run(&std::fs::read(entry.unwrap().path()).unwrap());
            }
        }
        #[cfg(unix)]
        for _ in 0..40 {
            let data: Vec<u8> = (0..9 + 3 * 8)
                .map(|_| super::next_rand(&mut x) as u8)
                .collect();
            super::fuzz_recv_direct(&data);
        }
    }
}

/// xorshift64: the chunk sizes and choices of the reader targets.
fn next_rand(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// The reader switching framings mid-stream (`set_framing`) and handing out raw bytes
/// (`take`): `data[0..2]` pick framing A (format, parameters), `data[2..4]` framing B,
/// `data[4..12]` seed the chunk sizes, `data[12]` says after how many frames of A the
/// switch comes and `data[13]` how many raw bytes are taken there; the rest is the stream.
/// Whatever the chunking, the reader must give the frames that decoding the stream
/// piecewise gives (A's frames, the raw bytes, then B's frames, each from its offset),
/// the same error, and stay within its memory bound. Returns whether the stream was long
/// enough for the whole check (for the seed test's own check).
pub fn fuzz_reader_switch(data: &[u8]) -> bool {
    if data.len() < 14 {
        return false;
    }
    let a = MAKERS[data[0] as usize % MAKERS.len()](data[1]);
    let b = MAKERS[data[2] as usize % MAKERS.len()](data[3]);
    let mut seed = u64::from_le_bytes(data[4..12].try_into().unwrap()) | 1;
    let switch_after = data[12] as usize % 8;
    let raw_len = data[13] as usize % 16;
    let stream = &data[14..];

    // The reference: A's first frames, then raw bytes, then B from there.
    let (a_frames, a_err) = decode_all(&a, stream);
    if a_frames.len() < switch_after {
        return false; // A ends (or breaks) before the switch: fuzz_reader covers that
    }
    let a_frames = &a_frames[..switch_after];
    let mut off = 0;
    {
        let mut state = DecodeState::new();
        for _ in 0..switch_after {
            match a.decode(&stream[off..], &mut state) {
                Ok(Decoded::Frame(span)) => off += span.frame_len,
                other => panic!("A's reference frames changed: {:?}", other),
            }
        }
    }
    let _ = a_err;
    if stream.len() - off < raw_len {
        return false;
    }
    let raw_want = &stream[off..off + raw_len];
    let (b_frames, b_err) = decode_all(&b, &stream[off + raw_len..]);

    let mut r = Reader::new(a);
    let mut at = 0;
    let feed_more = |r: &mut Reader, at: &mut usize, seed: &mut u64| -> bool {
        if *at >= stream.len() {
            return false;
        }
        let n = 1 + (next_rand(seed) % 300) as usize;
        let chunk = &stream[*at..(*at + n).min(stream.len())];
        match r.feed_some(chunk) {
            Ok(taken) => *at += taken,
            Err(e) => panic!("feed_some refused: {:?}", e),
        }
        assert!(r.memory_held() <= r.memory_limit());
        true
    };
    // A's frames.
    let mut got_a = Vec::new();
    while got_a.len() < switch_after {
        match r.next_frame() {
            Ok(f) => got_a.push(f.to_vec()),
            Err(sockhelp::Error::WouldBlock) => {
                assert!(
                    feed_more(&mut r, &mut at, &mut seed),
                    "A's frame never came"
                );
            }
            Err(e) => panic!("A broke before the switch: {:?}", e),
        }
    }
    assert_eq!(got_a, a_frames);
    // The raw bytes: whatever is buffered first, then more from the stream.
    let mut raw = Vec::new();
    while raw.len() < raw_len {
        let mut buf = [0u8; 16];
        let want = raw_len - raw.len();
        let n = r.take(&mut buf[..want]);
        raw.extend_from_slice(&buf[..n]);
        if n < want {
            assert!(
                feed_more(&mut r, &mut at, &mut seed),
                "raw bytes never came"
            );
        }
    }
    assert_eq!(raw, raw_want);
    // B from here on, the bytes buffered under A included.
    r.set_framing(b);
    let mut got_b = Vec::new();
    let mut err = None;
    loop {
        match r.next_frame() {
            Ok(f) => got_b.push(f.to_vec()),
            Err(sockhelp::Error::WouldBlock) => {
                if !feed_more(&mut r, &mut at, &mut seed) {
                    break;
                }
            }
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    assert_eq!(got_b, b_frames);
    assert_eq!(err, b_err);
    true
}

/// `recv_frame` over a real socket pair, the path that receives a big frame straight into
/// the caller's buffer included (a frame with at least 32 KiB missing): `data[0]` picks a
/// framing (4-byte length, or a length field with a 1-byte head and a -4 adjustment),
/// `data[1..9]` seed the chunk sizes and buffer sizes, and every 3 bytes after that make
/// one frame (a size up to about 190 KiB, and a fill byte). The frames are written in
/// random chunks (1 byte to 64 KiB) with `recv_frame(.., timeout 0)` called after each,
/// into buffers sometimes too small (`NoSpace` must keep the frame and say its size). Every
/// frame must come out whole and in order, and the reader stay within its memory bound.
#[cfg(unix)]
pub fn fuzz_recv_direct(data: &[u8]) {
    use sockhelp::deadline::Deadline;
    use std::io::Write;
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;

    if data.len() < 12 {
        return;
    }
    const BIG: usize = 256 << 10;
    let f = if data[0] & 1 == 0 {
        Framing::length_prefixed(4, false, BIG).unwrap()
    } else {
        Framing::length_field(LengthFieldSpec {
            head: 1,
            encoding: LengthEncoding::Binary {
                width: 4,
                little_endian: false,
            },
            adjustment: -4,
            max_len: BIG,
        })
        .unwrap()
    };
    let mut seed = u64::from_le_bytes(data[1..9].try_into().unwrap()) | 1;
    let payloads: Vec<Vec<u8>> = data[9..]
        .chunks_exact(3)
        .take(12)
        .map(|c| {
            let len = (usize::from(c[0]) << 8 | usize::from(c[1])) * 3 % (190 << 10) + 1;
            vec![c[2]; len]
        })
        .collect();
    let mut stream = Vec::new();
    for p in &payloads {
        let mut buf = vec![0u8; p.len() + f.max_overhead()];
        let n = f.encode(p, &mut buf).unwrap();
        stream.extend_from_slice(&buf[..n]);
    }

    let (mut tx, rx) = UnixStream::pair().unwrap();
    tx.set_nonblocking(true).unwrap();
    let s = rx.as_raw_fd();
    let mut r = Reader::new(f);
    let mut got: Vec<Vec<u8>> = Vec::new();
    let mut out = vec![0u8; BIG];
    let mut sent = 0;
    let mut take_frames = |r: &mut Reader, got: &mut Vec<Vec<u8>>, seed: &mut u64| loop {
        // Sometimes the blocking batch instead, on the same stream (timeout 0).
        if next_rand(seed) % 4 == 0 {
            let max = 1 + (next_rand(seed) % 4) as usize;
            let before = got.len();
            let res = r.recv_batch(s, max, Deadline::Now, |p| got.push(p.to_vec()));
            assert!(r.memory_held() <= r.memory_limit());
            match res {
                Ok(n) => assert!(n >= 1 && n <= max && got.len() - before == n),
                Err(sockhelp::Error::WouldBlock) => return,
                Err(e) => panic!("recv_batch: {:?}", e),
            }
            continue;
        }
        // Sometimes a buffer too small for the next frame: NoSpace, the frame stays.
        let cap = if next_rand(seed) % 5 == 0 {
            (next_rand(seed) % 1000) as usize
        } else {
            BIG
        };
        let (n, res) = r.recv_frame(s, &mut out[..cap], Deadline::from_timeout_ms(0).unwrap());
        assert!(r.memory_held() <= r.memory_limit());
        match res {
            Ok(()) => got.push(out[..n].to_vec()),
            Err(sockhelp::Error::NoSpace) => {
                assert!(n > cap);
                let want = &payloads[got.len()];
                assert_eq!(n, want.len(), "NoSpace reports the frame's size");
            }
            Err(sockhelp::Error::WouldBlock) | Err(sockhelp::Error::TimedOut) => return,
            Err(e) => panic!("recv_frame: {:?}", e),
        }
    };
    while sent < stream.len() {
        let n = 1 + (next_rand(&mut seed) % (64 << 10)) as usize;
        let chunk = &stream[sent..(sent + n).min(stream.len())];
        match tx.write(chunk) {
            Ok(w) => sent += w,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("write: {}", e),
        }
        take_frames(&mut r, &mut got, &mut seed);
    }
    // Everything is sent: what remains is buffered in the socket or the reader.
    for _ in 0..1000 {
        if got.len() == payloads.len() {
            break;
        }
        take_frames(&mut r, &mut got, &mut seed);
    }
    assert_eq!(got.len(), payloads.len(), "frames lost");
    assert!(got == payloads, "frames corrupted");
}

#[cfg(all(test, feature = "tls"))]
mod tls_tests {
    /// The committed seeds and xorshift inputs through the TLS target, without libFuzzer
    /// (`cargo test --features tls` in fuzz/): clean relays and flipped bytes alike.
    #[test]
    fn tls_seeds_and_random_inputs_pass_the_checks() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/tls_chunks");
        for entry in std::fs::read_dir(dir).unwrap() {
            super::fuzz_tls_chunks(&std::fs::read(entry.unwrap().path()).unwrap());
        }
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for i in 0..300usize {
            let data: Vec<u8> = (0..4 + i % 40)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            super::fuzz_tls_chunks(&data);
        }
    }
}
