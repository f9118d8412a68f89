//! The sending side: `send_frame` (one gathered write per frame), `send_frames` (many
//! frames per gathered write), and the `Writer` that queues frames for non-blocking
//! sockets and flushes as much as the socket takes.

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::framing::{Framing, HEADER_MAX, OVERHEAD_MAX};
use crate::io::{send_all, send_parts};
use crate::sys::RawSocket;

/// A writer whose queue grew beyond this gives the memory back once flushed.
const WRITER_KEEP: usize = 8 << 20;

/// The first allocation of a writer's queue.
const MIN_QUEUE: usize = 4 * 1024;

/// `send_frames` copies frames up to this size into a stack buffer, so that runs of small
/// frames reach the kernel as one buffer (many tiny buffers in one gathered write cost the
/// kernel more per byte than the copy does); bigger payloads are never copied.
const SMALL_FRAME: usize = 512;
/// `send_frame`'s buffer for the smallest frames (up to 128 bytes on the wire).
const TINY_FRAME: usize = 128;

/// The stack buffer of one `send_frames` batch: small frames and the headers of big ones.
const SCRATCH: usize = 32 * 1024;

/// Buffers of one `send_frames` batch (at most `io::GATHER_MAX`).
const PIECES: usize = 256;

/// Sends one frame of `payload`: header, payload and trailer in one gathered write (the
/// payload is never copied), or, for payloads of up to 480 bytes, encoded into a 512-byte
/// stack buffer and sent as one buffer. Returns the wire bytes sent, header included, on success
/// and on failure; nothing is sent when the payload is refused (`Invalid`, `TooBig`).
pub fn send_frame(
    s: RawSocket,
    framing: &Framing,
    payload: &[u8],
    deadline: Deadline,
) -> (usize, Result<()>) {
    // A small frame goes out as one contiguous buffer (one plain send: cheaper for the
    // kernel than a gathered write of a header and a payload, and it is the latency path).
    // The buffer is zeroed on every call (safe Rust): a tiny frame zeroes a smaller one.
    if payload.len() <= TINY_FRAME - OVERHEAD_MAX {
        return send_encoded::<TINY_FRAME>(s, framing, payload, deadline);
    }
    if payload.len() <= SMALL_FRAME - OVERHEAD_MAX {
        return send_encoded::<SMALL_FRAME>(s, framing, payload, deadline);
    }
    let mut header = [0u8; HEADER_MAX];
    let enc = match framing.encode_header(payload, &mut header) {
        Ok(e) => e,
        Err(e) => return (0, Err(e)),
    };
    let parts = [
        &header[..enc.header_len],
        &payload[enc.body.clone()],
        enc.trailer,
    ];
    send_parts(s, &parts, deadline)
}

/// `send_frame` for a payload whose frame fits `N` bytes: encoded into a stack buffer of
/// `N` bytes, sent as one buffer.
#[inline(always)]
fn send_encoded<const N: usize>(
    s: RawSocket,
    framing: &Framing,
    payload: &[u8],
    deadline: Deadline,
) -> (usize, Result<()>) {
    let mut frame = [0u8; N];
    match framing.encode_into(payload, &mut frame) {
        Ok(n) => send_all(s, &frame[..n], deadline),
        Err(e) => (0, Err(e)),
    }
}

/// One buffer of a `send_frames` batch: a range of its stack buffer, or borrowed bytes
/// (a payload, a trailer).
#[derive(Clone, Copy)]
enum Piece<'a> {
    Scratch(usize, usize),
    Bytes(&'a [u8]),
}

