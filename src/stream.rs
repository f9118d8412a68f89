//! Framed I/O over a socket: `send_frame` (one gathered write per frame), the
//! `Reader` that keeps leftovers and returns whole frames, and the `Writer` that
//! queues frames and flushes as much as the socket takes.
//!
//! The decoding itself is `framing`'s; this module only moves bytes between
//! the socket, its own buffer and the caller. Per frame it first asks the
//! framing's inline `whole_frame`, and `decode` for everything else.

use std::io::IoSlice;

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::framing::{DecodeState, Decoded, FrameSpan, Framing, HEADER_MAX};
use crate::io::{recv_all, retry};
use crate::sys::{self, Interest, RawSocket};

/// One `recv` asks for up to this much (more when a frame needs it), so many
/// small frames cost one system call; also the slack a reader may hold beyond
/// one maximal frame.
pub const READ_CHUNK: usize = 64 * 1024;

/// A frame whose missing part is at least this big is received straight into
/// the caller's buffer instead of through the reader's (no extra copy).
const DIRECT_MIN: usize = 32 * 1024;

/// A writer whose queue grew beyond this gives the memory back once flushed.
const WRITER_KEEP: usize = 8 << 20;

/// Sends `parts` back to back with gathered writes, within the deadline.
/// Returns the bytes sent, on success and on failure.
pub fn send_parts(s: RawSocket, parts: &[&[u8]], deadline: Deadline) -> (usize, Result<()>) {
    if !sys::is_valid(s) {
        return (0, Err(Error::Invalid));
    }
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if total == 0 {
        return (0, Ok(()));
    }
    if let Err(e) = sys::before_send(s) {
        return (0, Err(e));
    }
    let mut sent = 0;
    while sent < total {
        let mut iov = [IoSlice::new(&[]); 4];
        let mut count = 0;
        let mut skip = sent;
        for part in parts {
            if skip >= part.len() {
                skip -= part.len();
                continue;
            }
            if count == iov.len() {
                break;
            }
            iov[count] = IoSlice::new(&part[skip..]);
            skip = 0;
            count += 1;
        }
        match retry(s, Interest::Writable, deadline, |dw| {
            sys::send_vectored(s, &iov[..count], dw)
        }) {
            Ok(n) => sent += n,
            Err(e) => return (sent, Err(e)),
        }
    }
    (sent, Ok(()))
}

