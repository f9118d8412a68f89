//! One entry of a `poll()` / `WSAPoll` set, the readiness set (`event_bits.rs`) to and from
//! its bits, and the wait for one socket, written once for both houses: each house gives
//! its entry type (`OsPollFd`, with the same three fields on both), its five bits
//! (`POLL_BITS`) and the call itself (`poll_sockets`).

use std::io;

use super::imp::{poll_sockets, OsPollFd, POLL_BITS};
use super::{Interest, RawSocket};
use crate::event_bits::{ERROR, EXCEPTIONAL, HANGUP, READABLE, WRITABLE};

/// A house's `poll` bits for the conditions of the readiness set.
pub(crate) struct PollBits {
    /// Asked for by `READABLE` (`POLLIN`; `POLLRDNORM` on Windows).
    pub readable: i16,
    /// Asked for by `WRITABLE` (`POLLOUT`; `POLLWRNORM`).
    pub writable: i16,
    /// Asked for by `EXCEPTIONAL` (`POLLPRI`; `POLLRDBAND`, since `WSAPoll` refuses
    /// `POLLPRI`).
    pub exceptional: i16,
    /// `POLLHUP`, always reported.
    pub hangup: i16,
    /// `POLLERR`, always reported.
    pub error: i16,
}

impl PollBits {
    /// What `poll` is asked for, for the `READABLE`, `WRITABLE` and `EXCEPTIONAL` bits of
    /// `want` (errors and hang-ups are always reported).
    pub fn events(&self, want: u32) -> i16 {
        let mut events = 0;
        if want & READABLE != 0 {
            events |= self.readable;
        }
        if want & WRITABLE != 0 {
            events |= self.writable;
        }
        if want & EXCEPTIONAL != 0 {
            events |= self.exceptional;
        }
        events
    }

    /// What `poll` reported, as the readiness set: `READABLE` = readable, hang-up or error;
    /// `WRITABLE` = writable, hang-up or error; `EXCEPTIONAL` = exceptional or error;
    /// `HANGUP`; `ERROR`. 0 when nothing.
    pub fn readiness(&self, revents: i16) -> u32 {
        let (hup, err) = (revents & self.hangup != 0, revents & self.error != 0);
        let mut bits = 0;
        if revents & self.readable != 0 || hup || err {
            bits |= READABLE;
        }
        if revents & self.writable != 0 || hup || err {
            bits |= WRITABLE;
        }
        if revents & self.exceptional != 0 || err {
            bits |= EXCEPTIONAL;
        }
        if hup {
            bits |= HANGUP;
        }
        if err {
            bits |= ERROR;
        }
        bits
    }
}

/// One entry of a `poll()` / `WSAPoll` set: the system's own entry, so a slice of them is
/// the array the call takes.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct PollFd(pub(in crate::sys) OsPollFd);

impl PollFd {
    /// An entry for `s`, asking for the `READABLE`, `WRITABLE` and `EXCEPTIONAL` bits of
    /// `want`; errors and hang-ups are always reported.
    pub fn new(s: RawSocket, want: u32) -> PollFd {
        PollFd(OsPollFd {
            fd: s,
            events: POLL_BITS.events(want),
            revents: 0,
        })
    }

    /// The socket this entry is for.
    pub fn socket(&self) -> RawSocket {
        self.0.fd
    }

    /// What the last `poll_sockets` reported for this entry (see
    /// [`PollBits::readiness`]); 0 when nothing.
    pub fn readiness(&self) -> u32 {
        POLL_BITS.readiness(self.0.revents)
    }
}

/// Waits up to `timeout_ms` (-1 forever) for `s` to be ready for `interest`.
/// Ready includes an error or a hang-up (the next call will report it).
/// `EINTR` is returned to the caller, who owns the deadline.
pub fn wait(s: RawSocket, interest: Interest, timeout_ms: i32) -> io::Result<bool> {
    let mut pfd = PollFd::new(s, interest.bits());
    poll_sockets(std::slice::from_mut(&mut pfd), timeout_ms).map(|n| n > 0)
}
