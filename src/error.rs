//! The error model: one enum whose variants are the `SOCKHELP_E*` codes.
//!
//! Codes are fixed forever: a variant may be added at the end, never renumbered.

use std::fmt;
use std::io;

/// Everything that can go wrong in sockhelp. `code()` is the C value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The peer closed the connection (recv returned 0) before the call was done.
    Closed,
    /// The connection was reset, the pipe is broken, or the system dropped the connection
    /// (`ETIMEDOUT`: keepalive or retransmission timeout); carries the OS code.
    Reset(i32),
    /// The call's deadline passed.
    TimedOut,
    /// Nothing more can be done now (timeout 0, or a non-blocking step).
    WouldBlock,
    /// An argument is invalid (NULL, zero length where meaningless, delimiter in payload...).
    Invalid,
    /// A frame exceeds the framing's configured maximum.
    TooBig,
    /// The next frame is larger than the caller's buffer; it stays queued.
    NoSpace,
    /// A frame header is malformed.
    BadFrame,
    /// Memory could not be allocated.
    NoMem,
    /// Not supported on this platform.
    Unsupported,
    /// Another OS error; carries the OS code (errno / WSAGetLastError()).
    Os(i32),
    /// A bug in sockhelp (a caught panic).
    Internal,
    /// The peer refused the connection (nobody listens there); carries the OS code.
    Refused(i32),
    /// The host name did not resolve to any address.
    NotFound,
}

/// Shorthand used across the core.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The stable C value of this error (`SOCKHELP_E*`).
    pub fn code(self) -> i32 {
        match self {
            Error::Closed => -1,
            Error::Reset(_) => -2,
            Error::TimedOut => -3,
            Error::WouldBlock => -4,
            Error::Invalid => -5,
            Error::TooBig => -6,
            Error::NoSpace => -7,
            Error::BadFrame => -8,
            Error::NoMem => -9,
            Error::Unsupported => -10,
            Error::Os(_) => -11,
            Error::Internal => -12,
            Error::Refused(_) => -13,
            Error::NotFound => -14,
        }
    }

    /// The OS error number behind this error, if one is.
    pub fn os_code(self) -> Option<i32> {
        match self {
            Error::Reset(c) | Error::Os(c) | Error::Refused(c) => Some(c),
            _ => None,
        }
    }

    /// Classifies an OS error into the codes C callers branch on.
    pub fn from_io(e: &io::Error) -> Error {
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

/// `strerror` with a terminating NUL, for handing to C as a static string.
pub fn strerror_nul(code: i32) -> &'static str {
    match code {
        0 => "success\0",
        -1 => "connection closed by peer\0",
        -2 => "connection reset by peer or broken pipe\0",
        -3 => "timed out\0",
        -4 => "operation would block\0",
        -5 => "invalid argument\0",
        -6 => "frame larger than the configured maximum\0",
        -7 => "frame larger than the caller's buffer\0",
        -8 => "malformed frame\0",
        -9 => "out of memory\0",
        -10 => "unsupported on this platform\0",
        -11 => "operating system error (see sockhelp_last_os_error)\0",
        -12 => "internal error in sockhelp\0",
        -13 => "connection refused\0",
        -14 => "host name not found\0",
        _ => "unknown sockhelp error code\0",
    }
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
