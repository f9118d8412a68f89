//! Sans-IO framing codecs: pure functions of bytes, one file per wire format.
//!
//! Nothing here knows a socket. A [`Framing`] says how a payload becomes a frame
//! on the wire ([`Framing::encode`], [`Framing::encode_header`]) and looks at the
//! bytes buffered so far to say "a whole frame", "need more" or "this stream is
//! broken" ([`Framing::decode`]), the way tokio-util's codecs do.
//!
//! Every wire format (see SPEC.md, "Wire formats") lives in its own file:
//! [`fixed`], [`delimited`], [`length_prefixed`], [`varint`], [`ascii_length`],
//! [`typed`].
//!
//! Guarantees kept by every format:
//!
//! - No panic and no arithmetic overflow on any input; no allocation at all when
//!   encoding or decoding, so never one of a size taken from the wire.
//! - `decode` is incremental at every byte boundary: a valid stream cut anywhere
//!   gives `NeedMore` until the frame is whole, then the same `Frame`; an invalid
//!   stream gives the same error whatever the cut, as soon as the bytes that make
//!   it invalid are buffered.
//! - Every configured maximum is clamped to [`LEN_MAX`], so a frame's total length
//!   (payload plus at most [`OVERHEAD_MAX`] bytes of header and trailer) always fits
//!   a `usize`.

pub mod ascii_length;
pub mod delimited;
pub mod fixed;
pub mod length_prefixed;
pub mod typed;
pub mod varint;

use core::ops::Range;

use crate::error::{Error, Result};

pub use ascii_length::AsciiLength;
pub use delimited::Delimited;
pub use fixed::Fixed;
pub use length_prefixed::LengthPrefixed;
pub use typed::Typed;
pub use varint::Varint;

/// Size of the scratch buffer [`Framing::encode_header`] writes a header into.
///
/// An upper bound on every format's header (the largest today is a typed frame's
/// type byte plus a 20-digit ASCII length: 21 bytes).
pub const HEADER_MAX: usize = 32;

/// Upper bound on [`Framing::max_overhead`]: the header and trailer bytes that
/// encoding adds to a payload, for every framing.
pub const OVERHEAD_MAX: usize = 32;

/// Every `max_len` given to a constructor is clamped to this, so that the length
/// of any frame (payload + header + trailer) fits a `usize` without overflow.
pub const LEN_MAX: usize = usize::MAX - OVERHEAD_MAX;

/// How payloads are framed on a byte stream. Made by the constructors below and
/// immutable afterwards; cheap to clone (a typed framing clones its table), and
/// `Send + Sync`, so one framing may be shared by many readers and writers.
///
/// Each variant holds a format struct whose fields are private: a `Framing` can
/// only be built through a checked constructor.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Framing {
    /// fixed(N): exactly N payload bytes.
    Fixed(Fixed),
    /// delimited(D): payload, then D (stripped on receive).
    Delimited(Delimited),
    /// length-prefixed(W, order): a W-byte unsigned length, then the payload.
    LengthPrefixed(LengthPrefixed),
    /// varint: a LEB128 length, then the payload.
    Varint(Varint),
    /// ascii-length(K): K ASCII decimal digits, then the payload.
    AsciiLength(AsciiLength),
    /// typed(table): a type byte, then a body whose length the type decides.
    Typed(Typed),
}

/// How the body of one type of a typed framing is delimited (see [`Framing::typed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeBody {
    /// The body is always exactly this many bytes (0 allowed: a type-only frame).
    Fixed(usize),
    /// The body is preceded by a length header of this framing, which must be a
    /// length format: [`Framing::length_prefixed`], [`Framing::varint`] or
    /// [`Framing::ascii_length`]. Its own `max_len` still applies, on top of the
    /// typed framing's.
    Header(Framing),
}

/// What [`Framing::encode_header`] produced: the frame on the wire is
/// `header[..header_len]`, then `payload[body]`, then `trailer`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded<'a> {
    /// Bytes of the header written at the start of the `out` array (0 for fixed
    /// and delimited; for typed frames it includes the type byte).
    pub header_len: usize,
    /// The part of the payload that goes on the wire after the header: `0..len`,
    /// or `1..len` for typed frames (whose type byte is part of the header).
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

