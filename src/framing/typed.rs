//! typed(table, max): one type byte, then a body whose length the type decides:
//! a fixed length per type (0 allowed), or a length header (length-prefixed,
//! varint or ascii-length) followed by the body. An unknown type is malformed.
//!
//! The user-visible payload of a typed frame is `[type][body]`: encode reads the
//! type from `payload[0]`, and decode reports the type beside the body's span
//! ([`FrameSpan::type_byte`](super::FrameSpan::type_byte)); the body always starts
//! at offset 1 or later, so a reader can write the type into the byte just before
//! the body and hand out `[type][body]` contiguously
//! ([`FrameSpan::user_payload`](super::FrameSpan::user_payload)).
//!
//! On the wire: the type byte, then (for a header type) the header encoding the
//! body's length, then the body.

use super::ascii_length::AsciiLength;
use super::length_prefixed::LengthPrefixed;
use super::varint::Varint;
use super::{span_after_header, FrameSpan, Framing, Header, TypeBody, LEN_MAX};
use crate::error::{Error, Result};

/// A length header usable inside a typed frame, its maximum already lowered to
/// the typed framing's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LengthHeader {
    Prefixed(LengthPrefixed),
    Varint(Varint),
    Ascii(AsciiLength),
}

impl LengthHeader {
    /// The length format of `framing` with a maximum of at most `max_len`;
    /// `Invalid` for formats that are not length headers.
    fn from_framing(framing: &Framing, max_len: usize) -> Result<LengthHeader> {
        Ok(match framing {
            Framing::LengthPrefixed(l) => LengthHeader::Prefixed(LengthPrefixed::new(
                l.width(),
                l.little_endian(),
                l.max_len().min(max_len),
            )?),
            Framing::Varint(v) => LengthHeader::Varint(Varint::new(v.max_len().min(max_len))),
            Framing::AsciiLength(a) => {
                LengthHeader::Ascii(AsciiLength::new(a.digits(), a.max_len().min(max_len))?)
            }
            _ => return Err(Error::Invalid),
        })
    }

    fn to_framing(self) -> Framing {
        match self {
            LengthHeader::Prefixed(l) => Framing::LengthPrefixed(l),
            LengthHeader::Varint(v) => Framing::Varint(v),
            LengthHeader::Ascii(a) => Framing::AsciiLength(a),
        }
    }

    fn max_len(&self) -> usize {
        match self {
            LengthHeader::Prefixed(l) => l.max_len(),
            LengthHeader::Varint(v) => v.max_len(),
            LengthHeader::Ascii(a) => a.max_len(),
        }
    }

    fn max_header_len(&self) -> usize {
        match self {
            LengthHeader::Prefixed(l) => l.width(),
            LengthHeader::Varint(v) => v.max_header_len(),
            LengthHeader::Ascii(a) => a.digits(),
        }
    }

    fn write_header(&self, body_len: usize, out: &mut [u8]) -> Result<usize> {
        match self {
            LengthHeader::Prefixed(l) => l.write_header(body_len, out),
            LengthHeader::Varint(v) => v.write_header(body_len, out),
            LengthHeader::Ascii(a) => a.write_header(body_len, out),
        }
    }

    fn read_header(&self, buf: &[u8]) -> Result<Option<Header>> {
        match self {
            LengthHeader::Prefixed(l) => l.read_header(buf),
            LengthHeader::Varint(v) => v.read_header(buf),
            LengthHeader::Ascii(a) => a.read_header(buf),
        }
    }
}

/// What one type byte says about its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    Fixed(usize),
    Length(LengthHeader),
}

/// The typed format, made by [`Framing::typed`](super::Framing::typed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Typed {
    /// Indexed by type byte; always 256 entries.
    rules: Vec<Option<Rule>>,
    max_len: usize,
    max_body: usize,
    max_header: usize,
}

impl Typed {
    /// See [`Framing::typed`](super::Framing::typed) for the rules and errors.
    pub(crate) fn new(entries: &[(u8, TypeBody)], max_len: usize) -> Result<Typed> {
        if entries.is_empty() {
            return Err(Error::Invalid);
        }
        // One less than LEN_MAX: the type byte is part of the user-visible payload.
        let max_len = max_len.min(LEN_MAX - 1);
        let mut rules: Vec<Option<Rule>> = vec![None; 256];
        let mut max_body = 0;
        let mut max_header = 0;
        for (t, body) in entries {
            let slot = rules.get_mut(usize::from(*t)).ok_or(Error::Internal)?;
            if slot.is_some() {
                return Err(Error::Invalid);
            }
            let rule = match body {
                TypeBody::Fixed(n) if *n > max_len => return Err(Error::Invalid),
                TypeBody::Fixed(n) => Rule::Fixed(*n),
                TypeBody::Header(f) => Rule::Length(LengthHeader::from_framing(f, max_len)?),
            };
            match rule {
                Rule::Fixed(n) => max_body = max_body.max(n),
                Rule::Length(h) => {
                    max_body = max_body.max(h.max_len());
                    max_header = max_header.max(h.max_header_len());
                }
            }
            *slot = Some(rule);
        }
        Ok(Typed {
            rules,
            max_len,
            max_body,
            max_header,
        })
    }