/// Sends one frame per payload, in order, in as few gathered writes as the system allows,
/// all within one deadline (the rules of `send_frame`). Frames of up to 512 bytes are
/// encoded straight into a 32 KiB stack buffer (one bounded copy each, the framing's inline
/// encoder) and go out back to back as one buffer; bigger payloads are never copied (their
/// headers join that buffer). About 40 KiB of stack.
///
/// Returns `(frames, bytes, result)` on success and on failure: the frames sent whole and
/// the wire bytes sent (which may end inside a frame after a timeout or a reset). A payload
/// the framing refuses (`Invalid`, `TooBig`) stops the call before that frame: the frames
/// before it are sent, nothing of it. `Invalid` (nothing sent) for an invalid socket.
pub fn send_frames<P: AsRef<[u8]>>(
    s: RawSocket,
    framing: &Framing,
    payloads: &[P],
    deadline: Deadline,
) -> (usize, usize, Result<()>) {
    if !crate::sys::is_valid(s) {
        return (0, 0, Err(Error::Invalid));
    }
    let mut frames = 0;
    let mut bytes = 0;
    let mut next = 0;
    let mut scratch = [0u8; SCRATCH];
    while next < payloads.len() {
        let mut pieces = [Piece::Bytes(&[]); PIECES];
        let mut npieces = 0;
        let mut nframes = 0;
        let mut used = 0;
        let mut refused = None;
        for payload in &payloads[next..] {
            let payload = payload.as_ref();
            if npieces + 3 > pieces.len() || SCRATCH - used < HEADER_MAX + SMALL_FRAME {
                break;
            }
            let from = used;
            if payload.len() <= SMALL_FRAME - OVERHEAD_MAX {
                // A small frame, encoded whole into the stack buffer.
                match framing.encode_into(payload, &mut scratch[used..]) {
                    Ok(n) => used += n,
                    Err(e) => {
                        refused = Some(e);
                        break;
                    }
                }
            } else {
                // The header is encoded in place, into the stack buffer.
                let slot: &mut [u8; HEADER_MAX] =
                    match (&mut scratch[used..used + HEADER_MAX]).try_into() {
                        Ok(slot) => slot,
                        Err(_) => return (frames, bytes, Err(Error::Internal)),
                    };
                let enc = match framing.encode_header(payload, slot) {
                    Ok(e) => e,
                    Err(e) => {
                        refused = Some(e);
                        break;
                    }
                };
                let body = &payload[enc.body.clone()];
                let small = enc.frame_len() <= SMALL_FRAME;
                used += enc.header_len;
                if small {
                    for part in [body, enc.trailer] {
                        scratch[used..used + part.len()].copy_from_slice(part);
                        used += part.len();
                    }
                }
                if !small {
                    if used > from {
                        push_scratch(&mut pieces, &mut npieces, from, used);
                    }
                    for part in [body, enc.trailer] {
                        if !part.is_empty() {
                            pieces[npieces] = Piece::Bytes(part);
                            npieces += 1;
                        }
                    }
                    nframes += 1;
                    continue;
                }
            }
            if used > from {
                push_scratch(&mut pieces, &mut npieces, from, used);
            }
            nframes += 1;
        }
        let mut parts: [&[u8]; PIECES] = [&[]; PIECES];
        for (part, piece) in parts.iter_mut().zip(&pieces[..npieces]) {
            *part = match *piece {
                Piece::Scratch(a, b) => &scratch[a..b],
                Piece::Bytes(b) => b,
            };
        }
        let (sent, r) = send_parts(s, &parts[..npieces], deadline);
        bytes += sent;
        if r.is_ok() {
            frames += nframes;
        } else {
            // Whole frames within the bytes sent (the lengths found again: an error path).
            let mut left = sent;
            for payload in &payloads[next..next + nframes] {
                let len = match framing.encoded_len_of(payload.as_ref()) {
                    Ok(len) => len,
                    Err(_) => break,
                };
                if left < len {
                    break;
                }
                left -= len;
                frames += 1;
            }
            return (frames, bytes, r);
        }
        next += nframes;
        if let Some(e) = refused {
            return (frames, bytes, Err(e));
        }
    }
    (frames, bytes, Ok(()))
}

