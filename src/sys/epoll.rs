//! The poller's backend on Linux: epoll, called directly (one `epoll_wait` per wait;
//! the `polling` crate, used elsewhere, adds a timer and a wake-up descriptor around it).
//!
//! Shared sockets. epoll watches an open file, not a descriptor number: an entry goes away
//! only when the last descriptor of that file is closed. A socket that is `dup`ed or
//! inherited by a forked child and then closed here cannot be deleted any more (its number
//! no longer names it), yet epoll keeps reporting it, under its old number, which a new
//! socket may have taken. So each entry's event data holds the number *and* a generation
//! that is unique to that registration; a report whose generation is not the live one is
//! such a leftover, and the backend then rebuilds the epoll set from its own table (a new
//! epoll instance with the live registrations only), which drops every leftover at once.
//! Leftovers are never reported, and a wait never spins on them.

use std::collections::HashMap;
use std::io;
use std::os::raw::c_int;
use std::sync::Arc;

use super::unix::check;
use super::{PollReport, RawSocket};
use crate::event_bits::{ERROR, HANGUP, READABLE, WRITABLE};

/// Event data of the wake-up descriptor (no socket registration has generation `u32::MAX`).
const WAKE_DATA: u64 = u64::MAX;

/// What the backend remembers of one live registration.
#[derive(Debug, Clone, Copy)]
struct Entry {
    bits: u32,
    generation: u32,
    /// The socket's identity when it was added (`st_dev`, `st_ino`): a rebuild re-adds a
    /// number only while it still names the same socket.
    identity: (u64, u64),
}

/// An eventfd that makes a wait return; shared with every [`PollWaker`] so it stays open
/// as long as any of them lives.
#[derive(Debug)]
struct WakeFd(c_int);

impl Drop for WakeFd {
    fn drop(&mut self) {
        // SAFETY: the eventfd is ours and closed once, when the last owner goes.
        unsafe { libc::close(self.0) };
    }
}

/// A handle that makes the current or next wait of its poller return. `wake` is one
/// `write(2)` on an eventfd: callable from any thread and from a signal handler.
#[derive(Debug, Clone)]
pub struct PollWaker(Arc<WakeFd>);

impl PollWaker {
    /// Wakes the poller; wakes before a wait coalesce into one.
    pub fn wake(&self) -> io::Result<()> {
        let one: u64 = 1;
        loop {
            // SAFETY: writes the 8 bytes of `one` to our eventfd, which stays open while
            // `self` holds the Arc.
            let n = unsafe { libc::write(self.0 .0, (&one as *const u64).cast(), 8) };
            if n == 8 {
                return Ok(());
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                // The counter is full: a wake is already pending, which is all we want.
                Some(libc::EAGAIN) => return Ok(()),
                _ => return Err(e),
            }
        }
    }
}

/// An epoll descriptor, the live registrations, and the buffer its waits fill (kept
/// between waits: no allocation per wait while the capacity asked for stays the same).
pub struct PollerBackend {
    epfd: c_int,
    wake: Arc<WakeFd>,
    live: HashMap<RawSocket, Entry>,
    next_generation: u32,
    events: Vec<libc::epoll_event>,
    reports: Vec<PollReport>,
}

/// The epoll bits for `interest` (the readiness set's `READABLE` / `WRITABLE`).
fn interest_bits(interest: u32) -> u32 {
    let mut bits = 0;
    if interest & READABLE != 0 {
        bits |= libc::EPOLLIN as u32;
    }
    if interest & WRITABLE != 0 {
        bits |= libc::EPOLLOUT as u32;
    }
    bits // EPOLLERR and EPOLLHUP are always reported; level-triggered (no EPOLLET)
}

