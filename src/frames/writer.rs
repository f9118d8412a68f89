//! The sending side: `send_frame` (one gathered write per frame), `send_frames` (many
//! frames per gathered write), and the `Writer` that queues frames for non-blocking
//! sockets and flushes as much as the socket takes.

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::framing::{Framing, HEADER_MAX};
use crate::io::{send_all, send_parts};
use crate::sys::RawSocket;

/// A writer whose queue grew beyond this gives the memory back once flushed.
const WRITER_KEEP: usize = 8 << 20;

/// `send_frames` copies frames up to this size into a stack buffer, so that runs of small
/// frames reach the kernel as one buffer (many tiny buffers in one gathered write cost the
/// kernel more per byte than the copy does); bigger payloads are never copied.
const SMALL_FRAME: usize = 512;

/// The stack buffer of one `send_frames` batch: small frames and the headers of big ones.
const SCRATCH: usize = 16 * 1024;

/// Buffers of one `send_frames` batch (at most `io::GATHER_MAX`).
const PIECES: usize = 256;

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

/// One buffer of a `send_frames` batch: a range of its stack buffer, or borrowed bytes
/// (a payload, a trailer).
#[derive(Clone, Copy)]
enum Piece<'a> {
    Scratch(usize, usize),
    Bytes(&'a [u8]),
}

/// Sends one frame per payload, in order, in as few gathered writes as the system allows,
/// all within one deadline (the rules of `send_frame`). Frames of up to 512 bytes are
/// copied into a 16 KiB stack buffer and go out back to back as one buffer; bigger payloads
/// are never copied (their headers join that buffer). About 40 KiB of stack.
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
    let mut scratch = [0u8; SCRATCH];
    while next < payloads.len() {
        let mut pieces = [Piece::Bytes(&[]); PIECES];
        let mut lens = [0usize; PIECES];
        let mut npieces = 0;
        let mut nframes = 0;
        let mut used = 0;
        let mut refused = None;
        for payload in &payloads[next..] {
            if nframes == lens.len()
                || npieces + 3 > pieces.len()
                || SCRATCH - used < HEADER_MAX + SMALL_FRAME
            {
                break;
            }
            let from = used;
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
            let len = enc.frame_len();
            let small = len <= SMALL_FRAME;
            used += enc.header_len;
            if small {
                for part in [body, enc.trailer] {
                    scratch[used..used + part.len()].copy_from_slice(part);
                    used += part.len();
                }
            }
            // Extend the previous scratch run when this one follows it directly.
            match pieces[..npieces].last_mut() {
                Some(Piece::Scratch(_, end)) if *end == from => *end = used,
                _ if used > from => {
                    pieces[npieces] = Piece::Scratch(from, used);
                    npieces += 1;
                }
                _ => {}
            }
            if !small {
                for part in [body, enc.trailer] {
                    if !part.is_empty() {
                        pieces[npieces] = Piece::Bytes(part);
                        npieces += 1;
                    }
                }
            }
            lens[nframes] = len;
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
    /// the frame, the rest is queued and the error returned. (`NoMem` while queueing the
    /// unsent rest leaves the stream mid-frame: close the connection.)
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
