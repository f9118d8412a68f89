//! A TLS session over a socket as a [`ByteStream`], so every byte and frame call runs
//! over it unchanged.
//!
//! - `recv` hands out plaintext rustls already decrypted without a system call, and reads
//!   records from the socket only when there is none (pending records, such as an alert or
//!   a handshake flight, are written first).
//! - `send` writes earlier records first (nothing is accepted while any are left), then
//!   hands the plaintext to rustls (the count returned is the plaintext it accepted) and
//!   writes the records it made as far as the socket takes them now: the rest stays queued
//!   in the session (`wants_write`), written by the next call or by [`TlsSession::flush`].
//! - `wait` waits for what the session needs: writability while records are queued,
//!   readability while a handshake waits for the peer, else what the caller asked.
//!
//! A failure is kept: every later call returns it again.

use std::io::{self, IoSlice, Read, Write};

use rustls::{AlertDescription, Connection};

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::io::wait_ready;
use crate::sys::{self, Interest, RawSocket};

use super::config::{Built, TlsConfig};

/// Gathered plaintext up to this size is copied into one record (a frame's header,
/// payload and trailer as one record, not three); a bigger first slice goes as it is.
const GATHER: usize = 16 * 1024;

/// The socket as rustls' transport: one system call per read or write, never blocking in
/// the kernel when `dontwait`.
struct Wire {
    s: RawSocket,
    dontwait: bool,
}

impl Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        sys::recv(self.s, buf, self.dontwait)
    }
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        sys::send(self.s, buf, self.dontwait)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        sys::send_vectored(self.s, bufs, self.dontwait)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A TLS client or server session (the socket is its owner's, passed to each call).
pub struct TlsSession {
    conn: Connection,
    /// The error that ended the session, returned by every later call.
    failed: Option<Error>,
    /// rustls' reason for `failed`, as text.
    detail: Option<String>,
    /// The socket reported end of stream.
    eof: bool,
    /// Gathered plaintext (see `GATHER`), kept to be reused.
    scratch: Vec<u8>,
}

impl std::fmt::Debug for TlsSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSession")
            .field("handshaking", &self.conn.is_handshaking())
            .field("failed", &self.failed)
            .finish()
    }
}

/// The sockhelp error for a rustls error: `Cert` for a refused certificate, either ours
/// (an alert) or theirs, `Tls` for everything else.
fn classify(e: &rustls::Error) -> Error {
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(_) | E::NoCertificatesPresented | E::InvalidCertRevocationList(_) => {
            Error::Cert
        }
        E::AlertReceived(
            AlertDescription::BadCertificate
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateRequired
            | AlertDescription::AccessDenied,
        ) => Error::Cert,
        _ => Error::Tls,
    }
}

/// A sockhelp error carried through `io::Error` (see `stream::ByteStream`).
fn carry(e: Error) -> io::Error {
    io::Error::new(io::ErrorKind::Other, e)
}

fn would_block() -> io::Error {
    io::Error::from(io::ErrorKind::WouldBlock)
}

impl TlsSession {
    fn new(conn: Connection) -> TlsSession {
        TlsSession {
            conn,
            failed: None,
            detail: None,
            eof: false,
            scratch: Vec::new(),
        }
    }

    /// A client session for `server_name` (a host name, sent as SNI and verified against
    /// the certificate, or an IP address, verified against its IP addresses). Nothing is
    /// sent yet: the handshake runs on the first call.
    pub fn client(config: &TlsConfig, server_name: &str) -> Result<TlsSession> {
        let name = rustls_pki_types::ServerName::try_from(server_name.to_owned())
            .map_err(|_| Error::Invalid)?;
        match config.for_session()? {
            Built::Client(c) => rustls::ClientConnection::new(c, name)
                .map(|c| TlsSession::new(c.into()))
                .map_err(|_| Error::Tls),
            Built::Server(_) => Err(Error::Invalid),
        }
    }

    /// A server session; the handshake runs on the first call.
    pub fn server(config: &TlsConfig) -> Result<TlsSession> {
        match config.for_session()? {
            Built::Server(c) => rustls::ServerConnection::new(c)
                .map(|c| TlsSession::new(c.into()))
                .map_err(|_| Error::Tls),
            Built::Client(_) => Err(Error::Invalid),
        }
    }

    /// Records the error that ends the session (with its text) and returns it as `io::Error`.
    fn fail(&mut self, e: Error, detail: String) -> io::Error {
        if self.failed.is_none() {
            self.failed = Some(e);
            self.detail = Some(detail);
        }
        carry(self.failed.unwrap_or(e))
    }

