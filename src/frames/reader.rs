//! The socket driver on top of the frame buffer: `fill` (one receive, never waiting),
//! `recv_frame` (a whole frame within a deadline), `recv_all` (raw bytes, leftovers first).
//!
//! # Cost
//!
//! Receiving a frame costs time linear in its size however it is cut and whichever calls
//! take it: every byte is received once into the buffer (which grows geometrically) or
//! once into the caller's buffer, and copied out at most once more. The one exception to
//! "into the buffer" is the direct path of `recv_frame` (a big frame received straight
//! into the caller's buffer): it is tried at most once per frame, so a frame that
//! dribbles in across many `recv_frame(.., 0)` calls is not copied again on each call.

use std::ops::{Deref, DerefMut};

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::framing::{Decoded, FrameSpan, Framing};
use crate::io::{recv_all, retry};
use crate::stream::ByteStream;
use crate::sys::Interest;

use super::buffer::FrameBuffer;

/// A frame whose missing part is at least this big is received straight into the
/// caller's buffer instead of through the reader's (no extra copy).
const DIRECT_MIN: usize = 32 * 1024;

/// A [`FrameBuffer`] driven over a byte stream (a socket, or a session over one): the
/// bytes received but not yet returned as frames, kept across calls (one receive may hold
/// the end of one frame and the start of the next). The buffer's own calls (`next_frame`,
/// `next_batch`, `feed`, `take`, `set_framing`...) are reached through `Deref`.
///
/// Memory: that of its `FrameBuffer`: at most `max(READ_CHUNK, 4 * the most bytes it held
/// at once)`, never more than one maximal frame plus `READ_CHUNK`, and never a size a
/// header announced.
#[derive(Debug)]
pub struct Reader {
    frames: FrameBuffer,
}

impl Deref for Reader {
    type Target = FrameBuffer;

    #[inline]
    fn deref(&self) -> &FrameBuffer {
        &self.frames
    }
}

impl DerefMut for Reader {
    #[inline]
    fn deref_mut(&mut self) -> &mut FrameBuffer {
        &mut self.frames
    }
}

impl Reader {
    /// A reader for `framing` with an empty buffer (allocated on first use).
    pub fn new(framing: Framing) -> Reader {
        Reader {
            frames: FrameBuffer::new(framing),
        }
    }

    /// At most one receive from `s`, never waiting: `Ok(n)` bytes were added; `Ok(0)` when
    /// nothing was received because a whole frame is already buffered or the buffer is at
    /// its memory limit (take frames, or raw bytes, first); `WouldBlock` when nothing was
    /// there, `Closed` once the peer closed. Fill moves bytes and never judges them: a
    /// broken stream is reported by `next_frame` (so raw bytes after a line, which the
    /// framing might refuse, can still be received and taken).
    pub fn fill(&mut self, mut s: impl ByteStream) -> Result<usize> {
        self.receive(&mut s, Deadline::Now)
    }

    /// One receive from `s` without waiting, made even when a whole frame is already
    /// buffered: for bytes that no readiness will announce again (plaintext a TLS session
    /// already decrypted), which must come into the reader now. `Ok(0)` only at the
    /// buffer's memory limit; `WouldBlock`, `Closed` as for `fill`.
    pub(crate) fn fill_more(&mut self, mut s: impl ByteStream) -> Result<usize> {
        self.frames.settle();
        if !s.is_valid() {
            return Err(Error::Invalid);
        }
        if self.frames.is_eof() {
            return Err(Error::Closed);
        }
        if self.frames.is_full() {
            return Ok(0);
        }
        match self.recv_more(&mut s, None, Deadline::Now)? {
            0 => Err(Error::Closed),
            n => Ok(n),
        }
    }

