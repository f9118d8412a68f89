//! What the codecs answer: where an encoded frame's parts are ([`Encoded`]),
//! what the buffered bytes hold ([`Decoded`], [`FrameSpan`]), and the memory a
//! delimiter scan keeps between calls ([`DecodeState`]).

use core::ops::Range;

use crate::error::{Error, Result};

/// What [`Framing::encode_header`](super::Framing::encode_header) produced: the
/// frame on the wire is `header[..header_len]`, then `payload[body]`, then `trailer`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded<'a> {
    /// Bytes of the header written at the start of the `out` array: 0 for fixed
    /// and delimited; for the length formats the payload's head bytes (a typed
    /// frame's type byte, a length field's `head`), then the length field.
    pub header_len: usize,
    /// The part of the payload that goes on the wire after the header: `0..len`,
    /// or `head..len` when the payload's first bytes are part of the header.
    pub body: Range<usize>,
    /// Bytes to send after the body: the delimiter for delimited frames, else empty.
    pub trailer: &'a [u8],
}

impl Encoded<'_> {
    /// Total bytes of the frame on the wire: header + body + trailer.
    pub fn frame_len(&self) -> usize {
        // Cannot overflow: the body is at most LEN_MAX and header + trailer at most OVERHEAD_MAX.
        self.header_len
            .saturating_add(self.body.end.saturating_sub(self.body.start))
            .saturating_add(self.trailer.len())
    }
}

/// Memory that [`Framing::decode`](super::Framing::decode) keeps between calls on
/// the same frame, so a delimiter scan resumes where it stopped instead of
/// rescanning (bytes arriving one at a time cost O(n) in total, not O(n^2)).
///
/// One per stream. `decode` resets it by itself whenever it returns a frame or an
/// error; call [`DecodeState::reset`] when the buffered bytes are thrown away
/// some other way. The formats other than delimited do not use it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeState {
    /// Delimited: the first offset where the delimiter may still start.
    pub(crate) scan_from: usize,
}

impl DecodeState {
    /// A fresh state, for a buffer that starts at a frame boundary.
    pub fn new() -> DecodeState {
        DecodeState::default()
    }

    /// Forgets what was scanned: the next `decode` starts a new frame.
    pub fn reset(&mut self) {
        self.scan_from = 0;
    }
}

/// What [`Framing::decode`](super::Framing::decode) found in the buffered bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A whole frame is buffered; consume `frame_len` bytes after using it.
    Frame(FrameSpan),
    /// Need more bytes: `total` is the whole frame's length (header + body +
    /// trailer, always more than the bytes buffered) when the header is already
    /// known, which lets a reader receive a big payload straight into its
    /// caller's buffer; `None` while the header is incomplete, and always for
    /// delimited frames. [`Framing::frame_span`](super::Framing::frame_span)
    /// gives the rest of the layout.
    NeedMore {
        /// The frame's length on the wire, when already known.
        total: Option<usize>,
    },
}

/// Where a frame lies in the buffer handed to [`Framing::decode`](super::Framing::decode)
/// (offsets from the start of that buffer, which is a frame boundary).
///
/// The payload a user sees is the frame's first `head` bytes followed by the body:
/// a typed frame's type byte, a length field's head (a PostgreSQL message type, a
/// TLS record's first 3 bytes); `head` is 0 for the other formats. The length
/// field between them is not part of the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameSpan {
    /// Offset of the body (after the header).
    pub payload_start: usize,
    /// Length of the body (the delimiter excluded; the head excluded).
    pub payload_len: usize,
    /// Bytes to consume from the buffer: header + body + trailer.
    pub frame_len: usize,
    /// Typed frames: the type byte (the first byte of the head); `None` for every
    /// other format.
    pub type_byte: Option<u8>,
    /// Bytes at the start of the frame that belong to the payload, before the
    /// body (`payload_start >= head` always holds).
    pub head: usize,
}

impl FrameSpan {
    /// Length of the user-visible payload: head + body.
    #[inline]
    pub fn user_len(&self) -> usize {
        self.payload_len.saturating_add(self.head)
    }