/// Memory that [`Framing::decode`] keeps between calls on the same frame, so a
/// delimiter scan resumes where it stopped instead of rescanning (bytes arriving
/// one at a time cost O(n) in total, not O(n^2)).
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

/// What [`Framing::decode`] found in the buffered bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A whole frame is buffered; consume `frame_len` bytes after using it.
    Frame(FrameSpan),
    /// Need more bytes: `total` is the whole frame's length (header + body +
    /// trailer, always more than the bytes buffered) when the header is already
    /// known, which lets a reader receive a big payload straight into its
    /// caller's buffer; `None` while the header is incomplete, and always for
    /// delimited frames. [`Framing::frame_span`] gives the rest of the layout.
    NeedMore {
        /// The frame's length on the wire, when already known.
        total: Option<usize>,
    },
}

/// Where a frame lies in the buffer handed to [`Framing::decode`] (offsets from
/// the start of that buffer, which is a frame boundary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameSpan {
    /// Offset of the body (after the header, and after the type byte for typed frames).
    pub payload_start: usize,
    /// Length of the body (the delimiter excluded; the type byte excluded).
    pub payload_len: usize,
    /// Bytes to consume from the buffer: header + body + trailer.
    pub frame_len: usize,
    /// Typed frames: the type byte (then `payload_start >= 1` always holds, and the
    /// user-visible payload is `[type][body]`, see [`FrameSpan::user_payload`]);
    /// `None` for every other format.
    pub type_byte: Option<u8>,
}

impl FrameSpan {
    /// Length of the user-visible payload: the body, plus the type byte of a typed frame.
    pub fn user_len(&self) -> usize {
        self.payload_len
            .saturating_add(usize::from(self.type_byte.is_some()))
    }

    /// Offsets of the user-visible payload in the buffer, once the type byte of a
    /// typed frame has been written just before the body (what
    /// [`FrameSpan::user_payload`] does): `payload_start - 1 .. end of body` for
    /// typed frames, else the body.
    pub fn user_range(&self) -> Range<usize> {
        let end = self.payload_start.saturating_add(self.payload_len);
        let start = if self.type_byte.is_some() {
            self.payload_start.saturating_sub(1)
        } else {
            self.payload_start
        };
        start..end
    }

    /// Makes the user-visible payload contiguous in `buf` and returns it.
    ///
    /// For a typed frame it writes the type byte into `buf[payload_start - 1]`
    /// (the last header byte, or the type byte itself for fixed-length bodies; the
    /// header is consumed with the frame anyway) and returns `[type][body]`; for
    /// other formats it returns the body and writes nothing.
    ///
    /// `buf` must be the buffer (or a copy of it) that `decode` returned this span
    /// for; `Err(Invalid)` if it is too short to hold the frame.
    pub fn user_payload<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8]> {
        if let Some(t) = self.type_byte {
            let slot = self
                .payload_start
                .checked_sub(1)
                .and_then(|i| buf.get_mut(i))
                .ok_or(Error::Invalid)?;
            *slot = t;
        }
        let buf: &'b [u8] = buf;
        buf.get(self.user_range()).ok_or(Error::Invalid)
    }
}

/// A length header read from the wire: its own size and the body length it announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// Bytes of the header itself.
    pub(crate) len: usize,
    /// Body length it announces (already checked against the maximum).
    pub(crate) body_len: usize,
}

/// Turns a known frame layout into the decode answer for `buf_len` buffered bytes.
fn answer_for(span: FrameSpan, buf_len: usize) -> Decoded {
    if buf_len >= span.frame_len {
        Decoded::Frame(span)
    } else {
        Decoded::NeedMore {
            total: Some(span.frame_len),
        }
    }
}

/// The span of a frame whose body of `body_len` bytes starts at `body_start`
/// and has no trailer; `TooBig` if its length does not fit a `usize`.
pub(crate) fn span_after_header(
    body_start: usize,
    body_len: usize,
    type_byte: Option<u8>,
) -> Result<FrameSpan> {
    let frame_len = body_start.checked_add(body_len).ok_or(Error::TooBig)?;
    Ok(FrameSpan {
        payload_start: body_start,
        payload_len: body_len,
        frame_len,
        type_byte,
    })
}

