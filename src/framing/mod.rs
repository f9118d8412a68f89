//! Sans-IO framing codecs: pure functions of bytes, one file per wire format.
//!
//! Nothing here knows a socket. A [`Framing`] says how a payload becomes a frame
//! on the wire ([`Framing::encode`], [`Framing::encode_header`]) and looks at the
//! bytes buffered so far to say "a whole frame", "need more" or "this stream is
//! broken" ([`Framing::decode`]), the way tokio-util's codecs do.
//!
//! Every wire format (a frame's exact bytes on the wire) lives in its own file, and [`Framing`] has one `match` arm
//! per format: fixed.rs, delimited.rs, length_field.rs (the one parser of every
//! length format: length-prefixed, varint and ascii-length are length fields with
//! no head and no adjustment) and typed.rs (a type byte, then a fixed body or a
//! length field). A length field's encoding (binary, varint, ASCII) is a file of
//! its own too, under field/, dispatched by one line each in `field/mod.rs`.
//! Imports run one way: this file uses the format files, they use the shared
//! pieces (span.rs, limits.rs, field/), never this file.
//!
//! Three questions, one method each:
//!
//! - [`Framing::decode`]: the whole answer for the buffered bytes (a frame, need
//!   more, or the error), for every format; the one that keeps a [`DecodeState`].
//! - [`Framing::whole_frame`]: the readers' per-frame fast path, without state:
//!   the frame when it is whole and valid, else "ask `decode`".
//! - [`Framing::frame_span`]: where the frame will lie once its header is
//!   buffered, before its body is (to receive a body straight into place).
//!
//! [`length_line`] is not a `Framing` but a parser of one line that announces the
//! length of the body after it (RESP's `$5\r\n`, an HTTP chunk's `1a;ext\r\n`); a
//! reader takes the line with it, then the body as one raw frame.
//!
//! Guarantees kept by every format:
//!
//! - No panic and no arithmetic overflow on any input; no allocation at all when
//!   encoding or decoding, so never one of a size taken from the wire.
//! - `decode` is incremental at every byte boundary: a valid stream cut anywhere
//!   gives `NeedMore` until the frame is whole, then the same `Frame`; an invalid
//!   stream gives the same error whatever the cut, as soon as the bytes that make
//!   it invalid are buffered.
//! - Every configured maximum is clamped to `usize::MAX - 32`, so a frame's total
//!   length (payload plus at most 32 bytes of header and trailer) always fits a
//!   `usize`.

mod delimited;
mod field;
mod fixed;
mod length_field;
mod length_line;
mod limits;
mod span;
mod typed;

use crate::error::{Error, Result};

pub use delimited::Delimited;
pub use field::LengthEncoding;
pub use fixed::Fixed;
pub use length_field::{LengthField, LengthFieldSpec};
pub use length_line::{LengthLine, LengthLineSpec, LineValue, ParsedLine};
pub(crate) use limits::{HEADER_MAX, OVERHEAD_MAX};
pub use span::{DecodeState, Decoded, Encoded, FrameSpan};
use typed::Rule;
pub use typed::Typed;

/// What the tests, the fuzz targets and the benchmark harness look at besides the
/// public face: the crate's internal bounds and helpers. For those targets only:
/// no stability promise, anything here may change or go in any release.
pub mod internals {
    pub use super::delimited::round_trips;
    pub use super::limits::{HEADER_MAX, LEN_MAX, OVERHEAD_MAX};
}

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
    /// length-field(spec): head bytes, a length field, then the body; also
    /// length-prefixed(W, order), varint and ascii-length(K).
    LengthField(LengthField),
    /// typed(table): a type byte, then a body whose length the type decides.
    Typed(Typed),
}

/// How the body of one type of a typed framing is delimited (see [`Framing::typed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeBody {
    /// The body is always exactly this many bytes (0 allowed: a type-only frame).
    Fixed(usize),
    /// The body is a frame of this framing, which must be a length format
    /// ([`Framing::length_prefixed`], [`Framing::varint`],
    /// [`Framing::ascii_length`] or [`Framing::length_field`]). Its own `max_len`
    /// still applies, on top of the typed framing's.
    Header(Framing),
}

