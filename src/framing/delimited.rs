//! delimited(D, max): the payload, then the delimiter D (1..=16 bytes), which is
//! stripped on receive.
//!
//! The frame ends at the first occurrence of D. So a payload P can be sent only if
//! the first occurrence of D in `P + D` is the appended one: D may not occur inside
//! P, nor straddle its end (with D = `"\r\n"`, a payload ending in `'\r'` would come
//! back without that `'\r'`). [`round_trips`] is that rule, and encode applies it.

use super::limits::LEN_MAX;
use super::span::{DecodeState, Decoded, FrameSpan};
use crate::error::{Error, Result};

/// The longest delimiter allowed.
const MAX_DELIMITER_LEN: usize = 16;

/// The delimited format, made by [`Framing::delimited`](super::Framing::delimited).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delimited {
    delim: [u8; MAX_DELIMITER_LEN],
    delim_len: usize,
    max_len: usize,
}

impl Delimited {
    /// `Invalid` unless `delim` is 1..=16 bytes; `max_len` clamped to [`LEN_MAX`].
    pub(crate) fn new(delim: &[u8], max_len: usize) -> Result<Delimited> {
        if delim.is_empty() || delim.len() > MAX_DELIMITER_LEN {
            return Err(Error::Invalid);
        }
        let mut stored = [0u8; MAX_DELIMITER_LEN];
        stored
            .get_mut(..delim.len())
            .ok_or(Error::Invalid)?
            .copy_from_slice(delim);
        Ok(Delimited {
            delim: stored,
            delim_len: delim.len(),
            max_len: max_len.min(LEN_MAX),
        })
    }

    /// The delimiter D (1..=16 bytes).
    pub fn delimiter(&self) -> &[u8] {
        self.delim.get(..self.delim_len).unwrap_or(&[])
    }

    /// The largest payload (the delimiter excluded).
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// `TooBig` if longer than the maximum; `Invalid` if the payload would not
    /// come back intact (see [`round_trips`]).
    pub(crate) fn check(&self, payload: &[u8]) -> Result<()> {
        if payload.len() > self.max_len {
            return Err(Error::TooBig);
        }
        if !round_trips(payload, self.delimiter()) {
            return Err(Error::Invalid);
        }
        Ok(())
    }

    /// The frame length of a `payload_len`-byte payload; `TooBig` over the maximum.
    pub(crate) fn encoded_len(&self, payload_len: usize) -> Result<usize> {
        if payload_len > self.max_len {
            return Err(Error::TooBig);
        }
        // Cannot overflow: max_len is at most LEN_MAX, the delimiter 16 bytes.
        Ok(payload_len + self.delim_len)
    }

    /// Scans for the delimiter, resuming at `state.scan_from`. Only matches
    /// starting at offsets `0..=max_len` count; once `max_len + D.len()` bytes are
    /// buffered without one, the frame is `TooBig`.
    pub(crate) fn decode(&self, buf: &[u8], state: &mut DecodeState) -> Result<Decoded> {
        let delim = self.delimiter();
        let first = match delim.first() {
            Some(&b) => b,
            None => return Err(Error::Internal),
        };
        // A stale state (the buffer shrank: not the same frame) restarts the scan.
        let mut from = if state.scan_from > buf.len() {
            0
        } else {
            state.scan_from
        };
        if let Some(room) = buf.len().checked_sub(delim.len()) {
            // The last offset where a counting match may start.
            let last = room.min(self.max_len);
            while from <= last {
                let window = buf.get(from..=last).unwrap_or(&[]);
                let at = match window.iter().position(|&b| b == first) {
                    Some(off) => from.saturating_add(off),
                    None => {
                        from = last.saturating_add(1);
                        break;
                    }
                };
                let end = at.saturating_add(delim.len());
                if buf.get(at..end) == Some(delim) {
                    state.reset();
                    return Ok(Decoded::Frame(FrameSpan {
                        payload_start: 0,
                        payload_len: at,
                        frame_len: end,
                        type_byte: None,
                        head: 0,
                    }));
                }
                from = at.saturating_add(1);
            }
        }
        if buf.len() >= self.max_len.saturating_add(delim.len()) {
            state.reset();
            return Err(Error::TooBig);
        }
        state.scan_from = from;
        Ok(Decoded::NeedMore { total: None })
    }
}

