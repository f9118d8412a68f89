//! The error model: one enum whose variants are the `SOCKHELP_E*` codes, made from one table.
//!
//! Codes are fixed forever: a row may be added at the end, never renumbered. This file uses
//! nothing but `std`: `build.rs` compiles it too, to write the header's `SOCKHELP_E*` block.

use std::fmt;
use std::io;

/// The error table, in the manner of libuv's `UV_ERRNO_MAP`: one row per code with the
/// variant (and its OS-code payload), the C value, the C name and the `strerror` text; the
/// doc lines serve the variant and the C macro alike. `define_errors!` makes [`Error`],
/// [`Error::code`], [`strerror`] and `C_ERRORS` (the header's block, see `build.rs`) of it.
macro_rules! error_table {
    ($then:ident) => {
        $then! {
            /// The peer closed the connection (recv returned 0) before the call was done.
            Closed = -1, SOCKHELP_ECLOSED, "connection closed by peer";
            /// The connection is gone: reset by the peer, the pipe is broken (writing after the peer
            /// closed), or the system dropped it: `sockhelp_last_os_error()` is then `ETIMEDOUT`
            /// (`WSAETIMEDOUT`) when keepalive probes or retransmissions went unanswered, or a
            /// connect's SYNs were never answered. An OS timeout is never `SOCKHELP_ETIMEDOUT`, which
            /// means only that the caller's own `timeout_ms` passed. Close the socket either way.
            Reset(i32) = -2, SOCKHELP_ERESET, "connection reset by peer or broken pipe";
            /// The call's deadline (`timeout_ms > 0`) passed before it was done.
            TimedOut = -3, SOCKHELP_ETIMEDOUT, "timed out";
            /// Nothing more can be done now without waiting (`timeout_ms == 0`, or a non-blocking step):
            /// wait for readiness and call again.
            WouldBlock = -4, SOCKHELP_EWOULDBLOCK, "operation would block";
            /// An argument is invalid: a NULL pointer, an invalid socket, a zero length where that is
            /// meaningless, a timeout below -1, a delimiter inside a payload.
            Invalid = -5, SOCKHELP_EINVAL, "invalid argument";
            /// A frame is larger than the framing's configured maximum; the stream is unusable for
            /// framing after this: close it.
            TooBig = -6, SOCKHELP_ETOOBIG, "frame larger than the configured maximum";
            /// The next frame is larger than the caller's buffer; it stays queued and the size needed
            /// is reported.
            NoSpace = -7, SOCKHELP_ENOSPACE, "frame larger than the caller's buffer";
            /// A frame header is malformed (a non-digit in an ASCII length, an unknown type byte...).
            BadFrame = -8, SOCKHELP_EBADFRAME, "malformed frame";
            /// Memory could not be allocated.
            NoMem = -9, SOCKHELP_ENOMEM, "out of memory";
            /// The operation is not supported on this platform, or not in this build (every TLS call
            /// of a library built without TLS: see `sockhelp_has_tls`).
            Unsupported = -10, SOCKHELP_EUNSUPPORTED, "unsupported on this platform or build";
            /// Another operating system error: `sockhelp_last_os_error()` tells which.
            Os(i32) = -11, SOCKHELP_EOS, "operating system error (see sockhelp_last_os_error)";
            /// A bug inside sockhelp (an internal panic was caught); the process is unharmed.
            Internal = -12, SOCKHELP_EINTERNAL, "internal error in sockhelp";
            /// The peer refused the connection (nothing listens on that port).
            Refused(i32) = -13, SOCKHELP_EREFUSED, "connection refused";
            /// The host name did not resolve to any address.
            NotFound = -14, SOCKHELP_ENOTFOUND, "host name not found";
            /// TLS failed: the handshake could not agree (versions, cipher suites, ALPN), a record
            /// was malformed or did not authenticate, or the peer sent an alert.
            /// `sockhelp_stream_error_detail` gives rustls' reason. The session is dead: close it.
            Tls = -15, SOCKHELP_ETLS, "TLS handshake or record-layer failure";
            /// A certificate was refused: the peer's by this side (wrong name, unknown issuer,
            /// expired, not yet valid, revoked, self-signed), or this side's by the peer (a
            /// certificate alert, a required client certificate missing).
            /// `sockhelp_stream_error_detail` gives the reason.
            Cert = -16, SOCKHELP_ECERT, "certificate refused";
            /// The peer closed the connection without a TLS close_notify: the data may have been
            /// cut short (a truncation attack, or a peer that crashed). Distinct from
            /// `SOCKHELP_ECLOSED`, the orderly close.
            Truncated = -17, SOCKHELP_ETRUNCATED, "peer closed without TLS close_notify (truncated)";
            /// Bytes are already buffered where the protocol forbids them: a reader holding bytes
            /// past a STARTTLS / SSLRequest answer (they could be injected by an attacker,
            /// CVE-2021-23222), so the upgrade is refused.
            Proto = -18, SOCKHELP_EPROTO, "bytes buffered where the protocol forbids them";
            /// The name could not be resolved now, a temporary failure (`EAI_AGAIN`: the name server
            /// did not answer or is unreachable): trying again later may succeed, unlike
            /// `SOCKHELP_ENOTFOUND`.
            TryAgain = -19, SOCKHELP_ETRYAGAIN, "temporary failure in name resolution";
        }
    };
}