/// Adds the stack buffer's range `from..to` to a batch, extending the previous range
/// when it ends where this one starts (runs of small frames become one buffer).
#[inline]
fn push_scratch(pieces: &mut [Piece<'_>], npieces: &mut usize, from: usize, to: usize) {
    if let Some(Piece::Scratch(_, end)) = pieces[..*npieces].last_mut() {
        if *end == from {
            *end = to;
            return;
        }
    }
    pieces[*npieces] = Piece::Scratch(from, to);
    *npieces += 1;
}

/// A framing plus the frames queued but not yet sent.
///
/// Each queued frame costs one bounded copy of its bytes into the queue: the frame is
/// encoded straight into the queue's free space (for a binary length field, the field is
/// one 8-byte store, then the payload's copy), with one room check before and one limit
/// check after. A flush that sends only part of the queue moves nothing (a read offset
/// advances; the queue is compacted only when that copies less than was sent);
/// [`Writer::send_or_queue`] writes a frame through without copying when nothing is
/// pending. Memory: the pending bytes (bounded by [`Writer::set_limit`] when set) plus one
/// frame's room, at most doubled by growth.
#[derive(Debug)]
pub struct Writer {
    framing: Framing,
    q: Queue,
    /// Most pending bytes the queue may hold; 0 for no limit.
    limit: usize,
}

/// The queued bytes (apart from the framing, so that it can grow while an `Encoded`
/// borrows the framing).
#[derive(Debug)]
struct Queue {
    /// `buf.len()` is the usable size (zero-filled once when grown): frames are encoded
    /// into `buf[end..]` without reallocation or `unsafe`.
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already sent.
    start: usize,
    /// End of the queued bytes.
    end: usize,
}

impl Queue {
    /// Makes at least `extra` bytes of free space after the queued bytes: compacts when
    /// that moves no more bytes than the ones already sent, else grows (doubling, at
    /// least to hold `extra` more).
    #[inline(never)]
    fn reserve(&mut self, extra: usize) -> Result<()> {
        let size = self.buf.len();
        if size - self.end >= extra {
            return Ok(());
        }
        let live = self.end - self.start;
        if self.start > 0 && live <= self.start && size - live >= extra {
            self.buf.copy_within(self.start..self.end, 0);
            self.start = 0;
            self.end = live;
            return Ok(());
        }
        let want = live.checked_add(extra).ok_or(Error::NoMem)?;
        let grown = size.saturating_mul(2).max(want).max(MIN_QUEUE);
        let mut bigger = Vec::new();
        bigger.try_reserve_exact(grown).map_err(|_| Error::NoMem)?;
        bigger.extend_from_slice(&self.buf[self.start..self.end]);
        bigger.resize(grown, 0);
        self.buf = bigger;
        self.start = 0;
        self.end = live;
        Ok(())
    }

    /// Appends raw bytes (the unsent rest of a written-through frame).
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.reserve(data.len())?;
        self.buf[self.end..self.end + data.len()].copy_from_slice(data);
        self.end += data.len();
        Ok(())
    }
}

impl Writer {
    /// A writer for `framing` with an empty queue and no limit.
    pub fn new(framing: Framing) -> Writer {
        Writer {
            framing,
            q: Queue {
                buf: Vec::new(),
                start: 0,
                end: 0,
            },
            limit: 0,
        }
    }

    /// Bounds the pending bytes: a frame that would take them past `max` is refused with
    /// `NoSpace` and nothing of it queued (0: no limit, the default). Frames already
    /// queued stay, even above a new, lower limit.
    pub fn set_limit(&mut self, max: usize) {
        self.limit = max;
    }

    /// Bytes queued and not yet sent.
    #[inline]
    pub fn pending(&self) -> usize {
        self.q.end - self.q.start
    }

    /// The memory the queue holds now (its allocation).
    pub fn memory_held(&self) -> usize {
        self.q.buf.capacity()
    }

    /// `NoSpace` when `frame_len` more pending bytes would pass the limit.
    #[inline]
    fn admit(&self, frame_len: usize) -> Result<()> {
        if self.limit != 0 && self.pending().saturating_add(frame_len) > self.limit {
            return Err(Error::NoSpace);
        }
        Ok(())
    }

