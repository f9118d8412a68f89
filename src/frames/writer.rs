//! The sending side: `send_frame` (one gathered write per frame), `send_frames` (many
//! frames per gathered write), and the `Writer` that queues frames for non-blocking
//! sockets and flushes as much as the socket takes.

use std::cell::RefCell;

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::framing::{Framing, HEADER_MAX, OVERHEAD_MAX};
use crate::io::{send_all, send_parts};
use crate::stream::ByteStream;

use super::queue::ByteQueue;

/// The first allocation of a writer's queue.
const MIN_QUEUE: usize = 4 * 1024;

/// `send_frames` copies frames up to this size into a stack buffer, so that runs of small
/// frames reach the kernel as one buffer (many tiny buffers in one gathered write cost the
/// kernel more per byte than the copy does); bigger payloads are never copied.
const SMALL_FRAME: usize = 512;
/// `send_frame`'s buffer for the smallest frames (up to 128 bytes on the wire).
const TINY_FRAME: usize = 128;

/// The buffer of one `send_frames` batch: small frames and the headers of big ones. As big
/// as the bulk transfers that are the floor of framed I/O: at 32 KiB, 64-byte frames took
/// nine times the system calls of 256 KiB sends (each call, and each wake-up of the
/// receiver, costs more than the bytes).
const SCRATCH: usize = 256 * 1024;

/// The biggest frame `send_frames` copies into its buffer; bigger payloads are borrowed
/// into the gathered write. Measured (the C benchmark against the C floor, Unix socketpair):
/// at 512 bytes, 1 KiB frames went out at 0.73x the floor (256 buffers per `sendmsg`, half
/// of them 4-byte headers: the kernel's cost per buffer), copied at 0.96x.
const COPY_FRAME: usize = 16 * 1024;

/// Buffers of one `send_frames` batch (at most `io::GATHER_MAX`).
const PIECES: usize = 256;

