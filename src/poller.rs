//! The poller: a set of sockets watched together between calls, for thousands of sockets.
//!
//! `sys::PollerBackend` is epoll on Linux (called directly: one system call per wait) and
//! the `polling` crate elsewhere (kqueue on the BSDs and macOS, IOCP/AFD on Windows),
//! level-triggered in both, so, like [`select`](crate::select::select), a socket is reported
//! for as long as it is ready. The interest / event bits come from one table
//! (`event_bits.rs`) shared with the header, and are what the backend takes and reports.

use std::collections::HashMap;
use std::io;
use std::time::{Duration, Instant};

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::sys::{self, RawSocket};
use crate::timers::{TimerId, Timers};

pub use crate::event_bits::{ALL_EVENTS, ERROR, HANGUP, READABLE, TIMEDOUT, WRITABLE};

/// At most this many events are fetched from the system per wait; the rest stay ready
/// (level-triggered) for the next wait.
pub const MAX_EVENTS_PER_WAIT: usize = 1024;

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
    /// The live timer of this socket (`set_deadline`), if any.
    timer: Option<TimerId>,
    /// The wait (its number) that last wrote an event for this socket, and where.
    reported: (u64, usize),
}

impl Registration {
    fn new(tag: u64, interest: u32) -> Registration {
        Registration {
            tag,
            interest,
            timer: None,
            reported: (0, 0),
        }
    }
}

/// A set of sockets watched together, level-triggered: a socket is reported at every wait
/// for as long as it is ready, exactly like `select`, so nothing is lost when a wait returns
/// fewer events than are ready.
///
/// Bookkeeping rules (the OS side differs between epoll, kqueue, event ports and IOCP; these
/// hold on all):
/// - `add` of a socket already added is `Invalid`. The exception is Linux, where closing a
///   socket removes it from epoll: if the caller closed a socket without removing it and a
///   new socket got the same number, `add` of that number succeeds and replaces the stale
///   entry. Elsewhere, `remove` the old number first.
/// - `modify` / `remove` of a socket never added (or already removed) is `Invalid`.
/// - `remove` of a socket the caller already closed forgets it and returns `Ok` (the system
///   had already dropped it, or drops it now); nothing leaks.
/// - Interest 0 is allowed: the socket stays registered and reports only `HANGUP` / `ERROR`
///   (on kqueue, nothing at all). `HANGUP` and `ERROR` are reported whatever the interest
///   where the system reports them (epoll, event ports, IOCP; kqueue never does: a hang-up,
///   reset or pending error shows there as readable and/or writable, as asked for).
///
/// Deadlines ([`Poller::set_deadline`]): a socket whose deadline passed is reported once
/// with [`TIMEDOUT`] (with whatever readiness holds too, in one event), and its deadline is
/// cleared; a wait returns by the nearest deadline. A binary heap with lazy deletion
/// (`timers.rs`): O(log n) to arm, O(1) to clear, O(log n) amortized to expire.
pub struct Poller {
    backend: sys::PollerBackend,
    registered: HashMap<RawSocket, Registration>,
    timers: Timers,
    /// Counts waits, so that one wait writes one event per socket (a timer and readiness
    /// of the same socket share it).
    waits: u64,
}

impl Poller {
    /// A new, empty poller (an epoll / kqueue descriptor, an event port or an IOCP port).
    /// Errors: `Os` / `NoMem` from the system.
    pub fn new() -> Result<Poller> {
        Ok(Poller {
            backend: sys::PollerBackend::new()?,
            registered: HashMap::new(),
            timers: Timers::default(),
            waits: 0,
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
        let known = self.registered.contains_key(&s);
        match self.backend.add(s, interest) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if known {
                    return Err(Error::Invalid);
                }
                // Not added as far as the caller knows: a leftover of a socket closed
                // before it was removed (polling's own table on kqueue / IOCP). Clear it.
                let _ = self.backend.delete(s);
                self.backend.add(s, interest)?;
            }
            Err(e) => return Err(e.into()),
        }
        // When `known`, the system had forgotten the old socket (closed without remove).
        if let Some(old) = self.registered.insert(s, Registration::new(tag, interest)) {
            self.drop_timer(old.timer);
        }
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
        self.backend.modify(s, interest)?;
        reg.tag = tag;
        reg.interest = interest;
        Ok(())
    }