    /// Encodes one frame of `payload` at the end of the queue (a copy: the caller's
    /// buffer is free again on return). Nothing is queued on error: `Invalid`, `TooBig`
    /// from the framing; `NoSpace` past the limit; `NoMem`.
    #[inline]
    pub fn queue(&mut self, payload: &[u8]) -> Result<()> {
        // Room for the frame (at most OVERHEAD_MAX bytes more than the payload) and for
        // the 8-byte store of a binary field.
        let room = payload.len().saturating_add(OVERHEAD_MAX);
        if self.q.buf.len() - self.q.end < room {
            self.make_room_for(payload)?;
        }
        let n = self
            .framing
            .encode_into(payload, &mut self.q.buf[self.q.end..])?;
        self.admit(n)?;
        self.q.end += n;
        Ok(())
    }

    /// The slow part of `queue`: the payload checked and the limit applied before the
    /// queue grows (a refused frame never makes it grow), then room for it.
    #[inline(never)]
    fn make_room_for(&mut self, payload: &[u8]) -> Result<()> {
        let frame_len = self.framing.encoded_len_of(payload)?;
        self.admit(frame_len)?;
        self.q.reserve(frame_len.saturating_add(OVERHEAD_MAX))
    }

    /// Sends one frame of `payload` now if nothing is pending and the socket takes it
    /// (written through with one gathered write, no copy), queueing only the part the
    /// socket did not take; with frames pending it is queued behind them. Never waits.
    /// `Ok` once the frame is sent or queued (see `pending`). Nothing is sent or queued on
    /// a refusal (`Invalid`, `TooBig`, `NoSpace`, `NoMem`) nor when the socket fails before
    /// taking a byte (`Invalid` socket, `Reset`, `Os`); when it fails after taking part of
    /// the frame, the rest is queued and the error returned. (`NoMem` while queueing the
    /// unsent rest leaves the stream mid-frame: close the connection.)
    pub fn send_or_queue(&mut self, s: RawSocket, payload: &[u8]) -> Result<()> {
        if !crate::sys::is_valid(s) {
            return Err(Error::Invalid);
        }
        if self.pending() > 0 {
            return self.queue(payload);
        }
        let mut header = [0u8; HEADER_MAX];
        let enc = self.framing.encode_header(payload, &mut header)?;
        let frame_len = enc.frame_len();
        self.admit(frame_len)?;
        let parts = [
            &header[..enc.header_len],
            &payload[enc.body.clone()],
            enc.trailer,
        ];
        let (sent, r) = send_parts(s, &parts, Deadline::Now);
        if sent == frame_len {
            return r;
        }
        match r {
            Ok(()) | Err(Error::WouldBlock) => {}
            Err(e) if sent == 0 => return Err(e),
            Err(_) => {}
        }
        self.q.start = 0;
        self.q.end = 0;
        let trailer = enc.trailer;
        let body = enc.body;
        self.q.reserve(frame_len - sent)?;
        let mut skip = sent;
        for part in [&header[..enc.header_len], &payload[body], trailer] {
            if skip >= part.len() {
                skip -= part.len();
                continue;
            }
            self.q.append(&part[skip..])?;
            skip = 0;
        }
        match r {
            Err(Error::WouldBlock) => Ok(()),
            other => other,
        }
    }

    /// Sends as much of the queue as the socket takes within the deadline (many frames
    /// per system call). `Ok` when the queue is empty; `WouldBlock` / `TimedOut` with
    /// bytes left (see `pending`).
    pub fn flush(&mut self, s: RawSocket, deadline: Deadline) -> Result<()> {
        let (n, r) = send_all(s, &self.q.buf[self.q.start..self.q.end], deadline);
        self.q.start += n;
        if self.q.start == self.q.end {
            self.q.start = 0;
            self.q.end = 0;
            if self.q.buf.len() > WRITER_KEEP {
                self.q.buf = Vec::new();
            }
        }
        r
    }
}