/// Sends one frame of `payload`: header, payload and trailer in one gathered
/// write (the payload is never copied). Returns the wire bytes sent, header
/// included, on success and on failure; nothing is sent when the payload is
/// refused (`Invalid`, `TooBig`).
pub fn send_frame(
    s: RawSocket,
    framing: &Framing,
    payload: &[u8],
    deadline: Deadline,
) -> (usize, Result<()>) {
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

/// A framing plus the bytes received but not yet returned as frames.
///
/// Memory: at most one maximal frame plus [`READ_CHUNK`], whatever the peer sends.
/// After `TooBig` or `BadFrame` the stream cannot be framed any more and every
/// call returns that error again.
#[derive(Debug)]
pub struct Reader {
    framing: Framing,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    state: DecodeState,
    /// Length of the frame last handed out by `next`, consumed on the next call.
    handed_out: usize,
    broken: Option<Error>,
    eof: bool,
    limit: usize,
    recv_calls: u64,
}

impl Reader {
    /// A reader for `framing` with an empty buffer (allocated on first use).
    pub fn new(framing: Framing) -> Reader {
        let max_frame = framing.max_payload().saturating_add(framing.max_overhead());
        Reader {
            framing,
            buf: Vec::new(),
            start: 0,
            end: 0,
            state: DecodeState::new(),
            handed_out: 0,
            broken: None,
            eof: false,
            limit: max_frame.saturating_add(READ_CHUNK),
            recv_calls: 0,
        }
    }

    /// The framing this reader decodes.
    pub fn framing(&self) -> &Framing {
        &self.framing
    }

    /// Bytes received but not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.end - self.start - self.handed_out
    }

    /// How many `recv` system calls this reader has made (for measuring batching).
    pub fn recv_calls(&self) -> u64 {
        self.recv_calls
    }

    /// The most this reader will ever buffer.
    pub fn memory_limit(&self) -> usize {
        self.limit
    }

    /// Consumes the frame `next` handed out last.
    #[inline]
    fn settle(&mut self) {
        if self.handed_out > 0 {
            self.start += self.handed_out;
            self.handed_out = 0;
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// The whole frame at the front of the buffer, through the framing's inline
    /// per-frame check (`Framing::whole_frame`); `None` means "ask `decode`".
    #[inline]
    fn fast_frame(&self) -> Option<FrameSpan> {
        if self.broken.is_some() {
            return None;
        }
        self.framing.whole_frame(&self.buf[self.start..self.end])
    }

    fn decode(&mut self) -> Result<Decoded> {
        if let Some(e) = self.broken {
            return Err(e);
        }
        let r = self
            .framing
            .decode(&self.buf[self.start..self.end], &mut self.state);
        if let Err(e) = r {
            self.broken = Some(e);
        }
        r
    }

    /// Makes room to receive more: at least one byte, and the whole frame when
    /// its length (`total`) is known, within the memory limit.
    fn make_room(&mut self, total: Option<usize>) -> Result<()> {
        let live = self.end - self.start;
        let need = total.unwrap_or(0).max(live + 1);
        if need > self.limit {
            return Err(Error::TooBig);
        }
        let cap = need.max(READ_CHUNK.min(self.limit));
        if self.buf.len() < cap {
            let mut grown = Vec::new();
            let size = cap.max(self.buf.len().saturating_mul(2)).min(self.limit);
            grown.try_reserve_exact(size).map_err(|_| Error::NoMem)?;
            grown.extend_from_slice(&self.buf[self.start..self.end]);
            grown.resize(size, 0);
            self.buf = grown;
            self.start = 0;
            self.end = live;
        } else if self.start > 0 && self.buf.len() - self.end < (need - live).max(READ_CHUNK / 4) {
            self.buf.copy_within(self.start..self.end, 0);
            self.start = 0;
            self.end = live;
        }
        if self.end == self.buf.len() {
            return Err(Error::Internal);
        }
        Ok(())
    }

    /// Takes bytes the caller received itself. `NoSpace` (nothing taken) when
    /// they would push the buffer past its limit: take frames with `next` first.
    pub fn feed(&mut self, data: &[u8]) -> Result<()> {
        self.settle();
        if let Some(e) = self.broken {
            return Err(e);
        }
        let live = self.end - self.start;
        if live.saturating_add(data.len()) > self.limit {
            return Err(Error::NoSpace);
        }
        if self.buf.len() - self.end < data.len() {
            self.make_room(Some(live + data.len()))?;
        }
        self.buf[self.end..self.end + data.len()].copy_from_slice(data);
        self.end += data.len();
        Ok(())
    }

    /// At most one `recv` from `s`, never waiting: `Ok(n)` bytes were added
    /// (0 when a whole frame is already buffered: take it with `next` first),
    /// `WouldBlock` when nothing was there, `Closed` once the peer closed.
    pub fn fill(&mut self, s: RawSocket) -> Result<usize> {
        self.settle();
        if !sys::is_valid(s) {
            return Err(Error::Invalid);
        }
        let total = match self.decode()? {
            Decoded::Frame(_) => return Ok(0),
            Decoded::NeedMore { total } => total,
        };
        if self.eof {
            return Err(Error::Closed);
        }
        self.make_room(total)?;
        let end = self.end;
        let buf = &mut self.buf[end..];
        let calls = &mut self.recv_calls;
        let n = retry(s, Interest::Readable, Deadline::Now, |dw| {
            *calls += 1;
            sys::recv(s, buf, dw)
        })?;
        if n == 0 {
            self.eof = true;
            return Err(Error::Closed);
        }
        self.end += n;
        Ok(n)
    }

    /// The next whole buffered frame, borrowed until the next call on this
    /// reader; `WouldBlock` when none is whole yet, `Closed` when none is and the
    /// peer closed (a partial frame is then still counted by `buffered`).
    // Inlined into callers' loops: at 64-byte frames the call itself showed in profiles.
    #[inline]
    pub fn next_frame(&mut self) -> Result<&[u8]> {
        self.settle();
        if let Some(span) = self.fast_frame() {
            self.handed_out = span.frame_len;
            let at = self.start;
            return span.user_payload(&mut self.buf[at..at + span.frame_len]);
        }
        match self.decode()? {
            Decoded::Frame(span) => {
                self.handed_out = span.frame_len;
                let frame = &mut self.buf[self.start..self.start + span.frame_len];
                span.user_payload(frame)
            }
            Decoded::NeedMore { .. } if self.eof => Err(Error::Closed),
            Decoded::NeedMore { .. } => Err(Error::WouldBlock),
        }
    }

    /// Receives the next whole frame from `s` into `out` within the deadline.
    /// Returns the payload length; on `NoSpace` the length needed (the frame
    /// stays queued). On every error nothing is lost: bytes received so far stay
    /// buffered for the next call.
    pub fn recv_frame(
        &mut self,
        s: RawSocket,
        out: &mut [u8],
        deadline: Deadline,
    ) -> (usize, Result<()>) {
        self.settle();
        if !sys::is_valid(s) {
            return (0, Err(Error::Invalid));
        }
        loop {
            if let Some(span) = self.fast_frame() {
                return self.copy_out(span, out);
            }
            let total = match self.decode() {
                Err(e) => return (0, Err(e)),
                Ok(Decoded::Frame(span)) => return self.copy_out(span, out),
                Ok(Decoded::NeedMore { total }) => total,
            };
            if let Some(t) = total {
                if let Ok(Some(span)) = self.framing.frame_span(&self.buf[self.start..self.end]) {
                    if span.user_len() > out.len() {
                        return (span.user_len(), Err(Error::NoSpace));
                    }
                    if t - (self.end - self.start) >= DIRECT_MIN {
                        return self.recv_direct(s, span, out, deadline);
                    }
                }
            }
            if self.eof {
                return (0, Err(Error::Closed));
            }
            if let Err(e) = self.make_room(total) {
                return (0, Err(e));
            }
            let end = self.end;
            let buf = &mut self.buf[end..];
            let calls = &mut self.recv_calls;
            match retry(s, Interest::Readable, deadline, |dw| {
                *calls += 1;
                sys::recv(s, buf, dw)
            }) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) => return (0, Err(e)),
            }
        }
    }

    fn copy_out(&mut self, span: FrameSpan, out: &mut [u8]) -> (usize, Result<()>) {
        let frame = &self.buf[self.start..self.start + span.frame_len];
        let n = match span.copy_user_payload(frame, out) {
            Ok(n) => n,
            Err(e) => return (span.user_len(), Err(e)),
        };
        self.start += span.frame_len;
        self.settle();
        (n, Ok(()))
    }

    /// The big-frame path: the buffered start of the body is copied to `out`,
    /// the rest is received straight into `out`. If that fails midway, what
    /// arrived is put back into the buffer so the next call resumes.
    fn recv_direct(
        &mut self,
        s: RawSocket,
        span: FrameSpan,
        out: &mut [u8],
        deadline: Deadline,
    ) -> (usize, Result<()>) {
        let n = span.user_len();
        // The payload's head (a type byte, a length field's head) is buffered.
        let off = span.head;
        out[..off].copy_from_slice(&self.buf[self.start..self.start + off]);
        let have = self.end - self.start - span.payload_start;
        let body_at = self.start + span.payload_start;
        out[off..off + have].copy_from_slice(&self.buf[body_at..self.end]);
        let (got, r) = recv_all(s, &mut out[off + have..n], deadline);
        if r.is_ok() {
            self.start = 0;
            self.end = 0;
            self.state.reset();
            return (n, Ok(()));
        }
        if r == Err(Error::Closed) {
            self.eof = true;
        }
        let arrived = &out[off + have..off + have + got];
        let live = self.end - self.start;
        if let Err(e) = self.make_room(Some(live + got)) {
            return (0, Err(e));
        }
        self.buf[self.end..self.end + got].copy_from_slice(arrived);
        self.end += got;
        (0, r)
    }
}

