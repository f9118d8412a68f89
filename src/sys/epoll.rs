//! The poller's backend on Linux: epoll, called directly (one `epoll_wait` per wait;
//! the `polling` crate, used elsewhere, adds a timer and a wake-up descriptor around it).

use std::io;
use std::os::raw::c_int;

use super::{PollReport, RawSocket};

/// An epoll descriptor and the buffer its waits fill (kept between waits: no allocation
/// per wait while the capacity asked for stays the same).
pub struct PollerBackend {
    epfd: c_int,
    events: Vec<libc::epoll_event>,
    reports: Vec<PollReport>,
}

fn interest_bits(readable: bool, writable: bool) -> u32 {
    let mut bits = 0;
    if readable {
        bits |= libc::EPOLLIN as u32;
    }
    if writable {
        bits |= libc::EPOLLOUT as u32;
    }
    bits // EPOLLERR and EPOLLHUP are always reported; level-triggered (no EPOLLET)
}

impl PollerBackend {
    /// A new epoll instance (close-on-exec).
    pub fn new() -> io::Result<PollerBackend> {
        // SAFETY: epoll_create1 takes only flags.
        let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if epfd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(PollerBackend {
            epfd,
            events: Vec::new(),
            reports: Vec::new(),
        })
    }

    fn ctl(&self, op: c_int, s: RawSocket, bits: u32) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events: bits,
            u64: s as u64,
        };
        // SAFETY: `ev` is a valid epoll_event for the call; `s` is only a number to the kernel,
        // which answers EBADF for a descriptor that is not open.
        if unsafe { libc::epoll_ctl(self.epfd, op, s, &mut ev) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Starts watching `s` (EEXIST when it is already watched).
    pub fn add(&mut self, s: RawSocket, readable: bool, writable: bool) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, s, interest_bits(readable, writable))
    }

    /// Changes what `s` is watched for (ENOENT when it is not watched).
    pub fn modify(&mut self, s: RawSocket, readable: bool, writable: bool) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, s, interest_bits(readable, writable))
    }

    /// Stops watching `s`. (The kernel forgets a closed descriptor by itself.)
    pub fn delete(&mut self, s: RawSocket) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, s, 0)
    }

    /// One `epoll_wait` for at most `cap` events, `timeout_ms` -1 forever; `EINTR` is returned
    /// to the caller, who owns the deadline.
    pub fn wait(&mut self, cap: usize, timeout_ms: i32) -> io::Result<&[PollReport]> {
        let cap = cap.max(1);
        if self.events.len() != cap {
            self.events = vec![libc::epoll_event { events: 0, u64: 0 }; cap];
            self.reports = Vec::with_capacity(cap);
        }
        // SAFETY: `events` holds `cap` writable epoll_events for the call.
        let n = unsafe {
            libc::epoll_wait(
                self.epfd,
                self.events.as_mut_ptr(),
                cap as c_int,
                timeout_ms,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        self.reports.clear();
        for ev in &self.events[..n as usize] {
            let e = ev.events;
            let hup = e & libc::EPOLLHUP as u32 != 0;
            let err = e & libc::EPOLLERR as u32 != 0;
            self.reports.push(PollReport {
                socket: ev.u64 as RawSocket,
                readable: e & (libc::EPOLLIN | libc::EPOLLRDHUP) as u32 != 0 || hup || err,
                writable: e & libc::EPOLLOUT as u32 != 0 || hup || err,
                hangup: hup,
                error: err,
            });
        }
        Ok(&self.reports)
    }
}

impl Drop for PollerBackend {
    fn drop(&mut self) {
        // SAFETY: `epfd` is ours and closed once.
        unsafe { libc::close(self.epfd) };
    }
}
