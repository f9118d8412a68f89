//! The framing codecs, byte for byte: the HOWTO's "a stream has no message
//! boundaries" and "a prefix may itself arrive split across recvs", plus the
//! hostile peer: a 4 GiB length or a delimiter that never comes is an error, never an
//! allocation.
//!
//! Property tests use a seeded xorshift64 generator (no dependencies) and bounded loops.

use sockhelp::framing::internals::{round_trips, HEADER_MAX, LEN_MAX, OVERHEAD_MAX};
use sockhelp::framing::{
    DecodeState, Decoded, FrameSpan, Framing, LengthEncoding, LengthFieldSpec, TypeBody,
};
use sockhelp::Error;

// ---------------------------------------------------------------------------
// Helpers

/// xorshift64: deterministic, seedable, good enough to pick test cases.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// Uniform-ish in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn bytes(&mut self, n: usize, alphabet: &[u8]) -> Vec<u8> {
        (0..n)
            .map(|_| {
                if alphabet.is_empty() {
                    self.next() as u8
                } else {
                    alphabet[self.below(alphabet.len())]
                }
            })
            .collect()
    }
}

const SEEDS: [u64; 4] = [1, 0xDEAD_BEEF, 42, 0x0123_4567_89AB_CDEF];

/// Encodes with `encode`, and checks it against `encode_header` + payload + trailer,
/// `encoded_len_of` and the `encoded_len` bound.
fn frame(f: &Framing, payload: &[u8]) -> Vec<u8> {
    let len = f.encoded_len_of(payload).expect("encoded_len_of");
    let mut out = vec![0xAAu8; len + 3];
    assert_eq!(f.encode(payload, &mut out), Ok(len));
    out.truncate(len);
    if len > 0 {
        let mut short = vec![0u8; len - 1];
        assert_eq!(f.encode(payload, &mut short), Err(Error::NoSpace));
        assert!(short.iter().all(|&b| b == 0), "out touched on NoSpace");
    }

    let mut header = [0u8; HEADER_MAX];
    let enc = f.encode_header(payload, &mut header).unwrap();
    let mut gathered = header[..enc.header_len].to_vec();
    gathered.extend_from_slice(&payload[enc.body.clone()]);
    gathered.extend_from_slice(enc.trailer);
    assert_eq!(gathered, out, "encode_header parts differ from encode");
    assert_eq!(enc.frame_len(), len);

    let bound = f.encoded_len(payload.len()).unwrap();
    match f {
        Framing::Typed(_) => assert!(len <= bound, "typed encoded_len is a bound"),
        _ => assert_eq!(len, bound, "encoded_len is exact"),
    }
    assert!(len - payload.len() <= f.max_overhead());
    assert!(f.max_overhead() <= OVERHEAD_MAX);
    assert!(payload.len() <= f.max_payload());
    out
}

/// Decodes a whole buffer holding exactly one frame.
fn decode_one(f: &Framing, wire: &[u8]) -> (FrameSpan, Vec<u8>) {
    let mut st = DecodeState::new();
    match f.decode(wire, &mut st) {
        Ok(Decoded::Frame(span)) => {
            assert_eq!(span.frame_len, wire.len());
            let mut copy = wire.to_vec();
            let user = span.user_payload(&mut copy).unwrap().to_vec();
            (span, user)
        }
        other => panic!("expected a frame from {:02x?}, got {:?}", wire, other),
    }
}

/// What a small reader does: appends chunks, calls decode in a loop, hands out
/// `[type][body]` contiguously, consumes frames.
struct Accumulator<'f> {
    framing: &'f Framing,
    buf: Vec<u8>,
    state: DecodeState,
    frames: Vec<Vec<u8>>,
    /// The frame length promised by `NeedMore { total: Some(_) }`, if any.
    promised: Option<usize>,
}

