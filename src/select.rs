//! Waiting for readiness: a `select` shaped like Python's `select.select`, and a poller for
//! thousands of sockets.
//!
//! The HOWTO's non-blocking chapter builds everything around `select`. On POSIX the real
//! `select()` cannot name a descriptor at or above `FD_SETSIZE` (1024) and writes past its
//! bitmaps when asked to, so [`select`] is built on `poll()` (`WSAPoll` on Windows) through
//! `sys::poll_sockets`: one entry per distinct socket, no limit but the caller's own counts.
//!
//! [`Poller`] is the same idea kept between calls, for many sockets: `sys::PollerBackend`
//! is epoll on Linux (called directly: one system call per wait) and the `polling` crate
//! elsewhere (kqueue on the BSDs and macOS, IOCP/AFD on Windows), level-triggered in both,
//! so, like `select`, a socket is reported for as long as it is ready.

use std::collections::HashMap;
use std::io;
use std::time::{Duration, Instant};

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::sys::{self, PollFd, RawSocket, Readiness};

pub use self::constants::*;

/// The core's constants. They live in a private module that cbindgen skips, so their
/// unprefixed names (`ERROR`...) never reach the C header; C sees the `SOCKHELP_*` ones
/// in `ffi/select.rs`, which a test keeps equal to these.
/// cbindgen:ignore
mod constants {
    /// `select` refuses more entries than this in its three arrays together (`Invalid`).
    pub const MAX_SELECT_ENTRIES: usize = 1_000_000;

    /// Interest / event bit: a read (or accept) will not block.
    pub const READABLE: u32 = 1;
    /// Interest / event bit: a write will not block, or a connect has finished.
    pub const WRITABLE: u32 = 2;
    /// Event bit: the connection hung up (`POLLHUP`); reported whatever the interest.
    pub const HANGUP: u32 = 4;
    /// Event bit: an error is pending on the socket (`POLLERR`, read it with `SO_ERROR`);
    /// reported whatever the interest.
    pub const ERROR: u32 = 8;
    /// Every bit an interest may contain.
    pub const ALL_EVENTS: u32 = READABLE | WRITABLE | HANGUP | ERROR;

    /// At most this many events are fetched from the system per wait; the rest stay ready
    /// (level-triggered) for the next wait.
    pub const MAX_EVENTS_PER_WAIT: usize = 1024;
}

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

const WANT_READ: u8 = 1;
const WANT_WRITE: u8 = 2;
const WANT_EXCEPT: u8 = 4;

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

    // One entry per distinct socket, with what each array wants of it.
    let mut wanted: Vec<(RawSocket, u8)> = Vec::new();
    wanted.try_reserve_exact(total).map_err(|_| Error::NoMem)?;
    wanted.extend(readers.iter().map(|&s| (s, WANT_READ)));
    wanted.extend(writers.iter().map(|&s| (s, WANT_WRITE)));
    wanted.extend(errors.iter().map(|&s| (s, WANT_EXCEPT)));
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
    fds.extend(wanted.iter().map(|&(s, w)| {
        PollFd::new(
            s,
            w & WANT_READ != 0,
            w & WANT_WRITE != 0,
            w & WANT_EXCEPT != 0,
        )
    }));
    let index = |s: RawSocket| wanted.binary_search_by_key(&s, |&(k, _)| k).ok();

    let mut states = vec![Readiness::default(); wanted.len()];
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
                        any |= relevant(wanted[i].1, r);
                    }
                }
                if any {
                    return Ok(Selected {
                        readers: compact(readers, |s| {
                            index(s).map_or(false, |i| states[i].readable)
                        }),
                        writers: compact(writers, |s| {
                            index(s).map_or(false, |i| states[i].writable)
                        }),
                        errors: compact(errors, |s| {
                            index(s).map_or(false, |i| states[i].exceptional)
                        }),
                    });
                }
                // Only conditions nobody asked for (a hang-up of an errors-only socket):
                // stop polling those, or poll would report them again at once.
                fds.retain(|fd| fd.readiness() == Readiness::default());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::from_io(&e)),
        }
        if deadline.expired() {
            return Ok(Selected::default());
        }
    }
}

