//! delimited(D, max): the payload, then the delimiter D (1..=16 bytes), which is
//! stripped on receive.
//!
//! The frame ends at the first occurrence of D. So a payload P can be sent only if
//! the first occurrence of D in `P + D` is the appended one: D may not occur inside
//! P, nor straddle its end (with D = `"aa"`, a payload ending in `'a'` would come
//! back without that `'a'`). [`round_trips`] is that rule, and encode applies it.
//!
//! The check runs at memory speed: the search for D inside P is `memchr` (one byte) or
//! `memmem` (longer delimiters): SIMD where the CPU has it, a word at a time elsewhere.
//! Only a delimiter that overlaps itself (a proper prefix equal to a suffix, as `"aa"`
//! or `"abab"`; never `"\r\n"`) can straddle P's end, and only for such a delimiter are
//! the last `D.len() - 1` positions looked at again.

use super::limits::{LEN_MAX, MAX_DELIMITER_LEN};
use super::span::{DecodeState, Decoded, FrameSpan};
use crate::error::{Error, Result};

/// The delimited format, made by [`Framing::delimited`](super::Framing::delimited).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delimited {
    delim: [u8; MAX_DELIMITER_LEN],
    delim_len: usize,
    max_len: usize,
    /// D overlaps itself, so it can straddle a payload's end (see [`overlaps_itself`]).
    overlaps: bool,
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
            overlaps: overlaps_itself(delim),
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

    /// The same delimiter with a maximum payload of `max_len` (clamped to [`LEN_MAX`]).
    pub(crate) fn with_max(&self, max_len: usize) -> Delimited {
        Delimited {
            max_len: max_len.min(LEN_MAX),
            ..*self
        }
    }

    /// `TooBig` if longer than the maximum; `Invalid` if the payload would not
    /// come back intact (see [`round_trips`]).
    pub(crate) fn check(&self, payload: &[u8]) -> Result<()> {
        if payload.len() > self.max_len {
            return Err(Error::TooBig);
        }
        if !fits(payload, self.delimiter(), self.overlaps) {
            return Err(Error::Invalid);
        }
        Ok(())
    }

    /// The whole frame of `payload` written at the start of `out`, its length returned
    /// (the writers' per-frame path: the check, then two copies). Errors as
    /// `Framing::encode`: `TooBig`, `Invalid`, then `NoSpace`; `out` untouched on error.
    #[inline]
    pub(crate) fn encode_into(&self, payload: &[u8], out: &mut [u8]) -> Result<usize> {
        self.check(payload)?;
        let total = payload.len() + self.delim_len;
        let frame = out.get_mut(..total).ok_or(Error::NoSpace)?;
        let (body, tail) = frame.split_at_mut(payload.len());
        body.copy_from_slice(payload);
        tail.copy_from_slice(self.delimiter());
        Ok(total)
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
                let at = match memchr::memchr(first, window) {
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
    !delim.is_empty() && fits(payload, delim, overlaps_itself(delim))
}

/// True when `delim` has a proper prefix that is also its suffix (`"aa"`, `"aba"`,
/// `"abab"`): the only delimiters that can occur straddling a payload's end.
pub(crate) fn overlaps_itself(delim: &[u8]) -> bool {
    (1..delim.len()).any(|k| delim.get(k..) == delim.get(..delim.len() - k))
}

/// `round_trips` with the overlap known: `delim` is not inside `payload` (memchr /
/// memmem), and, when it overlaps itself, does not start in the payload's last
/// `delim.len() - 1` bytes either.
#[inline]
fn fits(payload: &[u8], delim: &[u8], overlaps: bool) -> bool {
    let inside = match delim {
        [] => return false,
        [b] => memchr::memchr(*b, payload).is_some(),
        _ => memchr::memmem::find(payload, delim).is_some(),
    };
    !(inside || (overlaps && straddles(payload, delim)))
}

/// An occurrence of `delim` in `payload + delim` that starts inside the payload and
/// ends after it: the payload's last `k` bytes are `delim`'s first `k`, and `delim`
/// from `k` on is its own start (period `k`).
#[inline(never)]
fn straddles(payload: &[u8], delim: &[u8]) -> bool {
    (1..delim.len().min(payload.len().saturating_add(1))).any(|k| {
        payload.get(payload.len() - k..) == delim.get(..k)
            && delim.get(k..) == delim.get(..delim.len() - k)
    })
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

    /// The definition, byte by byte: an occurrence of `delim` in `payload + delim`
    /// starting before the payload's end.
    fn round_trips_slowly(payload: &[u8], delim: &[u8]) -> bool {
        let mut joined = payload.to_vec();
        joined.extend_from_slice(delim);
        !delim.is_empty() && !(0..payload.len()).any(|i| joined[i..].starts_with(delim))
    }

    #[test]
    fn fast_check_agrees_with_the_definition() {
        let delims: [&[u8]; 8] = [
            b"\r\n", b"\n", b"aa", b"aba", b"abab", b"aab", b"aaa", b"ab",
        ];
        // Every payload of up to 7 bytes over {a, b, \r, \n}, then long ones with the
        // delimiter placed at every offset near the end (memmem's long-haystack path).
        let alphabet = [b'a', b'b', b'\r', b'\n'];
        for d in delims {
            for len in 0..=7u32 {
                for code in 0..4usize.pow(len) {
                    let p: Vec<u8> = (0..len).map(|i| alphabet[(code >> (2 * i)) & 3]).collect();
                    assert_eq!(
                        round_trips(&p, d),
                        round_trips_slowly(&p, d),
                        "{:?} {:?}",
                        p,
                        d
                    );
                }
            }
            for at in 0..200 {
                let mut p = vec![b'x'; 200];
                for (k, &b) in d.iter().enumerate() {
                    if let Some(slot) = p.get_mut(at + k) {
                        *slot = b;
                    }
                }
                assert_eq!(
                    round_trips(&p, d),
                    round_trips_slowly(&p, d),
                    "{} {:?}",
                    at,
                    d
                );
            }
        }
        assert!(!super::overlaps_itself(b"\r\n"));
        assert!(super::overlaps_itself(b"abab"));
        assert!(!super::overlaps_itself(b"aab"));
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