impl<'f> Accumulator<'f> {
    fn new(framing: &'f Framing) -> Accumulator<'f> {
        Accumulator {
            framing,
            buf: Vec::new(),
            state: DecodeState::new(),
            frames: Vec::new(),
            promised: None,
        }
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.buf.extend_from_slice(chunk);
        // Every frame is at least one byte, so this bounds the loop.
        for _ in 0..=self.buf.len() {
            match self.framing.decode(&self.buf, &mut self.state)? {
                Decoded::Frame(span) => {
                    assert!(span.frame_len >= 1 && span.frame_len <= self.buf.len());
                    assert!(span.payload_start + span.payload_len <= span.frame_len);
                    if let Some(t) = self.promised.take() {
                        assert_eq!(t, span.frame_len, "NeedMore promised another length");
                    }
                    if span.type_byte.is_some() {
                        assert!(span.payload_start >= 1);
                    }
                    if !matches!(self.framing, Framing::Delimited(_)) {
                        assert_eq!(self.framing.frame_span(&self.buf), Ok(Some(span)));
                    }
                    let user = span.user_payload(&mut self.buf).unwrap().to_vec();
                    assert_eq!(user.len(), span.user_len());
                    self.frames.push(user);
                    self.buf.drain(..span.frame_len);
                    assert_eq!(self.state, DecodeState::new(), "state not reset");
                }
                Decoded::NeedMore { total } => {
                    if let Some(t) = total {
                        assert!(t > self.buf.len());
                        if let Some(p) = self.promised {
                            assert_eq!(p, t, "NeedMore changed its mind");
                        }
                        self.promised = Some(t);
                    } else {
                        assert_eq!(self.promised, None, "NeedMore forgot the length");
                    }
                    return Ok(());
                }
            }
        }
        panic!("decode loop did not terminate");
    }
}

/// Feeds `stream` in the given chunk lengths (the rest in one last chunk);
/// returns the frames decoded and the error that stopped decoding, if any.
fn decode_chunked(
    f: &Framing,
    stream: &[u8],
    chunks: &mut dyn FnMut() -> usize,
) -> (Vec<Vec<u8>>, Result<usize, Error>) {
    let mut acc = Accumulator::new(f);
    let mut at = 0;
    while at < stream.len() {
        let n = chunks().max(1).min(stream.len() - at);
        if let Err(e) = acc.feed(&stream[at..at + n]) {
            return (acc.frames, Err(e));
        }
        at += n;
    }
    if stream.is_empty() {
        acc.feed(&[]).unwrap();
    }
    let left = acc.buf.len();
    (acc.frames, Ok(left))
}

fn decode_at_once(f: &Framing, stream: &[u8]) -> (Vec<Vec<u8>>, Result<usize, Error>) {
    let n = stream.len();
    decode_chunked(f, stream, &mut || n)
}

fn decode_bytewise(f: &Framing, stream: &[u8]) -> (Vec<Vec<u8>>, Result<usize, Error>) {
    decode_chunked(f, stream, &mut || 1)
}

/// Feeds `stream` one byte at a time; returns how many bytes were buffered when
/// the first error came, and that error.
fn first_error(f: &Framing, stream: &[u8]) -> Option<(usize, Error)> {
    let mut acc = Accumulator::new(f);
    for (i, b) in stream.iter().enumerate() {
        if let Err(e) = acc.feed(&[*b]) {
            return Some((i + 1, e));
        }
    }
    None
}

/// Asserts that `stream` fails with `err` exactly when its first `at` bytes
/// have arrived (not before), whatever the cut.
fn assert_fails_at(f: &Framing, stream: &[u8], at: usize, err: Error) {
    assert_eq!(
        first_error(f, stream),
        Some((at, err)),
        "stream {:02x?}",
        stream
    );
    for cut in 0..=stream.len() {
        let mut chunks = vec![cut, stream.len()].into_iter();
        let (_, res) = decode_chunked(f, stream, &mut || chunks.next().unwrap_or(1));
        assert_eq!(res, Err(err), "cut at {}", cut);
    }
    // The prefix before the error byte is not an error yet.
    let (_, res) = decode_at_once(f, &stream[..at - 1]);
    assert!(res.is_ok(), "error came before byte {}", at);
}

// ---------------------------------------------------------------------------
// Exact bytes of every format

#[test]
fn length_prefix_bytes_match_the_spec() {
    let u32be = Framing::length_prefixed(4, false, 1 << 20).unwrap();
    assert_eq!(
        frame(&u32be, b"hello"),
        [0x00, 0x00, 0x00, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]
    );
    let u16le = Framing::length_prefixed(2, true, 1 << 20).unwrap();
    let payload = vec![0x5a; 0x0102];
    let wire = frame(&u16le, &payload);
    assert_eq!(&wire[..2], &[0x02, 0x01]);
    assert_eq!(&wire[2..], &payload[..]);
    let u16be = Framing::length_prefixed(2, false, 1 << 20).unwrap();
    assert_eq!(&frame(&u16be, &payload)[..2], &[0x01, 0x02]);
    let u8f = Framing::length_prefixed(1, false, 255).unwrap();
    assert_eq!(frame(&u8f, b"hi"), [0x02, b'h', b'i']);
    assert_eq!(frame(&u8f, b""), [0x00]);
    let u64be = Framing::length_prefixed(8, false, 1 << 20).unwrap();
    assert_eq!(
        frame(&u64be, b"abc"),
        [0, 0, 0, 0, 0, 0, 0, 3, b'a', b'b', b'c']
    );
    let u64le = Framing::length_prefixed(8, true, 1 << 20).unwrap();
    assert_eq!(
        frame(&u64le, b"abc"),
        [3, 0, 0, 0, 0, 0, 0, 0, b'a', b'b', b'c']
    );
    let u32le = Framing::length_prefixed(4, true, 1 << 20).unwrap();
    assert_eq!(frame(&u32le, b"hello")[..4], [5, 0, 0, 0]);

    for (f, payload) in [(&u32be, &b"hello"[..]), (&u16le, &payload[..]), (&u8f, b"")] {
        let wire = frame(f, payload);
        let (span, user) = decode_one(f, &wire);
        assert_eq!(user, payload);
        assert_eq!(span.type_byte, None);
    }
}

#[test]
fn ascii_length_is_the_howtos_five_digits() {
    let f = Framing::ascii_length(5, 99_999).unwrap();
    assert_eq!(
        frame(&f, b"hello"),
        [0x30, 0x30, 0x30, 0x30, 0x35, 0x68, 0x65, 0x6c, 0x6c, 0x6f]
    );
    assert_eq!(frame(&f, b""), *b"00000");
    let big = vec![b'z'; 12345];
    assert_eq!(&frame(&f, &big)[..5], b"12345");
    assert_eq!(decode_one(&f, &frame(&f, &big)).1, big);
    let one = Framing::ascii_length(1, 9).unwrap();
    assert_eq!(frame(&one, b"abcdefghi"), *b"9abcdefghi");
}

#[test]
fn varint_bytes_are_protobufs() {
    let f = Framing::varint(usize::MAX).unwrap();
    let cases: [(usize, &[u8]); 6] = [
        (0, &[0x00]),
        (1, &[0x01]),
        (127, &[0x7f]),
        (128, &[0x80, 0x01]),
        (300, &[0xac, 0x02]),
        (16384, &[0x80, 0x80, 0x01]),
    ];
    for (len, header) in cases {
        let payload = vec![7u8; len];
        let wire = frame(&f, &payload);
        assert_eq!(&wire[..header.len()], header, "length {}", len);
        assert_eq!(wire.len(), header.len() + len);
        assert_eq!(decode_one(&f, &wire).1, payload);
    }
    // u64::MAX takes 10 bytes: well formed, and over any usize maximum.
    let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    assert_eq!(f.decode(&max, &mut DecodeState::new()), Err(Error::TooBig));
    // The largest allowed length, LEN_MAX, also takes 10 bytes and does not overflow.
    let mut header = Vec::new();
    let mut v = LEN_MAX as u64;
    while v >= 0x80 {
        header.push((v as u8) | 0x80);
        v >>= 7;
    }
    header.push(v as u8);
    assert_eq!(header.len(), 10);
    assert_eq!(f.max_overhead(), 10);
    assert_eq!(
        f.decode(&header, &mut DecodeState::new()),
        Ok(Decoded::NeedMore {
            total: Some(LEN_MAX + 10)
        })
    );
    assert_eq!(f.encoded_len(LEN_MAX), Ok(LEN_MAX + 10));
    assert_eq!(f.encoded_len(LEN_MAX + 1), Err(Error::TooBig));
}

#[test]
fn delimited_strips_newline_and_crlf() {
    let nl = Framing::delimited(b"\n", 100).unwrap();
    assert_eq!(frame(&nl, b"hello"), *b"hello\n");
    assert_eq!(frame(&nl, b""), *b"\n");
    let (span, user) = decode_one(&nl, b"hello\n");
    assert_eq!(
        (span.payload_start, span.payload_len, span.frame_len),
        (0, 5, 6)
    );
    assert_eq!(user, b"hello");
    let crlf = Framing::delimited(b"\r\n", 100).unwrap();
    assert_eq!(frame(&crlf, b"GET / HTTP/1.0"), *b"GET / HTTP/1.0\r\n");
    assert_eq!(decode_one(&crlf, b"\r\n").1, b"");
    // A lone '\n' or a trailing '\r' are ordinary payload bytes for "\r\n".
    assert_eq!(decode_one(&crlf, b"a\nb\r\r\n").1, b"a\nb\r");
    assert_eq!(frame(&crlf, b"a\nb\r"), *b"a\nb\r\r\n");
    let nul = Framing::delimited(b"\0", 100).unwrap();
    assert_eq!(frame(&nul, b"z"), *b"z\0");
    assert_eq!(nl.max_overhead(), 1);
    assert_eq!(crlf.max_overhead(), 2);
}

#[test]
fn fixed_frame_is_just_the_payload() {
    let f = Framing::fixed(4).unwrap();
    assert_eq!(frame(&f, b"abcd"), *b"abcd");
    assert_eq!(
        f.decode(b"abc", &mut DecodeState::new()),
        Ok(Decoded::NeedMore { total: Some(4) })
    );
    assert_eq!(decode_one(&f, b"wxyz").1, b"wxyz");
    assert_eq!((f.max_payload(), f.max_overhead()), (4, 0));
}

fn sample_typed() -> Framing {
    Framing::typed(
        &[
            (0x01, TypeBody::Fixed(0)),
            (0x02, TypeBody::Fixed(3)),
            (
                0x03,
                TypeBody::Header(Framing::length_prefixed(2, false, 1000).unwrap()),
            ),
            (0x04, TypeBody::Header(Framing::varint(1000).unwrap())),
            (
                0x05,
                TypeBody::Header(Framing::ascii_length(3, 999).unwrap()),
            ),
            (
                0x06,
                TypeBody::Header(Framing::length_prefixed(4, true, 1000).unwrap()),
            ),
        ],
        500,
    )
    .unwrap()
}

#[test]
fn typed_type_byte_decides_the_length() {
    let f = sample_typed();
    let cases: [(&[u8], &[u8]); 8] = [
        (&[0x01], &[0x01]),
        (b"\x02abc", b"\x02abc"),
        (b"\x03hi", b"\x03\x00\x02hi"),
        (b"\x03", b"\x03\x00\x00"),
        (b"\x04hi", b"\x04\x02hi"),
        (b"\x05hi", b"\x05002hi"),
        (b"\x06x", b"\x06\x01\x00\x00\x00x"),
        (b"\x04", b"\x04\x00"),
    ];
    for (payload, wire) in cases {
        assert_eq!(frame(&f, payload), wire, "payload {:02x?}", payload);
        let (span, user) = decode_one(&f, wire);
        assert_eq!(user, payload);
        assert_eq!(span.type_byte, Some(payload[0]));
        assert_eq!(span.payload_len, payload.len() - 1);
        assert!(span.payload_start >= 1);
        assert_eq!(span.user_range().len(), payload.len());
    }
    // A varint body of 300 bytes: 04 ac 02 + body.
    let mut payload = vec![0x04];
    payload.extend(vec![9u8; 300]);
    let wire = frame(&f, &payload);
    assert_eq!(&wire[..3], &[0x04, 0xac, 0x02]);
    assert_eq!(wire.len(), 303);
    assert_eq!(decode_one(&f, &wire).1, payload);
    assert_eq!(f.max_payload(), 501);
    assert_eq!(f.max_overhead(), 4);
    // Only fixed bodies: no header at all.
    let g = Framing::typed(&[(9, TypeBody::Fixed(2))], 10).unwrap();
    assert_eq!((g.max_payload(), g.max_overhead()), (3, 0));
    assert_eq!(frame(&g, b"\x09ab"), *b"\x09ab");
}

// ---------------------------------------------------------------------------
// Property tests: random framings, random frame sequences, every cut

fn random_framing(rng: &mut Rng) -> Framing {
    let small_max = |rng: &mut Rng| match rng.below(4) {
        0 => rng.below(4),
        1 => rng.below(300),
        2 => 128 + rng.below(3) - 1,
        _ => usize::MAX,
    };
    match rng.below(7) {
        6 => random_length_field(rng, small_max),
        0 => Framing::fixed(1 + rng.below(20)).unwrap(),
        1 => {
            let len = if rng.below(8) == 0 {
                16
            } else {
                1 + rng.below(3)
            };
            let delim = rng.bytes(len, b"ab\r\n");
            Framing::delimited(&delim, rng.below(60)).unwrap()
        }
        2 => {
            let width = [1, 2, 4, 8][rng.below(4)];
            Framing::length_prefixed(width, rng.coin(), small_max(rng)).unwrap()
        }
        3 => Framing::varint(small_max(rng)).unwrap(),
        4 => {
            let digits = if rng.coin() { 20 } else { 1 + rng.below(5) };
            Framing::ascii_length(digits, small_max(rng)).unwrap()
        }
        _ => {
            let max = small_max(rng);
            let mut entries = Vec::new();
            for _ in 0..1 + rng.below(6) {
                let t = rng.next() as u8;
                if entries.iter().any(|(u, _)| *u == t) {
                    continue;
                }
                let body = match rng.below(5) {
                    4 => TypeBody::Header(random_length_field(rng, |_| 200)),
                    0 => TypeBody::Fixed(rng.below(6).min(max)),
                    1 => TypeBody::Header(
                        Framing::length_prefixed([1, 2, 4, 8][rng.below(4)], rng.coin(), 200)
                            .unwrap(),
                    ),
                    2 => TypeBody::Header(Framing::varint(small_max(rng)).unwrap()),
                    _ => TypeBody::Header(Framing::ascii_length(1 + rng.below(4), 200).unwrap()),
                };
                entries.push((t, body));
            }
            // A general length field may leave no frame under a tiny table maximum
            // (its head alone is longer): keep the entries the table takes alone.
            let mut fits: Vec<(u8, TypeBody)> = entries
                .iter()
                .filter(|e| Framing::typed(&[(*e).clone()], max).is_ok())
                .cloned()
                .collect();
            if fits.is_empty() {
                fits.push((0, TypeBody::Fixed(0)));
            }
            Framing::typed(&fits, max).unwrap()
        }
    }
}

/// A random general length field: a head, any encoding, an adjustment that is
/// often the field's own width (the value counts itself) or the head's too.
fn random_length_field(rng: &mut Rng, small_max: impl Fn(&mut Rng) -> usize) -> Framing {
    for _ in 0..100 {
        let encoding = match rng.below(4) {
            0 => LengthEncoding::Binary {
                width: 1 + rng.below(8),
                little_endian: rng.coin(),
            },
            1 => LengthEncoding::Varint,
            2 => LengthEncoding::Decimal {
                digits: if rng.below(6) == 0 {
                    20
                } else {
                    1 + rng.below(4)
                },
            },
            _ => LengthEncoding::Hex {
                digits: if rng.below(6) == 0 {
                    20
                } else {
                    1 + rng.below(4)
                },
            },
        };
        let width = match encoding {
            LengthEncoding::Binary { width, .. } => width,
            LengthEncoding::Decimal { digits } | LengthEncoding::Hex { digits } => digits,
            _ => 1,
        };
        let head = if rng.coin() { 0 } else { 1 + rng.below(4) };
        let adjustment = match rng.below(5) {
            0 | 1 => 0,
            2 => -(width as i64),
            3 => -((width + head) as i64),
            _ => rng.below(7) as i64 - 3,
        };
        let spec = LengthFieldSpec {
            head,
            encoding,
            adjustment,
            max_len: head + small_max(rng).min(usize::MAX - head),
        };
        if let Ok(f) = Framing::length_field(spec) {
            return f;
        }
    }
    Framing::varint(100).unwrap()
}

/// A payload the framing accepts (sometimes empty, sometimes at the maximum).
fn random_payload(rng: &mut Rng, f: &Framing) -> Vec<u8> {
    let pick_len = |rng: &mut Rng, max: usize| -> usize {
        let cap = max.min(200);
        match rng.below(5) {
            0 => 0,
            1 => cap,
            _ => rng.below(cap + 1),
        }
    };
    match f {
        Framing::Fixed(x) => rng.bytes(x.payload_len(), &[]),
        Framing::Delimited(d) => {
            let mut alphabet = d.delimiter().to_vec();
            alphabet.push(b'x');
            for _ in 0..20 {
                let n = pick_len(rng, d.max_len());
                let p = rng.bytes(n, &alphabet);
                if round_trips(&p, d.delimiter()) {
                    return p;
                }
                assert_eq!(f.encode(&p, &mut [0u8; 512]), Err(Error::Invalid));
            }
            Vec::new()
        }
        Framing::Typed(_) => {
            // The table, as the public API shows it: an unknown type is BadFrame at
            // once, a fixed body's span is known from the type byte alone.
            let types: Vec<u8> = (0..=255u8)
                .filter(|&b| f.frame_span(&[b]).is_ok())
                .collect();
            let ty = types[rng.below(types.len())];
            let body_len = match f.frame_span(&[ty]).unwrap() {
                Some(span) => span.payload_len,
                None => {
                    // A header type: its own maximum may be below the table's, and a
                    // length field's head or adjustment may ask for a longer body.
                    let mut n = pick_len(rng, f.max_payload() - 1);
                    for _ in 0..400 {
                        match f.encoded_len_of(&[&[ty][..], &vec![0; n][..]].concat()) {
                            Err(Error::TooBig) => n /= 2,
                            Err(Error::Invalid) => n += 1,
                            _ => break,
                        }
                    }
                    n
                }
            };
            let mut p = vec![ty];
            p.extend(rng.bytes(body_len, &[]));
            p
        }
        Framing::LengthField(l) => {
            // The head, then a body at least as long as a positive adjustment demands.
            let spec = l.spec();
            let min_body = spec.adjustment.max(0) as usize;
            let n = min_body + pick_len(rng, spec.max_len - spec.head - min_body);
            rng.bytes(spec.head + n, &[])
        }
        other => {
            let n = pick_len(rng, other.max_payload());
            rng.bytes(n, &[])
        }
    }
}

fn random_stream(rng: &mut Rng, f: &Framing, frames: usize) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut payloads = Vec::new();
    let mut stream = Vec::new();
    for _ in 0..frames {
        let p = random_payload(rng, f);
        let wire = frame(f, &p);
        let (_, back) = decode_one(f, &wire);
        assert_eq!(back, p, "round trip with {:?}", f);
        stream.extend_from_slice(&wire);
        payloads.push(p);
    }
    (payloads, stream)
}

