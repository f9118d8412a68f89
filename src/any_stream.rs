//! [`Stream`]: one handle for a connected byte stream, a plain socket or (with the `tls`
//! feature) a TLS session over one. It owns its socket. A program written against streams
//! runs with or without TLS by configuration alone: every byte and frame call takes any
//! [`ByteStream`], and a `Stream` is one.
//!
//! One rule beyond the seam's: a send may leave records queued inside the session (the
//! plaintext is accepted, the socket full), so a sending call ends with [`Stream::flush`]
//! under its deadline: its success means every byte is on the socket.

use std::io::{self, IoSlice};

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::event_bits::{READABLE, WRITABLE};
use crate::frames::Reader;
use crate::net;
use crate::stream::ByteStream;
use crate::sys::{self, Interest, RawSocket};

#[cfg(feature = "tls")]
use crate::tls::{TlsConfig, TlsSession};

/// True when this build has TLS (the cargo feature `tls`).
pub const HAS_TLS: bool = cfg!(feature = "tls");

/// Why a TLS stream could not be made: the error, rustls' reason as text, and for a
/// handshake started without waiting (`WouldBlock`), the stream in progress.
#[derive(Debug)]
pub struct Refused {
    pub error: Error,
    pub detail: Option<String>,
    pub in_progress: Option<Stream>,
}

impl From<Error> for Refused {
    fn from(error: Error) -> Refused {
        Refused {
            error,
            detail: None,
            in_progress: None,
        }
    }
}

/// A connected byte stream that owns its socket (closed on drop, without close_notify).
#[derive(Debug)]
pub struct Stream {
    sock: RawSocket,
    #[cfg(feature = "tls")]
    tls: Option<Box<TlsSession>>,
    /// The direction of the last operation that answered `WouldBlock`.
    blocked: Option<Interest>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        if sys::is_valid(self.sock) {
            let _ = sys::close(self.sock);
        }
    }
}

impl Stream {
    /// A stream over plain socket `s`, no TLS (in every build). `Invalid` for an invalid
    /// socket.
    pub fn plain(s: RawSocket) -> Result<Stream> {
        if !sys::is_valid(s) {
            return Err(Error::Invalid);
        }
        Ok(Stream {
            sock: s,
            #[cfg(feature = "tls")]
            tls: None,
            blocked: None,
        })
    }

    /// The socket under the stream (still owned by it).
    pub fn socket(&self) -> RawSocket {
        self.sock
    }

    /// Gives the socket back without closing it (the stream is gone).
    pub fn into_socket(mut self) -> RawSocket {
        std::mem::replace(&mut self.sock, sys::INVALID_SOCKET)
    }

    /// True for a TLS stream.
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// A TLS client stream over `s` for `server_name`, its handshake run within the
    /// deadline (`Deadline::Now`: started; `WouldBlock` comes with the stream in progress,
    /// see [`Stream::handshake`]). `reader`: the reader that read the server's answer to a
    /// STARTTLS-style request, which must hold nothing more (`Proto`). On any other
    /// failure the socket is the caller's again (never closed).
    #[cfg(feature = "tls")]
    pub fn tls_client(
        config: &TlsConfig,
        s: RawSocket,
        server_name: &str,
        reader: Option<&Reader>,
        deadline: Deadline,
    ) -> std::result::Result<Stream, Refused> {
        if !sys::is_valid(s) {
            return Err(Refused::from(Error::Invalid));
        }
        if reader.map_or(false, |r| r.buffered() > 0) {
            return Err(Refused::from(Error::Proto));
        }
        let session = TlsSession::client(config, server_name)?;
        Stream::start(s, session, deadline, false)
    }

    /// A TLS server stream over accepted socket `s`, as [`Stream::tls_client`].
    #[cfg(feature = "tls")]
    pub fn tls_server(
        config: &TlsConfig,
        s: RawSocket,
        deadline: Deadline,
    ) -> std::result::Result<Stream, Refused> {
        if !sys::is_valid(s) {
            return Err(Refused::from(Error::Invalid));
        }
        let session = TlsSession::server(config)?;
        Stream::start(s, session, deadline, false)
    }

