//! The sans-IO frame buffer: bytes in, whole frames out, leftovers kept, memory bounded.
//!
//! Bytes come in through [`FrameBuffer::feed`] / [`FrameBuffer::feed_some`] (or, for the
//! socket driver in `reader.rs`, a receive straight into the buffer's free space); whole
//! frames go out through [`FrameBuffer::next_frame`] / [`FrameBuffer::next_batch`], raw
//! bytes through [`FrameBuffer::take`]. The wire format is `framing`'s alone: this file
//! calls `Framing::whole_frame` (stateless, per frame) and then `Framing::decode` when that
//! says "not known whole", and never looks inside a format.
//!
//! # Memory
//!
//! The buffer grows with the bytes that actually arrive, never with a length a header
//! announces: its size is at most the larger of [`READ_CHUNK`] and 4 times the bytes it
//! held at its fullest (growth doubles, and happens only when at least half of it is held
//! bytes: when a frame needs the room, or when a receive filled all the room it was offered,
//! up to 256 KiB per receive), and never more than [`FrameBuffer::memory_limit`] (one maximal frame plus
//! `READ_CHUNK`). So the memory a peer can make one buffer hold is at most
//! `max(READ_CHUNK, 4 * bytes it sent)`: a header announcing 64 MiB costs `READ_CHUNK`.
//! [`FrameBuffer::memory_held`] tells the figure.

use crate::error::{Error, Result};
use crate::framing::{DecodeState, Decoded, FrameSpan, Framing};

/// The first allocation of a buffer, the free space a receive asks for at least when it
/// can have it, and the slack a buffer may hold beyond one maximal frame.
pub const READ_CHUNK: usize = 64 * 1024;

/// A receive into the buffer wants at least this much free space (else the buffer is
/// compacted or grown first).
const MIN_FREE: usize = 4 * 1024;

/// A receive that fills all the free space it was offered (the socket had more) makes the
/// next one offer twice the room, up to this: the reader's receives then reach the size
/// at which a system call's fixed cost no longer shows (raw bulk transfer's 256 KiB).
const RECV_GROW_MAX: usize = 256 * 1024;

/// A buffer grown beyond this gives the memory back once it is empty.
const KEEP: usize = 8 << 20;

/// A framing plus the bytes received but not yet returned as frames. Sans-IO: it never
/// touches a socket (`Reader` drives one on top of it).
///
/// After `TooBig` or `BadFrame` the stream cannot be framed any more and every framed call
/// returns that error again, until [`FrameBuffer::set_framing`].
#[derive(Debug)]
pub struct FrameBuffer {
    framing: Framing,
    /// `buf.len()` is the usable size (zero-filled once when grown).
    buf: Vec<u8>,
    start: usize,
    end: usize,
    state: DecodeState,
    /// Length of the frames last handed out by `next_frame` / `next_batch`, consumed on
    /// the next call.
    handed_out: usize,
    broken: Option<Error>,
    eof: bool,
    limit: usize,
    /// Free space offered by the last `recv_space`.
    offered: usize,
    /// The last receive filled all it was offered and left the buffer at least half full:
    /// the next `recv_space` doubles the buffer (up to `RECV_GROW_MAX`), within the memory
    /// bound (4 times the most bytes held).
    grow: bool,
    /// The framing finds no frame in no bytes (true of every framing there is, but asked
    /// of the framing, not assumed): an empty buffer then needs more without decoding
    /// anything, the first step of every blocking receive on the latency path.
    empty_waits: bool,
}

/// Whether `framing` answers "need more, length unknown" for no bytes at all (asked once,
/// when the framing is set: the answer depends on the framing only).
fn empty_waits(framing: &Framing) -> bool {
    framing.whole_frame(&[]).is_none()
        && matches!(
            framing.decode(&[], &mut DecodeState::new()),
            Ok(Decoded::NeedMore { total: None })
        )
}

fn limit_of(framing: &Framing) -> usize {
    framing
        .max_payload()
        .saturating_add(framing.max_overhead())
        .saturating_add(READ_CHUNK)
}

impl FrameBuffer {
    /// An empty buffer for `framing` (allocated on first use).
    pub fn new(framing: Framing) -> FrameBuffer {
        let limit = limit_of(&framing);
        FrameBuffer {
            empty_waits: empty_waits(&framing),
            framing,
            buf: Vec::new(),
            start: 0,
            end: 0,
            state: DecodeState::new(),
            handed_out: 0,
            broken: None,
            eof: false,
            limit,
            offered: 0,
            grow: false,
        }
    }