/// True when `payload` followed by `delim` decodes back to exactly `payload`: no
/// occurrence of `delim` in `payload + delim` starts before `payload.len()`
/// (neither inside the payload nor straddling its end). Always true for an empty
/// payload; false for every payload when `delim` is empty.
pub fn round_trips(payload: &[u8], delim: &[u8]) -> bool {
    if delim.is_empty() {
        return false;
    }
    // The byte at offset j of `payload + delim`, without building it.
    let joined = |j: usize| -> Option<u8> {
        match j.checked_sub(payload.len()) {
            None => payload.get(j).copied(),
            Some(k) => delim.get(k).copied(),
        }
    };
    let starts_at = |i: usize| {
        delim
            .iter()
            .enumerate()
            .all(|(k, &b)| i.checked_add(k).and_then(joined) == Some(b))
    };
    !(0..payload.len()).any(starts_at)
}

#[cfg(test)]
mod tests {
    use super::super::{DecodeState, Decoded, Framing};
    use super::round_trips;
    use crate::error::Error;

    #[test]
    fn straddling_delimiter_is_refused() {
        assert!(round_trips(b"abc", b"\r\n"));
        assert!(round_trips(b"", b"\r\n"));
        assert!(round_trips(b"\n", b"\r\n"));
        // "abc\r" + "\r\n" = "abc\r\r\n": the first "\r\n" is the appended one,
        // so a payload ending in '\r' does round-trip; "\r\n" cannot straddle.
        assert!(round_trips(b"abc\r", b"\r\n"));
        assert!(!round_trips(b"a\r\nb", b"\r\n"));
        // Only a delimiter that overlaps itself can straddle: "a" + "ab" = "aab" is fine.
        assert!(round_trips(b"a", b"ab"));
        assert!(!round_trips(b"ab", b"ab"));
        // D = "aa": any payload ending in 'a' straddles.
        assert!(!round_trips(b"xa", b"aa"));
        assert!(round_trips(b"ax", b"aa"));
        assert!(!round_trips(b"x", b""));
        // D = "abab" has period 2: a payload ending in "ab" straddles; "aba", "abb" do not.
        assert!(!round_trips(b"xab", b"abab"));
        assert!(round_trips(b"xaba", b"abab"));
        assert!(round_trips(b"abb", b"abab"));
    }

    #[test]
    fn scan_resumes_where_it_stopped() {
        let f = Framing::delimited(b"\r\n", 100).unwrap();
        let mut st = DecodeState::new();
        assert_eq!(
            f.decode(b"abc\r", &mut st),
            Ok(Decoded::NeedMore { total: None })
        );
        assert_eq!(st.scan_from, 3);
        match f.decode(b"abc\r\n", &mut st) {
            Ok(Decoded::Frame(s)) => assert_eq!((s.payload_len, s.frame_len), (3, 5)),
            other => panic!("{:?}", other),
        }
        assert_eq!(st, DecodeState::new());
        // A stale state pointing past the buffer is not trusted.
        st.scan_from = 50;
        match f.decode(b"\r\n", &mut st) {
            Ok(Decoded::Frame(s)) => assert_eq!((s.payload_len, s.frame_len), (0, 2)),
            other => panic!("{:?}", other),
        }
        assert_eq!(Framing::delimited(b"", 1), Err(Error::Invalid));
        assert_eq!(Framing::delimited(&[0u8; 17], 1), Err(Error::Invalid));
        assert!(Framing::delimited(&[0u8; 16], 1).is_ok());
    }
}