    fn check(&self) -> io::Result<()> {
        match self.failed {
            Some(e) => Err(carry(e)),
            None => Ok(()),
        }
    }

    /// Writes queued records until none is left (`WouldBlock` when the socket is full).
    fn write_records(&mut self, s: RawSocket, dontwait: bool) -> io::Result<()> {
        while self.conn.wants_write() {
            if self.conn.write_tls(&mut Wire { s, dontwait })? == 0 {
                return Err(io::Error::from(io::ErrorKind::WriteZero));
            }
        }
        Ok(())
    }

    /// One read of records from the socket, processed. `WouldBlock` when there was none.
    fn read_records(&mut self, s: RawSocket, dontwait: bool) -> io::Result<()> {
        match self.conn.read_tls(&mut Wire { s, dontwait }) {
            Ok(0) => self.eof = true,
            Ok(_) => {}
            Err(e) if e.raw_os_error().is_some() => return Err(e),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Err(e),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            // rustls' own refusal (a buffer it will not grow).
            Err(e) => return Err(self.fail(Error::Tls, e.to_string())),
        }
        if let Err(e) = self.conn.process_new_packets() {
            // The alert rustls queued for the peer, if the socket takes it now.
            let _ = self.write_records(s, true);
            return Err(self.fail(classify(&e), e.to_string()));
        }
        Ok(())
    }

    /// Runs the handshake as far as the socket allows: `Ok` once it is complete and its
    /// last flight written, `WouldBlock` when it waits for the socket.
    pub(crate) fn drive(&mut self, s: RawSocket, dontwait: bool) -> io::Result<()> {
        self.check()?;
        while self.conn.is_handshaking() {
            if self.conn.wants_write() {
                self.write_records(s, dontwait)?;
                continue;
            }
            if self.eof {
                let text = "the peer closed the connection during the TLS handshake";
                return Err(self.fail(Error::Tls, text.into()));
            }
            self.read_records(s, dontwait)?;
        }
        self.write_records(s, dontwait)
    }

    /// True while the handshake is not complete.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// What the session waits for before it can go on, if it decides: writability while
    /// records are queued, readability while the handshake waits for the peer.
    pub fn needs(&self) -> Option<Interest> {
        if self.failed.is_some() {
            None
        } else if self.conn.wants_write() {
            Some(Interest::Writable)
        } else if self.conn.is_handshaking() {
            Some(Interest::Readable)
        } else {
            None
        }
    }

    /// Decrypted plaintext not yet handed out (the socket's readiness does not show it).
    pub fn buffered(&mut self) -> usize {
        match self.conn.process_new_packets() {
            Ok(state) => state.plaintext_bytes_to_read(),
            Err(_) => 0,
        }
    }

    /// The handshake within the deadline.
    pub fn handshake(&mut self, s: RawSocket, deadline: Deadline) -> Result<()> {
        sys::before_send(s)?;
        self.within(s, deadline, |t, dw| t.drive(s, dw))
    }

    /// Writes every queued record within the deadline (what a send left queued).
    pub fn flush(&mut self, s: RawSocket, deadline: Deadline) -> Result<()> {
        if self.failed.is_some() || !self.conn.wants_write() {
            return Ok(());
        }
        sys::before_send(s)?;
        self.within(s, deadline, |t, dw| t.write_records(s, dw))
    }

