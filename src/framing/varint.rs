//! varint(max): the payload length as an unsigned LEB128 varint (protobuf style:
//! 7 bits per byte, least significant group first, high bit = "more bytes
//! follow"), at most 10 bytes, shortest form only; then the payload.
//!
//! 300 is `ac 02`; 0 is `00`; `u64::MAX` takes 10 bytes.

use super::{Header, LEN_MAX};
use crate::error::{Error, Result};

/// The most bytes a varint may take (enough for 64 bits).
pub const MAX_VARINT_LEN: usize = 10;

/// The varint format, made by [`Framing::varint`](super::Framing::varint).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Varint {
    max_len: usize,
}

/// The number of bytes of the shortest LEB128 encoding of `value` (1..=10).
pub fn encoded_len(value: u64) -> usize {
    let mut n = 1;
    let mut rest = value >> 7;
    while rest != 0 {
        n += 1;
        rest >>= 7;
    }
    n
}

impl Varint {
    /// `max_len` clamped to [`LEN_MAX`].
    pub(crate) fn new(max_len: usize) -> Varint {
        Varint {
            max_len: max_len.min(LEN_MAX),
        }
    }

    /// The largest payload.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The longest header this framing writes: the varint of the maximum.
    pub fn max_header_len(&self) -> usize {
        encoded_len(self.max_len as u64)
    }

    /// Writes the varint of `body_len`; `TooBig` over the maximum.
    pub(crate) fn write_header(&self, body_len: usize, out: &mut [u8]) -> Result<usize> {
        if body_len > self.max_len {
            return Err(Error::TooBig);
        }
        let mut value = u64::try_from(body_len).map_err(|_| Error::TooBig)?;
        let mut n = 0;
        loop {
            let low = (value & 0x7f) as u8;
            value >>= 7;
            let byte = if value == 0 { low } else { low | 0x80 };
            *out.get_mut(n).ok_or(Error::NoSpace)? = byte;
            n += 1;
            if value == 0 || n >= MAX_VARINT_LEN {
                return Ok(n);
            }
        }
    }

    /// Reads the varint at the start of `buf`, one byte at a time, so every
    /// error shows as soon as its byte is buffered: `BadFrame` for a final byte
    /// `00` after the first (a redundant, overlong form), a 10th byte that is not
    /// `00`/`01`-final (more than 10 bytes, or over 64 bits); then, once the
    /// varint is whole, `TooBig` if over the maximum. `None` while incomplete.
    pub(crate) fn read_header(&self, buf: &[u8]) -> Result<Option<Header>> {
        let mut value: u64 = 0;
        for (i, &byte) in buf.iter().take(MAX_VARINT_LEN).enumerate() {
            let low = u64::from(byte & 0x7f);
            let last = byte & 0x80 == 0;
            if i + 1 == MAX_VARINT_LEN && (!last || low > 1) {
                // An 11th byte would follow, or bits beyond 64.
                return Err(Error::BadFrame);
            }
            value |= low << (7 * i);
            if last {
                if i > 0 && byte == 0 {
                    return Err(Error::BadFrame);
                }
                let body_len = usize::try_from(value).map_err(|_| Error::TooBig)?;
                if body_len > self.max_len {
                    return Err(Error::TooBig);
                }
                return Ok(Some(Header {
                    len: i + 1,
                    body_len,
                }));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_len_matches_the_writer() {
        let v = Varint::new(usize::MAX);
        for value in [
            0u64,
            1,
            127,
            128,
            16383,
            16384,
            1 << 35,
            (1 << 56) - 1,
            1 << 56,
        ] {
            let value = value.min(v.max_len as u64);
            let mut out = [0u8; 10];
            let n = v.write_header(value as usize, &mut out).unwrap();
            assert_eq!(n, encoded_len(value));
            let h = v.read_header(&out[..n]).unwrap().unwrap();
            assert_eq!((h.len, h.body_len as u64), (n, value));
        }
        assert_eq!(encoded_len(u64::MAX), 10);
        assert_eq!(encoded_len(1 << 63), 10);
        assert_eq!(encoded_len((1 << 63) - 1), 9);
    }
}