#[test]
fn short_streams_decode_the_same_at_every_cut() {
    for seed in SEEDS {
        let mut rng = Rng::new(seed);
        for _ in 0..60 {
            let f = random_framing(&mut rng);
            let count = 1 + rng.below(4);
            let (payloads, mut stream) = random_stream(&mut rng, &f, count);
            stream.truncate(stream.len().min(400));
            let (expect, left) = decode_at_once(&f, &stream);
            // Truncation may cut the last frame: it stays buffered.
            assert!(left.is_ok(), "{:?}", f);
            assert_eq!(expect[..], payloads[..expect.len()]);
            for cut in 0..=stream.len() {
                let mut chunks = vec![cut, stream.len()].into_iter();
                let got = decode_chunked(&f, &stream, &mut || chunks.next().unwrap_or(1));
                assert_eq!(got, (expect.clone(), left), "{:?} cut at {}", f, cut);
            }
            assert_eq!(decode_bytewise(&f, &stream), (expect, left), "{:?}", f);
        }
    }
}

#[test]
fn long_streams_decode_at_random_chunk_sizes() {
    for seed in SEEDS {
        let mut rng = Rng::new(seed ^ 0x5555);
        for _ in 0..40 {
            let f = random_framing(&mut rng);
            let count = 20 + rng.below(40);
            let (payloads, stream) = random_stream(&mut rng, &f, count);
            for _ in 0..4 {
                let max_chunk = 1 + rng.below(80);
                let mut chunk_rng = Rng::new(rng.next());
                let got = decode_chunked(&f, &stream, &mut || 1 + chunk_rng.below(max_chunk));
                assert_eq!(got, (payloads.clone(), Ok(0)), "{:?}", f);
            }
        }
    }
}

