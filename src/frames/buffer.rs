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
use crate::framing::{DecodeState, Decoded, FrameSpan, Framing, LengthLine, LineValue};

use super::queue::ByteQueue;

/// The slack a buffer may hold beyond one maximal frame, and the floor of its memory bound.
pub const READ_CHUNK: usize = 64 * 1024;

/// A receive into the buffer wants at least this much free space (else the buffer is
/// compacted or grown first); also the default first allocation.
const MIN_FREE: usize = 4 * 1024;

/// A receive that fills all the free space it was offered (the socket had more) makes the
/// next one offer twice the room, up to this: the reader's receives then reach the size
/// at which a system call's fixed cost no longer shows (raw bulk transfer's 256 KiB).
const RECV_GROW_MAX: usize = 256 * 1024;

/// A framing plus the bytes received but not yet returned as frames. Sans-IO: it never
/// touches a socket (`Reader` drives one on top of it).
///
/// After `TooBig` or `BadFrame` the stream cannot be framed any more and every framed call
/// returns that error again, until [`FrameBuffer::set_framing`].
#[derive(Debug)]
pub struct FrameBuffer {
    framing: Framing,
    q: ByteQueue,
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
    /// The reader's direct path (a big frame received straight into the caller's buffer)
    /// was tried for the frame at the front and did not complete: the rest of that frame
    /// comes through the buffer. Forgotten whenever the front moves.
    direct_tried: bool,
    /// The next this many bytes are one raw frame, whatever the framing says of them
    /// (`expect_raw`); the framing resumes after them.
    raw: Option<usize>,
    /// The first allocation (and the one after memory went back at an idle point).
    initial: usize,
    /// What the buffer keeps at an idle point when it gives memory back (see `idle_point`).
    idle: usize,
}

