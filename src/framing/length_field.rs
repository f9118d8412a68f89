//! length-field(spec): the one parser of every length format. On the wire:
//! `head` bytes, a length field (binary, varint, ASCII decimal or hex: see
//! [`LengthEncoding`]), then `value + adjustment` body bytes. The payload users
//! send and receive is the head followed by the body: encoding writes the field,
//! decoding strips it.
//!
//! length-prefixed(W, order), varint and ascii-length(K) are this format with no
//! head and no adjustment. Real protocols need the rest (tokio-util's
//! `LengthDelimitedCodec` builder, netty's `LengthFieldBasedFrameDecoder`):
//! PostgreSQL `{head 1, binary 4 BE, adjustment -4}` turns the payload
//! `Q` + `SELECT 1\0` into `51 00 00 00 0d` + `SELECT 1\0`; MQTT is
//! `{head 1, varint, 0}`; DNS over TCP `{0, binary 2 BE, 0}`; a TLS record
//! `{3, binary 2 BE, 0}`.

use super::field::{Field, FieldCodec, LengthEncoding};
use super::limits::{HEADER_MAX, LEN_MAX};
use super::span::FrameSpan;
use crate::error::{Error, Result};

/// Everything that describes a length-field framing (see [`Framing::length_field`](super::Framing::length_field)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LengthFieldSpec {
    /// Bytes of the frame before the field (0: the field comes first). They are
    /// the first bytes of the payload.
    pub head: usize,
    /// How the field is written.
    pub encoding: LengthEncoding,
    /// Added to the field's value to give the body bytes after the field: -4 when
    /// the value counts its own 4 bytes.
    pub adjustment: i64,
    /// The largest payload (head + body) sent or accepted.
    pub max_len: usize,
}

/// A checked length-field framing, made by
/// [`Framing::length_field`](super::Framing::length_field) (and by the
/// length-prefixed, varint and ascii-length constructors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LengthField {
    /// The spec, its `max_len` replaced by the effective maximum payload.
    spec: LengthFieldSpec,
    field: Field,
    /// Field values that give a body within `0..=max body`:
    /// `min_value..=min_value + value_span` (the span kept, not the end: one
    /// comparison checks the range on the per-frame path).
    min_value: u64,
    value_span: u64,
    /// The bodies those values give: `min_body..=min_body + body_span`.
    min_body: usize,
    body_span: usize,
    /// The longest field this framing writes or accepts.
    max_field_len: usize,
}

impl LengthField {
    /// `Invalid` for a spec that cannot work: a binary width outside 1..=8, a
    /// digit count outside 1..=20, `max_len` below `head`, a head so long that
    /// head + field exceeds [`HEADER_MAX`], or an adjustment that leaves no valid
    /// frame (every value's body negative or above the maximum). `max_len` is
    /// clamped to [`LEN_MAX`] and to what the field can announce.
    pub(crate) fn new(spec: LengthFieldSpec) -> Result<LengthField> {
        let field = Field::new(spec.encoding)?;
        let max_len = spec.max_len.min(LEN_MAX);
        let body_cap = max_len.checked_sub(spec.head).ok_or(Error::Invalid)?;
        // Values v with 0 <= v <= field max and 0 <= v + adjustment <= body_cap.
        let adjustment = i128::from(spec.adjustment);
        let lowest = (-adjustment).max(0);
        let highest = i128::from(field.max_value()).min(body_cap as i128 - adjustment);
        if highest < lowest {
            return Err(Error::Invalid);
        }
        let min_value = u64::try_from(lowest).map_err(|_| Error::Invalid)?;
        let max_value = u64::try_from(highest).map_err(|_| Error::Invalid)?;
        let max_field_len = field.len_of(max_value);
        let header = spec.head.checked_add(max_field_len);
        if header.map_or(true, |h| h > HEADER_MAX) {
            return Err(Error::Invalid);
        }
        let max_body = usize::try_from(highest + adjustment).map_err(|_| Error::Invalid)?;
        let min_body = usize::try_from(lowest + adjustment).map_err(|_| Error::Invalid)?;
        Ok(LengthField {
            spec: LengthFieldSpec {
                max_len: spec.head.saturating_add(max_body),
                ..spec
            },
            field,
            min_value,
            value_span: max_value - min_value,
            min_body,
            body_span: max_body - min_body,
            max_field_len,
        })
    }

