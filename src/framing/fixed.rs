//! fixed(N): every frame is exactly N payload bytes, with no header and no trailer.

use super::span::FrameSpan;
use crate::error::{Error, Result};

/// The fixed(N) format, made by [`Framing::fixed`](super::Framing::fixed). N > 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fixed {
    len: usize,
}

impl Fixed {
    /// `Invalid` if `len == 0`.
    pub(crate) fn new(len: usize) -> Result<Fixed> {
        if len == 0 {
            return Err(Error::Invalid);
        }
        Ok(Fixed { len })
    }

    /// N: the length of every payload (and frame).
    pub fn payload_len(&self) -> usize {
        self.len
    }

    /// `TooBig` if longer than N, `Invalid` if shorter (empty included).
    pub(crate) fn check(&self, payload_len: usize) -> Result<()> {
        if payload_len > self.len {
            Err(Error::TooBig)
        } else if payload_len < self.len {
            Err(Error::Invalid)
        } else {
            Ok(())
        }
    }

    /// Every frame lies at `0..N`, whatever is buffered.
    pub(crate) fn span(&self) -> FrameSpan {
        FrameSpan {
            payload_start: 0,
            payload_len: self.len,
            frame_len: self.len,
            type_byte: None,
            head: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DecodeState, Decoded, Framing};
    use crate::error::Error;

    #[test]
    fn fixed_frame_is_the_payload_itself() {
        let f = Framing::fixed(3).unwrap();
        let mut out = [0u8; 8];
        assert_eq!(f.encode(b"abc", &mut out), Ok(3));
        assert_eq!(&out[..3], b"abc");
        assert_eq!(f.encode(b"ab", &mut out), Err(Error::Invalid));
        assert_eq!(f.encode(b"", &mut out), Err(Error::Invalid));
        assert_eq!(f.encode(b"abcd", &mut out), Err(Error::TooBig));
        assert_eq!(Framing::fixed(0), Err(Error::Invalid));
        let mut st = DecodeState::new();
        assert_eq!(
            f.decode(b"ab", &mut st),
            Ok(Decoded::NeedMore { total: Some(3) })
        );
        match f.decode(b"abcd", &mut st) {
            Ok(Decoded::Frame(s)) => {
                assert_eq!((s.payload_start, s.payload_len, s.frame_len), (0, 3, 3))
            }
            other => panic!("{:?}", other),
        }
    }
}
