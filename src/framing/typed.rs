//! typed(table, max): one type byte, then a body whose length the type decides:
//! a fixed length per type (0 allowed), or a frame of a length format (a
//! [`LengthField`]: length-prefixed, varint, ascii-length, or any length field).
//! An unknown type is malformed.
//!
//! The user-visible payload of a typed frame is `[type][body]`: encode reads the
//! type from `payload[0]`, and decode reports the type beside the body's span
//! ([`FrameSpan::type_byte`](super::FrameSpan::type_byte)); the body always starts
//! at offset 1 or later, so a reader can move the type byte to just before the
//! body and hand out `[type][body]` contiguously
//! ([`FrameSpan::user_payload`](super::FrameSpan::user_payload)).
//!
//! On the wire: the type byte, then (for a header type) the length format's
//! frame: its head, its length field, then the body. The type byte and the head
//! are the payload's first bytes ([`FrameSpan::head`](super::FrameSpan::head)).

use super::length_field::LengthField;
use super::limits::{HEADER_MAX, LEN_MAX};
use super::span::FrameSpan;
use crate::error::{Error, Result};

/// What one type byte says about its body (the crate's side of a
/// [`TypeBody`](super::TypeBody)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Exactly this many bytes (0 allowed).
    Fixed(usize),
    /// A frame of this length format (in a table, its maximum lowered to the table's).
    Length(LengthField),
}

/// The typed format, made by [`Framing::typed`](super::Framing::typed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Typed {
    /// Indexed by type byte; always 256 entries.
    rules: Vec<Option<Rule>>,
    max_body: usize,
    max_header: usize,
    /// The table's rules as given, their length fields' own maxima uncapped (`with_max`
    /// remakes the framing from them).
    declared: Vec<(u8, Rule)>,
}

impl Typed {
    /// See [`Framing::typed`](super::Framing::typed) for the rules and errors.
    /// `entries` are the table's `(type byte, rule)` pairs, or the error that
    /// turning a [`TypeBody`](super::TypeBody) into a rule gave.
    pub(crate) fn new(
        entries: impl IntoIterator<Item = Result<(u8, Rule)>>,
        max_len: usize,
    ) -> Result<Typed> {
        // One less than LEN_MAX: the type byte is part of the user-visible payload.
        let max_len = max_len.min(LEN_MAX - 1);
        let mut rules: Vec<Option<Rule>> = vec![None; 256];
        let mut max_body = 0;
        let mut max_header = 0;
        let declared: Vec<(u8, Rule)> = entries.into_iter().collect::<Result<_>>()?;
        for &(t, rule) in &declared {
            let slot = rules.get_mut(usize::from(t)).ok_or(Error::Internal)?;
            if slot.is_some() {
                return Err(Error::Invalid);
            }
            let rule = match rule {
                Rule::Fixed(n) if n > max_len => return Err(Error::Invalid),
                Rule::Fixed(n) => {
                    max_body = max_body.max(n);
                    Rule::Fixed(n)
                }
                Rule::Length(l) => {
                    let l = l.capped(max_len)?;
                    // The type byte, the head and the field must fit the header array.
                    if 1 + l.head() + l.max_overhead() > HEADER_MAX {
                        return Err(Error::Invalid);
                    }
                    max_body = max_body.max(l.max_payload());
                    max_header = max_header.max(l.max_overhead());
                    Rule::Length(l)
                }
            };
            *slot = Some(rule);
        }
        if declared.is_empty() {
            return Err(Error::Invalid);
        }
        Ok(Typed {
            rules,
            max_body,
            max_header,
            declared,
        })
    }

    /// The same table under a body maximum of `max_len` instead (see `new` for the errors).
    pub(crate) fn with_max(&self, max_len: usize) -> Result<Typed> {
        Typed::new(self.declared.iter().map(|&entry| Ok(entry)), max_len)
    }

    fn rule(&self, t: u8) -> Option<Rule> {
        self.rules.get(usize::from(t)).copied().flatten()
    }

    /// The largest body any type allows (at most `max_len`).
    pub fn max_body(&self) -> usize {
        self.max_body
    }

    /// The longest length field of the table (0 if every body is fixed); the
    /// type byte and heads are part of the payload, so not counted.
    pub fn max_header_len(&self) -> usize {
        self.max_header
    }

    /// An upper bound on the frame of a `payload_len`-byte payload: `Invalid` if
    /// empty, `TooBig` over the largest payload any type allows.
    pub(crate) fn encoded_len(&self, payload_len: usize) -> Result<usize> {
        if payload_len == 0 {
            return Err(Error::Invalid);
        }
        if payload_len > self.max_body.saturating_add(1) {
            return Err(Error::TooBig);
        }
        payload_len
            .checked_add(self.max_header)
            .ok_or(Error::TooBig)
    }

    /// Writes `[type][head][length field]` for `payload = [type][head][body]`
    /// and returns the header's length and where the body starts in `payload`.
    /// `Invalid` for an empty payload, an unknown type, or a body whose length
    /// differs from its type's fixed length; then the length field's errors.
    pub(crate) fn write_header(&self, payload: &[u8], out: &mut [u8]) -> Result<(usize, usize)> {
        let (&t, rest) = payload.split_first().ok_or(Error::Invalid)?;
        let rule = self.rule(t).ok_or(Error::Invalid)?;
        let (type_slot, out_rest) = out.split_first_mut().ok_or(Error::NoSpace)?;
        let (header_len, body_start) = match rule {
            Rule::Fixed(n) if rest.len() != n => return Err(Error::Invalid),
            Rule::Fixed(_) => (1, 1),
            Rule::Length(l) => (1 + l.write_header(rest, out_rest)?, 1 + l.head()),
        };
        *type_slot = t;
        Ok((header_len, body_start))
    }

    /// The frame's layout once its type and header are buffered: `BadFrame` for
    /// an unknown type (as soon as the type byte is there), then the length
    /// field's errors.
    #[inline]
    pub(crate) fn frame_span(&self, buf: &[u8]) -> Result<Option<FrameSpan>> {
        let (&t, rest) = match buf.split_first() {
            Some(split) => split,
            None => return Ok(None),
        };
        let inner = match self.rule(t).ok_or(Error::BadFrame)? {
            Rule::Fixed(n) => FrameSpan {
                payload_start: 0,
                payload_len: n,
                frame_len: n,
                type_byte: None,
                head: 0,
            },
            Rule::Length(l) => match l.frame_span(rest)? {
                Some(span) => span,
                None => return Ok(None),
            },
        };
        // Behind the type byte, which joins the head.
        Ok(Some(FrameSpan {
            payload_start: inner.payload_start + 1,
            payload_len: inner.payload_len,
            frame_len: inner.frame_len.checked_add(1).ok_or(Error::TooBig)?,
            type_byte: Some(t),
            head: inner.head + 1,
        }))
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
        // The nested header's maximum is lowered to the table's.
        let mut out = [0u8; 200];
        let long = [&[7u8][..], &[0u8; 101][..]].concat();
        assert_eq!(f.encode(&long, &mut out), Err(Error::TooBig));
        assert_eq!(f.encode(&long[..101], &mut out), Ok(103));
    }
}