    /// Offsets of the user-visible payload in the buffer once
    /// [`FrameSpan::user_payload`] has moved the head to just before the body:
    /// `payload_start - head .. end of body`.
    #[inline]
    pub fn user_range(&self) -> Range<usize> {
        // Wrapping, not saturating (one instruction each, on the per-frame path): a
        // span that does not come from `decode` may wrap, and then the range is empty
        // or out of any buffer, which every user of it checks.
        let end = self.payload_start.wrapping_add(self.payload_len);
        self.payload_start.wrapping_sub(self.head)..end
    }

    /// The whole frame as it came on the wire, header and trailer included (what
    /// a proxy forwards): `0..frame_len`.
    pub fn wire_range(&self) -> Range<usize> {
        0..self.frame_len
    }

    /// Makes the user-visible payload contiguous in `buf` and returns it.
    ///
    /// Moves the head (`buf[..head]`) to just before the body, over the length
    /// field (the frame is consumed whole anyway), and returns `[head][body]`;
    /// with no head it writes nothing and returns the body.
    ///
    /// `buf` must be the buffer (or a copy of it) that `decode` returned this span
    /// for; `Err(Invalid)` if it is too short to hold the frame.
    #[inline]
    pub fn user_payload<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8]> {
        let range = self.user_range();
        if self.head > 0 {
            if range.end > buf.len() {
                return Err(Error::Invalid);
            }
            buf.copy_within(..self.head, range.start);
        }
        let buf: &'b [u8] = buf;
        buf.get(range).ok_or(Error::Invalid)
    }

    /// Copies the user-visible payload (head, then body) of the frame at the
    /// start of `frame` into the start of `out`, leaving `frame` as it is, and
    /// returns its length. `NoSpace` if `out` is shorter than [`FrameSpan::user_len`],
    /// `Invalid` if `frame` does not hold the whole frame.
    pub fn copy_user_payload(&self, frame: &[u8], out: &mut [u8]) -> Result<usize> {
        let n = self.user_len();
        let dst = out.get_mut(..n).ok_or(Error::NoSpace)?;
        let head = frame.get(..self.head).ok_or(Error::Invalid)?;
        let body_end = self.payload_start.saturating_add(self.payload_len);
        let body = frame
            .get(self.payload_start..body_end)
            .ok_or(Error::Invalid)?;
        let (dst_head, dst_body) = dst.split_at_mut(self.head);
        dst_head.copy_from_slice(head);
        dst_body.copy_from_slice(body);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS-like frame: 3 head bytes, a 2-byte field, a 4-byte body.
    const SPAN: FrameSpan = FrameSpan {
        payload_start: 5,
        payload_len: 4,
        frame_len: 9,
        type_byte: None,
        head: 3,
    };

    #[test]
    fn the_head_joins_the_body() {
        let wire = *b"\x17\x03\x03\x00\x04body";
        let mut out = [0u8; 8];
        assert_eq!(SPAN.copy_user_payload(&wire, &mut out), Ok(7));
        assert_eq!(&out[..7], b"\x17\x03\x03body");
        assert_eq!(
            SPAN.copy_user_payload(&wire, &mut out[..6]),
            Err(Error::NoSpace)
        );
        assert_eq!(
            SPAN.copy_user_payload(&wire[..8], &mut out),
            Err(Error::Invalid)
        );
        // In place: the head moves over the field (overlapping), the body stays.
        let mut buf = wire;
        assert_eq!(SPAN.user_payload(&mut buf), Ok(&b"\x17\x03\x03body"[..]));
        assert_eq!(
            (SPAN.user_len(), SPAN.user_range(), SPAN.wire_range()),
            (7, 2..9, 0..9)
        );
        assert_eq!(SPAN.user_payload(&mut [0u8; 8]), Err(Error::Invalid));
        // A span that does not come from decode is refused, not a panic.
        let wild = FrameSpan {
            payload_start: usize::MAX,
            payload_len: 2,
            frame_len: 1,
            type_byte: None,
            head: 0,
        };
        assert_eq!(wild.user_payload(&mut [0u8; 4]), Err(Error::Invalid));
        assert_eq!(
            wild.copy_user_payload(&[0u8; 4], &mut [0u8; 4]),
            Err(Error::Invalid)
        );
    }
}