    /// The spec, its `max_len` being the effective (clamped) maximum payload.
    pub fn spec(&self) -> LengthFieldSpec {
        self.spec
    }

    /// The same framing with a maximum of at most `max_len` (for typed tables);
    /// `Invalid` if no frame is left.
    pub(crate) fn capped(&self, max_len: usize) -> Result<LengthField> {
        LengthField::new(LengthFieldSpec {
            max_len: self.spec.max_len.min(max_len),
            ..self.spec
        })
    }

    /// The same spec with a maximum of `max_len` instead, lower or higher (clamped as
    /// `new` clamps); `Invalid` if no frame is left.
    pub(crate) fn with_max(&self, max_len: usize) -> Result<LengthField> {
        LengthField::new(LengthFieldSpec {
            max_len,
            ..self.spec
        })
    }

    /// Bytes of the payload that come before the field.
    pub(crate) fn head(&self) -> usize {
        self.spec.head
    }

    /// The largest payload, head included.
    pub(crate) fn max_payload(&self) -> usize {
        self.spec.max_len
    }

    /// Bytes encoding adds to a payload at most: the longest field.
    pub(crate) fn max_overhead(&self) -> usize {
        self.max_field_len
    }

    /// The field value announcing a body of `body` bytes: `Invalid` when the body
    /// is shorter than the adjustment demands (the value would be negative),
    /// `TooBig` when the value is over what the field or the maximum allows.
    fn value_of(&self, body: usize) -> Result<u64> {
        match self.value_in_range(body) {
            Some(value) => Ok(value),
            None if body < self.min_body => Err(Error::Invalid),
            None => Err(Error::TooBig),
        }
    }

    /// [`value_of`](Self::value_of) without the error: `None` for a body out of range.
    #[inline(always)]
    fn value_in_range(&self, body: usize) -> Option<u64> {
        // One comparison on the per-frame path: below the range wraps around.
        if body.wrapping_sub(self.min_body) > self.body_span {
            return None;
        }
        // In range, `body - adjustment` is a value of 0..=u64::MAX: exact modulo 2^64.
        Some((body as u64).wrapping_sub(self.spec.adjustment as u64))
    }

    /// The frame length of a `payload_len`-byte payload; the errors of `write_header`.
    pub(crate) fn encoded_len(&self, payload_len: usize) -> Result<usize> {
        let body = payload_len
            .checked_sub(self.spec.head)
            .ok_or(Error::Invalid)?;
        let value = self.value_of(body)?;
        payload_len
            .checked_add(self.field.len_of(value))
            .ok_or(Error::TooBig)
    }

    /// Writes the head (copied from the payload) and the field into `out`, and
    /// returns their length; the body, `payload[head..]`, follows on the wire.
    /// `Invalid` for a payload shorter than the head or than the adjustment
    /// demands, `TooBig` over the maximum, `NoSpace` if `out` is too short.
    #[inline]
    pub(crate) fn write_header(&self, payload: &[u8], out: &mut [u8]) -> Result<usize> {
        let head = self.spec.head;
        let (head_bytes, body) = if payload.len() < head {
            return Err(Error::Invalid);
        } else {
            payload.split_at(head)
        };
        let value = self.value_of(body.len())?;
        let (head_out, field_out) = if out.len() < head {
            return Err(Error::NoSpace);
        } else {
            out.split_at_mut(head)
        };
        if head > 0 {
            head_out.copy_from_slice(head_bytes);
        }
        let n = self.field.write(value, field_out)?;
        Ok(head + n)
    }

    /// The frame's layout once the head and the field are buffered (the body need
    /// not be): `None` before. Errors as soon as their byte is buffered: the
    /// field's `BadFrame`; once the field is whole, `BadFrame` for a negative
    /// adjusted length and `TooBig` for one over the maximum. The general path:
    /// a binary field's whole frames are found first by `whole_binary`.
    #[inline(always)]
    pub(crate) fn frame_span(&self, buf: &[u8]) -> Result<Option<FrameSpan>> {
        let head = self.spec.head;
        // The binary field read outside the dispatch, its offsets known in advance
        // (merged with the out-of-line varint and ASCII reads, its result goes
        // through memory: 3 instructions more per `decode`).
        if let Field::Binary(b) = &self.field {
            return match b.peek_at(buf, head) {
                Some(value) => self.span(head + b.width(), value).map(Some),
                None => Ok(None),
            };
        }
        let rest = match buf.get(head..) {
            Some(rest) => rest,
            None => return Ok(None),
        };
        match self.field.read(rest)? {
            Some((field_len, value)) => self.span(head + field_len, value).map(Some),
            None => Ok(None),
        }
    }