#[test]
fn garbage_gives_the_same_answer_whatever_the_cut() {
    for seed in SEEDS {
        let mut rng = Rng::new(seed ^ 0xABCD);
        for _ in 0..300 {
            let f = random_framing(&mut rng);
            // Valid frames, then garbage biased toward header-ish bytes.
            let count = rng.below(3);
            let (_, mut stream) = random_stream(&mut rng, &f, count);
            let n = rng.below(60);
            let garbage = rng.bytes(n, &[0x00, 0x01, 0x30, 0x39, 0x7f, 0x80, 0xff, b'a', b'\n']);
            stream.extend(garbage);
            let whole = decode_at_once(&f, &stream);
            assert_eq!(
                decode_bytewise(&f, &stream),
                whole,
                "{:?} {:02x?}",
                f,
                stream
            );
            for _ in 0..3 {
                let max_chunk = 1 + rng.below(16);
                let mut chunk_rng = Rng::new(rng.next());
                let got = decode_chunked(&f, &stream, &mut || 1 + chunk_rng.below(max_chunk));
                assert_eq!(got, whole, "{:?}", f);
            }
        }
    }
}

#[test]
fn encode_refuses_exactly_the_payloads_that_would_not_round_trip() {
    // The delimited rule against a naive reference: the first occurrence of D
    // in P + D must be the appended one.
    fn naive(p: &[u8], d: &[u8]) -> bool {
        let mut joined = p.to_vec();
        joined.extend_from_slice(d);
        joined.windows(d.len()).position(|w| w == d) == Some(p.len())
    }
    let mut refused = 0;
    let mut straddling = 0;
    for seed in SEEDS {
        let mut rng = Rng::new(seed ^ 0x7777);
        for _ in 0..3000 {
            let dn = 1 + rng.below(4);
            let d = rng.bytes(dn, b"ab");
            let pn = rng.below(8);
            let p = rng.bytes(pn, b"abc");
            let f = Framing::delimited(&d, 64).unwrap();
            let ok = naive(&p, &d);
            assert_eq!(round_trips(&p, &d), ok, "{:?} {:?}", p, d);
            let inside = p.windows(d.len()).any(|w| w == &d[..]);
            if ok {
                let wire = frame(&f, &p);
                assert_eq!(decode_one(&f, &wire).1, p);
            } else {
                refused += 1;
                if !inside {
                    straddling += 1;
                }
                assert_eq!(f.encode(&p, &mut [0u8; 64]), Err(Error::Invalid));
                assert_eq!(f.encoded_len_of(&p), Err(Error::Invalid));
                // What a careless sender would have sent decodes to something else.
                let mut wire = p.clone();
                wire.extend_from_slice(&d);
                let (frames, _) = decode_at_once(&f, &wire);
                assert_ne!(frames.first(), Some(&p));
            }
        }
    }
    assert!(
        refused > 100 && straddling > 20,
        "{} {}",
        refused,
        straddling
    );
}