fn relevant(want: u8, r: Readiness) -> bool {
    (want & WANT_READ != 0 && r.readable)
        || (want & WANT_WRITE != 0 && r.writable)
        || (want & WANT_EXCEPT != 0 && r.exceptional)
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

/// One readiness report: the caller's tag for the socket and the bits that hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Event {
    pub tag: u64,
    pub events: u32,
}

#[derive(Debug, Clone, Copy)]
struct Registration {
    tag: u64,
    interest: u32,
}

/// A set of sockets watched together, level-triggered: a socket is reported at every wait
/// for as long as it is ready, exactly like `select`, so nothing is lost when a wait returns
/// fewer events than are ready.
///
/// Bookkeeping rules (the OS side differs between epoll, kqueue and IOCP; these hold on all):
/// - `add` of a socket already added is `Invalid`. The exception is Linux, where closing a
///   socket removes it from epoll: if the caller closed a socket without removing it and a
///   new socket got the same number, `add` of that number succeeds and replaces the stale
///   entry. Elsewhere, `remove` the old number first.
/// - `modify` / `remove` of a socket never added (or already removed) is `Invalid`.
/// - `remove` of a socket the caller already closed forgets it and returns `Ok` (the system
///   had already dropped it, or drops it now); nothing leaks.
/// - Interest 0 is allowed: the socket stays registered and reports only `HANGUP` / `ERROR`
///   (on kqueue, nothing at all). `HANGUP` and `ERROR` are reported whatever the interest
///   where the system reports them (epoll, IOCP; kqueue shows a hang-up as readable).
pub struct Poller {
    backend: sys::PollerBackend,
    registered: HashMap<RawSocket, Registration>,
}

impl Poller {
    /// A new, empty poller (an epoll / kqueue descriptor or an IOCP port).
    /// Errors: `Os` / `NoMem` from the system.
    pub fn new() -> Result<Poller> {
        Ok(Poller {
            backend: sys::PollerBackend::new()?,
            registered: HashMap::new(),
        })
    }

    /// How many sockets are registered.
    pub fn len(&self) -> usize {
        self.registered.len()
    }

    /// True when no socket is registered.
    pub fn is_empty(&self) -> bool {
        self.registered.is_empty()
    }