    /// The readers' per-frame fast path: the frame at the start of `buf` when the
    /// field is binary, 8 bytes are buffered at it, its value is valid and the frame
    /// is whole; `None` for everything else (another field encoding, not whole yet,
    /// an invalid value, a short buffer), which the caller hands to the general
    /// path (`frame_span` / `decode`), so every error is still reported there. One
    /// 8-byte load, one range comparison, one length comparison; no call.
    #[inline(always)]
    pub(crate) fn whole_binary(&self, buf: &[u8]) -> Option<FrameSpan> {
        let b = match &self.field {
            Field::Binary(b) => b,
            _ => return None,
        };
        let head = self.spec.head;
        let body = self.body_of(b.peek8_at(buf, head)?)?;
        let span = self.span_at(head + b.width(), body);
        if span.frame_len > buf.len() {
            return None;
        }
        Some(span)
    }

    /// The writers' per-frame fast path for a binary field with no head: writes the
    /// whole frame of `payload` (field, then payload) at the start of `out` and
    /// returns its length; the field is one 8-byte store. `None` (nothing useful
    /// written) for everything else: another field encoding, a head, a payload the
    /// framing refuses, `out` shorter than the frame or than 8 bytes; the caller then
    /// takes the general path, which reports the error if there is one.
    #[inline(always)]
    pub(crate) fn encode_binary(&self, payload: &[u8], out: &mut [u8]) -> Option<usize> {
        let b = match &self.field {
            Field::Binary(b) if self.spec.head == 0 => b,
            _ => return None,
        };
        let body = payload.len();
        let value = self.value_in_range(body)?;
        let w = b.width();
        // In range: body <= LEN_MAX, so no overflow.
        let total = w + body;
        let dst = out.get_mut(..total.max(8))?;
        let (eight, _) = dst.split_at_mut(8);
        b.store8(value, eight.try_into().ok()?);
        dst[w..total].copy_from_slice(payload);
        Some(total)
    }

    /// The frame whose body starts at `start` and whose field holds `value`:
    /// `BadFrame` for a negative adjusted length, `TooBig` for one over the maximum.
    #[inline(always)]
    fn span(&self, start: usize, value: u64) -> Result<FrameSpan> {
        match self.body_of(value) {
            Some(body) => Ok(self.span_at(start, body)),
            None if value < self.min_value => Err(Error::BadFrame),
            None => Err(Error::TooBig),
        }
    }

    /// The body length a field value announces, `None` when it is out of range.
    #[inline(always)]
    fn body_of(&self, value: u64) -> Option<usize> {
        // One comparison on the per-frame path: below the range wraps around.
        if value.wrapping_sub(self.min_value) > self.value_span {
            return None;
        }
        // In range: `value + adjustment` is within 0..=max body, a usize.
        Some(value.wrapping_add(self.spec.adjustment as u64) as usize)
    }