// ---------------------------------------------------------------------------
// Hostile peers

#[test]
fn huge_length_prefix_is_too_big_right_after_the_header() {
    let f = Framing::length_prefixed(4, false, 1 << 20).unwrap();
    assert_fails_at(&f, &[0xff, 0xff, 0xff, 0xff, b'x'], 4, Error::TooBig);
    // One over the maximum, one at it.
    let over = ((1u32 << 20) + 1).to_be_bytes();
    assert_fails_at(&f, &over, 4, Error::TooBig);
    let at = (1u32 << 20).to_be_bytes();
    assert_eq!(
        f.decode(&at, &mut DecodeState::new()),
        Ok(Decoded::NeedMore {
            total: Some((1 << 20) + 4)
        })
    );
    // 2^63 in 8 bytes, big- and little-endian.
    let be = Framing::length_prefixed(8, false, 1 << 20).unwrap();
    assert_fails_at(&be, &(1u64 << 63).to_be_bytes(), 8, Error::TooBig);
    let le = Framing::length_prefixed(8, true, 1 << 20).unwrap();
    assert_fails_at(&le, &(1u64 << 63).to_le_bytes(), 8, Error::TooBig);
    assert_fails_at(&le, &u64::MAX.to_le_bytes(), 8, Error::TooBig);
    // With no maximum at all, 2^63 is a promise, not an allocation.
    let open = Framing::length_prefixed(8, false, usize::MAX).unwrap();
    assert_eq!(
        open.decode(&(1u64 << 63).to_be_bytes(), &mut DecodeState::new()),
        Ok(Decoded::NeedMore {
            total: Some((1usize << 63) + 8)
        })
    );
    assert_eq!(
        open.decode(&u64::MAX.to_be_bytes(), &mut DecodeState::new()),
        Err(Error::TooBig)
    );
    // After valid frames too.
    let mut stream = frame(&f, b"ok");
    stream.extend_from_slice(&[0xff; 4]);
    assert_fails_at(&f, &stream, 10, Error::TooBig);
}

#[test]
fn delimiter_that_never_comes_is_too_big_at_max_plus_delimiter() {
    for (delim, max) in [
        (&b"\n"[..], 10usize),
        (b"\r\n", 10),
        (b"\r\n", 0),
        (b"0123456789abcdef", 5),
    ] {
        let f = Framing::delimited(delim, max).unwrap();
        let limit = max + delim.len();
        let junk = vec![b'x'; limit + 20];
        assert_fails_at(&f, &junk, limit, Error::TooBig);
        // A frame of exactly max bytes still decodes, whatever the cut.
        let payload = vec![b'x'; max];
        let wire = frame(&f, &payload);
        assert_eq!(wire.len(), limit);
        assert_eq!(decode_bytewise(&f, &wire), (vec![payload.clone()], Ok(0)));
        // One more byte is too big, even if the delimiter then comes.
        let mut over = vec![b'x'; max + 1];
        over.extend_from_slice(delim);
        assert_fails_at(&f, &over, limit, Error::TooBig);
        assert_eq!(
            f.encode(&over[..max + 1], &mut [0u8; 64]),
            Err(Error::TooBig)
        );
        // A delimiter beyond the limit in one big chunk is not a frame either.
        assert_eq!(decode_at_once(&f, &over).1, Err(Error::TooBig));
    }
    // A delimiter whose first part keeps coming ("\r\r\r...") is scanned once.
    let f = Framing::delimited(b"\r\n", 1000).unwrap();
    let mut st = DecodeState::new();
    let mut buf = Vec::new();
    for i in 0..1000 {
        buf.push(b'\r');
        assert_eq!(
            f.decode(&buf, &mut st),
            Ok(Decoded::NeedMore { total: None })
        );
        assert!(
            i < 2 || st != DecodeState::new(),
            "the scan did not advance"
        );
    }
    buf.push(b'\n');
    match f.decode(&buf, &mut st) {
        Ok(Decoded::Frame(span)) => assert_eq!(span.payload_len, 999),
        other => panic!("{:?}", other),
    }
}

