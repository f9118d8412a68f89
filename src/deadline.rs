//! `timeout_ms` turned into a deadline for the whole call.
//!
//! `-1` waits forever, `0` never waits (one attempt), `> 0` bounds the whole call,
//! not each system call: every wait asks the deadline how much time is left.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The most bytes one system call is handed under a finite deadline, so that one call
/// (a receive into memory that is slow to touch, a send the kernel takes whole) cannot run
/// far past it: the deadline is checked between system calls.
pub(crate) const SLICE_MAX: usize = 256 * 1024;

/// A whole-call time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// Wait as long as it takes.
    Forever,
    /// Never wait: one attempt, then `WouldBlock`.
    Now,
    /// Wait until this instant, then `TimedOut`.
    At(Instant),
}

impl Deadline {
    /// Converts a C `timeout_ms`. Values below -1 are `Invalid`.
    pub fn from_timeout_ms(timeout_ms: i32) -> Result<Deadline> {
        match timeout_ms {
            -1 => Ok(Deadline::Forever),
            0 => Ok(Deadline::Now),
            t if t > 0 => Ok(Deadline::after(Duration::from_millis(t as u64))),
            _ => Err(Error::Invalid),
        }
    }

    /// A deadline `d` from now.
    pub fn after(d: Duration) -> Deadline {
        match Instant::now().checked_add(d) {
            Some(at) => Deadline::At(at),
            None => Deadline::Forever,
        }
    }

    /// True when the call may block in a system call (no deadline at all).
    pub fn is_forever(self) -> bool {
        self == Deadline::Forever
    }

    /// What remains, as a `poll()` timeout in milliseconds: `-1` forever, `0` expired.
    /// Rounds up so that a wait never ends just before the deadline and spins.
    pub fn remaining_ms(self) -> i32 {
        match self {
            Deadline::Forever => -1,
            Deadline::Now => 0,
            Deadline::At(at) => {
                let left = at.saturating_duration_since(Instant::now());
                let ms = (left.as_nanos() + 999_999) / 1_000_000;
                if ms > i32::MAX as u128 {
                    i32::MAX
                } else {
                    ms as i32
                }
            }
        }
    }

    /// True once nothing is left to wait for.
    pub fn expired(self) -> bool {
        match self {
            Deadline::Forever => false,
            Deadline::Now => true,
            Deadline::At(at) => Instant::now() >= at,
        }
    }

    /// True once a finite deadline has passed: asked between successful system calls, so
    /// that a call whose peer keeps up still ends on time. Never true for `Now` (a zero
    /// timeout takes what is there without waiting) nor `Forever`.
    #[inline]
    pub fn passed(self) -> bool {
        match self {
            Deadline::At(at) => Instant::now() >= at,
            _ => false,
        }
    }

    /// `len` limited to what one system call may be handed under this deadline:
    /// [`SLICE_MAX`] for a finite one, all of it otherwise.
    #[inline]
    pub fn slice(self, len: usize) -> usize {
        match self {
            Deadline::At(_) => len.min(SLICE_MAX),
            _ => len,
        }
    }

    /// The error a call returns when it could not finish in time:
    /// `WouldBlock` for timeout 0 (nothing was ever going to wait), else `TimedOut`.
    pub fn out_of_time(self) -> Error {
        match self {
            Deadline::Now => Error::WouldBlock,
            _ => Error::TimedOut,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(Deadline::from_timeout_ms(-1), Ok(Deadline::Forever));
        assert_eq!(Deadline::from_timeout_ms(0), Ok(Deadline::Now));
        assert_eq!(Deadline::from_timeout_ms(-2), Err(Error::Invalid));
        let d = Deadline::from_timeout_ms(1000).unwrap();
        let ms = d.remaining_ms();
        assert!(ms > 900 && ms <= 1000, "{}", ms);
        assert!(!d.expired());
        assert_eq!(d.out_of_time(), Error::TimedOut);
        assert_eq!(Deadline::Now.out_of_time(), Error::WouldBlock);
        assert_eq!(Deadline::Forever.remaining_ms(), -1);
        let past = Deadline::At(Instant::now());
        assert_eq!(past.remaining_ms(), 0);
        assert!(past.expired());
    }
}