/// The span of a raw frame of `n` bytes at the front.
fn raw_span(n: usize) -> FrameSpan {
    FrameSpan {
        payload_start: 0,
        payload_len: n,
        frame_len: n,
        type_byte: None,
        head: 0,
    }
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
            q: ByteQueue::new(),
            state: DecodeState::new(),
            handed_out: 0,
            broken: None,
            eof: false,
            limit,
            offered: 0,
            grow: false,
            direct_tried: false,
            raw: None,
            initial: MIN_FREE,
            idle: 0,
        }
    }

    /// The next `n` bytes (after the frame last handed out) are one raw frame: `next_frame`,
    /// `next_batch` and the reader's receiving calls deliver them as one payload, whatever
    /// the framing would make of them, and the framing resumes after them. A broken-stream
    /// verdict is forgotten (those bytes are judged afresh). `TooBig` (nothing changes) when
    /// `n` is over the framing's maximum payload: the memory bound stays the framing's.
    pub fn expect_raw(&mut self, n: usize) -> Result<()> {
        if n > self.framing.max_payload() {
            return Err(Error::TooBig);
        }
        self.settle();
        self.raw = Some(n);
        self.state.reset();
        self.broken = None;
        self.direct_tried = false;
        Ok(())
    }

    /// Takes the next line (after the frame last handed out) as a length line of `line`
    /// (RESP's `$5\r\n`, an HTTP chunk's `1a;ext\r\n`) and arms `expect_raw` with the body
    /// it announces (`value + trailer` bytes), so the body comes as the next frame; a line
    /// without a body (a null, a count, a zero under `zero_ends`) arms nothing. The line is
    /// parsed from the buffered bytes with `line`'s terminator, whatever the framing (which
    /// should frame lines by that terminator: a receive only happens while no whole frame
    /// of the framing is buffered). A broken-stream verdict is forgotten once a line is
    /// taken (the bytes after it are judged afresh).
    ///
    /// `Ok(value)` (the line consumed); `WouldBlock` when the line is not whole yet (the
    /// bytes stay), `Closed` when it is not and the peer closed; `BadFrame` (malformed) and
    /// `TooBig` (over `line`'s maximum, or a body over the framing's maximum payload): the
    /// line stays, unconsumed and not judged broken, so it is still the next frame;
    /// `Invalid` when a raw frame is already expected.
    pub fn next_length(&mut self, line: &LengthLine) -> Result<LineValue> {
        self.settle();
        if self.raw.is_some() {
            return Err(Error::Invalid);
        }
        let parsed = match line.parse(self.q.bytes())? {
            Some(p) => p,
            None if self.eof => return Err(Error::Closed),
            None => return Err(Error::WouldBlock),
        };
        if parsed
            .body
            .map_or(false, |n| n > self.framing.max_payload())
        {
            return Err(Error::TooBig);
        }
        self.consume_front(parsed.line_len);
        self.broken = None;
        self.raw = parsed.body;
        Ok(parsed.value)
    }

    /// Frames from this point on may carry payloads of up to `max` bytes (lower or higher
    /// than the framing's maximum: `Framing::with_max_payload`), and the memory bound
    /// follows (one such frame plus [`READ_CHUNK`]; bytes already held stay). Everything
    /// else stays: buffered bytes, an expected raw frame. A broken-stream verdict is
    /// forgotten (the bytes are judged afresh under the new maximum). `Invalid` (nothing
    /// changes) as `with_max_payload`.
    pub fn set_max(&mut self, max: usize) -> Result<()> {
        let framing = self.framing.with_max_payload(max)?;
        self.settle();
        self.limit = limit_of(&framing);
        self.framing = framing;
        self.state.reset();
        self.broken = None;
        Ok(())
    }

    /// The framing frames are taken with now.
    pub fn framing(&self) -> &Framing {
        &self.framing
    }

    /// Sets the buffer's first allocation (`initial` bytes, at least 1; default 4 KiB) and
    /// what it keeps at an idle point (`idle` bytes; default 0: an idle buffer holds no
    /// memory). See `idle_point`.
    pub fn set_sizes(&mut self, initial: usize, idle: usize) {
        self.initial = initial.max(1);
        self.idle = idle;
    }

    /// An idle point: the owner found nothing to receive with nothing buffered (a
    /// non-blocking receive would block). A buffer more than four times bigger than the
    /// most bytes it held since the last idle point gives its memory back (keeping the
    /// `idle` size), so an idle connection holds no buffer while one that keeps receiving
    /// bursts keeps its allocation.
    pub(crate) fn idle_point(&mut self) {
        if self.handed_out == 0 {
            self.q.idle_point(self.idle);
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
        self.direct_tried = false;
        self.raw = None;
    }

    /// Bytes received but not yet returned as frames (or taken raw).
    pub fn buffered(&self) -> usize {
        self.q.len() - self.handed_out
    }

    /// The most this buffer will ever hold: one maximal frame plus [`READ_CHUNK`].
    pub fn memory_limit(&self) -> usize {
        self.limit
    }

    /// The memory this buffer holds now (its allocation), whatever it contains: at most
    /// `max(READ_CHUNK, 4 * the most bytes it ever held)`, and at most `memory_limit`.
    pub fn memory_held(&self) -> usize {
        self.q.capacity()
    }

    /// True once the peer's close was seen (see `mark_eof`).
    pub(crate) fn is_eof(&self) -> bool {
        self.eof
    }

    /// Nothing buffered, nothing pending: a reader can only receive (the latency path's
    /// test, after `settle`: no decode needed to know it).
    pub(crate) fn waits_for_bytes(&self) -> bool {
        self.q.is_empty()
            && self.empty_waits
            && self.broken.is_none()
            && self.raw.is_none()
            && !self.eof
    }

    /// True when the buffer holds its memory limit: nothing more can be received until
    /// frames (or raw bytes) are taken.
    pub(crate) fn is_full(&self) -> bool {
        self.q.len() >= self.limit
    }

    /// Records that the peer closed: once no whole frame is left, `next_frame` says
    /// `Closed` instead of `WouldBlock`.
    pub(crate) fn mark_eof(&mut self) {
        self.eof = true;
    }

    /// Whether the direct path was tried for the frame at the front (see the field).
    pub(crate) fn direct_tried(&self) -> bool {
        self.direct_tried
    }

    /// Records that the direct path was tried for the frame at the front.
    pub(crate) fn set_direct_tried(&mut self) {
        self.direct_tried = true;
    }

    /// Consumes the frames handed out last.
    #[inline]
    pub(crate) fn settle(&mut self) {
        if self.handed_out > 0 {
            self.q.consume(self.handed_out);
            self.handed_out = 0;
            self.direct_tried = false;
            self.raw = None;
        }
    }

    /// Consumes the frame of `n` bytes at the front: the next frame starts after it.
    #[inline]
    fn consume_front(&mut self, n: usize) {
        self.q.consume(n);
        self.state.reset();
        self.direct_tried = false;
        self.raw = None;
    }

    /// The buffered bytes (after `settle`).
    pub(crate) fn live(&self) -> &[u8] {
        self.q.bytes()
    }

    /// Looks at the front of the buffer (after `settle`): a whole frame, or need more
    /// (with the frame's length when its header is known). The stateless per-frame check
    /// first, then the format's incremental decode; an error makes the stream broken.
    #[inline]
    pub(crate) fn decode_front(&mut self) -> Result<Decoded> {
        if let Some(e) = self.broken {
            return Err(e);
        }
        if let Some(n) = self.raw {
            return Ok(if self.q.len() >= n {
                Decoded::Frame(raw_span(n))
            } else {
                Decoded::NeedMore { total: Some(n) }
            });
        }
        if self.q.is_empty() && self.empty_waits {
            debug_assert_eq!(self.state, DecodeState::new());
            return Ok(Decoded::NeedMore { total: None });
        }
        let live = self.q.bytes();
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
        if self.broken.is_some() || self.raw.is_some() || self.q.is_empty() {
            return None;
        }
        let live = self.q.bytes();
        let span = self.framing.whole_frame(live)?;
        let n = span.user_len();
        if span.head == 0 {
            let body = live.get(span.payload_start..span.payload_start + span.payload_len)?;
            out.get_mut(..n)?.copy_from_slice(body);
        } else {
            span.copy_user_payload(live, out).ok()?;
        }
        self.consume_front(span.frame_len);
        Some(n)
    }

    /// Where the frame at the front lies once its header is whole (see
    /// `Framing::frame_span`); `None` before that, for delimited, and on a broken stream.
    pub(crate) fn front_span(&self) -> Option<FrameSpan> {
        if self.broken.is_some() {
            return None;
        }
        if let Some(n) = self.raw {
            return Some(raw_span(n));
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
        let frame = &self.q.bytes()[..span.frame_len];
        if let Err(e) = span.copy_user_payload(frame, out) {
            return (n, Err(e));
        }
        self.consume_front(span.frame_len);
        (n, Ok(()))
    }

    /// Forgets every buffered byte (a frame was delivered some other way).
    pub(crate) fn clear(&mut self) {
        self.q.clear();
        self.handed_out = 0;
        self.state.reset();
        self.direct_tried = false;
        self.raw = None;
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
        let size = self.q.size();
        let live = self.q.len();
        if let Some(total) = total {
            let missing = total.saturating_sub(live);
            if self.q.free_len() < missing && size - live >= missing {
                self.q.compact_if_cheap();
            }
        }
        // A reader set to a small first allocation (set_sizes) asks no more than that.
        let mut want = MIN_FREE.min(self.initial);
        if self.grow {
            self.grow = false;
            if size < RECV_GROW_MAX {
                // Twice the size, less what is held: free space only a bigger buffer has,
                // also when the last receive's bytes were all taken (an emptied buffer has
                // `size` free bytes, which asked for no growth: a 512-byte first buffer
                // then took every 576-byte pipeline of requests in two receives).
                want = want.max((2 * size).min(RECV_GROW_MAX).saturating_sub(live));
            }
        }
        let want = want.min(self.limit.saturating_sub(live)).max(1);
        self.q
            .reserve(want, self.initial, self.limit.max(live + 1))?;
        self.offered = self.q.free_len();
        Ok(self.q.free_mut())
    }

    /// Records `n` bytes received into the space `recv_space` gave.
    pub(crate) fn commit(&mut self, n: usize) {
        self.q.commit(n);
        // Doubling then keeps the bound: the buffer is at least half full of bytes held.
        self.grow =
            n == self.offered && 2 * self.q.len() >= self.q.size() && self.q.size() < RECV_GROW_MAX;
    }

    /// Appends `data` whatever the limit (bytes that belong to the frame at the front,
    /// which the limit already admits). The buffer grows no further than the limit, or than
    /// the bytes then held if they are more: a doubling without that bound took a buffer
    /// holding part of a 190 KiB frame past its 320 KiB limit (found by the `recv_direct`
    /// fuzz target).
    pub(crate) fn absorb(&mut self, data: &[u8]) -> Result<()> {
        self.settle();
        let hard = self.limit.max(self.q.len().saturating_add(data.len()));
        self.put_within(data, hard)
    }

    /// Takes bytes the caller received itself. `NoSpace` (nothing taken) when they would
    /// push the buffer past its limit: take frames with `next_frame` first, or give fewer
    /// with `feed_some`. `TooBig` / `BadFrame` once the stream is broken; `NoMem`.
    pub fn feed(&mut self, data: &[u8]) -> Result<()> {
        self.settle();
        if let Some(e) = self.broken {
            return Err(e);
        }
        if self.q.len().saturating_add(data.len()) > self.limit {
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
        let room = self.limit.saturating_sub(self.q.len());
        let n = data.len().min(room);
        self.put(&data[..n])?;
        Ok(n)
    }

    fn put(&mut self, data: &[u8]) -> Result<()> {
        self.put_within(data, self.limit)
    }

    /// Appends `data`, the buffer grown to at most `hard` bytes.
    fn put_within(&mut self, data: &[u8], hard: usize) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        self.q.reserve(data.len(), self.initial, hard)?;
        self.q.free_mut()[..data.len()].copy_from_slice(data);
        self.q.commit(data.len());
        Ok(())
    }

    /// Takes up to `out.len()` buffered raw bytes, unframed (after the frame last handed
    /// out), and returns how many. The framing resumes at the byte after them, which must
    /// be a frame boundary for it; a broken-stream verdict is forgotten once bytes are
    /// taken (the framing judges what follows them afresh). Bytes taken from an expected raw
    /// frame (`expect_raw`) count towards it.
    pub fn take(&mut self, out: &mut [u8]) -> usize {
        self.settle();
        let n = out.len().min(self.q.len());
        out[..n].copy_from_slice(&self.q.bytes()[..n]);
        if n > 0 {
            let raw = self.raw.and_then(|r| r.checked_sub(n)).filter(|&r| r > 0);
            self.consume_front(n);
            self.raw = raw;
            self.broken = None;
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
        let span = match self.framing.whole_frame(self.q.bytes()) {
            Some(span) if self.broken.is_none() && self.raw.is_none() => span,
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
        // An expected raw frame is the front one: handed out (even when empty), it is done.
        self.raw = None;
        let frame = &mut self.q.bytes_mut()[..span.frame_len];
        if span.head == 0 {
            return Ok(&frame[span.payload_start..span.payload_start + span.payload_len]);
        }
        span.user_payload(frame)
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
            q,
            state,
            handed_out,
            broken,
            eof,
            raw,
            ..
        } = self;
        let mut rest: &mut [u8] = q.bytes_mut();
        let mut n = 0;
        let mut used = 0;
        // An expected raw frame comes first, then the framing's frames.
        let mut raw = std::mem::take(raw);
        while n < max && broken.is_none() {
            let whole = match raw.take() {
                Some(len) if len > rest.len() => {
                    self.raw = Some(len);
                    break;
                }
                Some(len) => Some(raw_span(len)),
                None => framing.whole_frame(rest),
            };
            let span = match whole {
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
