//! Shared checks for the fuzz targets: one target per wire format, plus the
//! reader fed random chunkings. The first input bytes choose the framing's
//! parameters; the rest is the byte stream a hostile peer sends.

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
    let makers: [fn(u8) -> Framing; 7] = [
        fixed,
        delimited,
        length_prefixed,
        varint,
        ascii_length,
        typed,
        length_field,
    ];
    let f = makers[data[0] as usize % makers.len()](data[1]);
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
}