/// A framing plus the frames queued but not yet sent.
#[derive(Debug)]
pub struct Writer {
    framing: Framing,
    queue: Vec<u8>,
    sent: usize,
}

impl Writer {
    /// A writer for `framing` with an empty queue.
    pub fn new(framing: Framing) -> Writer {
        Writer {
            framing,
            queue: Vec::new(),
            sent: 0,
        }
    }

    /// Encodes one frame of `payload` at the end of the queue (a copy: the
    /// caller's buffer is free again on return). Nothing is queued on error
    /// (`Invalid`, `TooBig` from the framing; `NoMem`).
    pub fn queue(&mut self, payload: &[u8]) -> Result<()> {
        let mut header = [0u8; HEADER_MAX];
        let enc = self.framing.encode_header(payload, &mut header)?;
        self.queue
            .try_reserve(enc.frame_len())
            .map_err(|_| Error::NoMem)?;
        self.queue.extend_from_slice(&header[..enc.header_len]);
        self.queue.extend_from_slice(&payload[enc.body.clone()]);
        self.queue.extend_from_slice(enc.trailer);
        Ok(())
    }

    /// Bytes queued and not yet sent.
    pub fn pending(&self) -> usize {
        self.queue.len() - self.sent
    }

    /// Sends as much of the queue as the socket takes within the deadline
    /// (many frames per system call). `Ok` when the queue is empty;
    /// `WouldBlock` / `TimedOut` with bytes left (see `pending`).
    pub fn flush(&mut self, s: RawSocket, deadline: Deadline) -> Result<()> {
        let (n, r) = crate::io::send_all(s, &self.queue[self.sent..], deadline);
        self.sent += n;
        if self.sent == self.queue.len() {
            self.queue.clear();
            self.sent = 0;
            if self.queue.capacity() > WRITER_KEEP {
                self.queue.shrink_to(READ_CHUNK);
            }
        } else if self.sent >= self.queue.len() / 2 {
            self.queue.drain(..self.sent);
            self.sent = 0;
        }
        r
    }
}
