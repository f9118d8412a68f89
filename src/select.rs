//! Waiting for readiness: a `select` shaped like Python's `select.select`.
//!
//! The HOWTO's non-blocking chapter builds everything around `select`. On POSIX the real
//! `select()` cannot name a descriptor at or above `FD_SETSIZE` (1024) and writes past its
//! bitmaps when asked to, so [`select`] is built on `poll()` (`WSAPoll` on Windows) through
//! `sys::poll_sockets`: one entry per distinct socket, no limit but the caller's own counts.
//! The same idea kept between calls, for many sockets, is the [`Poller`](crate::poller::Poller).

use std::io;
use std::time::{Duration, Instant};

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::event_bits::{EXCEPTIONAL, READABLE, WRITABLE};
use crate::sys::{self, PollFd, RawSocket};

/// `select` refuses more entries than this in its three arrays together (`Invalid`).
pub const MAX_SELECT_ENTRIES: usize = 1_000_000;

/// How many sockets `select` found ready in each array (each array's ready entries are at
/// its front, in their original order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Selected {
    pub readers: usize,
    pub writers: usize,
    pub errors: usize,
}

impl Selected {
    /// Ready entries over the three arrays (a socket in two arrays counts twice).
    pub fn total(&self) -> usize {
        self.readers + self.writers + self.errors
    }
}

/// Python's `select.select` over three arrays of sockets, without `FD_SETSIZE`.
///
/// - `readers`: ready when a read will not block: data, a pending connection on a listener,
///   the peer's close, a hang-up or an error (`POLLIN|POLLHUP|POLLERR`).
/// - `writers`: ready when a write will not block, or a non-blocking connect has finished,
///   successfully or not (`SO_ERROR` tells which) (`POLLOUT|POLLHUP|POLLERR`).
/// - `errors`: the exceptional condition: out-of-band data (`POLLPRI`; `POLLRDBAND` on
///   Windows) or a pending socket error (`POLLERR`, e.g. a refused connect). A socket that
///   appears only here and merely hangs up is not reported (as with Python's `select`) and
///   is not polled again during this call.
///
/// A socket may appear in several arrays (it is polled once). On success each array's ready
/// entries are moved to its front in their original order and the counts are returned; on
/// timeout all counts are 0 (`Ok`, not `TimedOut`). On error the arrays are untouched.
///
/// `deadline`: `Forever`, `Now` (poll once) or `At` (the whole call); `EINTR` is retried
/// against it. With no socket at all the call just sleeps until the deadline; `Forever`
/// with no socket is `Invalid` (nothing could end the wait).
///
/// Errors: `Invalid` (an invalid socket value such as -1, more than [`MAX_SELECT_ENTRIES`]
/// entries, no socket and no deadline); `Os(EBADF)` (`WSAENOTSOCK` on Windows) when an entry
/// is not an open socket; `Os` / `NoMem` from the system.
pub fn select(
    readers: &mut [RawSocket],
    writers: &mut [RawSocket],
    errors: &mut [RawSocket],
    deadline: Deadline,
) -> Result<Selected> {
    let total = readers
        .len()
        .checked_add(writers.len())
        .and_then(|n| n.checked_add(errors.len()))
        .ok_or(Error::Invalid)?;
    if total > MAX_SELECT_ENTRIES {
        return Err(Error::Invalid);
    }
    let all = readers.iter().chain(writers.iter()).chain(errors.iter());
    if all.clone().any(|&s| !sys::is_valid(s)) {
        return Err(Error::Invalid);
    }
    if total == 0 {
        if deadline.is_forever() {
            return Err(Error::Invalid);
        }
        sleep_until(deadline);
        return Ok(Selected::default());
    }

    // One entry per distinct socket, with the readiness bits the arrays want of it.
    let mut wanted: Vec<(RawSocket, u32)> = Vec::new();
    wanted.try_reserve_exact(total).map_err(|_| Error::NoMem)?;
    wanted.extend(readers.iter().map(|&s| (s, READABLE)));
    wanted.extend(writers.iter().map(|&s| (s, WRITABLE)));
    wanted.extend(errors.iter().map(|&s| (s, EXCEPTIONAL)));
    wanted.sort_unstable_by_key(|&(s, _)| s);
    wanted.dedup_by(|later, kept| {
        if later.0 == kept.0 {
            kept.1 |= later.1;
            true
        } else {
            false
        }
    });
    let mut fds: Vec<PollFd> = Vec::new();
    fds.try_reserve_exact(wanted.len())
        .map_err(|_| Error::NoMem)?;
    fds.extend(wanted.iter().map(|&(s, w)| PollFd::new(s, w)));
    let index = |s: RawSocket| wanted.binary_search_by_key(&s, |&(k, _)| k).ok();

    // What the last poll reported of each socket (the readiness bits).
    let mut states = vec![0u32; wanted.len()];
    loop {
        if fds.is_empty() {
            // Everything left hung up where only the exceptional condition was asked for.
            sleep_until(deadline);
            return Ok(Selected::default());
        }
        match sys::poll_sockets(&mut fds, deadline.remaining_ms()) {
            Ok(0) => {}
            Ok(_) => {
                let mut any = false;
                for fd in &fds {
                    if let Some(i) = index(fd.socket()) {
                        let r = fd.readiness();
                        states[i] = r;
                        any |= wanted[i].1 & r != 0;
                    }
                }
                if any {
                    let ready =
                        |s: RawSocket, bit: u32| index(s).map_or(false, |i| states[i] & bit != 0);
                    return Ok(Selected {
                        readers: compact(readers, |s| ready(s, READABLE)),
                        writers: compact(writers, |s| ready(s, WRITABLE)),
                        errors: compact(errors, |s| ready(s, EXCEPTIONAL)),
                    });
                }
                // Only conditions nobody asked for (a hang-up of an errors-only socket):
                // stop polling those, or poll would report them again at once.
                fds.retain(|fd| fd.readiness() == 0);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::from_io(&e)),
        }
        if deadline.expired() {
            return Ok(Selected::default());
        }
    }
}

/// Moves the entries for which `ready` holds to the front, in order; returns how many.
fn compact(list: &mut [RawSocket], ready: impl Fn(RawSocket) -> bool) -> usize {
    let mut kept = 0;
    for i in 0..list.len() {
        let s = list[i];
        if ready(s) {
            list[kept] = s;
            kept += 1;
        }
    }
    kept
}

fn sleep_until(deadline: Deadline) {
    match deadline {
        Deadline::Now => {}
        Deadline::At(at) => {
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
            }
        }
        Deadline::Forever => loop {
            std::thread::sleep(Duration::from_secs(3600));
        },
    }
}