    /// Resolves `host`, connects and runs the TLS handshake, verifying the certificate for
    /// `host` (sent as SNI), all within one deadline. The socket is closed on failure.
    #[cfg(feature = "tls")]
    pub fn tls_connect(
        config: &TlsConfig,
        host: &str,
        port: u16,
        deadline: Deadline,
    ) -> std::result::Result<Stream, Refused> {
        let session = TlsSession::client(config, host)?;
        let s = net::connect(host, port, deadline)?;
        Stream::start(s, session, deadline, true)
    }

    /// Runs a new session's handshake within the deadline. `WouldBlock` (for
    /// `Deadline::Now`) comes with the stream, in progress; on any other failure the
    /// socket is closed when `owned`, else left open for the caller.
    #[cfg(feature = "tls")]
    fn start(
        s: RawSocket,
        session: TlsSession,
        deadline: Deadline,
        owned: bool,
    ) -> std::result::Result<Stream, Refused> {
        let mut st = Stream {
            sock: s,
            tls: Some(Box::new(session)),
            blocked: None,
        };
        match st.handshake(deadline) {
            Ok(()) => Ok(st),
            Err(Error::WouldBlock) => Err(Refused {
                error: Error::WouldBlock,
                detail: None,
                in_progress: Some(st),
            }),
            Err(error) => {
                let detail = st.error_detail().map(str::to_owned);
                if !owned {
                    st.into_socket();
                }
                Err(Refused {
                    error,
                    detail,
                    in_progress: None,
                })
            }
        }
    }

    /// Runs the handshake (nothing for a plain stream or a finished one) within the
    /// deadline: `WouldBlock` (for `Deadline::Now`) when it waits for the socket (see
    /// [`Stream::wants`]).
    pub fn handshake(&mut self, deadline: Deadline) -> Result<()> {
        #[cfg(feature = "tls")]
        if let Some(t) = self.tls.as_deref_mut() {
            let r = t.handshake(self.sock, deadline);
            if r == Err(Error::WouldBlock) {
                self.blocked = t.needs();
            }
            return r;
        }
        let _ = deadline;
        Ok(())
    }

    /// The readiness (`READABLE` / `WRITABLE` bits) to wait for before the call that
    /// answered `WouldBlock` can go on: what the session needs when it decides (records
    /// to write, a handshake waiting for the peer), else the direction of that call; 0
    /// when none blocked.
    pub fn wants(&self) -> u32 {
        #[cfg(feature = "tls")]
        if let Some(i) = self.tls.as_deref().and_then(TlsSession::needs) {
            return bit(i);
        }
        self.blocked.map_or(0, bit)
    }

    /// Decrypted plaintext the session holds that no call took yet (0 for a plain stream).
    pub fn buffered(&mut self) -> usize {
        #[cfg(feature = "tls")]
        if let Some(t) = self.tls.as_deref_mut() {
            return t.buffered();
        }
        0
    }

    /// "TLSv1.3 TLS13_AES_128_GCM_SHA256 h2" (version, cipher suite, ALPN protocol when
    /// one was agreed) for a TLS stream once its handshake is complete, "" before;
    /// "plain" for a plain stream.
    pub fn info(&self) -> String {
        #[cfg(feature = "tls")]
        if let Some(t) = self.tls.as_deref() {
            return t.info();
        }
        "plain".to_owned()
    }

    /// rustls' reason for the failure that ended a TLS session, if one did.
    pub fn error_detail(&self) -> Option<&str> {
        #[cfg(feature = "tls")]
        if let Some(t) = self.tls.as_deref() {
            return t.error_detail();
        }
        None
    }

    /// Writes the records a send left queued inside the session, within the deadline
    /// (nothing to do for a plain stream).
    pub fn flush(&mut self, deadline: Deadline) -> Result<()> {
        #[cfg(feature = "tls")]
        if let Some(t) = self.tls.as_deref_mut() {
            let r = t.flush(self.sock, deadline);
            if r == Err(Error::WouldBlock) {
                self.blocked = Some(Interest::Writable);
            }
            return r;
        }
        let _ = deadline;
        Ok(())
    }