    /// Runs `step` until it completes, waiting for what the session needs in between, all
    /// within one deadline (checked after every step that had to wait, so a peer that
    /// trickles bytes cannot stretch the call).
    fn within(
        &mut self,
        s: RawSocket,
        deadline: Deadline,
        mut step: impl FnMut(&mut TlsSession, bool) -> io::Result<()>,
    ) -> Result<()> {
        let dontwait = !deadline.is_forever();
        loop {
            match step(self, dontwait) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if deadline == Deadline::Now {
                        return Err(Error::WouldBlock);
                    }
                    if deadline.passed() {
                        return Err(Error::TimedOut);
                    }
                    let interest = self.needs().unwrap_or(Interest::Readable);
                    wait_ready(s, interest, deadline)?;
                }
                Err(e) => return Err(Error::from_io(&e)),
            }
        }
    }

    /// Sends close_notify and writes it within the deadline (nothing for a failed session).
    pub fn close_notify(&mut self, s: RawSocket, deadline: Deadline) -> Result<()> {
        if self.failed.is_some() {
            return Ok(());
        }
        self.conn.send_close_notify();
        self.flush(s, deadline)
    }

    /// After `close_notify`: reads (and discards) until the peer's close_notify or the end
    /// of the stream, within the deadline. Nothing to wait for once the peer's close_notify
    /// came (or the session failed).
    pub fn await_peer_close(&mut self, s: RawSocket, deadline: Deadline) -> Result<()> {
        if self.failed.is_some() {
            return Ok(());
        }
        let mut sink = [0u8; 4096];
        self.within(s, deadline, |t, dw| loop {
            match t.conn.reader().read(&mut sink) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => t.read_records(s, dw)?,
                Err(e) => return Err(e),
            }
        })
    }

    /// "TLSv1.3 TLS13_AES_128_GCM_SHA256 h2": the version, the cipher suite and the ALPN
    /// protocol (when one was agreed), once the handshake is complete; "" before.
    pub fn info(&self) -> String {
        let version = match self.conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
            Some(_) => "TLS",
            None => return String::new(),
        };
        let mut text = version.to_owned();
        if let Some(suite) = self.conn.negotiated_cipher_suite() {
            text.push(' ');
            text.push_str(suite.suite().as_str().unwrap_or("unknown"));
        }
        if let Some(alpn) = self.conn.alpn_protocol() {
            text.push(' ');
            text.push_str(&String::from_utf8_lossy(alpn));
        }
        text
    }

    /// rustls' reason for the failure that ended the session, if one did.
    pub fn error_detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// `ByteStream::recv` over socket `s`.
    pub(crate) fn recv(
        &mut self,
        s: RawSocket,
        buf: &mut [u8],
        dontwait: bool,
    ) -> io::Result<usize> {
        self.check()?;
        if self.conn.is_handshaking() {
            self.drive(s, dontwait)?;
        }
        loop {
            match self.conn.reader().read(buf) {
                // `Ok(0)`: the peer's close_notify, an orderly close.
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    let text = "the peer closed the connection without a TLS close_notify";
                    return Err(self.fail(Error::Truncated, text.into()));
                }
                Err(e) => return Err(e),
            }
            // No plaintext: queued records first (a reply the peer may be waiting for),
            // then records from the socket.
            if self.conn.wants_write() {
                sys::before_send(s).map_err(carry)?;
                self.write_records(s, dontwait)?;
            }
            self.read_records(s, dontwait)?;
        }
    }

    /// `ByteStream::send` over socket `s`.
    pub(crate) fn send(&mut self, s: RawSocket, buf: &[u8], dontwait: bool) -> io::Result<usize> {
        self.check()?;
        if self.conn.is_handshaking() {
            self.drive(s, dontwait)?;
        }
        // Earlier records first: nothing is accepted while the socket has not taken them.
        self.write_records(s, dontwait)?;
        let n = self.conn.writer().write(buf)?;
        if n == 0 && !buf.is_empty() {
            return Err(would_block());
        }
        // As far as the socket takes the records now; the rest stays queued (see `flush`).
        // A socket error now does not undo the plaintext accepted: the count stands, and
        // the next call (or the final flush) meets the error again.
        let _ = self.write_records(s, true);
        Ok(n)
    }

    /// `ByteStream::send_vectored` over socket `s`: small slices gathered into one record.
    pub(crate) fn send_vectored(
        &mut self,
        s: RawSocket,
        bufs: &[IoSlice<'_>],
        dontwait: bool,
    ) -> io::Result<usize> {
        let first = bufs.iter().find(|b| !b.is_empty());
        match first {
            None => Ok(0),
            Some(b) if b.len() >= GATHER => self.send(s, b, dontwait),
            Some(_) => {
                let mut scratch = std::mem::take(&mut self.scratch);
                scratch.clear();
                for b in bufs {
                    let room = GATHER - scratch.len();
                    scratch.extend_from_slice(&b[..b.len().min(room)]);
                    if scratch.len() == GATHER {
                        break;
                    }
                }
                let r = self.send(s, &scratch, dontwait);
                self.scratch = scratch;
                r
            }
        }
    }

    /// `ByteStream::wait` over socket `s`.
    pub(crate) fn wait(
        &self,
        s: RawSocket,
        interest: Interest,
        timeout_ms: i32,
    ) -> io::Result<bool> {
        sys::wait(s, self.needs().unwrap_or(interest), timeout_ms)
    }
}