    /// Starts watching `s` for `interest` (`READABLE` / `WRITABLE` bits; `HANGUP` and
    /// `ERROR` are accepted and always reported anyway); its events carry `tag`.
    ///
    /// Errors: `Invalid` (invalid socket value, unknown interest bits, `s` already added:
    /// see the type's rules); `Os` (e.g. `EBADF`: not an open descriptor; `EPERM`: not
    /// pollable).
    pub fn add(&mut self, s: RawSocket, interest: u32, tag: u64) -> Result<()> {
        if !sys::is_valid(s) || interest & !ALL_EVENTS != 0 {
            return Err(Error::Invalid);
        }
        let (r, w) = (interest & READABLE != 0, interest & WRITABLE != 0);
        let known = self.registered.contains_key(&s);
        match self.backend.add(s, r, w) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if known {
                    return Err(Error::Invalid);
                }
                // Not added as far as the caller knows: a leftover of a socket closed
                // before it was removed (polling's own table on kqueue / IOCP). Clear it.
                let _ = self.backend.delete(s);
                self.backend.add(s, r, w)?;
            }
            Err(e) => return Err(e.into()),
        }
        // When `known`, the system had forgotten the old socket (closed without remove).
        self.registered.insert(s, Registration { tag, interest });
        Ok(())
    }

    /// Changes the interest and the tag of a socket already added.
    ///
    /// Errors: `Invalid` (not added, invalid value, unknown interest bits); `Os` (e.g.
    /// `EBADF` / `ENOENT` when the caller closed the socket without removing it: remove it).
    pub fn modify(&mut self, s: RawSocket, interest: u32, tag: u64) -> Result<()> {
        if !sys::is_valid(s) || interest & !ALL_EVENTS != 0 {
            return Err(Error::Invalid);
        }
        let reg = self.registered.get_mut(&s).ok_or(Error::Invalid)?;
        self.backend
            .modify(s, interest & READABLE != 0, interest & WRITABLE != 0)?;
        *reg = Registration { tag, interest };
        Ok(())
    }

    /// Stops watching `s` and forgets it.
    ///
    /// Errors: `Invalid` (not added); `Os` for an unexpected system error (the socket is
    /// forgotten all the same). A socket the caller already closed is not an error.
    pub fn remove(&mut self, s: RawSocket) -> Result<()> {
        if self.registered.remove(&s).is_none() {
            return Err(Error::Invalid);
        }
        match self.backend.delete(s) {
            Ok(()) => Ok(()),
            Err(e) if sys::is_bad_socket_error(&e) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits until at least one registered socket is ready or the deadline passes, and
    /// writes up to `out.len()` (at most [`MAX_EVENTS_PER_WAIT`]) events to the front of
    /// `out`. Returns how many; 0 when the deadline passed or a [`Waker`] woke it. Sockets
    /// ready beyond that are
    /// reported by the next wait (level-triggered). `EINTR` is retried against the deadline.
    /// No allocation while `out.len()` stays the same from wait to wait.
    ///
    /// Errors: `Invalid` (`out` empty); `Os` from the system.
    pub fn wait<E: From<Event>>(&mut self, out: &mut [E], deadline: Deadline) -> Result<usize> {
        if out.is_empty() {
            return Err(Error::Invalid);
        }
        let want = out.len().min(MAX_EVENTS_PER_WAIT);
        loop {
            let mut stale: Option<RawSocket> = None;
            let mut n = 0;
            let mut woken = false;
            match self.backend.wait(want, deadline.remaining_ms()) {
                Ok((reports, wake)) => {
                    woken = wake;
                    for rep in reports {
                        let reg = match self.registered.get(&rep.socket) {
                            Some(r) => *r,
                            None => {
                                stale = Some(rep.socket);
                                continue;
                            }
                        };
                        let bits = event_bits(rep, reg.interest);
                        if bits != 0 && n < want {
                            out[n] = E::from(Event {
                                tag: reg.tag,
                                events: bits,
                            });
                            n += 1;
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
            if let Some(s) = stale {
                // A report for a number the caller removed (the epoll backend filters these
                // itself; polling's own table may still hold one): make the system stop
                // reporting it (one per wait; another is reported again next time).
                let _ = self.backend.delete(s);
            }
            if n > 0 || woken || deadline.expired() {
                return Ok(n);
            }
        }
    }

    /// A handle that makes the current or the next [`Poller::wait`] return promptly (with
    /// the events ready by then, possibly none), from any thread. See [`Waker`].
    pub fn waker(&self) -> Waker {
        Waker(self.backend.waker())
    }
}

/// Wakes a [`Poller`] from another thread or from a signal handler: [`Waker::wake`] makes
/// the wait in progress, or else the next one, return promptly. Wakes that come before a
/// wait coalesce into one early return. On Linux `wake` is a single `write(2)` to an eventfd
/// and async-signal-safe; elsewhere it is the `polling` crate's notify (thread-safe).
/// A `Waker` keeps what it writes to open, so it may outlive its poller harmlessly.
#[derive(Debug, Clone)]
pub struct Waker(sys::PollWaker);

impl Waker {
    /// Wakes the poller. Errors: `Os` from the system (not expected).
    pub fn wake(&self) -> Result<()> {
        self.0.wake().map_err(Error::from)
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        // polling asks that every source be deleted before the poller goes.
        let sockets: Vec<RawSocket> = self.registered.keys().copied().collect();
        for s in sockets {
            let _ = self.backend.delete(s);
        }
    }
}

/// The backend's report as our bits: readable / writable only where asked for, hang-up
/// and error always.
fn event_bits(rep: &sys::PollReport, interest: u32) -> u32 {
    let mut bits = 0;
    if rep.readable && interest & READABLE != 0 {
        bits |= READABLE;
    }
    if rep.writable && interest & WRITABLE != 0 {
        bits |= WRITABLE;
    }
    if rep.hangup {
        bits |= HANGUP;
    }
    if rep.error {
        bits |= ERROR;
    }
    bits
}
