//! length-prefixed(W, order, max): an unsigned W-byte length (W = 1, 2, 4, 8) of
//! the payload, big-endian by default or little-endian, then the payload.
//!
//! `hello` with W = 4, big-endian: `00 00 00 05 68 65 6c 6c 6f`.

use super::{Header, HEADER_MAX, LEN_MAX};
use crate::error::{Error, Result};

/// The length-prefixed format, made by
/// [`Framing::length_prefixed`](super::Framing::length_prefixed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LengthPrefixed {
    width: usize,
    little_endian: bool,
    max_len: usize,
}

impl LengthPrefixed {
    /// `Invalid` unless `width` is 1, 2, 4 or 8; `max_len` clamped to what
    /// `width` bytes express and to [`LEN_MAX`].
    pub(crate) fn new(width: usize, little_endian: bool, max_len: usize) -> Result<LengthPrefixed> {
        let expressible: u64 = match width {
            1 => 0xff,
            2 => 0xffff,
            4 => 0xffff_ffff,
            8 => u64::MAX,
            _ => return Err(Error::Invalid),
        };
        let max_len = match usize::try_from(expressible) {
            Ok(cap) => max_len.min(cap),
            Err(_) => max_len,
        };
        Ok(LengthPrefixed {
            width,
            little_endian,
            max_len: max_len.min(LEN_MAX),
        })
    }

    /// W: the header's size in bytes (1, 2, 4 or 8).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the length is little-endian (else big-endian, network order).
    pub fn little_endian(&self) -> bool {
        self.little_endian
    }

    /// The largest payload (already clamped to what W bytes express).
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Writes the W-byte header of a `body_len`-byte body; `TooBig` over the maximum.
    pub(crate) fn write_header(&self, body_len: usize, out: &mut [u8]) -> Result<usize> {
        if body_len > self.max_len {
            return Err(Error::TooBig);
        }
        let value = u64::try_from(body_len).map_err(|_| Error::TooBig)?;
        let mut bytes = [0u8; 8];
        let dst = out.get_mut(..self.width).ok_or(Error::NoSpace)?;
        let src = if self.little_endian {
            bytes.copy_from_slice(&value.to_le_bytes());
            bytes.get(..self.width)
        } else {
            bytes.copy_from_slice(&value.to_be_bytes());
            bytes.get(8usize.saturating_sub(self.width)..)
        };
        dst.copy_from_slice(src.ok_or(Error::Internal)?);
        Ok(self.width)
    }

    /// Reads the header at the start of `buf`: `None` until W bytes are there,
    /// `TooBig` if it announces more than the maximum.
    pub(crate) fn read_header(&self, buf: &[u8]) -> Result<Option<Header>> {
        let raw = match buf.get(..self.width) {
            Some(raw) => raw,
            None => return Ok(None),
        };
        let fold = |acc: u64, &b: &u8| (acc << 8) | u64::from(b);
        let value = if self.little_endian {
            raw.iter().rev().fold(0, fold)
        } else {
            raw.iter().fold(0, fold)
        };
        let body_len = usize::try_from(value).map_err(|_| Error::TooBig)?;
        if body_len > self.max_len {
            return Err(Error::TooBig);
        }
        Ok(Some(Header {
            len: self.width,
            body_len,
        }))
    }
}

// A header always fits the scratch array, even behind a typed frame's type byte.
const _: () = assert!(8 < HEADER_MAX);

#[cfg(test)]
mod tests {
    use super::super::Framing;
    use crate::error::Error;

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
}