/// What epoll reported, as the readiness set: readable = `EPOLLIN|EPOLLRDHUP|EPOLLHUP|
/// EPOLLERR`, writable = `EPOLLOUT|EPOLLHUP|EPOLLERR`, hang-up = `EPOLLHUP`, error =
/// `EPOLLERR`.
fn readiness_of(e: u32) -> u32 {
    let hup = e & libc::EPOLLHUP as u32 != 0;
    let err = e & libc::EPOLLERR as u32 != 0;
    let mut bits = 0;
    if e & (libc::EPOLLIN | libc::EPOLLRDHUP) as u32 != 0 || hup || err {
        bits |= READABLE;
    }
    if e & libc::EPOLLOUT as u32 != 0 || hup || err {
        bits |= WRITABLE;
    }
    if hup {
        bits |= HANGUP;
    }
    if err {
        bits |= ERROR;
    }
    bits
}

fn data_of(s: RawSocket, generation: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(s as u32)
}

fn epoll_instance() -> io::Result<c_int> {
    // SAFETY: epoll_create1 takes only flags.
    check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })
}

fn ctl(epfd: c_int, op: c_int, fd: c_int, bits: u32, data: u64) -> io::Result<()> {
    let mut ev = libc::epoll_event {
        events: bits,
        u64: data,
    };
    // SAFETY: `ev` is a valid epoll_event for the call; `fd` is only a number to the
    // kernel, which answers EBADF for a descriptor that is not open.
    check(unsafe { libc::epoll_ctl(epfd, op, fd, &mut ev) })?;
    Ok(())
}

/// The identity of the open file behind `s` (device and inode; every socket has its own
/// inode), or the error of `fstat` (EBADF once it is closed).
fn identity(s: RawSocket) -> io::Result<(u64, u64)> {
    // SAFETY: an all-zero `stat` is a valid value of the plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid out-buffer; `s` is only a number to the kernel.
    check(unsafe { libc::fstat(s, &mut st) })?;
    Ok((st.st_dev as u64, st.st_ino as u64))
}

/// Adds the wake-up eventfd to `epfd`.
fn add_wake(epfd: c_int, wake: &WakeFd) -> io::Result<()> {
    ctl(
        epfd,
        libc::EPOLL_CTL_ADD,
        wake.0,
        libc::EPOLLIN as u32,
        WAKE_DATA,
    )
}