    /// Frames from this point on use `framing`: the frame last handed out is consumed
    /// first, the bytes still buffered are kept and framed by `framing`. A broken stream
    /// (`TooBig`, `BadFrame` found by the old framing) is forgotten: the new framing judges
    /// the bytes afresh. The memory limit becomes the new framing's (bytes already held
    /// stay, even above it).
    pub fn set_framing(&mut self, framing: Framing) {
        self.settle();
        self.limit = limit_of(&framing);
        self.empty_waits = empty_waits(&framing);
        self.framing = framing;
        self.state.reset();
        self.broken = None;
    }

    /// Bytes received but not yet returned as frames (or taken raw).
    pub fn buffered(&self) -> usize {
        self.end - self.start - self.handed_out
    }

    /// The most this buffer will ever hold: one maximal frame plus [`READ_CHUNK`].
    pub fn memory_limit(&self) -> usize {
        self.limit
    }

    /// The memory this buffer holds now (its allocation), whatever it contains: at most
    /// `max(READ_CHUNK, 4 * the most bytes it ever held)`, and at most `memory_limit`.
    pub fn memory_held(&self) -> usize {
        self.buf.capacity()
    }

    /// True once the peer's close was seen (see `mark_eof`).
    pub fn is_eof(&self) -> bool {
        self.eof
    }

    /// Nothing buffered, nothing pending: a reader can only receive (the latency path's
    /// test, after `settle`: no decode needed to know it).
    pub(crate) fn waits_for_bytes(&self) -> bool {
        self.start == self.end && self.empty_waits && self.broken.is_none() && !self.eof
    }

    /// Records that the peer closed: once no whole frame is left, `next_frame` says
    /// `Closed` instead of `WouldBlock`.
    pub fn mark_eof(&mut self) {
        self.eof = true;
    }

    /// Consumes the frames handed out last.
    #[inline]
    pub(crate) fn settle(&mut self) {
        if self.handed_out > 0 {
            self.start += self.handed_out;
            self.handed_out = 0;
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.buf.len() > KEEP {
                self.buf = Vec::new();
            }
        }
    }

    /// The buffered bytes (after `settle`).
    pub(crate) fn live(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Looks at the front of the buffer (after `settle`): a whole frame, or need more
    /// (with the frame's length when its header is known). The stateless per-frame check
    /// first, then the format's incremental decode; an error makes the stream broken.
    #[inline]
    pub(crate) fn decode_front(&mut self) -> Result<Decoded> {
        if let Some(e) = self.broken {
            return Err(e);
        }
        if self.start == self.end && self.empty_waits {
            debug_assert_eq!(self.state, DecodeState::new());
            return Ok(Decoded::NeedMore { total: None });
        }
        let live = &self.buf[self.start..self.end];
        if let Some(span) = self.framing.whole_frame(live) {
            return Ok(Decoded::Frame(span));
        }
        let r = self.framing.decode(live, &mut self.state);
        if let Err(e) = r {
            self.broken = Some(e);
        }
        r
    }

    /// The per-frame path of `recv_frame` (the check of `next_frame`, then one copy):
    /// when a whole frame is buffered at the front and its payload fits `out`, copies
    /// it there, consumes it and returns its length; `None` otherwise, nothing
    /// consumed (the caller takes the general path, which reports every error).
    /// Call after `settle`.
    #[inline]
    pub(crate) fn copy_next(&mut self, out: &mut [u8]) -> Option<usize> {
        if self.broken.is_some() || self.start == self.end {
            return None;
        }
        let live = &self.buf[self.start..self.end];
        let span = self.framing.whole_frame(live)?;
        let n = span.user_len();
        if span.head == 0 {
            let body = live.get(span.payload_start..span.payload_start + span.payload_len)?;
            out.get_mut(..n)?.copy_from_slice(body);
        } else {
            span.copy_user_payload(live, out).ok()?;
        }
        self.start += span.frame_len;
        self.state.reset();
        self.settle();
        Some(n)
    }

    /// Where the frame at the front lies once its header is whole (see
    /// `Framing::frame_span`); `None` before that, for delimited, and on a broken stream.
    pub(crate) fn front_span(&self) -> Option<FrameSpan> {
        if self.broken.is_some() {
            return None;
        }
        self.framing.frame_span(self.live()).ok().flatten()
    }

    /// Copies the whole frame `span` at the front into `out` and consumes it. Returns
    /// the payload length; on `NoSpace` the length needed (the frame stays).
    pub(crate) fn copy_frame_out(
        &mut self,
        span: FrameSpan,
        out: &mut [u8],
    ) -> (usize, Result<()>) {
        let n = span.user_len();
        if n > out.len() {
            return (n, Err(Error::NoSpace));
        }
        let frame = &self.buf[self.start..self.start + span.frame_len];
        if let Err(e) = span.copy_user_payload(frame, out) {
            return (n, Err(e));
        }
        self.start += span.frame_len;
        self.state.reset();
        self.settle();
        (n, Ok(()))
    }

    /// Forgets every buffered byte (a frame was delivered some other way).
    pub(crate) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
        self.handed_out = 0;
        self.state.reset();
    }