/// Copies `src` into `out` at `*at` and advances `*at`; `NoSpace` if it does not fit.
fn put(out: &mut [u8], at: &mut usize, src: &[u8]) -> Result<()> {
    let end = at.checked_add(src.len()).ok_or(Error::NoSpace)?;
    out.get_mut(*at..end)
        .ok_or(Error::NoSpace)?
        .copy_from_slice(src);
    *at = end;
    Ok(())
}

impl Framing {
    /// fixed(N): every frame is exactly `len` payload bytes, nothing else on the wire.
    ///
    /// `Err(Invalid)` if `len == 0`.
    pub fn fixed(len: usize) -> Result<Framing> {
        Fixed::new(len).map(Framing::Fixed)
    }

    /// delimited(D, max): the payload, then `delim` (1..=16 bytes), stripped on receive.
    ///
    /// `max_len` bounds the payload (clamped to [`LEN_MAX`]); a receiver never
    /// needs to buffer more than `max_len + delim.len()` bytes of one frame.
    /// `Err(Invalid)` if `delim` is empty or longer than 16 bytes.
    pub fn delimited(delim: &[u8], max_len: usize) -> Result<Framing> {
        Delimited::new(delim, max_len).map(Framing::Delimited)
    }

    /// length-prefixed(W, order, max): an unsigned `width`-byte length of the
    /// payload (big-endian unless `little_endian`), then the payload.
    ///
    /// `width` must be 1, 2, 4 or 8, else `Err(Invalid)`. `max_len` is clamped to
    /// what `width` bytes can express (255, 65535, 2^32-1) and to [`LEN_MAX`].
    pub fn length_prefixed(width: usize, little_endian: bool, max_len: usize) -> Result<Framing> {
        LengthPrefixed::new(width, little_endian, max_len).map(Framing::LengthPrefixed)
    }

    /// varint(max): the payload length as an unsigned LEB128 varint (protobuf
    /// style, 1..=10 bytes, shortest form only), then the payload.
    ///
    /// `max_len` is clamped to [`LEN_MAX`]. Never fails today; returns `Result`
    /// like every constructor.
    pub fn varint(max_len: usize) -> Result<Framing> {
        Ok(Framing::Varint(Varint::new(max_len)))
    }

    /// ascii-length(K, max): the payload length as exactly `digits` ASCII decimal
    /// digits, zero-padded (the HOWTO's "5 numeric characters"), then the payload.
    ///
    /// `digits` must be 1..=20, else `Err(Invalid)`. `max_len` is clamped to
    /// `10^digits - 1` and to [`LEN_MAX`].
    pub fn ascii_length(digits: usize, max_len: usize) -> Result<Framing> {
        AsciiLength::new(digits, max_len).map(Framing::AsciiLength)
    }

    /// typed(table, max): one type byte, then a body whose length the type decides
    /// (a fixed length, or a length header). The user-visible payload of a typed
    /// frame is the type byte followed by the body.
    ///
    /// `max_len` bounds the body (clamped to [`LEN_MAX`]` - 1`); a header type's
    /// effective maximum is the smaller of `max_len` and its header framing's own.
    ///
    /// `Err(Invalid)` if the table is empty, a type byte appears twice, a fixed
    /// body is longer than `max_len`, or a header is not a length format
    /// (length-prefixed, varint, ascii-length).
    pub fn typed(entries: &[(u8, TypeBody)], max_len: usize) -> Result<Framing> {
        Typed::new(entries, max_len).map(Framing::Typed)
    }

    /// The largest user-visible payload a frame may carry: N for fixed, the
    /// (clamped) maximum for delimited and length formats, and for typed, 1 (the
    /// type byte) + the largest body any type of the table allows.
    pub fn max_payload(&self) -> usize {
        match self {
            Framing::Fixed(f) => f.payload_len(),
            Framing::Delimited(d) => d.max_len(),
            Framing::LengthPrefixed(l) => l.max_len(),
            Framing::Varint(v) => v.max_len(),
            Framing::AsciiLength(a) => a.max_len(),
            Framing::Typed(t) => t.max_body().saturating_add(1),
        }
    }

    /// The most bytes encoding adds to a payload (header + trailer; for typed
    /// frames the type byte is part of the payload, so this is the largest length
    /// header of the table, 0 if every type has a fixed body). At most [`OVERHEAD_MAX`].
    pub fn max_overhead(&self) -> usize {
        match self {
            Framing::Fixed(_) => 0,
            Framing::Delimited(d) => d.delimiter().len(),
            Framing::LengthPrefixed(l) => l.width(),
            Framing::Varint(v) => v.max_header_len(),
            Framing::AsciiLength(a) => a.digits(),
            Framing::Typed(t) => t.max_header_len(),
        }
    }