/// Turns a frame layout (`None`: not known yet) into the decode answer for
/// `buf_len` buffered bytes.
#[inline(always)]
fn answer_for(span: Option<FrameSpan>, buf_len: usize) -> Decoded {
    match span {
        Some(span) if buf_len >= span.frame_len => Decoded::Frame(span),
        Some(span) => Decoded::NeedMore {
            total: Some(span.frame_len),
        },
        None => Decoded::NeedMore { total: None },
    }
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
    /// `max_len` bounds the payload (clamped to `usize::MAX - 32`); a receiver never
    /// needs to buffer more than `max_len + delim.len()` bytes of one frame.
    /// `Err(Invalid)` if `delim` is empty or longer than 16 bytes.
    pub fn delimited(delim: &[u8], max_len: usize) -> Result<Framing> {
        Delimited::new(delim, max_len).map(Framing::Delimited)
    }

    /// length-field(spec): `spec.head` bytes, a length field written as
    /// `spec.encoding` says, then `value + spec.adjustment` body bytes. The
    /// payload is the head followed by the body: encoding writes the field,
    /// decoding strips it.
    ///
    /// `spec.max_len` bounds the payload (head included); it is clamped to
    /// `usize::MAX - 32` and to the largest body the field can announce.
    ///
    /// `Err(Invalid)` for a spec that cannot work: a binary width outside 1..=8,
    /// a digit count outside 1..=20, `max_len` below `head`, a head so long that
    /// head + field exceeds 32 bytes, or an adjustment that leaves no valid
    /// frame (every value's body negative, or every one above the maximum).
    ///
    /// Sending refuses a payload shorter than the head, or whose body is shorter
    /// than a positive adjustment (`Invalid`), or over the maximum (`TooBig`).
    /// Receiving: a value whose adjusted length is negative is `BadFrame`, one
    /// over the maximum `TooBig`, as soon as the field is whole.
    pub fn length_field(spec: LengthFieldSpec) -> Result<Framing> {
        LengthField::new(spec).map(Framing::LengthField)
    }

    /// length-prefixed(W, order, max): an unsigned `width`-byte length of the
    /// payload (big-endian unless `little_endian`), then the payload.
    ///
    /// `width` must be 1, 2, 4 or 8, else `Err(Invalid)` (other widths: see
    /// [`Framing::length_field`]). `max_len` is clamped to what `width` bytes can
    /// express (255, 65535, 2^32-1) and to `usize::MAX - 32`.
    pub fn length_prefixed(width: usize, little_endian: bool, max_len: usize) -> Result<Framing> {
        if !matches!(width, 1 | 2 | 4 | 8) {
            return Err(Error::Invalid);
        }
        Framing::length_field(LengthFieldSpec {
            head: 0,
            encoding: LengthEncoding::Binary {
                width,
                little_endian,
            },
            adjustment: 0,
            max_len,
        })
    }

    /// varint(max): the payload length as an unsigned LEB128 varint (protobuf
    /// style, 1..=10 bytes, shortest form only), then the payload.
    ///
    /// `max_len` is clamped to `usize::MAX - 32`. Never fails today; returns `Result`
    /// like every constructor.
    pub fn varint(max_len: usize) -> Result<Framing> {
        Framing::length_field(LengthFieldSpec {
            head: 0,
            encoding: LengthEncoding::Varint,
            adjustment: 0,
            max_len,
        })
    }

    /// ascii-length(K, max): the payload length as exactly `digits` ASCII decimal
    /// digits, zero-padded (the HOWTO's "5 numeric characters"), then the payload.
    ///
    /// `digits` must be 1..=20, else `Err(Invalid)`. `max_len` is clamped to
    /// `10^digits - 1` and to `usize::MAX - 32`.
    pub fn ascii_length(digits: usize, max_len: usize) -> Result<Framing> {
        Framing::length_field(LengthFieldSpec {
            head: 0,
            encoding: LengthEncoding::Decimal { digits },
            adjustment: 0,
            max_len,
        })
    }

    /// typed(table, max): one type byte, then a body whose length the type decides
    /// (a fixed length, or a frame of a length format). The user-visible payload
    /// of a typed frame is the type byte followed by the body.
    ///
    /// `max_len` bounds the body (clamped to `usize::MAX - 33`); a header type's
    /// effective maximum is the smaller of `max_len` and its header framing's own.
    ///
    /// `Err(Invalid)` if the table is empty, a type byte appears twice, a fixed
    /// body is longer than `max_len`, a header is not a length format, or a
    /// header's length field cannot work under `max_len` (see
    /// [`Framing::length_field`]) or, behind the type byte, exceeds 32 bytes.
    pub fn typed(entries: &[(u8, TypeBody)], max_len: usize) -> Result<Framing> {
        let rules = entries.iter().map(|(t, body)| {
            let rule = match body {
                TypeBody::Fixed(n) => Rule::Fixed(*n),
                TypeBody::Header(Framing::LengthField(l)) => Rule::Length(*l),
                TypeBody::Header(_) => return Err(Error::Invalid),
            };
            Ok((*t, rule))
        });
        Typed::new(rules, max_len).map(Framing::Typed)
    }

    /// The largest user-visible payload a frame may carry: N for fixed, the
    /// (clamped) maximum for delimited and length formats (head included), and
    /// for typed, 1 (the type byte) + the largest body any type of the table allows.
    pub fn max_payload(&self) -> usize {
        match self {
            Framing::Fixed(f) => f.payload_len(),
            Framing::Delimited(d) => d.max_len(),
            Framing::LengthField(l) => l.max_payload(),
            Framing::Typed(t) => t.max_body().saturating_add(1),
        }
    }

    /// The same framing with a maximum payload of `max_len`, lower or higher than
    /// this one's: one framing per format, several maximums (a server's reader
    /// taking 512 MiB values, its writer bounded at 64 KiB). `max_len` is clamped as
    /// the format's constructor clamps it (to [`LEN_MAX`], to what a length field
    /// can announce), and for typed it bounds the body, each header type's own
    /// maximum still applying on top (the one it was made with).
    ///
    /// `Err(Invalid)` when no frame would be left: fixed(N) with `max_len < N`
    /// (fixed(N) is otherwise unchanged: its frames are N bytes), a length field
    /// whose `max_len` is below its head or leaves no value its adjustment allows,
    /// a typed table with a fixed body longer than `max_len` (the errors of the
    /// constructors).
    pub fn with_max_payload(&self, max_len: usize) -> Result<Framing> {
        Ok(match self {
            Framing::Fixed(f) if max_len < f.payload_len() => return Err(Error::Invalid),
            Framing::Fixed(f) => Framing::Fixed(*f),
            Framing::Delimited(d) => Framing::Delimited(d.with_max(max_len)),
            Framing::LengthField(l) => Framing::LengthField(l.with_max(max_len)?),
            Framing::Typed(t) => Framing::Typed(t.with_max(max_len)?),
        })
    }

    /// The most bytes encoding adds to a payload (header + trailer; a head or a
    /// type byte is part of the payload, so for typed frames this is the longest
    /// length field of the table, 0 if every type has a fixed body). At most
    /// 32.
    pub fn max_overhead(&self) -> usize {
        match self {
            Framing::Fixed(_) => 0,
            Framing::Delimited(d) => d.delimiter().len(),
            Framing::LengthField(l) => l.max_overhead(),
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
    /// fixed(N): longer than N); `Invalid` if it is shorter than N for fixed,
    /// empty for typed, or shorter than a length field's head (or than its
    /// positive adjustment demands).
    pub fn encoded_len(&self, payload_len: usize) -> Result<usize> {
        match self {
            Framing::Fixed(f) => f.check(payload_len).map(|()| payload_len),
            Framing::Delimited(d) => d.encoded_len(payload_len),
            Framing::LengthField(l) => l.encoded_len(payload_len),
            Framing::Typed(t) => t.encoded_len(payload_len),
        }
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
    /// payload itself is not copied (but for a head, which is part of the
    /// header), so callers can send the three parts as one gathered write. Every
    /// framing's header fits the 32 bytes of `out`.
    ///
    /// Errors (nothing useful is left in `out`):
    /// - `TooBig`: the payload (for typed: the body of a header type) is longer
    ///   than the maximum (fixed: longer than N; length formats: also when the
    ///   length does not fit the field, which is part of the clamped maximum).
    /// - `Invalid`: fixed: shorter than N (empty included); delimited: the payload
    ///   would not come back intact, i.e. the first occurrence of the delimiter in
    ///   `payload + delimiter` is not the appended one (the delimiter inside the
    ///   payload, or straddling its end: with `"aa"`, a payload ending in `'a'`;
    ///   see [`internals::round_trips`]); length field: shorter than the head, or
    ///   a body shorter than a positive adjustment; typed: an empty payload, an
    ///   unknown type byte, or a body shorter or longer than the type's fixed
    ///   length (longer is `Invalid` too: the type, not the maximum, is what
    ///   refuses it).
    #[inline]
    pub fn encode_header<'a>(
        &'a self,
        payload: &[u8],
        out: &mut [u8; HEADER_MAX],
    ) -> Result<Encoded<'a>> {
        // The body starts after the payload's bytes that are part of the header (a
        // head, a type byte).
        let (header_len, body_start, trailer): (usize, usize, &'a [u8]) = match self {
            Framing::Fixed(f) => {
                f.check(payload.len())?;
                (0, 0, &[])
            }
            Framing::Delimited(d) => {
                d.check(payload)?;
                (0, 0, d.delimiter())
            }
            Framing::LengthField(l) => (l.write_header(payload, out)?, l.head(), &[]),
            Framing::Typed(t) => {
                let (header_len, body_start) = t.write_header(payload, out)?;
                (header_len, body_start, &[])
            }
        };
        Ok(Encoded {
            header_len,
            body: body_start..payload.len(),
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
    ///   than 10 bytes, or a value over 64 bits; ASCII lengths: a non-digit;
    ///   length field: a value whose adjusted length is negative; typed: an
    ///   unknown type byte (checked before its header).
    pub fn decode(&self, buf: &[u8], state: &mut DecodeState) -> Result<Decoded> {
        match self {
            Framing::Delimited(d) => d.decode(buf, state),
            // The length formats' parse inline, the others' behind `frame_span`'s call.
            Framing::LengthField(l) => Ok(answer_for(l.frame_span(buf)?, buf.len())),
            _ => Ok(answer_for(self.frame_span(buf)?, buf.len())),
        }
    }

    /// The frame at the start of `buf` when it is whole and valid, found without
    /// any state: the per-frame fast path of readers, inlined down to the format's
    /// own check (a length field's is one 8-byte load for binary fields). `None`
    /// means "not known whole here: ask [`Framing::decode`]" (not yet whole,
    /// invalid, or a format whose check needs a [`DecodeState`], as delimited
    /// does). Cost: O(header).
    #[inline(always)]
    pub fn whole_frame(&self, buf: &[u8]) -> Option<FrameSpan> {
        // A binary length field's check inline (one load, two comparisons); every
        // other case behind one call (`frame_span`), so it does not bloat the
        // readers' loops.
        if let Framing::LengthField(l) = self {
            if let Some(span) = l.whole_binary(buf) {
                return Some(span);
            }
        }
        match self.frame_span(buf) {
            Ok(Some(span)) if span.frame_len <= buf.len() => Some(span),
            _ => None,
        }
    }

    /// Writes the whole frame of `payload` at the start of `out` and returns its
    /// length: [`Framing::encode`], with a binary length field's encoding inline
    /// (one 8-byte store for the field, then the payload's copy: the writers'
    /// per-frame path; a delimited payload's check, then its copy, with no header
    /// step). Errors and their order: those of [`Framing::encode`] (`out` is left
    /// untouched on every error).
    #[inline(always)]
    pub fn encode_into(&self, payload: &[u8], out: &mut [u8]) -> Result<usize> {
        match self {
            Framing::LengthField(l) => {
                if let Some(n) = l.encode_binary(payload, out) {
                    return Ok(n);
                }
            }
            Framing::Delimited(d) => return d.encode_into(payload, out),
            _ => {}
        }
        self.encode(payload, out)
    }

    /// The length field when this framing is one the writers' binary fast path serves
    /// (`LengthField::encode_binary`), so that a loop over many payloads matches the
    /// framing once, not once per frame.
    #[inline(always)]
    pub(crate) fn binary_fast_path(&self) -> Option<&LengthField> {
        match self {
            Framing::LengthField(l) => Some(l),
            _ => None,
        }
    }

    /// For formats whose frame length is known from the header (all but
    /// delimited): once the header at the start of `buf` is whole, where the frame
    /// will lie, even if its body is not buffered yet; `None` before that, and
    /// always for delimited. A reader uses this after `NeedMore { total: Some(_) }`
    /// to receive a body straight into its caller's buffer and to report the
    /// payload size ([`FrameSpan::user_len`]). Errors: as [`Framing::decode`].
    // Out of line: it is `whole_frame`'s slow half, which must not bloat the
    // readers' loops it is inlined into.
    #[inline(never)]
    pub fn frame_span(&self, buf: &[u8]) -> Result<Option<FrameSpan>> {
        match self {
            Framing::Fixed(f) => Ok(Some(f.span())),
            Framing::Delimited(_) => Ok(None),
            Framing::LengthField(l) => l.frame_span(buf),
            Framing::Typed(t) => t.frame_span(buf),
        }
    }
}
