//! The ASCII length field: exactly K digits, zero-padded, in decimal (`0`-`9`) or
//! hexadecimal (lowercase on send, either case on receive). ascii-length(K) is
//! the decimal field alone in front of the payload (the HOWTO's "5 numeric
//! characters"): `hello` with K = 5 is `30 30 30 30 35 68 65 6c 6c 6f`.

use super::codec::FieldCodec;
use crate::error::{Error, Result};
use crate::framing::limits::MAX_DIGITS;

/// An ASCII field of `digits` digits in base `radix` (10 or 16).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ascii {
    digits: usize,
    radix: u32,
    /// The largest value the digits express, capped at `u64::MAX`.
    max_value: u64,
}

impl Ascii {
    /// `Invalid` unless `digits` is 1..=20.
    pub(crate) fn new(digits: usize, hex: bool) -> Result<Ascii> {
        if digits == 0 || digits > MAX_DIGITS {
            return Err(Error::Invalid);
        }
        let radix: u32 = if hex { 16 } else { 10 };
        // radix^20 - 1 < 2^81: u128 holds every bound exactly.
        let expressible = (0..digits).fold(1u128, |p, _| p * u128::from(radix)) - 1;
        Ok(Ascii {
            digits,
            radix,
            max_value: u64::try_from(expressible).unwrap_or(u64::MAX),
        })
    }
}

impl FieldCodec for Ascii {
    fn max_value(&self) -> u64 {
        self.max_value
    }

    fn len_of(&self, _value: u64) -> usize {
        self.digits
    }

    fn write(&self, value: u64, out: &mut [u8]) -> Result<usize> {
        if value > self.max_value {
            return Err(Error::TooBig);
        }
        let dst = out.get_mut(..self.digits).ok_or(Error::NoSpace)?;
        let mut rest = value;
        for slot in dst.iter_mut().rev() {
            let digit = (rest % u64::from(self.radix)) as u32;
            rest /= u64::from(self.radix);
            *slot = char::from_digit(digit, self.radix).map_or(b'?', |c| c as u8);
        }
        Ok(self.digits)
    }

    /// `BadFrame` as soon as a byte that is not a digit of the radix is buffered;
    /// `None` until all K are there; `TooBig` for a value over 64 bits.
    // Out of line: the binary read is the one inlined into the per-frame path.
    #[inline(never)]
    fn read(&self, buf: &[u8]) -> Result<Option<(usize, u64)>> {
        let mut value: u128 = 0;
        for &b in buf.iter().take(self.digits) {
            let digit = char::from(b).to_digit(self.radix).ok_or(Error::BadFrame)?;
            value = value * u128::from(self.radix) + u128::from(digit);
        }
        if buf.len() < self.digits {
            return Ok(None);
        }
        let value = u64::try_from(value).map_err(|_| Error::TooBig)?;
        Ok(Some((self.digits, value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_and_hex_digits() {
        let dec = Ascii::new(5, false).unwrap();
        let hex = Ascii::new(4, true).unwrap();
        let mut out = [0u8; 8];
        assert_eq!(dec.write(12345, &mut out), Ok(5));
        assert_eq!(&out[..5], b"12345");
        assert_eq!(hex.write(0xbeef, &mut out), Ok(4));
        assert_eq!(&out[..4], b"beef");
        assert_eq!(hex.read(b"BEEF"), Ok(Some((4, 0xbeef))));
        assert_eq!(hex.read(b"00fF"), Ok(Some((4, 0xff))));
        assert_eq!(hex.read(b"0g"), Err(Error::BadFrame));
        assert_eq!(dec.read(b"0a"), Err(Error::BadFrame));
        assert_eq!(dec.read(b"0012"), Ok(None));
        assert_eq!((dec.max_value(), hex.max_value()), (99_999, 0xffff));
        assert_eq!(Ascii::new(20, true).unwrap().max_value(), u64::MAX);
        assert_eq!(Ascii::new(0, false), Err(Error::Invalid));
        assert_eq!(Ascii::new(21, true), Err(Error::Invalid));
        assert_eq!(
            Ascii::new(20, false).unwrap().read(b"99999999999999999999"),
            Err(Error::TooBig)
        );
    }
}