    /// The length on the wire of the frame of a `payload_len`-byte payload.
    ///
    /// Exact for every format but typed, where the length depends on the type
    /// byte: there it is an upper bound (`payload_len + max_overhead()`); use
    /// [`Framing::encoded_len_of`] for the exact figure.
    ///
    /// Errors, as `encode` would give them for any payload of that length:
    /// `TooBig` if the payload is longer than [`Framing::max_payload`] (for
    /// fixed(N): longer than N); `Invalid` if it is shorter than N for fixed, or
    /// empty for typed.
    pub fn encoded_len(&self, payload_len: usize) -> Result<usize> {
        let overhead = match self {
            Framing::Fixed(f) => {
                f.check(payload_len)?;
                0
            }
            Framing::Typed(t) => {
                if payload_len == 0 {
                    return Err(Error::Invalid);
                }
                if payload_len > self.max_payload() {
                    return Err(Error::TooBig);
                }
                t.max_header_len()
            }
            Framing::Delimited(d) => {
                if payload_len > d.max_len() {
                    return Err(Error::TooBig);
                }
                d.delimiter().len()
            }
            Framing::LengthPrefixed(l) => {
                if payload_len > l.max_len() {
                    return Err(Error::TooBig);
                }
                l.width()
            }
            Framing::Varint(v) => {
                if payload_len > v.max_len() {
                    return Err(Error::TooBig);
                }
                varint::encoded_len(payload_len as u64)
            }
            Framing::AsciiLength(a) => {
                if payload_len > a.max_len() {
                    return Err(Error::TooBig);
                }
                a.digits()
            }
        };
        payload_len.checked_add(overhead).ok_or(Error::TooBig)
    }

    /// The exact length on the wire of the frame of `payload` (header + body +
    /// trailer), with the same validation and errors as [`Framing::encode_header`].
    pub fn encoded_len_of(&self, payload: &[u8]) -> Result<usize> {
        let mut header = [0u8; HEADER_MAX];
        self.encode_header(payload, &mut header)
            .map(|e| e.frame_len())
    }

