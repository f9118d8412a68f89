//! ascii-length(K, max): the payload length as exactly K ASCII decimal digits,
//! zero-padded (the HOWTO's "5 numeric characters"), then the payload.
//!
//! `hello` with K = 5: `30 30 30 30 35 68 65 6c 6c 6f`.

use super::{Header, LEN_MAX};
use crate::error::{Error, Result};

/// The most digits a length may have (10^20 - 1 exceeds every 64-bit length).
pub const MAX_DIGITS: usize = 20;

/// The ascii-length format, made by
/// [`Framing::ascii_length`](super::Framing::ascii_length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsciiLength {
    digits: usize,
    max_len: usize,
}

impl AsciiLength {
    /// `Invalid` unless `digits` is 1..=20; `max_len` clamped to `10^digits - 1`
    /// and to [`LEN_MAX`].
    pub(crate) fn new(digits: usize, max_len: usize) -> Result<AsciiLength> {
        if digits == 0 || digits > MAX_DIGITS {
            return Err(Error::Invalid);
        }
        // 10^20 - 1 < 2^67: u128 holds every bound exactly.
        let expressible = (0..digits).fold(1u128, |p, _| p * 10) - 1;
        let max_len = match usize::try_from(expressible) {
            Ok(cap) => max_len.min(cap),
            Err(_) => max_len,
        };
        Ok(AsciiLength {
            digits,
            max_len: max_len.min(LEN_MAX),
        })
    }

    /// K: the header's size in bytes.
    pub fn digits(&self) -> usize {
        self.digits
    }

    /// The largest payload (already clamped to what K digits express).
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Writes the K zero-padded digits of `body_len`; `TooBig` over the maximum
    /// (which includes needing more than K digits).
    pub(crate) fn write_header(&self, body_len: usize, out: &mut [u8]) -> Result<usize> {
        if body_len > self.max_len {
            return Err(Error::TooBig);
        }
        let dst = out.get_mut(..self.digits).ok_or(Error::NoSpace)?;
        let mut rest = body_len;
        for slot in dst.iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        if rest != 0 {
            // Unreachable: the maximum is clamped to 10^K - 1.
            return Err(Error::TooBig);
        }
        Ok(self.digits)
    }

    /// Reads the K digits at the start of `buf`: `BadFrame` as soon as a
    /// non-digit is buffered; `None` until all K are there; then `TooBig` if the
    /// length is over the maximum.
    pub(crate) fn read_header(&self, buf: &[u8]) -> Result<Option<Header>> {
        let mut value: u128 = 0;
        for &b in buf.iter().take(self.digits) {
            if !b.is_ascii_digit() {
                return Err(Error::BadFrame);
            }
            value = value * 10 + u128::from(b - b'0');
        }
        if buf.len() < self.digits {
            return Ok(None);
        }
        let body_len = usize::try_from(value).map_err(|_| Error::TooBig)?;
        if body_len > self.max_len {
            return Err(Error::TooBig);
        }
        Ok(Some(Header {
            len: self.digits,
            body_len,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Framing;
    use crate::error::Error;

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
        assert_eq!(f.max_payload(), super::LEN_MAX);
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
