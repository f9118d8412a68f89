//! Sending and receiving: `int` lengths (big buffers go in chunks), and, with no
//! `MSG_DONTWAIT`, a zero-timeout `WSAPoll` and a bounded length for a call that must not
//! wait.

use std::io::{self, IoSlice};

use windows_sys::Win32::Networking::WinSock as ws;

use super::check;
use crate::sys::{wait, Interest, RawSocket};

/// send/recv take an `int` length: bigger buffers go in chunks of this.
const CHUNK_MAX: usize = 1 << 30;

/// At most this many WSABUFs in one `WSASend`.
const BUFS_MAX: usize = 64;

/// Without `MSG_DONTWAIT`, a non-waiting call first asks `WSAPoll` with a zero timeout.
pub(super) fn ready_now(s: RawSocket, interest: Interest) -> io::Result<()> {
    if wait(s, interest, 0)? {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(ws::WSAEWOULDBLOCK))
    }
}

/// How much a non-waiting send may hand to `send` at once.
///
/// Writable only promises room for *some* bytes, and on a blocking socket Winsock's `send`
/// does not return early with a partial count (as POSIX `MSG_DONTWAIT` would): it blocks
/// until it has taken the whole buffer. A timed `send_all` of 64 MiB to a peer that reads
/// nothing would then block forever inside `send`, past its deadline. A quarter of
/// `SO_SNDBUF` fits in the room a writable socket has (Windows buffers a send while its
/// queue is below `SO_SNDBUF`; Linux, under Wine, reports writable only with at least a
/// third of the buffer free), so each timed send returns at once and the deadline holds.
fn dontwait_cap(s: RawSocket) -> usize {
    let mut size: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as i32;
    // SAFETY: SO_SNDBUF writes one int into `size`; `len` holds its size.
    let rc = unsafe {
        ws::getsockopt(
            s,
            ws::SOL_SOCKET,
            ws::SO_SNDBUF,
            &mut size as *mut i32 as *mut u8,
            &mut len,
        )
    };
    if rc != 0 || size <= 0 {
        // Unknown (or SO_SNDBUF 0: sends go straight from the caller's buffer): small steps.
        return 4096;
    }
    (size as usize / 4).max(1)
}

/// One `send` of at most `CHUNK_MAX` bytes of `buf` (with `dontwait`, at most what fits
/// without blocking: see `dontwait_cap`).
pub fn send(s: RawSocket, buf: &[u8], dontwait: bool) -> io::Result<usize> {
    let mut max = CHUNK_MAX;
    if dontwait {
        ready_now(s, Interest::Writable)?;
        max = dontwait_cap(s);
    }
    let len = buf.len().min(max);
    // SAFETY: `buf` is valid for `len` bytes for the call.
    let n = check(unsafe { ws::send(s, buf.as_ptr(), len as i32, 0) })?;
    Ok(n as usize)
}

/// One gathered write (`WSASend`) of `bufs` (with `dontwait`, at most what fits without
/// blocking: see `dontwait_cap`).
pub fn send_vectored(s: RawSocket, bufs: &[IoSlice<'_>], dontwait: bool) -> io::Result<usize> {
    let mut max = CHUNK_MAX;
    if dontwait {
        ready_now(s, Interest::Writable)?;
        max = dontwait_cap(s);
    }
    let mut wsabufs = [ws::WSABUF {
        len: 0,
        buf: std::ptr::null_mut(),
    }; BUFS_MAX];
    let mut count = 0;
    let mut total = 0usize;
    for b in bufs.iter().take(BUFS_MAX) {
        let len = b.len().min(max - total);
        wsabufs[count] = ws::WSABUF {
            len: len as u32,
            buf: b.as_ptr() as *mut u8,
        };
        count += 1;
        total += len;
        if total >= max {
            break;
        }
    }
    let mut sent: u32 = 0;
    // SAFETY: `wsabufs[..count]` point into `bufs`, borrowed for the call; no overlapped I/O.
    check(unsafe {
        ws::WSASend(
            s,
            wsabufs.as_ptr(),
            count as u32,
            &mut sent,
            0,
            std::ptr::null_mut(),
            None,
        )
    })?;
    Ok(sent as usize)
}

/// One `recv` into at most `CHUNK_MAX` bytes of `buf`. `Ok(0)` is the peer's close.
pub fn recv(s: RawSocket, buf: &mut [u8], dontwait: bool) -> io::Result<usize> {
    if dontwait {
        ready_now(s, Interest::Readable)?;
    }
    let len = buf.len().min(CHUNK_MAX);
    // SAFETY: `buf` is valid for writes of `len` bytes for the call.
    let n = check(unsafe { ws::recv(s, buf.as_mut_ptr(), len as i32, 0) })?;
    Ok(n as usize)
}