impl PollerBackend {
    /// A new epoll instance (close-on-exec) with its wake-up eventfd.
    pub fn new() -> io::Result<PollerBackend> {
        // SAFETY: eventfd takes an initial value and flags.
        let efd = check(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        let wake = Arc::new(WakeFd(efd));
        let epfd = epoll_instance()?;
        let backend = PollerBackend {
            epfd,
            wake,
            live: HashMap::new(),
            next_generation: 0,
            events: Vec::new(),
            reports: Vec::new(),
        };
        add_wake(backend.epfd, &backend.wake)?;
        Ok(backend)
    }

    /// A handle that wakes this poller's waits (see [`PollWaker`]).
    pub fn waker(&self) -> PollWaker {
        PollWaker(Arc::clone(&self.wake))
    }

    /// Starts watching `s` for `interest` (readiness bits; only `READABLE` / `WRITABLE`
    /// change anything) (EEXIST when it is already watched).
    pub fn add(&mut self, s: RawSocket, interest: u32) -> io::Result<()> {
        let identity = identity(s)?;
        let generation = self.next_generation;
        let bits = interest_bits(interest);
        ctl(
            self.epfd,
            libc::EPOLL_CTL_ADD,
            s,
            bits,
            data_of(s, generation),
        )?;
        // u32::MAX is the wake-up descriptor's; generations wrap around below it.
        self.next_generation = (generation + 1) % u32::MAX;
        self.live.insert(
            s,
            Entry {
                bits,
                generation,
                identity,
            },
        );
        Ok(())
    }

    /// Changes what `s` is watched for (ENOENT when it is not watched).
    pub fn modify(&mut self, s: RawSocket, interest: u32) -> io::Result<()> {
        let bits = interest_bits(interest);
        let entry = match self.live.get_mut(&s) {
            Some(e) => e,
            None => return Err(io::Error::from_raw_os_error(libc::ENOENT)),
        };
        ctl(
            self.epfd,
            libc::EPOLL_CTL_MOD,
            s,
            bits,
            data_of(s, entry.generation),
        )?;
        entry.bits = bits;
        Ok(())
    }

    /// Stops watching `s`. When `s` was already closed, its entry is gone from epoll
    /// unless another descriptor shares the socket; such a leftover is dropped by the
    /// rebuild that its first report triggers (see the module's doc).
    pub fn delete(&mut self, s: RawSocket) -> io::Result<()> {
        self.live.remove(&s);
        ctl(self.epfd, libc::EPOLL_CTL_DEL, s, 0, 0)
    }

    /// A new epoll instance holding only the live registrations (and the wake-up
    /// descriptor); a registration whose number no longer names the socket that was added
    /// (closed, or reused by another socket) is left out, as the kernel would have done.
    fn rebuild(&mut self) -> io::Result<()> {
        let epfd = epoll_instance()?;
        let mut fresh = PollerBackend {
            epfd,
            wake: Arc::clone(&self.wake),
            live: HashMap::with_capacity(self.live.len()),
            next_generation: self.next_generation,
            events: Vec::new(),
            reports: Vec::new(),
        };
        add_wake(fresh.epfd, &fresh.wake)?;
        for (&s, entry) in &self.live {
            if identity(s).ok() != Some(entry.identity) {
                continue;
            }
            let data = data_of(s, entry.generation);
            match ctl(fresh.epfd, libc::EPOLL_CTL_ADD, s, entry.bits, data) {
                Ok(()) => {
                    fresh.live.insert(s, *entry);
                }
                Err(e) if super::is_bad_socket_error(&e) => {}
                Err(e) => return Err(e),
            }
        }
        std::mem::swap(&mut self.epfd, &mut fresh.epfd);
        std::mem::swap(&mut self.live, &mut fresh.live);
        Ok(()) // `fresh` now holds the old epoll descriptor and closes it
    }

    /// Empties the wake-up eventfd (its counter; a wake-up is reported once).
    fn drain_wake(&self) {
        let mut counter: u64 = 0;
        // SAFETY: reads at most 8 bytes into `counter` from our non-blocking eventfd.
        let _ = unsafe { libc::read(self.wake.0, (&mut counter as *mut u64).cast(), 8) };
    }

    /// One `epoll_wait` for at most `cap` events, `timeout_ms` -1 forever; `EINTR` is
    /// returned to the caller, who owns the deadline. Returns the reports and whether the
    /// poller was woken. Leftovers of shared sockets are never reported (see the module's
    /// doc): after seeing one, this rebuilds the set and returns what remains (possibly
    /// nothing, early: the caller waits again with the time left).
    pub fn wait(&mut self, cap: usize, timeout_ms: i32) -> io::Result<(&[PollReport], bool)> {
        let cap = cap.max(1);
        if self.events.len() != cap {
            self.events = vec![libc::epoll_event { events: 0, u64: 0 }; cap];
            self.reports = Vec::with_capacity(cap);
        }
        // SAFETY: `events` holds `cap` writable epoll_events for the call.
        let n = check(unsafe {
            libc::epoll_wait(
                self.epfd,
                self.events.as_mut_ptr(),
                cap as c_int,
                timeout_ms,
            )
        })?;
        self.reports.clear();
        let mut woken = false;
        let mut leftover = false;
        for ev in &self.events[..n as usize] {
            let data = ev.u64;
            if data == WAKE_DATA {
                woken = true;
                continue;
            }
            let socket = data as u32 as RawSocket;
            match self.live.get(&socket) {
                Some(entry) if entry.generation == (data >> 32) as u32 => {}
                _ => {
                    leftover = true;
                    continue;
                }
            }
            self.reports.push(PollReport {
                socket,
                events: readiness_of(ev.events),
            });
        }
        if woken {
            self.drain_wake();
        }
        if leftover {
            self.rebuild()?;
        }
        Ok((&self.reports, woken))
    }
}

impl Drop for PollerBackend {
    fn drop(&mut self) {
        // SAFETY: `epfd` is ours and closed once.
        unsafe { libc::close(self.epfd) };
    }
}
