//! The varint length field: an unsigned LEB128 varint (protobuf style: 7 bits
//! per byte, least significant group first, high bit = "more bytes follow"), at
//! most 10 bytes, shortest form only. varint(max) is this field alone in front of
//! the payload; MQTT's "remaining length" is this field after a type byte.
//!
//! 300 is `ac 02`; 0 is `00`; `u64::MAX` takes 10 bytes.

use super::codec::FieldCodec;
use crate::error::{Error, Result};

/// The most bytes a varint may take (enough for 64 bits).
const MAX_VARINT_LEN: usize = 10;

/// The varint field (it has no parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Varint;

/// The number of bytes of the shortest LEB128 encoding of `value` (1..=10).
fn encoded_len(value: u64) -> usize {
    let mut n = 1;
    let mut rest = value >> 7;
    while rest != 0 {
        n += 1;
        rest >>= 7;
    }
    n
}

impl FieldCodec for Varint {
    fn max_value(&self) -> u64 {
        u64::MAX
    }

    fn len_of(&self, value: u64) -> usize {
        encoded_len(value)
    }

    fn write(&self, value: u64, out: &mut [u8]) -> Result<usize> {
        let n = encoded_len(value);
        let dst = out.get_mut(..n).ok_or(Error::NoSpace)?;
        let mut rest = value;
        for (i, slot) in dst.iter_mut().enumerate() {
            let low = (rest & 0x7f) as u8;
            rest >>= 7;
            *slot = if i + 1 < n { low | 0x80 } else { low };
        }
        Ok(n)
    }

    /// One byte at a time, so every error shows as soon as its byte is buffered:
    /// `BadFrame` for a final byte `00` after the first (a redundant, overlong
    /// form), or a 10th byte that is not a final `00`/`01` (more than 10 bytes, or
    /// over 64 bits).
    // Out of line: the binary read is the one inlined into the per-frame path.
    #[inline(never)]
    fn read(&self, buf: &[u8]) -> Result<Option<(usize, u64)>> {
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
                return Ok(Some((i + 1, value)));
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
            u64::MAX,
        ] {
            let mut out = [0u8; 10];
            let n = Varint.write(value, &mut out).unwrap();
            assert_eq!(n, encoded_len(value));
            assert_eq!(Varint.read(&out[..n]), Ok(Some((n, value))));
            assert_eq!(Varint.read(&out[..n - 1]), Ok(None));
        }
        assert_eq!(encoded_len(u64::MAX), 10);
        assert_eq!(encoded_len(1 << 63), 10);
        assert_eq!(encoded_len((1 << 63) - 1), 9);
        assert_eq!(Varint.write(300, &mut [0u8; 1]), Err(Error::NoSpace));
    }
}