    fn rule(&self, t: u8) -> Option<Rule> {
        self.rules.get(usize::from(t)).copied().flatten()
    }

    /// The configured maximum body length (clamped).
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The largest body any type allows (at most `max_len`).
    pub fn max_body(&self) -> usize {
        self.max_body
    }

    /// The longest length header of the table (0 if every body is fixed); the
    /// type byte is not counted.
    pub fn max_header_len(&self) -> usize {
        self.max_header
    }

    /// What type `t` says about its body, `None` for an unknown type. A header
    /// framing is returned with its effective maximum (lowered to `max_len`).
    pub fn body_of(&self, t: u8) -> Option<TypeBody> {
        self.rule(t).map(|r| match r {
            Rule::Fixed(n) => TypeBody::Fixed(n),
            Rule::Length(h) => TypeBody::Header(h.to_framing()),
        })
    }

    /// Writes `[type][length header]` for `payload = [type][body]`. `Invalid` for
    /// an empty payload, an unknown type, or a body whose length differs from its
    /// type's fixed length; `TooBig` for a body over a header type's maximum.
    pub(crate) fn write_header(&self, payload: &[u8], out: &mut [u8]) -> Result<usize> {
        let (&t, body) = payload.split_first().ok_or(Error::Invalid)?;
        let rule = self.rule(t).ok_or(Error::Invalid)?;
        let (type_slot, rest) = out.split_first_mut().ok_or(Error::NoSpace)?;
        let header_len = match rule {
            Rule::Fixed(n) if body.len() != n => return Err(Error::Invalid),
            Rule::Fixed(_) => 0,
            Rule::Length(h) => h.write_header(body.len(), rest)?,
        };
        *type_slot = t;
        Ok(1 + header_len)
    }

    /// The frame's layout once its type and header are buffered: `BadFrame` for
    /// an unknown type (as soon as the type byte is there), then the header's errors.
    pub(crate) fn frame_span(&self, buf: &[u8]) -> Result<Option<FrameSpan>> {
        let (&t, rest) = match buf.split_first() {
            Some(split) => split,
            None => return Ok(None),
        };
        match self.rule(t).ok_or(Error::BadFrame)? {
            Rule::Fixed(n) => span_after_header(1, n, Some(t)).map(Some),
            Rule::Length(h) => match h.read_header(rest)? {
                Some(hd) => span_after_header(1 + hd.len, hd.body_len, Some(t)).map(Some),
                None => Ok(None),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Framing, TypeBody};
    use crate::error::Error;

    #[test]
    fn table_rules_are_checked() {
        let lp = Framing::length_prefixed(2, false, 1000).unwrap();
        assert_eq!(Framing::typed(&[], 10), Err(Error::Invalid));
        assert_eq!(
            Framing::typed(&[(1, TypeBody::Fixed(0)), (1, TypeBody::Fixed(2))], 10),
            Err(Error::Invalid)
        );
        assert_eq!(
            Framing::typed(&[(1, TypeBody::Fixed(11))], 10),
            Err(Error::Invalid)
        );
        assert!(Framing::typed(&[(1, TypeBody::Fixed(10))], 10).is_ok());
        for bad in [
            Framing::fixed(3).unwrap(),
            Framing::delimited(b"\n", 10).unwrap(),
            Framing::typed(&[(1, TypeBody::Fixed(1))], 10).unwrap(),
        ] {
            assert_eq!(
                Framing::typed(&[(1, TypeBody::Header(bad))], 10),
                Err(Error::Invalid)
            );
        }
        let f = Framing::typed(&[(7, TypeBody::Header(lp)), (8, TypeBody::Fixed(3))], 100).unwrap();
        assert_eq!(f.max_payload(), 101);
        assert_eq!(f.max_overhead(), 2);
        match &f {
            Framing::Typed(t) => {
                assert_eq!(t.body_of(8), Some(TypeBody::Fixed(3)));
                assert_eq!(
                    t.body_of(7),
                    Some(TypeBody::Header(
                        Framing::length_prefixed(2, false, 100).unwrap()
                    ))
                );
                assert_eq!(t.body_of(9), None);
            }
            other => panic!("{:?}", other),
        }
    }
}
