//! The poller's backend where it is not epoll: the `polling` crate (kqueue on the BSDs
//! and macOS, IOCP/AFD on Windows), level-triggered. The unsafe registration is in each
//! house's `poller_add`.

use std::io;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::{poller_add, poller_delete, poller_modify, PollReport, RawSocket};
use crate::event_bits::{ERROR, HANGUP, READABLE, WRITABLE};

/// A `polling::Poller` and the buffers its waits fill.
pub struct PollerBackend {
    poller: Arc<polling::Poller>,
    woken: Arc<AtomicBool>,
    events: polling::Events,
    reports: Vec<PollReport>,
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
        poller_add(&self.poller, s, event(s, interest))
    }

    pub fn modify(&mut self, s: RawSocket, interest: u32) -> io::Result<()> {
        poller_modify(&self.poller, s, event(s, interest))
    }

    pub fn delete(&mut self, s: RawSocket) -> io::Result<()> {
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