    /// Makes at least `want` bytes of free space after the buffered bytes, as long as
    /// the buffer then stays within `hard` bytes: compacts when at most half the buffer is
    /// live (a copy no bigger than what was consumed since), else doubles (at least to
    /// `live + want`, at most `hard`). `TooBig` when even `hard` cannot give one free byte.
    #[inline]
    fn make_room(&mut self, want: usize, hard: usize) -> Result<()> {
        if self.buf.len() - self.end >= want {
            return Ok(());
        }
        self.compact_or_grow(want, hard)
    }

    /// `make_room` when the free space at the end is short (out of line: the receive
    /// path's common case is the check above).
    #[inline(never)]
    fn compact_or_grow(&mut self, want: usize, hard: usize) -> Result<()> {
        let size = self.buf.len();
        let live = self.end - self.start;
        if self.start > 0 && live <= size / 2 && size - live >= want {
            self.buf.copy_within(self.start..self.end, 0);
            self.start = 0;
            self.end = live;
            return Ok(());
        }
        let grown = size
            .saturating_mul(2)
            .max(live.saturating_add(want))
            .max(READ_CHUNK)
            .min(hard);
        if grown <= live {
            return Err(Error::TooBig);
        }
        if grown > size {
            let mut bigger = Vec::new();
            bigger.try_reserve_exact(grown).map_err(|_| Error::NoMem)?;
            bigger.extend_from_slice(&self.buf[self.start..self.end]);
            bigger.resize(grown, 0);
            self.buf = bigger;
        } else {
            self.buf.copy_within(self.start..self.end, 0);
        }
        self.start = 0;
        self.end = live;
        Ok(())
    }

    /// Free space to receive into (after `settle`): at least one byte, [`MIN_FREE`] when
    /// the limit allows; grown as described in the module docs. `total`, the length of the
    /// frame at the front when its header is known, only decides an early compaction (when
    /// the rest of that frame no longer fits after the buffered bytes but would fit at the
    /// start, and at most half the buffer is live): it never makes the buffer grow. `TooBig`
    /// when the buffer is full at its limit (cannot happen for a valid stream: the framing
    /// refuses a frame over its maximum first).
    #[inline]
    pub(crate) fn recv_space(&mut self, total: Option<usize>) -> Result<&mut [u8]> {
        let size = self.buf.len();
        let live = self.end - self.start;
        if let Some(total) = total {
            let missing = total.saturating_sub(live);
            if self.start > 0
                && size - self.end < missing
                && size - live >= missing
                && live <= size / 2
            {
                self.buf.copy_within(self.start..self.end, 0);
                self.start = 0;
                self.end = live;
            }
        }
        let mut want = MIN_FREE;
        if self.grow {
            self.grow = false;
            if size < RECV_GROW_MAX {
                want = want.max(size.min(RECV_GROW_MAX - live.min(RECV_GROW_MAX)));
            }
        }
        let want = want.min(self.limit.saturating_sub(live)).max(1);
        self.make_room(want, self.limit.max(live + 1))?;
        let end = self.end;
        self.offered = self.buf.len() - end;
        Ok(&mut self.buf[end..])
    }

    /// Records `n` bytes received into the space `recv_space` gave.
    pub(crate) fn commit(&mut self, n: usize) {
        self.end += n;
        // Doubling then keeps the bound: the buffer is at least half full of bytes held.
        self.grow = n == self.offered
            && 2 * (self.end - self.start) >= self.buf.len()
            && self.buf.len() < RECV_GROW_MAX;
    }

    /// Appends `data` whatever the limit (bytes that belong to the frame at the front,
    /// which the limit already admits).
    pub(crate) fn absorb(&mut self, data: &[u8]) -> Result<()> {
        self.settle();
        let live = self.end - self.start;
        self.make_room(data.len(), usize::MAX)?;
        debug_assert!(self.end - self.start == live);
        self.buf[self.end..self.end + data.len()].copy_from_slice(data);
        self.end += data.len();
        Ok(())
    }

    /// Takes bytes the caller received itself. `NoSpace` (nothing taken) when they would
    /// push the buffer past its limit: take frames with `next_frame` first, or give fewer
    /// with `feed_some`. `TooBig` / `BadFrame` once the stream is broken; `NoMem`.
    pub fn feed(&mut self, data: &[u8]) -> Result<()> {
        self.settle();
        if let Some(e) = self.broken {
            return Err(e);
        }
        let live = self.end - self.start;
        if live.saturating_add(data.len()) > self.limit {
            return Err(Error::NoSpace);
        }
        self.put(data)
    }