/// Sends one frame of `payload`: header, payload and trailer in one gathered write (the
/// payload is never copied), or, for payloads of up to 480 bytes, encoded into a 512-byte
/// stack buffer and sent as one buffer. Returns the wire bytes sent, header included, on success
/// and on failure; nothing is sent when the payload is refused (`Invalid`, `TooBig`).
pub fn send_frame(
    s: impl ByteStream,
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
    s: impl ByteStream,
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

/// Sends one frame per payload, in order, in as few gathered writes as the system allows,
/// all within one deadline (the rules of `send_frame`). Frames of up to 16 KiB are
/// encoded straight into a 256 KiB buffer (one bounded copy each, the framing's inline
/// encoder) and go out back to back as one buffer; bigger payloads are never copied (their
/// headers join that buffer). The buffer is the calling thread's, allocated on its first
/// call and kept until the thread ends (zeroed once, not on every call; `NoMem`, nothing
/// sent, when it cannot be had); about 10 KiB of stack besides.
///
/// Returns `(frames, bytes, result)` on success and on failure: the frames sent whole and
/// the wire bytes sent (which may end inside a frame after a timeout or a reset). A payload
/// the framing refuses (`Invalid`, `TooBig`) stops the call before that frame: the frames
/// before it are sent, nothing of it. `Invalid` (nothing sent) for an invalid socket.
pub fn send_frames<P: AsRef<[u8]>>(
    mut s: impl ByteStream,
    framing: &Framing,
    payloads: &[P],
    deadline: Deadline,
) -> (usize, usize, Result<()>) {
    if !s.is_valid() {
        return (0, 0, Err(Error::Invalid));
    }
    let mut done = None;
    // Err when the thread's buffer is gone (a call from a thread-exit destructor).
    let _ = SCRATCH_BUF.try_with(|cell| {
        if let Ok(mut kept) = cell.try_borrow_mut() {
            if kept.len() != SCRATCH {
                match new_scratch() {
                    Ok(fresh) => *kept = fresh,
                    Err(e) => {
                        done = Some((0, 0, Err(e)));
                        return;
                    }
                }
            }
            done = Some(send_batches(&mut s, framing, payloads, deadline, &mut kept));
        }
    });
    done.unwrap_or_else(|| match new_scratch() {
        Ok(mut own) => send_batches(s, framing, payloads, deadline, &mut own),
        Err(e) => (0, 0, Err(e)),
    })
}

thread_local! {
    /// `send_frames`' buffer (`SCRATCH` bytes once allocated), one per thread, zeroed once
    /// (a stack buffer is zeroed on every call: at 64-byte frames that was as many
    /// instructions as the frames' encoding, and it could not be this big).
    static SCRATCH_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A zeroed buffer for `send_frames` (the thread's own, or one for a call made while the
/// thread's is in use or gone: a call from a thread-exit destructor); `NoMem`.
#[cold]
fn new_scratch() -> Result<Vec<u8>> {
    let mut v = Vec::new();
    v.try_reserve_exact(SCRATCH).map_err(|_| Error::NoMem)?;
    v.resize(SCRATCH, 0);
    Ok(v)
}

/// `send_frames`' loop: one batch per gathered write, encoded into `scratch`.
#[inline(always)]
fn send_batches<P: AsRef<[u8]>>(
    mut s: impl ByteStream,
    framing: &Framing,
    payloads: &[P],
    deadline: Deadline,
    scratch: &mut [u8],
) -> (usize, usize, Result<()>) {
    let (mut frames, mut bytes) = (0, 0);
    let mut rest = payloads;
    while !rest.is_empty() {
        let mut batch = Batch::new(scratch);
        let (taken, refused) = batch.encode(framing, rest);
        let mut parts: [&[u8]; PIECES] = [&[]; PIECES];
        let parts = batch.parts(&mut parts);
        let (sent, r) = send_parts(&mut s, parts, deadline);
        bytes += sent;
        if r.is_err() {
            return (
                frames + whole_frames(framing, &rest[..taken], sent),
                bytes,
                r,
            );
        }
        frames += taken;
        rest = &rest[taken..];
        if let Some(e) = refused {
            return (frames, bytes, Err(e));
        }
    }
    (frames, bytes, Ok(()))
}

/// How many of `payloads`' frames lie whole within the first `sent` wire bytes (the
/// lengths found again: an error path).
fn whole_frames<P: AsRef<[u8]>>(framing: &Framing, payloads: &[P], sent: usize) -> usize {
    let mut left = sent;
    let mut whole = 0;
    for payload in payloads {
        match framing.encoded_len_of(payload.as_ref()) {
            Ok(len) if len <= left => left -= len,
            _ => break,
        }
        whole += 1;
    }
    whole
}

/// One buffer of a `send_frames` batch: a range of its stack buffer, or borrowed bytes
/// (a payload, a trailer).
#[derive(Clone, Copy)]
enum Piece<'a> {
    Scratch(usize, usize),
    Bytes(&'a [u8]),
}

/// The buffers of one gathered write of `send_frames`: small frames and headers encoded
/// into the stack buffer, big payloads borrowed.
struct Batch<'s, 'p> {
    /// `SCRATCH` bytes.
    scratch: &'s mut [u8],
    used: usize,
    pieces: [Piece<'p>; PIECES],
    count: usize,
}

impl<'s, 'p> Batch<'s, 'p> {
    #[inline(always)]
    fn new(scratch: &'s mut [u8]) -> Self {
        Batch {
            scratch,
            used: 0,
            pieces: [Piece::Bytes(&[]); PIECES],
            count: 0,
        }
    }

    /// Encodes frames of `payloads` from the first until the batch is full; returns how
    /// many, and the framing's refusal of the next one if that is what stopped it.
    #[inline(always)]
    fn encode<P: AsRef<[u8]>>(
        &mut self,
        framing: &'p Framing,
        payloads: &'p [P],
    ) -> (usize, Option<Error>) {
        let fast = framing.binary_fast_path();
        let mut n = 0;
        while n < payloads.len() {
            if self.count + 3 > PIECES || SCRATCH - self.used < HEADER_MAX + COPY_FRAME {
                return (n, None);
            }
            // A run of small frames of a binary length field: encoded back to back by the
            // fast path, one range of the buffer.
            if let Some(l) = fast {
                let from = self.used;
                let mut used = from;
                while let Some(p) = payloads.get(n) {
                    let p = p.as_ref();
                    if p.len() > COPY_FRAME - OVERHEAD_MAX
                        || SCRATCH - used < HEADER_MAX + COPY_FRAME
                    {
                        break;
                    }
                    match l.encode_binary(p, &mut self.scratch[used..]) {
                        Some(k) => used += k,
                        None => break,
                    }
                    n += 1;
                }
                if used > from {
                    self.used = used;
                    self.push_scratch(from);
                    continue;
                }
            }
            if let Err(e) = self.add(framing, payloads[n].as_ref()) {
                return (n, Some(e));
            }
            n += 1;
        }
        (payloads.len(), None)
    }

    /// Adds one frame: encoded whole into the stack buffer when it is small, else its
    /// header there and the payload (and trailer) borrowed. Nothing is added on error.
    /// Inlined into `encode`'s loop: at 64-byte frames the call showed in profiles.
    #[inline(always)]
    fn add(&mut self, framing: &'p Framing, payload: &'p [u8]) -> Result<()> {
        let from = self.used;
        if payload.len() <= COPY_FRAME - OVERHEAD_MAX {
            self.used += framing.encode_into(payload, &mut self.scratch[from..])?;
            self.push_scratch(from);
            return Ok(());
        }
        let slot: &mut [u8; HEADER_MAX] = (&mut self.scratch[from..from + HEADER_MAX])
            .try_into()
            .map_err(|_| Error::Internal)?;
        let enc = framing.encode_header(payload, slot)?;
        self.used += enc.header_len;
        self.push_scratch(from);
        let copy = enc.frame_len() <= COPY_FRAME;
        for part in [&payload[enc.body.clone()], enc.trailer] {
            if copy {
                let at = self.used;
                self.scratch[at..at + part.len()].copy_from_slice(part);
                self.used += part.len();
                self.push_scratch(at);
            } else if !part.is_empty() {
                self.pieces[self.count] = Piece::Bytes(part);
                self.count += 1;
            }
        }
        Ok(())
    }

    /// Adds the stack buffer's bytes from `from` to `used` (nothing when empty), extending
    /// the previous range when it ends where this one starts (runs of small frames become
    /// one buffer).
    #[inline(always)]
    fn push_scratch(&mut self, from: usize) {
        let to = self.used;
        if from == to {
            return;
        }
        if let Some(Piece::Scratch(_, end)) = self.pieces[..self.count].last_mut() {
            if *end == from {
                *end = to;
                return;
            }
        }
        self.pieces[self.count] = Piece::Scratch(from, to);
        self.count += 1;
    }

    /// The batch as the buffers of one gathered write, in `out`.
    #[inline(always)]
    fn parts<'o>(&'o self, out: &'o mut [&'o [u8]; PIECES]) -> &'o [&'o [u8]] {
        for (part, piece) in out.iter_mut().zip(&self.pieces[..self.count]) {
            *part = match *piece {
                Piece::Scratch(a, b) => &self.scratch[a..b],
                Piece::Bytes(b) => b,
            };
        }
        &out[..self.count]
    }
}

/// A framing plus the frames queued but not yet sent.
///
/// Each queued frame costs one bounded copy of its bytes into the queue: the frame is
/// encoded straight into the queue's free space (for a binary length field, the field is
/// one 8-byte store, then the payload's copy), with one room check before and one limit
/// check after. A flush that sends only part of the queue moves nothing (the queue's front
/// advances); [`Writer::send_or_queue`] writes a frame through without copying when nothing
/// is pending. Memory: the pending bytes (bounded by [`Writer::set_limit`] when set) plus
/// one frame's room, at most doubled by growth.
#[derive(Debug)]
pub struct Writer {
    framing: Framing,
    q: ByteQueue,
    /// Most pending bytes the queue may hold; 0 for no limit.
    limit: usize,
}

impl Writer {
    /// A writer for `framing` with an empty queue and no limit.
    pub fn new(framing: Framing) -> Writer {
        Writer {
            framing,
            q: ByteQueue::new(),
            limit: 0,
        }
    }

    /// Bounds the pending bytes: a frame that would take them past `max` is refused with
    /// `NoSpace` and nothing of it queued; a frame longer than `max` by itself (on the
    /// wire), which no flush could ever make room for, with `TooBig` (0: no limit, the
    /// default). Frames already queued stay, even above a new, lower limit.
    pub fn set_limit(&mut self, max: usize) {
        self.limit = max;
    }

    /// Frames from this point on may carry payloads of up to `max` bytes, lower or higher
    /// than the framing's maximum (`Framing::with_max_payload`: one framing, a maximum per
    /// writer). Frames already queued stay. `Invalid` (nothing changes) as
    /// `with_max_payload`.
    pub fn set_max(&mut self, max: usize) -> Result<()> {
        self.framing = self.framing.with_max_payload(max)?;
        Ok(())
    }

    /// The framing frames are queued with now.
    pub fn framing(&self) -> &Framing {
        &self.framing
    }

    /// Bytes queued and not yet sent.
    #[inline]
    pub fn pending(&self) -> usize {
        self.q.len()
    }

    /// The memory the queue holds now (its allocation).
    pub fn memory_held(&self) -> usize {
        self.q.capacity()
    }

    /// `NoSpace` when `frame_len` more pending bytes would pass the limit; `TooBig` when
    /// `frame_len` alone is over it (no flush would ever make room).
    #[inline]
    fn admit(&self, frame_len: usize) -> Result<()> {
        if self.limit != 0 && self.pending().saturating_add(frame_len) > self.limit {
            return Err(self.refusal(frame_len));
        }
        Ok(())
    }

    /// Why a frame of `frame_len` bytes does not fit under the limit.
    #[cold]
    fn refusal(&self, frame_len: usize) -> Error {
        if frame_len > self.limit {
            Error::TooBig
        } else {
            Error::NoSpace
        }
    }

    /// Encodes one frame of `payload` at the end of the queue (a copy: the caller's
    /// buffer is free again on return). Nothing is queued on error: `Invalid`, `TooBig`
    /// from the framing; `NoSpace` past the limit; `TooBig` for a frame longer than the
    /// limit by itself; `NoMem`.
    #[inline(always)]
    pub fn queue(&mut self, payload: &[u8]) -> Result<()> {
        // The fast path: no limit, a binary length field, room in the queue.
        if self.limit == 0 {
            if let Some(l) = self.framing.binary_fast_path() {
                if let Some(n) = l.encode_binary(payload, self.q.free_mut()) {
                    self.q.commit(n);
                    return Ok(());
                }
            }
        }
        // Room for the frame (at most OVERHEAD_MAX bytes more than the payload) and for
        // the 8-byte store of a binary field.
        let room = payload.len().saturating_add(OVERHEAD_MAX);
        if self.q.free_len() < room {
            self.make_room_for(payload)?;
        }
        let n = self.framing.encode_into(payload, self.q.free_mut())?;
        self.admit(n)?;
        self.q.commit(n);
        Ok(())
    }

    /// Queues one frame per payload, in order, with the rules of `queue`, stopping at the
    /// first payload refused (or the first `Err` the iterator yields, for a view the
    /// caller could not make): returns how many were queued, and that refusal. One call
    /// for the whole batch: `queue` is inlined into its loop.
    pub fn queue_many<'p, I>(&mut self, payloads: I) -> (usize, Result<()>)
    where
        I: IntoIterator<Item = Result<&'p [u8]>>,
    {
        let mut queued = 0;
        for payload in payloads {
            if let Err(e) = payload.and_then(|p| self.queue(p)) {
                return (queued, Err(e));
            }
            queued += 1;
        }
        (queued, Ok(()))
    }

    /// The slow part of `queue`: the payload checked and the limit applied before the
    /// queue grows (a refused frame never makes it grow), then room for it.
    #[inline(never)]
    fn make_room_for(&mut self, payload: &[u8]) -> Result<()> {
        let frame_len = self.framing.encoded_len_of(payload)?;
        self.admit(frame_len)?;
        self.q.reserve(
            frame_len.saturating_add(OVERHEAD_MAX),
            MIN_QUEUE,
            usize::MAX,
        )
    }

    /// Queues `bytes` as they are, with no header or delimiter (an HTTP body, a value that
    /// holds the delimiter, bytes framed by the caller): a copy, behind the frames already
    /// queued. `NoSpace` past the limit, `TooBig` when `bytes` alone are longer than it
    /// (nothing queued); `NoMem`.
    pub fn queue_raw(&mut self, bytes: &[u8]) -> Result<()> {
        self.admit(bytes.len())?;
        self.q.append(bytes, MIN_QUEUE)
    }

    /// Sends one frame of `payload` now if nothing is pending and the stream takes it
    /// (written through with one gathered write, no copy), queueing only the part the
    /// stream did not take; with frames pending it is queued behind them. Never waits.
    /// `Ok` once the frame is sent or queued (see `pending`). Nothing is sent or queued on
    /// a refusal (`Invalid`, `TooBig`, `NoSpace`, `NoMem`) nor when the stream fails before
    /// taking a byte (`Invalid` socket, `Reset`, `Os`); when it fails after taking part of
    /// the frame, the rest is queued and the error returned. (`NoMem` while queueing the
    /// unsent rest leaves the stream mid-frame: close the connection.)
    pub fn send_or_queue(&mut self, s: impl ByteStream, payload: &[u8]) -> Result<()> {
        if !s.is_valid() {
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
        self.q.clear();
        self.q.reserve(frame_len - sent, MIN_QUEUE, usize::MAX)?;
        let mut skip = sent;
        for part in parts {
            if skip >= part.len() {
                skip -= part.len();
                continue;
            }
            self.q.append(&part[skip..], MIN_QUEUE)?;
            skip = 0;
        }
        match r {
            Err(Error::WouldBlock) => Ok(()),
            other => other,
        }
    }

    /// Sends the queue and then `bytes` as they are (no header or delimiter: an HTTP body
    /// after its queued head), in one gathered write, now; the part of `bytes` the stream
    /// did not take is queued (a copy), so `bytes` is the caller's again on return and the
    /// bytes it holds that went out were never copied. Never waits. `Ok` once everything
    /// is sent or queued (see `pending`). Nothing is sent or queued on a refusal: `Invalid`
    /// socket; `NoSpace` / `TooBig` when `bytes` could pass the limit (the rules of
    /// `queue_raw`). When the stream fails (`Reset`, `Os`), the rest of `bytes` is queued
    /// if it took some of them, nothing of them if not, and the error returned. (`NoMem`
    /// while queueing the rest leaves the stream mid-body: close the connection.)
    pub fn send_raw(&mut self, s: impl ByteStream, bytes: &[u8]) -> Result<()> {
        if !s.is_valid() {
            return Err(Error::Invalid);
        }
        self.admit(bytes.len())?;
        let queued = self.pending();
        let (sent, r) = send_parts(s, &[self.q.bytes(), bytes], Deadline::Now);
        self.q.consume(sent.min(queued));
        let taken = sent.saturating_sub(queued);
        let failed = !matches!(r, Ok(()) | Err(Error::WouldBlock));
        if taken < bytes.len() && !(failed && taken == 0) {
            self.q.append(&bytes[taken..], MIN_QUEUE)?;
        }
        if self.pending() == 0 {
            self.q.idle_point(0);
        }
        match r {
            Err(Error::WouldBlock) => Ok(()),
            other => other,
        }
    }

    /// Sends as much of the queue as the stream takes within the deadline (many frames
    /// per system call). `Ok` when the queue is empty; `WouldBlock` / `TimedOut` with
    /// bytes left (see `pending`). A queue emptied by a flush is an idle point: an
    /// allocation more than four times what it held since the last one goes back, so an
    /// idle connection's writer holds no memory.
    pub fn flush(&mut self, s: impl ByteStream, deadline: Deadline) -> Result<()> {
        let (n, r) = send_all(s, self.q.bytes(), deadline);
        self.q.consume(n);
        self.q.idle_point(0);
        r
    }
}