#[test]
fn non_digit_in_ascii_length_is_bad_frame_at_once() {
    let f = Framing::ascii_length(5, 99_999).unwrap();
    for pos in 0..5 {
        for bad in [b'/', b':', b' ', b'a', b'-', b'+', 0x00, 0xff, b'\n'] {
            let mut stream = b"00012hello world".to_vec();
            stream[pos] = bad;
            assert_fails_at(&f, &stream, pos + 1, Error::BadFrame);
        }
    }
    // Too big only once the five digits are there and well formed.
    let small = Framing::ascii_length(5, 11).unwrap();
    assert_fails_at(&small, b"00012abcdefghijkl", 5, Error::TooBig);
    assert_fails_at(&small, b"9999x", 5, Error::BadFrame);
    assert_eq!(decode_one(&small, b"00011abcdefghijk").1, b"abcdefghijk");
}

#[test]
fn unknown_type_byte_is_bad_frame_at_once() {
    let f = sample_typed();
    for t in [0x00, 0x07, 0x7f, 0xff] {
        assert_fails_at(&f, &[t, 0, 0, 0], 1, Error::BadFrame);
    }
    let mut stream = frame(&f, b"\x02abc");
    stream.extend_from_slice(&[0x42, 1, 2]);
    assert_fails_at(&f, &stream, 5, Error::BadFrame);
    // Errors of the nested header come after the type byte.
    assert_fails_at(&f, &[0x05, b'0', b'x'], 3, Error::BadFrame);
    assert_fails_at(&f, &[0x04, 0x80, 0x00], 3, Error::BadFrame);
    // Body over the typed maximum (500), under the header's own (1000).
    assert_fails_at(&f, &[0x03, 0x01, 0xf5], 3, Error::TooBig);
    assert_fails_at(&f, &[0x06, 0xf5, 0x01, 0, 0], 5, Error::TooBig);
    let wire = frame(&f, &[&[0x03u8][..], &[1u8; 500][..]].concat());
    assert_eq!(&wire[..3], &[0x03, 0x01, 0xf4]);
}

#[test]
fn overlong_and_oversized_varints_are_refused() {
    let f = Framing::varint(usize::MAX).unwrap();
    // A redundant trailing zero byte: malformed.
    assert_fails_at(&f, &[0x80, 0x00], 2, Error::BadFrame);
    assert_fails_at(&f, &[0xff, 0x80, 0x00], 3, Error::BadFrame);
    assert_fails_at(&f, &[0x80, 0x80, 0x80, 0x00], 4, Error::BadFrame);
    // 11 bytes: the 10th still says "more".
    let mut eleven = vec![0x80; 10];
    eleven.push(0x01);
    assert_fails_at(&f, &eleven, 10, Error::BadFrame);
    // Over 64 bits in the 10th byte.
    let mut wide = vec![0xff; 9];
    wide.push(0x02);
    assert_fails_at(&f, &wide, 10, Error::BadFrame);
    let mut zero_tenth = vec![0x80; 9];
    zero_tenth.push(0x00);
    assert_fails_at(&f, &zero_tenth, 10, Error::BadFrame);
    // A single 0x00 is the empty payload, not overlong.
    assert_eq!(decode_one(&f, &[0x00]).1, b"");

    // Over the maximum: too big once the varint is whole; malformed still wins.
    let small = Framing::varint(100).unwrap();
    assert_fails_at(&small, &[101], 1, Error::TooBig);
    assert_fails_at(&small, &[0x80, 0x01], 2, Error::TooBig);
    assert_fails_at(&small, &[0x80, 0x00], 2, Error::BadFrame);
    assert_fails_at(&small, &eleven, 10, Error::BadFrame);
    assert_eq!(
        small.decode(&[100], &mut DecodeState::new()),
        Ok(Decoded::NeedMore { total: Some(101) })
    );
    assert_eq!(small.max_overhead(), 1);
}

#[test]
fn encode_refusals_have_the_documented_codes() {
    let mut out = [0u8; 1024];
    // Delimiter inside, at either end, or straddling the end.
    let nl = Framing::delimited(b"\n", 100).unwrap();
    for p in [&b"a\nb"[..], b"\n", b"ab\n"] {
        assert_eq!(nl.encode(p, &mut out), Err(Error::Invalid));
    }
    let aa = Framing::delimited(b"aa", 100).unwrap();
    assert_eq!(aa.encode(b"xa", &mut out), Err(Error::Invalid));
    assert_eq!(aa.encode(b"ax", &mut out), Ok(4));
    let crlf = Framing::delimited(b"\r\n", 100).unwrap();
    assert_eq!(crlf.encode(b"a\r\nb", &mut out), Err(Error::Invalid));
    assert_eq!(crlf.encode(&[b'x'; 101], &mut out), Err(Error::TooBig));
    assert_eq!(crlf.encoded_len(101), Err(Error::TooBig));
    // Too long for W bytes, over max.
    let u8f = Framing::length_prefixed(1, false, usize::MAX).unwrap();
    assert_eq!(u8f.encode(&[0; 256], &mut out), Err(Error::TooBig));
    assert_eq!(u8f.encoded_len(256), Err(Error::TooBig));
    let u16f = Framing::length_prefixed(2, true, 10).unwrap();
    assert_eq!(u16f.encode(&[0; 11], &mut out), Err(Error::TooBig));
    assert_eq!(u16f.encode(&[0; 10], &mut out), Ok(12));
    // Too long for K digits, over max.
    let two = Framing::ascii_length(2, 1000).unwrap();
    assert_eq!(two.max_payload(), 99);
    assert_eq!(two.encode(&[0; 100], &mut out), Err(Error::TooBig));
    assert_eq!(two.encode(&[0; 99], &mut out), Ok(101));
    let v = Framing::varint(3).unwrap();
    assert_eq!(v.encode(&[0; 4], &mut out), Err(Error::TooBig));
    // Fixed: empty or short is invalid, long is too big.
    let fx = Framing::fixed(3).unwrap();
    assert_eq!(fx.encode(b"", &mut out), Err(Error::Invalid));
    assert_eq!(fx.encode(b"ab", &mut out), Err(Error::Invalid));
    assert_eq!(fx.encode(b"abcd", &mut out), Err(Error::TooBig));
    assert_eq!(fx.encoded_len(0), Err(Error::Invalid));
    // Typed: empty, unknown type, wrong fixed length, body over max.
    let t = sample_typed();
    assert_eq!(t.encode(b"", &mut out), Err(Error::Invalid));
    assert_eq!(t.encoded_len(0), Err(Error::Invalid));
    assert_eq!(t.encode(b"\x09abc", &mut out), Err(Error::Invalid));
    assert_eq!(t.encode(b"\x02ab", &mut out), Err(Error::Invalid));
    assert_eq!(t.encode(b"\x02abcd", &mut out), Err(Error::Invalid));
    assert_eq!(t.encode(b"\x01a", &mut out), Err(Error::Invalid));
    let long = [&[0x04u8][..], &[0u8; 501][..]].concat();
    assert_eq!(t.encode(&long, &mut out), Err(Error::TooBig));
    assert_eq!(t.encoded_len(502), Err(Error::TooBig));
    // Validation comes before NoSpace; NoSpace leaves out untouched.
    let mut tiny = [0u8; 2];
    assert_eq!(t.encode(b"\x09abc", &mut tiny), Err(Error::Invalid));
    assert_eq!(t.encode(b"\x03abc", &mut tiny), Err(Error::NoSpace));
    assert_eq!(tiny, [0, 0]);
    assert_eq!(t.encoded_len_of(b"\x03abc"), Ok(6));
}