/// One C constant as the header shows it: name, value, doc lines.
#[allow(dead_code)] // read by build.rs and the tests
#[derive(Debug, Clone, Copy)]
pub(crate) struct CConst {
    pub(crate) name: &'static str,
    pub(crate) value: i64,
    pub(crate) doc: &'static [&'static str],
}

/// `SOCKHELP_OK`, the one code that is not an error.
#[allow(dead_code)] // read by build.rs and the tests
pub(crate) const C_OK: CConst = CConst {
    name: "SOCKHELP_OK",
    value: 0,
    doc: &[" Success. Every error below is negative and keeps its value forever."],
};

macro_rules! define_errors {
    ($( $(#[doc = $doc:literal])* $name:ident $(($payload:ty))? = $code:literal, $cname:ident, $msg:literal; )*) => {
        /// Everything that can go wrong in sockhelp. `code()` is the C value; `Reset`, `Os`
        /// and `Refused` carry the OS error number.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Error {
            $( $(#[doc = $doc])* $name $(($payload))?, )*
        }

        impl Error {
            /// The stable C value of this error (`SOCKHELP_E*`).
            pub const fn code(self) -> i32 {
                match self {
                    $( Error::$name { .. } => $code, )*
                }
            }
        }

        /// `strerror` with a terminating NUL, for handing to C as a static string.
        pub fn strerror_nul(code: i32) -> &'static str {
            match code {
                0 => "success\0",
                $( $code => concat!($msg, "\0"), )*
                _ => "unknown sockhelp error code\0",
            }
        }

        /// Every error row as the header shows it, in table order.
        #[allow(dead_code)] // read by build.rs and the tests
        pub(crate) const C_ERRORS: &[CConst] = &[
            $( CConst { name: stringify!($cname), value: $code, doc: &[$($doc),*] }, )*
        ];
    };
}

error_table!(define_errors);

/// Shorthand used across the core.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The OS error number behind this error, if one is.
    pub fn os_code(self) -> Option<i32> {
        match self {
            Error::Reset(c) | Error::Os(c) | Error::Refused(c) => Some(c),
            _ => None,
        }
    }

    /// Classifies an OS error into the codes C callers branch on.
    pub fn from_io(e: &io::Error) -> Error {
        // A stream's own error (see `stream::ByteStream`), carried through `io::Error`.
        if let Some(inner) = e.get_ref().and_then(|r| r.downcast_ref::<Error>()) {
            return *inner;
        }
        let raw = e.raw_os_error().unwrap_or(0);
        match e.kind() {
            io::ErrorKind::WouldBlock => Error::WouldBlock,
            // The system gave up on the connection (keepalive probes or retransmissions
            // unanswered, a SYN never answered): the connection is gone, as with a reset.
            // Never `TimedOut`, which means the caller's own deadline passed.
            io::ErrorKind::TimedOut
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => Error::Reset(raw),
            io::ErrorKind::ConnectionRefused => Error::Refused(raw),
            io::ErrorKind::OutOfMemory => Error::NoMem,
            _ if raw == 0 => Error::Internal,
            _ => Error::Os(raw),
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::from_io(&e)
    }
}

/// The static description of a C code; unknown codes get a generic text.
pub fn strerror(code: i32) -> &'static str {
    let s = strerror_nul(code);
    &s[..s.len() - 1]
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.os_code() {
            Some(c) => write!(f, "{} (os error {})", strerror(self.code()), c),
            None => f.write_str(strerror(self.code())),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_described() {
        let all = [
            Error::Closed,
            Error::Reset(0),
            Error::TimedOut,
            Error::WouldBlock,
            Error::Invalid,
            Error::TooBig,
            Error::NoSpace,
            Error::BadFrame,
            Error::NoMem,
            Error::Unsupported,
            Error::Os(0),
            Error::Internal,
            Error::Refused(0),
            Error::NotFound,
            Error::Tls,
            Error::Cert,
            Error::Truncated,
            Error::Proto,
            Error::TryAgain,
        ];
        let mut seen = std::collections::HashSet::new();
        for e in all {
            assert!(e.code() < 0);
            assert!(seen.insert(e.code()), "duplicate code {}", e.code());
            assert_ne!(strerror(e.code()), strerror(1000));
        }
        assert_eq!(strerror(12345), "unknown sockhelp error code");
    }

    #[test]
    fn an_os_timeout_is_a_dropped_connection_not_the_callers_deadline() {
        let e = io::Error::from(io::ErrorKind::TimedOut);
        assert!(matches!(Error::from_io(&e), Error::Reset(_)));
    }
}
