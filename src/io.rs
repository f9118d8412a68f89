//! Moving bytes: `send_all` / `recv_all`, and the retry step they share with
//! every other call that waits on a socket.
//!
//! The HOWTO's first lesson: `send` and `recv` may move fewer bytes than asked,
//! so a caller must loop. These loops also retry `EINTR`, wait for readiness on
//! non-blocking sockets, keep a whole-call deadline, and always report how far
//! they got.

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::sys::{self, Interest, RawSocket};
use std::io::{self, IoSlice};

/// Waits until `s` is ready for `interest` or the deadline passes
/// (`WouldBlock` for a zero timeout, `TimedOut` otherwise). `EINTR` is retried.
pub fn wait_ready(s: RawSocket, interest: Interest, deadline: Deadline) -> Result<()> {
    loop {
        match sys::wait(s, interest, deadline.remaining_ms()) {
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

/// Runs one socket operation to a result: retries `EINTR`, and on would-block
/// waits for `interest` within the deadline and tries again.
///
/// `op` gets `dontwait`: true when the call must not block inside the kernel
/// (any finite deadline); with no deadline a blocking socket blocks in the
/// system call itself, which costs one system call instead of two.
#[inline]
pub fn retry<T>(
    s: RawSocket,
    interest: Interest,
    deadline: Deadline,
    mut op: impl FnMut(bool) -> io::Result<T>,
) -> Result<T> {
    let dontwait = !deadline.is_forever();
    loop {
        match op(dontwait) {
            Ok(v) => return Ok(v),
            Err(e) => match e.kind() {
                io::ErrorKind::Interrupted => {}
                io::ErrorKind::WouldBlock if deadline == Deadline::Now => {
                    return Err(Error::WouldBlock)
                }
                io::ErrorKind::WouldBlock => wait_ready(s, interest, deadline)?,
                _ => return Err(Error::from_io(&e)),
            },
        }
    }
}

/// Sends all of `buf`. Returns the bytes sent, on success and on failure.
#[inline]
pub fn send_all(s: RawSocket, buf: &[u8], deadline: Deadline) -> (usize, Result<()>) {
    if !sys::is_valid(s) {
        return (0, Err(Error::Invalid));
    }
    if buf.is_empty() {
        return (0, Ok(()));
    }
    if let Err(e) = sys::before_send(s) {
        return (0, Err(e));
    }
    let mut sent = 0;
    while sent < buf.len() {
        match retry(s, Interest::Writable, deadline, |dw| {
            sys::send(s, &buf[sent..], dw)
        }) {
            Ok(n) => sent += n,
            Err(e) => return (sent, Err(e)),
        }
    }
    (sent, Ok(()))
}

/// Fills all of `buf`. Returns the bytes received, on success and on failure;
/// `Closed` when the peer closed before `buf` was full.
pub fn recv_all(s: RawSocket, buf: &mut [u8], deadline: Deadline) -> (usize, Result<()>) {
    if !sys::is_valid(s) {
        return (0, Err(Error::Invalid));
    }
    let mut got = 0;
    while got < buf.len() {
        match retry(s, Interest::Readable, deadline, |dw| {
            sys::recv(s, &mut buf[got..], dw)
        }) {
            Ok(0) => return (got, Err(Error::Closed)),
            Ok(n) => got += n,
            Err(e) => return (got, Err(e)),
        }
    }
    (got, Ok(()))
}

/// Most buffers handed to one gathered write (the system may take fewer: `sys` clamps to
/// IOV_MAX). 512 slices cost 8 KiB of stack.
const GATHER_MAX: usize = 512;

/// Sends `parts` back to back with gathered writes (up to `GATHER_MAX` = 512 parts per system
/// call), within the deadline. Returns the bytes sent, on success and on failure.
pub fn send_parts(s: RawSocket, parts: &[&[u8]], deadline: Deadline) -> (usize, Result<()>) {
    // A one-frame send (header, payload, trailer) should not clear 8 KiB of stack.
    if parts.len() <= 4 {
        send_parts_in::<4>(s, parts, deadline)
    } else {
        send_parts_in::<GATHER_MAX>(s, parts, deadline)
    }
}

/// `send_parts` with at most `N` parts per system call.
fn send_parts_in<const N: usize>(
    s: RawSocket,
    parts: &[&[u8]],
    deadline: Deadline,
) -> (usize, Result<()>) {
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
    // The cursor: the first unsent byte is parts[part][off..].
    let (mut part, mut off) = (0, 0);
    let mut sent = 0;
    while sent < total {
        let mut iov = [IoSlice::new(&[]); N];
        let mut count = 0;
        let mut skip = off;
        for p in &parts[part..] {
            if count == iov.len() {
                break;
            }
            if p.len() > skip {
                iov[count] = IoSlice::new(&p[skip..]);
                count += 1;
            }
            skip = 0;
        }
        let n = match retry(s, Interest::Writable, deadline, |dw| {
            sys::send_vectored(s, &iov[..count], dw)
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
    }
    (sent, Ok(()))
}