    /// Stops watching `s` and forgets it.
    ///
    /// Errors: `Invalid` (not added); `Os` for an unexpected system error (the socket is
    /// forgotten all the same). A socket the caller already closed is not an error.
    pub fn remove(&mut self, s: RawSocket) -> Result<()> {
        let reg = self.registered.remove(&s).ok_or(Error::Invalid)?;
        self.drop_timer(reg.timer);
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
            self.waits += 1;
            let wait_no = self.waits;
            let mut stale: Option<RawSocket> = None;
            let mut n = 0;
            let mut woken = false;
            let timeout = self.timeout_ms(deadline);
            let registered = &mut self.registered;
            match self.backend.wait(want, timeout) {
                Ok((reports, wake)) => {
                    woken = wake;
                    // Deadlines first: a timer that is due is never crowded out by readiness.
                    let now = Instant::now();
                    while n < want {
                        let is_live = |s, id| live(registered, s, id);
                        let s = match self.timers.pop_due(now, is_live) {
                            Some(s) => s,
                            None => break,
                        };
                        let reg = registered.get_mut(&s).expect("a live timer is registered");
                        reg.timer = None;
                        reg.reported = (wait_no, n);
                        let tag = reg.tag;
                        self.timers.forget(|s, id| live(registered, s, id));
                        out[n] = E::from(Event {
                            tag,
                            events: TIMEDOUT,
                        });
                        n += 1;
                    }
                    for rep in reports {
                        let reg = match registered.get_mut(&rep.socket) {
                            Some(r) => r,
                            None => {
                                stale = Some(rep.socket);
                                continue;
                            }
                        };
                        let bits = reported_bits(rep, reg.interest);
                        if bits == 0 {
                            continue;
                        }
                        if reg.reported.0 == wait_no {
                            // Timed out in this wait: one event with both.
                            out[reg.reported.1] = E::from(Event {
                                tag: reg.tag,
                                events: TIMEDOUT | bits,
                            });
                        } else if n < want {
                            reg.reported = (wait_no, n);
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

    /// Sets the deadline of socket `s` (already added): `Some(d)` from now (replacing the one
    /// it had), `None` clears it. When it passes, a wait reports `s` with [`TIMEDOUT`] once
    /// and the deadline is cleared (set it again to re-arm). O(log n). A deadline further
    /// away than the clock can count never passes. `modify` keeps it; `remove` clears it.
    ///
    /// Errors: `Invalid` (`s` not added).
    pub fn set_deadline(&mut self, s: RawSocket, after: Option<Duration>) -> Result<()> {
        let reg = self.registered.get_mut(&s).ok_or(Error::Invalid)?;
        let old = reg.timer.take();
        if let Some(at) = after.and_then(|d| Instant::now().checked_add(d)) {
            reg.timer = Some(self.timers.arm(s, at));
        }
        self.drop_timer(old);
        Ok(())
    }

    /// Forgets a timer the caller's registration no longer holds.
    fn drop_timer(&mut self, timer: Option<TimerId>) {
        if timer.is_some() {
            let registered = &self.registered;
            self.timers.forget(|s, id| live(registered, s, id));
        }
    }

    /// The backend's timeout for one wait: the caller's deadline or the nearest timer,
    /// whichever comes first (rounded up to a whole millisecond, so that a wait never ends
    /// just before a timer is due and spins).
    fn timeout_ms(&mut self, deadline: Deadline) -> i32 {
        let registered = &self.registered;
        let caller = deadline.remaining_ms();
        let at = match self.timers.nearest(|s, id| live(registered, s, id)) {
            Some(at) => at,
            None => return caller,
        };
        let left = at.saturating_duration_since(Instant::now());
        let ms = ((left.as_nanos() + 999_999) / 1_000_000).min(i32::MAX as u128) as i32;
        if caller < 0 {
            ms
        } else {
            caller.min(ms)
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

/// Whether timer `id` is the live one of socket `s`.
fn live(registered: &HashMap<RawSocket, Registration>, s: RawSocket, id: TimerId) -> bool {
    registered.get(&s).map_or(false, |r| r.timer == Some(id))
}

/// What of the backend's report the caller sees: readable / writable only where asked
/// for, hang-up and error always.
fn reported_bits(rep: &sys::PollReport, interest: u32) -> u32 {
    rep.events & (interest | HANGUP | ERROR)
}