    /// `fill` within a deadline: one receive that waits for bytes until the deadline
    /// (`TimedOut`; `WouldBlock` for `Deadline::Now`, an idle point of the buffer when
    /// nothing is buffered: see `FrameBuffer::idle_point`).
    fn receive<S: ByteStream>(&mut self, s: &mut S, deadline: Deadline) -> Result<usize> {
        self.frames.settle();
        if !s.is_valid() {
            return Err(Error::Invalid);
        }
        let total = match self.frames.decode_front() {
            Ok(Decoded::Frame(_)) => return Ok(0),
            Ok(Decoded::NeedMore { total }) => total,
            Err(_) => None,
        };
        if self.frames.is_eof() {
            return Err(Error::Closed);
        }
        if self.frames.is_full() {
            return Ok(0);
        }
        match self.recv_more(s, total, deadline) {
            Ok(0) => Err(Error::Closed),
            Ok(n) => Ok(n),
            Err(Error::WouldBlock) => {
                if self.frames.buffered() == 0 {
                    self.frames.idle_point();
                }
                Err(Error::WouldBlock)
            }
            Err(e) => Err(e),
        }
    }

    /// One receive into the buffer's free space (room for a frame of `total` bytes when
    /// that is known; at most `SLICE_MAX` under a finite deadline) within the deadline:
    /// the bytes added, or 0 when the peer closed (recorded: `is_eof`).
    fn recv_more<S: ByteStream>(
        &mut self,
        s: &mut S,
        total: Option<usize>,
        deadline: Deadline,
    ) -> Result<usize> {
        let space = self.frames.recv_space(total)?;
        let len = deadline.slice(space.len());
        let space = &mut space[..len];
        let n = retry(s, Interest::Readable, deadline, |s, dw| s.recv(space, dw))?;
        if n == 0 {
            self.frames.mark_eof();
        } else {
            self.frames.commit(n);
        }
        Ok(n)
    }

    /// The blocking batch: waits within the deadline until at least one whole frame is
    /// buffered, receiving as needed, then hands out up to `max` whole buffered frames as
    /// `next_batch` does (each payload valid until the next call on this reader). The
    /// errors of `next_batch` and `recv_frame`: `TimedOut` (`WouldBlock` for
    /// `Deadline::Now`) when no frame became whole in time, `Closed` when the peer closed
    /// first; bytes received stay buffered on every error. `max == 0` gives `Ok(0)` at once.
    pub fn recv_batch(
        &mut self,
        mut s: impl ByteStream,
        max: usize,
        deadline: Deadline,
        mut each: impl FnMut(&[u8]),
    ) -> Result<usize> {
        if !s.is_valid() {
            return Err(Error::Invalid);
        }
        loop {
            match self.frames.next_batch(max, &mut each) {
                Err(Error::WouldBlock) => {}
                r => return r,
            }
            if deadline.passed() {
                return Err(Error::TimedOut);
            }
            // Nothing received with no frame whole: the buffer is at its limit, which only
            // a stream the framing refuses can do.
            if self.receive(&mut s, deadline)? == 0 && self.frames.is_full() {
                return Err(Error::TooBig);
            }
        }
    }

    /// Receives the next whole frame from `s` into `out` within the deadline (the same
    /// per-frame check as `next_frame` first). Returns the payload length; on `NoSpace`
    /// the length needed (the frame stays queued). On every error nothing is lost: bytes
    /// received so far stay buffered for the next call.
    #[inline]
    pub fn recv_frame(
        &mut self,
        mut s: impl ByteStream,
        out: &mut [u8],
        deadline: Deadline,
    ) -> (usize, Result<()>) {
        self.frames.settle();
        if !s.is_valid() {
            return (0, Err(Error::Invalid));
        }
        // A whole frame already buffered: the per-frame path of `next_frame`, one copy.
        if let Some(n) = self.frames.copy_next(out) {
            return (n, Ok(()));
        }
        self.recv_frame_general(&mut s, out, deadline)
    }

