//! The byte-stream seam: what framed I/O needs of a connected stream.
//!
//! `io`, the `Reader` and the `Writer` move bytes through [`ByteStream`] alone, so every
//! framed call runs unchanged over any connected byte stream. A raw socket is the first
//! implementation (each method is the one system call, inlined: the seam costs the socket
//! nothing); a TLS session over a socket is the other.
//!
//! The contract is the system calls': one attempt per call, `Ok(0)` from `recv` is an
//! orderly close, `WouldBlock` means "not now" (then [`ByteStream::wait`] says when),
//! `Interrupted` is retried by the caller. A stream reports an error of sockhelp's own
//! (a TLS alert, say) as an `io::Error` wrapping an [`Error`](crate::error::Error):
//! `Error::from_io` takes it out.

use std::io::{self, IoSlice};

use crate::error::Result;
use crate::sys::{self, Interest, RawSocket};

/// A connected byte stream: a socket, or a session over one.
pub trait ByteStream {
    /// False for a handle that cannot be a stream at all (checked once per call).
    fn is_valid(&self) -> bool;

    /// Called once per sending call before its first send (the platform's SIGPIPE guard).
    fn before_send(&mut self) -> Result<()>;

    /// One receive of at most `buf.len()` bytes. `dontwait`: the call must not block in
    /// the kernel (any finite deadline). `Ok(0)` is the peer's orderly close.
    fn recv(&mut self, buf: &mut [u8], dontwait: bool) -> io::Result<usize>;

    /// One send of a prefix of `buf`; `dontwait` as for `recv`.
    fn send(&mut self, buf: &[u8], dontwait: bool) -> io::Result<usize>;

    /// One gathered send of a prefix of `bufs` back to back; `dontwait` as for `recv`.
    fn send_vectored(&mut self, bufs: &[IoSlice<'_>], dontwait: bool) -> io::Result<usize>;

    /// After an operation that wanted `interest` answered `WouldBlock`: waits up to
    /// `timeout_ms` (-1 forever) until trying again can make progress. `Ok(false)` when the
    /// time ran out; `Interrupted` is returned to the caller, who owns the deadline. (A TLS
    /// session may wait for the other direction than asked: a receive that must first
    /// send.)
    fn wait(&mut self, interest: Interest, timeout_ms: i32) -> io::Result<bool>;
}

/// The socket itself: each method is its system call.
impl ByteStream for RawSocket {
    #[inline]
    fn is_valid(&self) -> bool {
        sys::is_valid(*self)
    }

    #[inline]
    fn before_send(&mut self) -> Result<()> {
        sys::before_send(*self)
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8], dontwait: bool) -> io::Result<usize> {
        sys::recv(*self, buf, dontwait)
    }

    #[inline]
    fn send(&mut self, buf: &[u8], dontwait: bool) -> io::Result<usize> {
        sys::send(*self, buf, dontwait)
    }

    #[inline]
    fn send_vectored(&mut self, bufs: &[IoSlice<'_>], dontwait: bool) -> io::Result<usize> {
        sys::send_vectored(*self, bufs, dontwait)
    }

    #[inline]
    fn wait(&mut self, interest: Interest, timeout_ms: i32) -> io::Result<bool> {
        sys::wait(*self, interest, timeout_ms)
    }
}

/// A borrowed stream is a stream (so a call can take a socket by value and a session by
/// `&mut`).
impl<T: ByteStream + ?Sized> ByteStream for &mut T {
    #[inline]
    fn is_valid(&self) -> bool {
        (**self).is_valid()
    }

    #[inline]
    fn before_send(&mut self) -> Result<()> {
        (**self).before_send()
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8], dontwait: bool) -> io::Result<usize> {
        (**self).recv(buf, dontwait)
    }

    #[inline]
    fn send(&mut self, buf: &[u8], dontwait: bool) -> io::Result<usize> {
        (**self).send(buf, dontwait)
    }

    #[inline]
    fn send_vectored(&mut self, bufs: &[IoSlice<'_>], dontwait: bool) -> io::Result<usize> {
        (**self).send_vectored(bufs, dontwait)
    }

    #[inline]
    fn wait(&mut self, interest: Interest, timeout_ms: i32) -> io::Result<bool> {
        (**self).wait(interest, timeout_ms)
    }
}
