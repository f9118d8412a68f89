//! Moving bytes: `send_all` / `recv_all` / `send_parts`, and the retry step they share
//! with every other call that waits on a stream.
//!
//! The HOWTO's first lesson: `send` and `recv` may move fewer bytes than asked,
//! so a caller must loop. These loops also retry `EINTR`, wait for readiness on
//! non-blocking sockets, keep a whole-call deadline (checked between system calls too,
//! each of which is handed at most `SLICE_MAX` bytes under a finite deadline), and always
//! report how far they got. They run over any [`ByteStream`]; a socket is one.

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::stream::ByteStream;
use crate::sys::Interest;
use std::io::{self, IoSlice};

/// Waits until `s` can make progress on `interest` or the deadline passes
/// (`WouldBlock` for a zero timeout, `TimedOut` otherwise). `EINTR` is retried.
pub(crate) fn wait_ready(
    mut s: impl ByteStream,
    interest: Interest,
    deadline: Deadline,
) -> Result<()> {
    loop {
        match s.wait(interest, deadline.remaining_ms()) {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::from_io(&e)),
        }
        if deadline.expired() {
            return Err(deadline.out_of_time());
        }
    }
}

/// Runs one operation on `s` to a result: retries `EINTR`, and on would-block
/// waits for `interest` within the deadline and tries again.
///
/// `op` gets the stream and `dontwait`: true when the call must not block inside the
/// kernel (any finite deadline); with no deadline a blocking socket blocks in the
/// system call itself, which costs one system call instead of two.
#[inline]
pub(crate) fn retry<S: ByteStream, T>(
    s: &mut S,
    interest: Interest,
    deadline: Deadline,
    mut op: impl FnMut(&mut S, bool) -> io::Result<T>,
) -> Result<T> {
    let dontwait = !deadline.is_forever();
    loop {
        match op(s, dontwait) {
            Ok(v) => return Ok(v),
            Err(e) => match e.kind() {
                io::ErrorKind::Interrupted => {}
                io::ErrorKind::WouldBlock if deadline == Deadline::Now => {
                    return Err(Error::WouldBlock)
                }
                // A stream that consumed bytes without completing (a TLS record trickling
                // in) answers WouldBlock after every readiness: the deadline still holds.
                io::ErrorKind::WouldBlock if deadline.passed() => return Err(Error::TimedOut),
                io::ErrorKind::WouldBlock => wait_ready(&mut *s, interest, deadline)?,
                _ => return Err(Error::from_io(&e)),
            },
        }
    }
}

/// Sends all of `buf`. Returns the bytes sent, on success and on failure.
#[inline]
pub fn send_all(mut s: impl ByteStream, buf: &[u8], deadline: Deadline) -> (usize, Result<()>) {
    if !s.is_valid() {
        return (0, Err(Error::Invalid));
    }
    if buf.is_empty() {
        return (0, Ok(()));
    }
    if let Err(e) = s.before_send() {
        return (0, Err(e));
    }
    let mut sent = 0;
    while sent < buf.len() {
        let rest = &buf[sent..];
        let slice = &rest[..deadline.slice(rest.len())];
        match retry(&mut s, Interest::Writable, deadline, |s, dw| {
            s.send(slice, dw)
        }) {
            Ok(n) => sent += n,
            Err(e) => return (sent, Err(e)),
        }
        if sent < buf.len() && deadline.passed() {
            return (sent, Err(Error::TimedOut));
        }
    }
    (sent, Ok(()))
}

/// Fills all of `buf`. Returns the bytes received, on success and on failure;
/// `Closed` when the peer closed before `buf` was full.
pub fn recv_all(mut s: impl ByteStream, buf: &mut [u8], deadline: Deadline) -> (usize, Result<()>) {
    if !s.is_valid() {
        return (0, Err(Error::Invalid));
    }
    let mut got = 0;
    while got < buf.len() {
        let rest = &mut buf[got..];
        let len = deadline.slice(rest.len());
        let slice = &mut rest[..len];
        match retry(&mut s, Interest::Readable, deadline, |s, dw| {
            s.recv(slice, dw)
        }) {
            Ok(0) => return (got, Err(Error::Closed)),
            Ok(n) => got += n,
            Err(e) => return (got, Err(e)),
        }
        if got < buf.len() && deadline.passed() {
            return (got, Err(Error::TimedOut));
        }
    }
    (got, Ok(()))
}

/// Most buffers handed to one gathered write (the system may take fewer: `sys` clamps to
/// IOV_MAX). 512 slices cost 8 KiB of stack.
const GATHER_MAX: usize = 512;

/// Sends `parts` back to back with gathered writes (up to `GATHER_MAX` = 512 parts per system
/// call), within the deadline. Returns the bytes sent, on success and on failure.
pub fn send_parts(s: impl ByteStream, parts: &[&[u8]], deadline: Deadline) -> (usize, Result<()>) {
    // A one-frame send (header, payload, trailer) should not clear 8 KiB of stack.
    if parts.len() <= 4 {
        send_parts_in::<4>(s, parts, deadline)
    } else {
        send_parts_in::<GATHER_MAX>(s, parts, deadline)
    }
}

/// `send_parts` with at most `N` parts per system call.
fn send_parts_in<const N: usize>(
    mut s: impl ByteStream,
    parts: &[&[u8]],
    deadline: Deadline,
) -> (usize, Result<()>) {
    if !s.is_valid() {
        return (0, Err(Error::Invalid));
    }
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if total == 0 {
        return (0, Ok(()));
    }
    if let Err(e) = s.before_send() {
        return (0, Err(e));
    }
    // The cursor: the first unsent byte is parts[part][off..].
    let (mut part, mut off) = (0, 0);
    let mut sent = 0;
    while sent < total {
        let mut iov = [IoSlice::new(&[]); N];
        let mut count = 0;
        let mut skip = off;
        // What this system call may be handed (all of it without a finite deadline).
        let mut room = deadline.slice(total - sent);
        for p in &parts[part..] {
            if count == iov.len() || room == 0 {
                break;
            }
            if p.len() > skip {
                let piece = &p[skip..];
                let piece = &piece[..piece.len().min(room)];
                room -= piece.len();
                iov[count] = IoSlice::new(piece);
                count += 1;
            }
            skip = 0;
        }
        let n = match retry(&mut s, Interest::Writable, deadline, |s, dw| {
            s.send_vectored(&iov[..count], dw)
        }) {
            Ok(n) => n,
            Err(e) => return (sent, Err(e)),
        };
        sent += n;
        let mut left = n;
        while left > 0 && part < parts.len() {
            let here = parts[part].len() - off;
            if left < here {
                off += left;
                left = 0;
            } else {
                left -= here;
                part += 1;
                off = 0;
            }
        }
        if sent < total && deadline.passed() {
            return (sent, Err(Error::TimedOut));
        }
    }
    (sent, Ok(()))
}