    /// `recv_frame` when no whole frame that fits `out` is buffered: receives until one
    /// is, or reports why not. Out of line, so the per-frame path stays small.
    #[inline(never)]
    fn recv_frame_general<S: ByteStream>(
        &mut self,
        s: &mut S,
        out: &mut [u8],
        deadline: Deadline,
    ) -> (usize, Result<()>) {
        // Nothing buffered (the request-response case): receive first, then the
        // per-frame path; anything else (a part of a frame, a close) takes the loop.
        if self.frames.waits_for_bytes() {
            if let Err(e) = self.recv_more(s, None, deadline) {
                return (0, Err(e));
            }
            if let Some(n) = self.frames.copy_next(out) {
                return (n, Ok(()));
            }
        }
        loop {
            let total = match self.frames.decode_front() {
                Err(e) => return (0, Err(e)),
                Ok(Decoded::Frame(span)) => return self.frames.copy_frame_out(span, out),
                Ok(Decoded::NeedMore { total }) => total,
            };
            if let Some(t) = total {
                if let Some(span) = self.frames.front_span() {
                    if span.user_len() > out.len() {
                        return (span.user_len(), Err(Error::NoSpace));
                    }
                    if !self.frames.direct_tried() && t - self.frames.live().len() >= DIRECT_MIN {
                        return self.recv_direct(s, span, out, deadline);
                    }
                }
            }
            if self.frames.is_eof() {
                return (0, Err(Error::Closed));
            }
            if deadline.passed() {
                return (0, Err(Error::TimedOut));
            }
            if let Err(e) = self.recv_more(s, total, deadline) {
                return (0, Err(e));
            }
        }
    }

    /// The big-frame path: the buffered start of the body is copied to `out`, the rest is
    /// received straight into `out`. If that does not complete, what arrived is put back
    /// into the buffer (the next call resumes) and the rest of this frame goes through the
    /// buffer, so a frame dribbling in is not copied out again on every call.
    fn recv_direct<S: ByteStream>(
        &mut self,
        s: &mut S,
        span: FrameSpan,
        out: &mut [u8],
        deadline: Deadline,
    ) -> (usize, Result<()>) {
        self.frames.set_direct_tried();
        let n = span.user_len();
        // The payload's head (a typed frame's type byte, a length field's head) lies
        // before the field, in the buffer; the body's start after it.
        let off = span.head;
        out[..off].copy_from_slice(&self.frames.live()[..off]);
        let have = {
            let body = &self.frames.live()[span.payload_start..];
            out[off..off + body.len()].copy_from_slice(body);
            body.len()
        };
        let (got, r) = recv_all(&mut *s, &mut out[off + have..n], deadline);
        if r.is_ok() {
            self.frames.clear();
            return (n, Ok(()));
        }
        if r == Err(Error::Closed) {
            self.frames.mark_eof();
        }
        if let Err(e) = self.frames.absorb(&out[off + have..off + have + got]) {
            return (0, Err(e));
        }
        (0, r)
    }

    /// Exactly `out.len()` raw bytes, unframed: the buffered ones first (after the frame
    /// last handed out), then from `s` within the deadline (`recv_all`'s rules). Returns
    /// the bytes written to `out`, on success and on failure (they are consumed either
    /// way); `Closed` when the peer closed first. The framing resumes after them.
    pub fn recv_all(
        &mut self,
        s: impl ByteStream,
        out: &mut [u8],
        deadline: Deadline,
    ) -> (usize, Result<()>) {
        if !s.is_valid() {
            return (0, Err(Error::Invalid));
        }
        let have = self.frames.take(out);
        if have == out.len() {
            return (have, Ok(()));
        }
        if self.frames.is_eof() {
            return (have, Err(Error::Closed));
        }
        let (got, r) = recv_all(s, &mut out[have..], deadline);
        if r == Err(Error::Closed) {
            self.frames.mark_eof();
        }
        (have + got, r)
    }
}
