//! The sending side: `send_frame` (one gathered write per frame), `send_frames` (many
//! frames per gathered write), and the `Writer` that queues frames for non-blocking
//! sockets and flushes as much as the socket takes.

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::framing::{Framing, HEADER_MAX};
use crate::io::{send_all, send_parts, GATHER_MAX};
use crate::sys::RawSocket;

/// A writer whose queue grew beyond this gives the memory back once flushed.
const WRITER_KEEP: usize = 8 << 20;

/// Header bytes of one `send_frames` batch (on the stack).
const BATCH_HEADERS: usize = 4096;

/// Sends one frame of `payload`: header, payload and trailer in one gathered write (the
/// payload is never copied). Returns the wire bytes sent, header included, on success
/// and on failure; nothing is sent when the payload is refused (`Invalid`, `TooBig`).
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

/// Sends one frame per payload, in order, in as few gathered writes as the system allows
/// (up to [`GATHER_MAX`] buffers each; the headers are encoded on the stack, the payloads
/// never copied), all within one deadline (the rules of `send_frame`).
///
/// Returns `(frames, bytes, result)` on success and on failure: the frames sent whole and
/// the wire bytes sent (which may end inside a frame after a timeout or a reset). A payload
/// the framing refuses (`Invalid`, `TooBig`) stops the call before that frame: the frames
/// before it are sent, nothing of it. `Invalid` (nothing sent) for an invalid socket.
pub fn send_frames(
    s: RawSocket,
    framing: &Framing,
    payloads: &[&[u8]],
    deadline: Deadline,
) -> (usize, usize, Result<()>) {
    if !crate::sys::is_valid(s) {
        return (0, 0, Err(Error::Invalid));
    }
    let mut frames = 0;
    let mut bytes = 0;
    let mut next = 0;
    while next < payloads.len() {
        let mut headers = [0u8; BATCH_HEADERS];
        let mut parts: [&[u8]; GATHER_MAX] = [&[]; GATHER_MAX];
        let mut lens = [0usize; GATHER_MAX / 2];
        let mut nparts = 0;
        let mut nframes = 0;
        let mut refused = None;
        let mut free: &mut [u8] = &mut headers;
        for payload in &payloads[next..] {
            let mut header = [0u8; HEADER_MAX];
            let enc = match framing.encode_header(payload, &mut header) {
                Ok(e) => e,
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            };
            if nframes == lens.len() || nparts + 3 > parts.len() || free.len() < enc.header_len {
                break;
            }
            let (h, rest) = std::mem::take(&mut free).split_at_mut(enc.header_len);
            h.copy_from_slice(&header[..enc.header_len]);
            free = rest;
            for part in [&*h, &payload[enc.body.clone()], enc.trailer] {
                if !part.is_empty() {
                    parts[nparts] = part;
                    nparts += 1;
                }
            }
            lens[nframes] = enc.frame_len();
            nframes += 1;
        }
        let (sent, r) = send_parts(s, &parts[..nparts], deadline);
        bytes += sent;
        if r.is_ok() {
            frames += nframes;
        } else {
            let mut left = sent;
            for &len in &lens[..nframes] {
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

/// A framing plus the frames queued but not yet sent.
///
/// Each queued frame costs one copy of its bytes into the queue (header and payload
/// written together after one reservation); a flush that sends only part of the queue
/// moves nothing (a read offset advances; the queue is compacted only when that copies
/// less than was sent); [`Writer::send_or_queue`] writes a frame through without copying
/// when nothing is pending. Memory: the pending bytes (bounded by [`Writer::set_limit`]
/// when set), at most doubled by growth.
#[derive(Debug)]
pub struct Writer {
    framing: Framing,
    queue: Vec<u8>,
    /// Bytes at the front of `queue` already sent.
    sent: usize,
    /// Most pending bytes `queue` may leave; 0 for no limit.
    limit: usize,
}

impl Writer {
    /// A writer for `framing` with an empty queue and no limit.
    pub fn new(framing: Framing) -> Writer {
        Writer {
            framing,
            queue: Vec::new(),
            sent: 0,
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
    pub fn pending(&self) -> usize {
        self.queue.len() - self.sent
    }

    /// The memory the queue holds now (its allocation).
    pub fn memory_held(&self) -> usize {
        self.queue.capacity()
    }

    /// `NoSpace` when `frame_len` more pending bytes would pass the limit.
    fn admit(&self, frame_len: usize) -> Result<()> {
        if self.limit != 0 && self.pending().saturating_add(frame_len) > self.limit {
            return Err(Error::NoSpace);
        }
        Ok(())
    }

    /// Room for `extra` more bytes: compacts first when that moves no more bytes than the
    /// ones already sent, then reserves (amortized doubling).
    /// (A function of the two fields, so that it can run while an `Encoded` borrows the
    /// framing.)
    fn reserve(queue: &mut Vec<u8>, sent: &mut usize, extra: usize) -> Result<()> {
        if queue.capacity() - queue.len() >= extra {
            return Ok(());
        }
        if *sent > 0 && queue.len() - *sent <= *sent {
            queue.copy_within(*sent.., 0);
            queue.truncate(queue.len() - *sent);
            *sent = 0;
        }
        queue.try_reserve(extra).map_err(|_| Error::NoMem)
    }

    /// Encodes one frame of `payload` at the end of the queue (a copy: the caller's
    /// buffer is free again on return). Nothing is queued on error: `Invalid`, `TooBig`
    /// from the framing; `NoSpace` past the limit; `NoMem`.
    pub fn queue(&mut self, payload: &[u8]) -> Result<()> {
        let mut header = [0u8; HEADER_MAX];
        let enc = self.framing.encode_header(payload, &mut header)?;
        let frame_len = enc.frame_len();
        self.admit(frame_len)?;
        Writer::reserve(&mut self.queue, &mut self.sent, frame_len)?;
        self.queue.extend_from_slice(&header[..enc.header_len]);
        self.queue.extend_from_slice(&payload[enc.body]);
        self.queue.extend_from_slice(enc.trailer);
        Ok(())
    }

    /// Sends one frame of `payload` now if nothing is pending and the socket takes it
    /// (written through with one gathered write, no copy), queueing only the part the
    /// socket did not take; with frames pending it is queued behind them. Never waits.
    /// `Ok` once the frame is sent or queued (see `pending`). Nothing is sent or queued on
    /// a refusal (`Invalid`, `TooBig`, `NoSpace`, `NoMem`) nor when the socket fails before
    /// taking a byte (`Invalid` socket, `Reset`, `Os`); when it fails after taking part of
    /// the frame, the rest is queued and the error returned.
    pub fn send_or_queue(&mut self, s: RawSocket, payload: &[u8]) -> Result<()> {
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
        self.queue.clear();
        self.sent = 0;
        Writer::reserve(&mut self.queue, &mut self.sent, frame_len - sent)?;
        let mut skip = sent;
        for part in parts {
            if skip >= part.len() {
                skip -= part.len();
                continue;
            }
            self.queue.extend_from_slice(&part[skip..]);
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
        let (n, r) = send_all(s, &self.queue[self.sent..], deadline);
        self.sent += n;
        if self.sent == self.queue.len() {
            self.queue.clear();
            self.sent = 0;
            if self.queue.capacity() > WRITER_KEEP {
                self.queue.shrink_to(super::READ_CHUNK);
            }
        }
        r
    }
}
