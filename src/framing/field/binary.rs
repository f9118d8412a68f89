//! The binary length field: an unsigned integer of 1 to 8 bytes, big-endian
//! (network order) or little-endian. length-prefixed(W, order) is this field
//! alone in front of the payload: `hello` with W = 4, big-endian is
//! `00 00 00 05 68 65 6c 6c 6f`.

use super::codec::FieldCodec;
use crate::error::{Error, Result};

/// The widest binary field, in bytes.
const MAX_WIDTH: usize = 8;

/// A binary field of `width` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Binary {
    width: usize,
    little_endian: bool,
}

impl Binary {
    /// `Invalid` unless `width` is 1..=8.
    pub(crate) fn new(width: usize, little_endian: bool) -> Result<Binary> {
        if !(1..=MAX_WIDTH).contains(&width) {
            return Err(Error::Invalid);
        }
        Ok(Binary {
            width,
            little_endian,
        })
    }
}

impl FieldCodec for Binary {
    #[inline(always)]
    fn max_value(&self) -> u64 {
        u64::MAX >> (64 - 8 * self.width)
    }

    #[inline]
    fn len_of(&self, _value: u64) -> usize {
        self.width
    }

    #[inline(always)]
    fn write(&self, value: u64, out: &mut [u8]) -> Result<usize> {
        // The per-frame path of writers: with room for 8 bytes, one 8-byte store.
        if let Some(eight) = out.get_mut(..MAX_WIDTH).and_then(|e| e.try_into().ok()) {
            self.store8(value, eight);
            return Ok(self.width);
        }
        let dst = out.get_mut(..self.width).ok_or(Error::NoSpace)?;
        let (bytes, keep) = if self.little_endian {
            (value.to_le_bytes(), 0..self.width)
        } else {
            (value.to_be_bytes(), MAX_WIDTH - self.width..MAX_WIDTH)
        };
        let src = bytes.get(keep);
        dst.copy_from_slice(src.ok_or(Error::Internal)?);
        Ok(self.width)
    }

    #[inline(always)]
    fn read(&self, buf: &[u8]) -> Result<Option<(usize, u64)>> {
        Ok(self.peek_at(buf, 0).map(|value| (self.width, value)))
    }
}

impl Binary {
    /// The field's size in bytes.
    #[inline(always)]
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Writes the field of `value` (at most `max_value`) as one 8-byte store at the
    /// start of `eight`: its first W bytes are the field, the rest scratch that the
    /// caller overwrites with the body (the writers' per-frame path: no branch on W).
    #[inline(always)]
    pub(crate) fn store8(&self, value: u64, eight: &mut [u8; MAX_WIDTH]) {
        *eight = if self.little_endian {
            value.to_le_bytes()
        } else {
            (value << (64 - 8 * self.width)).to_be_bytes()
        };
    }

    /// The value of the field at `buf[at..]` when 8 bytes are buffered there (one
    /// bounds check, one 8-byte load, no branch on W); `None` otherwise (then ask
    /// `peek_at`).
    #[inline(always)]
    pub(crate) fn peek8_at(&self, buf: &[u8], at: usize) -> Option<u64> {
        let eight: [u8; MAX_WIDTH] = buf.get(at..at.wrapping_add(MAX_WIDTH))?.try_into().ok()?;
        Some(if self.little_endian {
            u64::from_le_bytes(eight) & self.max_value()
        } else {
            u64::from_be_bytes(eight) >> (64 - 8 * self.width)
        })
    }

    /// The value of the field at `buf[at..]`, `None` until its W bytes are there
    /// (a binary field is never malformed): `peek8_at` when 8 bytes are buffered
    /// there (the common case), else byte by byte.
    #[inline(always)]
    pub(crate) fn peek_at(&self, buf: &[u8], at: usize) -> Option<u64> {
        if let Some(value) = self.peek8_at(buf, at) {
            return Some(value);
        }
        // `at` is a head of at most HEADER_MAX bytes: no overflow.
        let raw = buf.get(at..at + self.width)?;
        let fold = |acc: u64, &b: &u8| (acc << 8) | u64::from(b);
        Some(if self.little_endian {
            raw.iter().rev().fold(0, fold)
        } else {
            raw.iter().fold(0, fold)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_width_and_order_reads_what_it_writes() {
        for width in 1..=MAX_WIDTH {
            for le in [false, true] {
                let f = Binary::new(width, le).unwrap();
                let max = f.max_value();
                assert_eq!(
                    max,
                    if width == 8 {
                        u64::MAX
                    } else {
                        (1 << (8 * width)) - 1
                    }
                );
                for value in [0, 1, 0x1234_5678_9abc_def0 & max, max] {
                    let mut out = [0xeeu8; 16];
                    assert_eq!(f.write(value, &mut out), Ok(width));
                    // Short buffers take the byte-by-byte path, long ones the 8-byte load.
                    assert_eq!(f.read(&out[..width]), Ok(Some((width, value))));
                    assert_eq!(f.read(&out), Ok(Some((width, value))));
                    assert_eq!(f.read(&out[..width - 1]), Ok(None));
                    let mut be = value.to_be_bytes()[8 - width..].to_vec();
                    if le {
                        be.reverse();
                    }
                    assert_eq!(&out[..width], &be[..]);
                }
            }
        }
        assert_eq!(Binary::new(0, false), Err(Error::Invalid));
        assert_eq!(Binary::new(9, true), Err(Error::Invalid));
        assert_eq!(
            Binary::new(2, false).unwrap().write(1, &mut [0u8; 1]),
            Err(Error::NoSpace)
        );
    }
}