    /// Takes as much of `data` as fits under the memory limit and returns how much (0 when
    /// the buffer is full: take frames first). Errors as `feed`, nothing taken.
    pub fn feed_some(&mut self, data: &[u8]) -> Result<usize> {
        self.settle();
        if let Some(e) = self.broken {
            return Err(e);
        }
        let room = self.limit.saturating_sub(self.end - self.start);
        let n = data.len().min(room);
        self.put(&data[..n])?;
        Ok(n)
    }

    fn put(&mut self, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        self.make_room(data.len(), self.limit)?;
        self.buf[self.end..self.end + data.len()].copy_from_slice(data);
        self.end += data.len();
        Ok(())
    }

    /// Takes up to `out.len()` buffered raw bytes, unframed (after the frame last handed
    /// out), and returns how many. The framing resumes at the byte after them, which must
    /// be a frame boundary for it.
    pub fn take(&mut self, out: &mut [u8]) -> usize {
        self.settle();
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        if n > 0 {
            self.start += n;
            self.state.reset();
            self.settle();
        }
        n
    }

    /// The next whole buffered frame, borrowed until the next call on this buffer;
    /// `WouldBlock` when none is whole yet, `Closed` when none is and the peer closed (a
    /// partial frame is then still counted by `buffered`); `TooBig` / `BadFrame` when the
    /// stream is broken.
    // Inlined into callers' loops: at 64-byte frames the call itself showed in profiles.
    #[inline]
    pub fn next_frame(&mut self) -> Result<&[u8]> {
        self.settle();
        // The per-frame check straight to the frame (no `Decoded` built and matched: at
        // 64-byte frames that round trip through memory showed in profiles).
        let span = match self.framing.whole_frame(&self.buf[self.start..self.end]) {
            Some(span) if self.broken.is_none() => span,
            _ => match self.decode_front()? {
                Decoded::Frame(span) => span,
                Decoded::NeedMore { .. } if self.eof => return Err(Error::Closed),
                Decoded::NeedMore { .. } => return Err(Error::WouldBlock),
            },
        };
        self.hand_out(span)
    }

    /// Hands out the whole frame `span` at the front: its payload, borrowed until the next
    /// call, consumed then.
    #[inline]
    fn hand_out(&mut self, span: FrameSpan) -> Result<&[u8]> {
        self.handed_out = span.frame_len;
        let at = self.start;
        if span.head == 0 {
            let body = at + span.payload_start;
            return Ok(&self.buf[body..body + span.payload_len]);
        }
        span.user_payload(&mut self.buf[at..at + span.frame_len])
    }

    /// Up to `max` whole buffered frames at once: `each` is called with every payload in
    /// order, and each one stays valid (unmoved, unchanged) until the next call on this
    /// buffer, so a caller may keep pointers to all of them. Returns how many (at least 1).
    /// The errors of `next_frame` when no frame is whole; a broken stream found after some
    /// frames ends the batch, and the next call reports it. `max == 0` gives `Ok(0)`.
    pub fn next_batch(&mut self, max: usize, mut each: impl FnMut(&[u8])) -> Result<usize> {
        self.settle();
        if max == 0 {
            return Ok(0);
        }
        let FrameBuffer {
            framing,
            buf,
            start,
            end,
            state,
            handed_out,
            broken,
            eof,
            ..
        } = self;
        let mut rest: &mut [u8] = &mut buf[*start..*end];
        let mut n = 0;
        let mut used = 0;
        while n < max && broken.is_none() {
            let span = match framing.whole_frame(rest) {
                Some(span) => span,
                None => match framing.decode(rest, state) {
                    Ok(Decoded::Frame(span)) => span,
                    Ok(Decoded::NeedMore { .. }) => break,
                    Err(e) => {
                        *broken = Some(e);
                        break;
                    }
                },
            };
            let (frame, tail) = std::mem::take(&mut rest).split_at_mut(span.frame_len);
            match span.user_payload(frame) {
                Ok(payload) => each(payload),
                Err(_) => {
                    *handed_out = used;
                    return Err(Error::Internal);
                }
            }
            rest = tail;
            used += span.frame_len;
            n += 1;
        }
        *handed_out = used;
        if n > 0 {
            return Ok(n);
        }
        match broken {
            Some(e) => Err(*e),
            None if *eof => Err(Error::Closed),
            None => Err(Error::WouldBlock),
        }
    }
}