#[test]
fn constructors_refuse_what_the_spec_forbids() {
    assert_eq!(Framing::fixed(0), Err(Error::Invalid));
    assert_eq!(Framing::delimited(b"", 10), Err(Error::Invalid));
    assert_eq!(Framing::delimited(&[b'x'; 17], 10), Err(Error::Invalid));
    assert_eq!(Framing::length_prefixed(3, false, 10), Err(Error::Invalid));
    assert_eq!(Framing::ascii_length(0, 10), Err(Error::Invalid));
    assert_eq!(Framing::ascii_length(21, 10), Err(Error::Invalid));
    assert_eq!(Framing::typed(&[], 10), Err(Error::Invalid));
    assert_eq!(
        Framing::typed(&[(1, TypeBody::Fixed(1)), (1, TypeBody::Fixed(1))], 10),
        Err(Error::Invalid)
    );
    assert_eq!(
        Framing::typed(&[(1, TypeBody::Fixed(11))], 10),
        Err(Error::Invalid)
    );
    let delim = Framing::delimited(b"\n", 10).unwrap();
    assert_eq!(
        Framing::typed(&[(1, TypeBody::Header(delim))], 10),
        Err(Error::Invalid)
    );
    // Clamps keep every frame length inside usize.
    for f in [
        Framing::delimited(&[0; 16], usize::MAX).unwrap(),
        Framing::length_prefixed(8, false, usize::MAX).unwrap(),
        Framing::varint(usize::MAX).unwrap(),
        Framing::ascii_length(20, usize::MAX).unwrap(),
        Framing::typed(
            &[(
                1,
                TypeBody::Header(Framing::ascii_length(20, usize::MAX).unwrap()),
            )],
            usize::MAX,
        )
        .unwrap(),
    ] {
        let total = f.encoded_len(f.max_payload()).unwrap();
        assert!(total >= f.max_payload());
        assert_eq!(
            f.encoded_len(f.max_payload().saturating_add(1)),
            Err(Error::TooBig)
        );
    }
    // Shareable between threads.
    fn send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
    send_sync::<Framing>();
}

// ---------------------------------------------------------------------------
// General length fields: real protocols' headers

fn length_field(head: usize, encoding: LengthEncoding, adjustment: i64, max_len: usize) -> Framing {
    Framing::length_field(LengthFieldSpec {
        head,
        encoding,
        adjustment,
        max_len,
    })
    .unwrap()
}

const BE2: LengthEncoding = LengthEncoding::Binary {
    width: 2,
    little_endian: false,
};
const BE4: LengthEncoding = LengthEncoding::Binary {
    width: 4,
    little_endian: false,
};

#[test]
fn postgresql_length_counts_itself_after_the_type_byte() {
    let pg = length_field(1, BE4, -4, 1 << 20);
    let wire = frame(&pg, b"QSELECT 1\0");
    assert_eq!(wire, b"Q\x00\x00\x00\x0dSELECT 1\0");
    let (span, user) = decode_one(&pg, &wire);
    assert_eq!(user, b"QSELECT 1\0");
    assert_eq!((span.head, span.payload_start, span.payload_len), (1, 5, 9));
    assert_eq!(span.type_byte, None);
    assert_eq!(span.wire_range(), 0..wire.len());
    // A message with no body: the value 4 counts only itself.
    assert_eq!(frame(&pg, b"S"), b"S\x00\x00\x00\x04");
    // A value under 4 would be a negative body: malformed once the field is whole.
    assert_fails_at(&pg, b"Z\x00\x00\x00\x03abc", 5, Error::BadFrame);
    assert_fails_at(&pg, b"Z\x00\x00\x00\x00", 5, Error::BadFrame);
    // Over the maximum: too big once the field is whole, the body never waited for.
    assert_fails_at(&pg, b"D\x7f\xff\xff\xffxx", 5, Error::TooBig);
    // The payload must hold the type byte.
    assert_eq!(pg.encode(b"", &mut [0u8; 16]), Err(Error::Invalid));
    assert_eq!(pg.encoded_len(0), Err(Error::Invalid));
    assert_eq!(pg.max_payload(), 1 << 20);
    assert_eq!(pg.max_overhead(), 4);
}

#[test]
fn mqtt_remaining_length_takes_one_two_or_three_varint_bytes() {
    let mqtt = length_field(1, LengthEncoding::Varint, 0, 268_435_456);
    let cases: [(usize, &[u8]); 6] = [
        (0, &[0x00]),
        (127, &[0x7f]),
        (128, &[0x80, 0x01]),
        (16_383, &[0xff, 0x7f]),
        (16_384, &[0x80, 0x80, 0x01]),
        (2_097_151, &[0xff, 0xff, 0x7f]),
    ];
    for (body_len, field) in cases {
        let mut payload = vec![0x30]; // PUBLISH, QoS 0
        payload.extend(std::iter::repeat(b'm').take(body_len));
        let wire = frame(&mqtt, &payload);
        assert_eq!(wire[0], 0x30);
        assert_eq!(
            &wire[1..1 + field.len()],
            field,
            "remaining length {}",
            body_len
        );
        assert_eq!(wire.len(), 1 + field.len() + body_len);
        let (span, user) = decode_one(&mqtt, &wire);
        assert_eq!(user, payload);
        assert_eq!(span.payload_start, 1 + field.len());
    }
    // A PINGREQ, and an overlong remaining length.
    assert_eq!(frame(&mqtt, &[0xc0]), [0xc0, 0x00]);
    assert_fails_at(&mqtt, &[0x30, 0x80, 0x00], 3, Error::BadFrame);
}