    /// The frame whose body of `body` bytes (from `body_of`) starts at `start`. No
    /// overflow: the frame is at most head + 20 + LEN_MAX - head bytes.
    #[inline(always)]
    fn span_at(&self, start: usize, body: usize) -> FrameSpan {
        FrameSpan {
            payload_start: start,
            payload_len: body,
            frame_len: start + body,
            type_byte: None,
            head: self.spec.head,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Framing;
    use super::*;

    fn spec(
        head: usize,
        encoding: LengthEncoding,
        adjustment: i64,
        max_len: usize,
    ) -> LengthFieldSpec {
        LengthFieldSpec {
            head,
            encoding,
            adjustment,
            max_len,
        }
    }

    const BE4: LengthEncoding = LengthEncoding::Binary {
        width: 4,
        little_endian: false,
    };

    #[test]
    fn specs_that_cannot_work_are_refused() {
        let bad = [
            spec(
                0,
                LengthEncoding::Binary {
                    width: 0,
                    little_endian: false,
                },
                0,
                10,
            ),
            spec(
                0,
                LengthEncoding::Binary {
                    width: 9,
                    little_endian: true,
                },
                0,
                10,
            ),
            spec(0, LengthEncoding::Decimal { digits: 0 }, 0, 10),
            spec(0, LengthEncoding::Hex { digits: 21 }, 0, 10),
            // max_len below the head: no payload fits.
            spec(2, BE4, 0, 1),
            // head + field over HEADER_MAX.
            spec(HEADER_MAX - 3, BE4, 0, 100),
            spec(HEADER_MAX, LengthEncoding::Varint, 0, 100),
            // Every value's body is negative, or above the maximum.
            spec(
                0,
                LengthEncoding::Binary {
                    width: 1,
                    little_endian: false,
                },
                -256,
                100,
            ),
            spec(0, BE4, 101, 100),
            spec(0, BE4, i64::MIN, usize::MAX),
        ];
        for s in bad {
            assert_eq!(LengthField::new(s), Err(Error::Invalid), "{:?}", s);
        }
        assert!(LengthField::new(spec(HEADER_MAX - 4, BE4, 0, 100)).is_ok());
        assert!(LengthField::new(spec(0, BE4, 100, 100)).is_ok());
        assert!(LengthField::new(spec(0, BE4, i64::MAX, usize::MAX)).is_ok());
    }

    #[test]
    fn maximum_is_clamped_to_what_the_field_announces() {
        let one = LengthEncoding::Binary {
            width: 1,
            little_endian: false,
        };
        let f = LengthField::new(spec(1, one, -4, usize::MAX)).unwrap();
        // Values 4..=255 give bodies 0..=251; plus the head byte.
        assert_eq!(f.max_payload(), 252);
        assert_eq!((f.min_value, f.value_span), (4, 251));
        let g = LengthField::new(spec(0, LengthEncoding::Hex { digits: 2 }, 0, 1000)).unwrap();
        assert_eq!(g.max_payload(), 255);
        assert_eq!(g.spec().max_len, 255);
        let v = LengthField::new(spec(0, LengthEncoding::Varint, 0, 127)).unwrap();
        assert_eq!(v.max_overhead(), 1);
        assert_eq!(Framing::varint(128).unwrap().max_overhead(), 2);
    }

    #[test]
    fn short_payloads_are_refused_on_send() {
        let pg = LengthField::new(spec(1, BE4, -4, 1000)).unwrap();
        let mut out = [0u8; HEADER_MAX];
        assert_eq!(pg.write_header(b"", &mut out), Err(Error::Invalid));
        assert_eq!(pg.encoded_len(0), Err(Error::Invalid));
        assert_eq!(pg.write_header(b"Q", &mut out), Ok(5));
        assert_eq!(&out[..5], b"Q\x00\x00\x00\x04");
        // A positive adjustment: the body is at least that long.
        let plus = LengthField::new(spec(0, BE4, 2, 1000)).unwrap();
        assert_eq!(plus.write_header(b"x", &mut out), Err(Error::Invalid));
        assert_eq!(plus.write_header(b"xy", &mut out), Ok(4));
        assert_eq!(&out[..4], &[0, 0, 0, 0]);
        assert_eq!(pg.write_header(&[0; 1001], &mut out), Err(Error::TooBig));
        assert_eq!(pg.write_header(b"Q", &mut out[..3]), Err(Error::NoSpace));
    }

    #[test]
    fn max_is_clamped_to_the_width() {
        assert_eq!(
            Framing::length_prefixed(1, false, 1000)
                .unwrap()
                .max_payload(),
            255
        );
        assert_eq!(
            Framing::length_prefixed(2, true, usize::MAX)
                .unwrap()
                .max_payload(),
            65535
        );
        assert_eq!(
            Framing::length_prefixed(2, true, 7).unwrap().max_payload(),
            7
        );
        for w in [0, 3, 5, 16] {
            assert_eq!(Framing::length_prefixed(w, false, 10), Err(Error::Invalid));
        }
        let f = Framing::length_prefixed(1, false, usize::MAX).unwrap();
        let mut out = [0u8; 300];
        assert_eq!(f.encode(&[7u8; 256], &mut out), Err(Error::TooBig));
        assert_eq!(f.encode(&[7u8; 255], &mut out), Ok(256));
        assert_eq!(out[0], 0xff);
    }

    /// The inline per-frame paths (`whole_binary`, `encode_binary`) agree with the
    /// general ones for every width, order, head and adjustment, at the maximum and past
    /// it, with short and exact output buffers; where they decline, the general path
    /// gives the answer.
    #[test]
    fn fast_paths_agree_with_the_general_paths() {
        let mut checked = 0;
        for width in 1..=8 {
            for little_endian in [false, true] {
                for (head, adjustment) in [(0, 0), (0, -2), (1, 0), (2, 3)] {
                    let enc = LengthEncoding::Binary {
                        width,
                        little_endian,
                    };
                    let f = match Framing::length_field(spec(head, enc, adjustment, 300)) {
                        Ok(f) => f,
                        Err(_) => continue,
                    };
                    let l = match &f {
                        Framing::LengthField(l) => *l,
                        _ => unreachable!(),
                    };
                    for len in [0, 1, 2, 3, 7, 8, 9, 64, 254, 255, 256, 300, 301] {
                        let payload: Vec<u8> = (0..len).map(|i| i as u8 ^ 0x5a).collect();
                        let mut general = [0u8; 400];
                        let want = f.encode(&payload, &mut general);
                        for room in [400, len + width, 7] {
                            let mut out = vec![0xeeu8; room];
                            let got = f.encode_into(&payload, &mut out);
                            match want {
                                Ok(n) if n <= room => {
                                    assert_eq!(got, Ok(n));
                                    assert_eq!(out[..n], general[..n]);
                                }
                                Ok(_) => assert_eq!(got, Err(Error::NoSpace)),
                                Err(e) => assert_eq!(got, Err(e)),
                            }
                            if let Some(n) = l.encode_binary(&payload, &mut out) {
                                assert_eq!(Ok(n), want);
                            }
                        }
                        let n = match want {
                            Ok(n) => n,
                            Err(_) => continue,
                        };
                        // Every cut of the frame, with and without bytes after it.
                        let mut wire = general[..n].to_vec();
                        wire.extend_from_slice(&[0xffu8; 9]);
                        for cut in 0..=wire.len() {
                            let buf = &wire[..cut];
                            let general_span = match f.frame_span(buf) {
                                Ok(Some(s)) if s.frame_len <= buf.len() => Some(s),
                                _ => None,
                            };
                            assert_eq!(f.whole_frame(buf), general_span);
                            if let Some(span) = l.whole_binary(buf) {
                                assert_eq!(Some(span), general_span);
                            }
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 1000);
        // An invalid value is left to the general path, which reports it.
        let f = Framing::length_field(spec(0, BE4, -4, 100)).unwrap();
        let bad = [0u8, 0, 0, 1, 0, 0, 0, 0];
        assert_eq!(f.whole_frame(&bad), None);
        let mut st = super::super::DecodeState::new();
        assert_eq!(f.decode(&bad, &mut st), Err(Error::BadFrame));
    }

    #[test]
    fn max_is_clamped_to_the_digits() {
        assert_eq!(Framing::ascii_length(1, 100).unwrap().max_payload(), 9);
        assert_eq!(
            Framing::ascii_length(3, usize::MAX).unwrap().max_payload(),
            999
        );
        assert_eq!(Framing::ascii_length(0, 100), Err(Error::Invalid));
        assert_eq!(Framing::ascii_length(21, 100), Err(Error::Invalid));
        let f = Framing::ascii_length(20, usize::MAX).unwrap();
        assert_eq!(f.max_payload(), LEN_MAX);
        assert_eq!(f.encoded_len(12), Ok(32));
        let mut out = [0u8; 40];
        assert_eq!(f.encode(b"x", &mut out), Ok(21));
        assert_eq!(&out[..21], b"00000000000000000001x");
        // 20 nines (10^20 - 1) overflow u64 but not the parser.
        let mut st = super::super::DecodeState::new();
        assert_eq!(
            f.decode(b"99999999999999999999", &mut st),
            Err(Error::TooBig)
        );
    }
}
