//! The poller's backend where it is not epoll: the `polling` crate (kqueue on the BSDs
//! and macOS, event ports on illumos, IOCP/AFD on Windows), level-triggered. The unsafe
//! registration is in each house's `poller_add` (illumos: in `ports` below).
//!
//! Event ports refuse level-triggered registrations (polling answers `Unsupported`), and an
//! event port delivers an association once. On illumos every socket is therefore registered
//! oneshot and `wait` re-arms each socket it reports, with the interest kept in `armed`, as
//! polling documents for oneshot mode: a socket still ready is reported again by the next
//! wait, which is what level-triggered means.

use std::io;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[cfg(target_os = "illumos")]
use self::ports::{poller_add, poller_modify};
#[cfg(not(target_os = "illumos"))]
use super::{poller_add, poller_modify};
use super::{poller_delete, PollReport, RawSocket};
use crate::event_bits::{ERROR, HANGUP, READABLE, WRITABLE};

/// A `polling::Poller` and the buffers its waits fill.
pub struct PollerBackend {
    poller: Arc<polling::Poller>,
    woken: Arc<AtomicBool>,
    events: polling::Events,
    reports: Vec<PollReport>,
    /// Illumos: each registered socket's interest (readiness bits), for the re-arm.
    #[cfg(target_os = "illumos")]
    armed: std::collections::HashMap<RawSocket, u32>,
}

/// The registration for `s`, watched for `interest` (the readiness set's `READABLE` /
/// `WRITABLE`): its key is the socket itself (a `c_int` >= 0 on POSIX, a `usize` on
/// Windows, so the cast is lossless); hang-ups are always asked for.
#[allow(clippy::unnecessary_cast)]
fn event(s: RawSocket, interest: u32) -> polling::Event {
    let (readable, writable) = (interest & READABLE != 0, interest & WRITABLE != 0);
    polling::Event::new(s as usize, readable, writable).with_interrupt()
}

/// What `polling` reported, as the readiness set.
fn readiness_of(ev: &polling::Event) -> u32 {
    let mut bits = 0;
    if ev.readable {
        bits |= READABLE;
    }
    if ev.writable {
        bits |= WRITABLE;
    }
    if ev.is_interrupt() {
        bits |= HANGUP;
    }
    if ev.is_err() == Some(true) {
        bits |= ERROR;
    }
    bits
}

impl PollerBackend {
    pub fn new() -> io::Result<PollerBackend> {
        Ok(PollerBackend {
            poller: Arc::new(polling::Poller::new()?),
            woken: Arc::new(AtomicBool::new(false)),
            events: polling::Events::with_capacity(NonZeroUsize::new(1).unwrap()),
            reports: Vec::new(),
            #[cfg(target_os = "illumos")]
            armed: std::collections::HashMap::new(),
        })
    }

    /// A handle that wakes this poller's waits (see [`PollWaker`]).
    pub fn waker(&self) -> PollWaker {
        PollWaker {
            poller: Arc::clone(&self.poller),
            woken: Arc::clone(&self.woken),
        }
    }

    pub fn add(&mut self, s: RawSocket, interest: u32) -> io::Result<()> {
        poller_add(&self.poller, s, event(s, interest))?;
        #[cfg(target_os = "illumos")]
        self.armed.insert(s, interest);
        Ok(())
    }

    pub fn modify(&mut self, s: RawSocket, interest: u32) -> io::Result<()> {
        poller_modify(&self.poller, s, event(s, interest))?;
        #[cfg(target_os = "illumos")]
        self.armed.insert(s, interest);
        Ok(())
    }

    pub fn delete(&mut self, s: RawSocket) -> io::Result<()> {
        #[cfg(target_os = "illumos")]
        self.armed.remove(&s);
        poller_delete(&self.poller, s)
    }

    /// One wait; returns the reports and whether a [`PollWaker`] woke it.
    pub fn wait(&mut self, cap: usize, timeout_ms: i32) -> io::Result<(&[PollReport], bool)> {
        let cap = NonZeroUsize::new(cap.max(1)).unwrap();
        if self.events.capacity() != cap {
            self.events = polling::Events::with_capacity(cap);
            self.reports = Vec::with_capacity(cap.get());
        }
        self.events.clear();
        self.reports.clear();
        let timeout = if timeout_ms < 0 {
            None
        } else {
            Some(Duration::from_millis(timeout_ms as u64))
        };
        self.poller.wait(&mut self.events, timeout)?;
        for ev in self.events.iter() {
            self.reports.push(PollReport {
                socket: ev.key as RawSocket,
                events: readiness_of(&ev),
            });
        }
        #[cfg(target_os = "illumos")]
        for r in &self.reports {
            if let Some(&interest) = self.armed.get(&r.socket) {
                // A socket closed without being removed fails here (EBADF); it is not
                // this wait's error: the caller learns it from modify or remove.
                let _ = poller_modify(&self.poller, r.socket, event(r.socket, interest));
            }
        }
        Ok((&self.reports, self.woken.swap(false, Ordering::AcqRel)))
    }
}

/// Makes the current or next wait of its poller return: the `polling` crate's notify
/// (thread-safe), and a flag so the wait knows it was woken rather than timed out.
#[derive(Debug, Clone)]
pub struct PollWaker {
    poller: Arc<polling::Poller>,
    woken: Arc<AtomicBool>,
}

impl PollWaker {
    /// Wakes the poller; wakes before a wait coalesce into one.
    pub fn wake(&self) -> io::Result<()> {
        self.woken.store(true, Ordering::Release);
        self.poller.notify()
    }
}

/// Illumos' registration: oneshot (event ports know no other mode), re-armed by `wait`.
#[cfg(target_os = "illumos")]
mod ports {
    use std::io;
    use std::os::unix::io::BorrowedFd;

    use super::super::is_valid;
    use super::RawSocket;

    /// Associates `s` with `poller`'s port, oneshot, for `ev` (its key names the socket).
    pub fn poller_add(
        poller: &polling::Poller,
        s: RawSocket,
        ev: polling::Event,
    ) -> io::Result<()> {
        if !is_valid(s) {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        // SAFETY: polling asks that `s` be deleted before it is closed. An event port
        // drops a descriptor's association when it delivers its event and when the
        // descriptor is closed (port_associate(3C)), and polling keeps no state of its own
        // per descriptor, so a caller who closes first leaves nothing behind: `s` is only
        // handed to port_associate as a number.
        unsafe { poller.add_with_mode(s, ev, polling::PollMode::Oneshot) }
    }

    /// Associates `s` again, oneshot, with a new interest and key (and re-arms it).
    pub fn poller_modify(
        poller: &polling::Poller,
        s: RawSocket,
        ev: polling::Event,
    ) -> io::Result<()> {
        if !is_valid(s) {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        // SAFETY: `s` is not -1; the borrow lives only for this call and the descriptor is
        // only handed to port_associate, which answers EBADF if the caller closed it.
        let fd = unsafe { BorrowedFd::borrow_raw(s) };
        poller.modify_with_mode(fd, ev, polling::PollMode::Oneshot)
    }
}