    /// Validates `payload` and writes the frame's header into `out`; the frame on
    /// the wire is then `out[..header_len]`, `payload[body]`, `trailer`. The
    /// payload itself is not copied, so callers can send the three parts as one
    /// gathered write.
    ///
    /// Errors (nothing useful is left in `out`):
    /// - `TooBig`: the payload (for typed: the body of a header type) is longer
    ///   than the maximum (fixed: longer than N; length-prefixed: also when the
    ///   length does not fit W bytes; ascii-length: also when it needs more than K
    ///   digits, both being part of the clamped maximum).
    /// - `Invalid`: fixed: shorter than N (empty included); delimited: the payload
    ///   would not come back intact, i.e. the first occurrence of the delimiter in
    ///   `payload + delimiter` is not the appended one (the delimiter inside the
    ///   payload, or straddling its end: with `"aa"`, a payload ending in `'a'`;
    ///   see [`delimited::round_trips`]); typed: an empty payload, an unknown type
    ///   byte, or a body shorter or longer than the type's fixed length (longer is
    ///   `Invalid` too: the type, not the maximum, is what refuses it).
    pub fn encode_header<'a>(
        &'a self,
        payload: &[u8],
        out: &mut [u8; HEADER_MAX],
    ) -> Result<Encoded<'a>> {
        let whole = 0..payload.len();
        let (header_len, body, trailer): (usize, Range<usize>, &'a [u8]) = match self {
            Framing::Fixed(f) => {
                f.check(payload.len())?;
                (0, whole, &[])
            }
            Framing::Delimited(d) => {
                d.check(payload)?;
                (0, whole, d.delimiter())
            }
            Framing::LengthPrefixed(l) => (l.write_header(payload.len(), out)?, whole, &[]),
            Framing::Varint(v) => (v.write_header(payload.len(), out)?, whole, &[]),
            Framing::AsciiLength(a) => (a.write_header(payload.len(), out)?, whole, &[]),
            Framing::Typed(t) => (t.write_header(payload, out)?, 1..payload.len(), &[]),
        };
        Ok(Encoded {
            header_len,
            body,
            trailer,
        })
    }

    /// Writes the whole frame of `payload` at the start of `out` and returns its
    /// length.
    ///
    /// Errors: those of [`Framing::encode_header`], checked first; then
    /// `NoSpace` if `out` is shorter than the frame (learn the size from
    /// [`Framing::encoded_len_of`], or [`Framing::encoded_len`]). `out` is left
    /// untouched on every error.
    pub fn encode(&self, payload: &[u8], out: &mut [u8]) -> Result<usize> {
        let mut header = [0u8; HEADER_MAX];
        let enc = self.encode_header(payload, &mut header)?;
        let total = enc.frame_len();
        if out.len() < total {
            return Err(Error::NoSpace);
        }
        let head = header.get(..enc.header_len).ok_or(Error::Internal)?;
        let body = payload.get(enc.body.clone()).ok_or(Error::Internal)?;
        let mut at = 0;
        put(out, &mut at, head)?;
        put(out, &mut at, body)?;
        put(out, &mut at, enc.trailer)?;
        Ok(at)
    }

    /// Looks at the bytes buffered so far, `buf`, which must start at a frame
    /// boundary, and says: a whole frame (`Frame`, with where it lies in `buf`),
    /// not yet (`NeedMore`), or an error.
    ///
    /// Pass the same `state` for successive calls while `buf` grows by appending;
    /// it is reset whenever a frame or an error is returned. Bytes after the first
    /// frame are not looked at.
    ///
    /// Cost: O(header) per call for every format but delimited, which resumes its
    /// scan where the previous call stopped.
    ///
    /// Errors, as soon as the bytes that cause them are buffered (and the same
    /// whatever the cut); after one, the stream cannot be framed any more:
    /// - `TooBig`: the announced length is over the maximum (as soon as the header
    ///   is whole and well formed; the payload is never waited for); delimited: no
    ///   delimiter within the first `max_len + delim_len` bytes.
    /// - `BadFrame`: varint: a redundant trailing `0x00` byte (e.g. `80 00`), more
    ///   than 10 bytes, or a value over 64 bits; ascii-length: a non-digit;
    ///   typed: an unknown type byte (checked before its header).
    pub fn decode(&self, buf: &[u8], state: &mut DecodeState) -> Result<Decoded> {
        match self {
            Framing::Delimited(d) => d.decode(buf, state),
            _ => Ok(match self.frame_span(buf)? {
                Some(span) => answer_for(span, buf.len()),
                None => Decoded::NeedMore { total: None },
            }),
        }
    }

    /// The frame at the start of `buf` when it is whole and valid, found without
    /// any state: the per-frame fast path of readers. `None` means "not known
    /// whole here: ask [`Framing::decode`]" (not yet whole, invalid, or a format
    /// whose check needs a [`DecodeState`], as delimited does). Cost: O(header).
    #[inline]
    pub fn whole_frame(&self, buf: &[u8]) -> Option<FrameSpan> {
        match self {
            Framing::Delimited(_) => None,
            _ => match self.frame_span(buf) {
                Ok(Some(span)) if span.frame_len <= buf.len() => Some(span),
                _ => None,
            },
        }
    }

    /// For formats whose frame length is known from the header (all but
    /// delimited): once the header at the start of `buf` is whole, where the frame
    /// will lie, even if its body is not buffered yet; `None` before that, and
    /// always for delimited. A reader uses this after `NeedMore { total: Some(_) }`
    /// to receive a body straight into its caller's buffer and to report the
    /// payload size ([`FrameSpan::user_len`]). Errors: as [`Framing::decode`].
    pub fn frame_span(&self, buf: &[u8]) -> Result<Option<FrameSpan>> {
        let header = match self {
            Framing::Fixed(f) => return Ok(Some(f.span())),
            Framing::Delimited(_) => return Ok(None),
            Framing::Typed(t) => return t.frame_span(buf),
            Framing::LengthPrefixed(l) => l.read_header(buf)?,
            Framing::Varint(v) => v.read_header(buf)?,
            Framing::AsciiLength(a) => a.read_header(buf)?,
        };
        match header {
            Some(h) => span_after_header(h.len, h.body_len, None).map(Some),
            None => Ok(None),
        }
    }
}