    /// Closes gracefully within one deadline: for TLS, close_notify, the write side shut
    /// down, then records read (and discarded) until the peer's close_notify or its close;
    /// for a plain stream the socket's polite goodbye (shut down the write side, drain until
    /// the peer closes). The socket is closed on every return.
    pub fn close(mut self, deadline: Deadline) -> Result<()> {
        let s = self.sock;
        #[cfg(feature = "tls")]
        if let Some(t) = self.tls.as_deref_mut() {
            let r = t.close_notify(s, deadline).and_then(|()| {
                let _ = net::shutdown(s, net::Shutdown::Write);
                t.await_peer_close(s, deadline)
            });
            self.sock = sys::INVALID_SOCKET;
            return r.and(sys::close(s));
        }
        self.sock = sys::INVALID_SOCKET;
        net::close_graceful(s, deadline)
    }

    /// Fills `reader` from the stream without waiting, taking every byte the session has
    /// decrypted (which the socket's readiness cannot show), whole frames already buffered
    /// or not, as far as the reader's memory bound allows; then (or for a plain stream) one
    /// receive as `Reader::fill` makes. The bytes added; `WouldBlock` when none were there;
    /// `Closed` once the peer closed (with nothing added).
    pub fn fill(&mut self, reader: &mut Reader) -> Result<usize> {
        let mut total = match reader.fill(&mut *self) {
            Ok(n) => n,
            Err(e) if self.buffered() == 0 => return Err(e),
            Err(_) => 0,
        };
        while self.buffered() > 0 {
            match reader.fill_more(&mut *self) {
                Ok(0) => break,
                Ok(n) => total += n,
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(total)
    }

    fn note(&mut self, r: &io::Result<usize>, interest: Interest) {
        if let Err(e) = r {
            if e.kind() == io::ErrorKind::WouldBlock {
                self.blocked = Some(interest);
            }
        }
    }
}

fn bit(i: Interest) -> u32 {
    match i {
        Interest::Readable => READABLE,
        Interest::Writable => WRITABLE,
    }
}

impl ByteStream for Stream {
    #[inline]
    fn is_valid(&self) -> bool {
        sys::is_valid(self.sock)
    }

    #[inline]
    fn before_send(&mut self) -> Result<()> {
        sys::before_send(self.sock)
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8], dontwait: bool) -> io::Result<usize> {
        #[cfg(feature = "tls")]
        let r = match self.tls.as_deref_mut() {
            Some(t) => t.recv(self.sock, buf, dontwait),
            None => sys::recv(self.sock, buf, dontwait),
        };
        #[cfg(not(feature = "tls"))]
        let r = sys::recv(self.sock, buf, dontwait);
        self.note(&r, Interest::Readable);
        r
    }

    #[inline]
    fn send(&mut self, buf: &[u8], dontwait: bool) -> io::Result<usize> {
        #[cfg(feature = "tls")]
        let r = match self.tls.as_deref_mut() {
            Some(t) => t.send(self.sock, buf, dontwait),
            None => sys::send(self.sock, buf, dontwait),
        };
        #[cfg(not(feature = "tls"))]
        let r = sys::send(self.sock, buf, dontwait);
        self.note(&r, Interest::Writable);
        r
    }

    #[inline]
    fn send_vectored(&mut self, bufs: &[IoSlice<'_>], dontwait: bool) -> io::Result<usize> {
        #[cfg(feature = "tls")]
        let r = match self.tls.as_deref_mut() {
            Some(t) => t.send_vectored(self.sock, bufs, dontwait),
            None => sys::send_vectored(self.sock, bufs, dontwait),
        };
        #[cfg(not(feature = "tls"))]
        let r = sys::send_vectored(self.sock, bufs, dontwait);
        self.note(&r, Interest::Writable);
        r
    }

    #[inline]
    fn wait(&mut self, interest: Interest, timeout_ms: i32) -> io::Result<bool> {
        #[cfg(feature = "tls")]
        if let Some(t) = self.tls.as_deref() {
            return t.wait(self.sock, interest, timeout_ms);
        }
        sys::wait(self.sock, interest, timeout_ms)
    }
}