#[test]
fn dns_over_tcp_tls_records_and_ascii_lengths() {
    let dns = length_field(0, BE2, 0, 65535);
    assert_eq!(
        dns,
        Framing::length_prefixed(2, false, usize::MAX).unwrap(),
        "the same framing as length-prefixed(2)"
    );
    assert_eq!(frame(&dns, b"\x12\x34query"), b"\x00\x07\x12\x34query");
    assert_eq!(
        dns.encode(&[0; 65536], &mut [0u8; 70000]),
        Err(Error::TooBig)
    );

    // A TLS record: type, version (3 bytes of head), then a 2-byte length.
    let tls = length_field(3, BE2, 0, 3 + 16384);
    let mut record = vec![0x17, 0x03, 0x03];
    record.extend_from_slice(&[0xab; 300]);
    let wire = frame(&tls, &record);
    assert_eq!(&wire[..5], &[0x17, 0x03, 0x03, 0x01, 0x2c]);
    assert_eq!(decode_one(&tls, &wire).1, record);
    assert_eq!(tls.max_payload(), 3 + 16384);
    assert_fails_at(&tls, &[0x17, 0x03, 0x03, 0x40, 0x01], 5, Error::TooBig);
    assert_eq!(tls.encode(b"\x17\x03", &mut [0u8; 8]), Err(Error::Invalid));

    // Redis-like: a '$', four decimal digits, the body.
    let bulk = length_field(1, LengthEncoding::Decimal { digits: 4 }, 0, 10_000);
    assert_eq!(frame(&bulk, b"$hello"), b"$0005hello");
    assert_eq!(bulk.max_payload(), 1 + 9999);
    assert_fails_at(&bulk, b"$00x5hello", 4, Error::BadFrame);
    // The '$' is head: any byte goes; digits are checked.
    assert_eq!(decode_one(&bulk, b"*0000").1, b"*");

    // Hex: lowercase on send, either case on receive.
    let hex = length_field(0, LengthEncoding::Hex { digits: 4 }, 0, 65535);
    let body = vec![b'h'; 0xabc];
    let wire = frame(&hex, &body);
    assert_eq!(&wire[..4], b"0abc");
    let mut upper = wire.clone();
    upper[..4].copy_from_slice(b"0ABC");
    assert_eq!(decode_one(&hex, &upper).1, body);
    assert_fails_at(&hex, b"0abg", 4, Error::BadFrame);

    // Little-endian, odd width, the value counting head and field too.
    let odd = length_field(
        2,
        LengthEncoding::Binary {
            width: 3,
            little_endian: true,
        },
        -5,
        1000,
    );
    assert_eq!(frame(&odd, b"hdbody"), b"hd\x09\x00\x00body");
    assert_fails_at(&odd, b"hd\x04\x00\x00", 5, Error::BadFrame);
}

#[test]
fn length_field_specs_that_cannot_work_are_refused() {
    let spec = |head, encoding, adjustment, max_len| {
        Framing::length_field(LengthFieldSpec {
            head,
            encoding,
            adjustment,
            max_len,
        })
    };
    let bin = |width| LengthEncoding::Binary {
        width,
        little_endian: false,
    };
    for width in [0, 9, 16] {
        assert_eq!(spec(0, bin(width), 0, 100), Err(Error::Invalid));
    }
    for width in [1, 3, 5, 7, 8] {
        assert!(spec(0, bin(width), 0, 100).is_ok(), "width {}", width);
    }
    for digits in [0, 21] {
        assert_eq!(
            spec(0, LengthEncoding::Decimal { digits }, 0, 100),
            Err(Error::Invalid)
        );
        assert_eq!(
            spec(0, LengthEncoding::Hex { digits }, 0, 100),
            Err(Error::Invalid)
        );
    }
    // head + field over HEADER_MAX; max_len under head; adjustments leaving no frame.
    assert_eq!(spec(HEADER_MAX - 1, bin(2), 0, 100), Err(Error::Invalid));
    assert_eq!(
        spec(HEADER_MAX - 10, LengthEncoding::Varint, 0, 100),
        Ok(length_field(
            HEADER_MAX - 10,
            LengthEncoding::Varint,
            0,
            100
        ))
    );
    assert_eq!(spec(3, bin(2), 0, 2), Err(Error::Invalid));
    assert_eq!(spec(0, bin(1), -256, 1000), Err(Error::Invalid));
    assert_eq!(spec(0, bin(2), 1001, 1000), Err(Error::Invalid));
    // A typed table refuses a length field that does not fit behind the type byte.
    let wide = Framing::length_field(LengthFieldSpec {
        head: HEADER_MAX - 8,
        encoding: bin(8),
        adjustment: 0,
        max_len: 100,
    })
    .unwrap();
    assert_eq!(
        Framing::typed(&[(1, TypeBody::Header(wide))], 100),
        Err(Error::Invalid)
    );
}

#[test]
fn typed_table_entries_may_be_general_length_fields() {
    // A type byte, then PostgreSQL's 'Q' + length counting itself: [t][Q][len][body].
    let pg = length_field(1, BE4, -4, 1000);
    let f = Framing::typed(&[(7, TypeBody::Header(pg)), (8, TypeBody::Fixed(2))], 100).unwrap();
    let wire = frame(&f, b"\x07Qhi");
    assert_eq!(wire, b"\x07Q\x00\x00\x00\x06hi");
    let (span, user) = decode_one(&f, &wire);
    assert_eq!(user, b"\x07Qhi");
    assert_eq!((span.head, span.type_byte), (2, Some(7)));
    assert_eq!(f.max_payload(), 101);
    assert_eq!(f.encode(b"\x07", &mut [0u8; 16]), Err(Error::Invalid));
    assert_fails_at(&f, b"\x07Q\x00\x00\x00\x02", 6, Error::BadFrame);
}
