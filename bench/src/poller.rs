//! Wait latency with many idle sockets: sockhelp's `Poller::wait` vs a raw `epoll_wait` vs
//! `poll()` over every descriptor. One active socketpair; each iteration writes one byte
//! to it, waits for the event, and reads the byte back. Only the wait is timed.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use sockhelp::deadline::Deadline;
use sockhelp::poller::{Event, Poller, READABLE};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiter {
    Poller,
    Epoll,
    Poll,
}

impl Waiter {
    pub fn name(self) -> &'static str {
        match self {
            Waiter::Poller => "sockhelp Poller::wait",
            Waiter::Epoll => "raw epoll_wait",
            Waiter::Poll => "poll() over all",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Waiter::Poller => "poller",
            Waiter::Epoll => "epoll",
            Waiter::Poll => "poll",
        }
    }
}

/// The idle sockets (both ends of `pairs` socketpairs) and the active pair.
pub struct Sockets {
    idle: Vec<OwnedFd>,
    active_rx: OwnedFd,
    active_tx: OwnedFd,
}

impl Sockets {
    pub fn new(idle_sockets: usize) -> Sockets {
        raise_nofile(idle_sockets as u64 + 1024);
        let mut idle = Vec::with_capacity(idle_sockets);
        while idle.len() < idle_sockets {
            let (a, b) = UnixStream::pair().expect("socketpair (descriptor limit?)");
            idle.push(a.into());
            if idle.len() < idle_sockets {
                idle.push(b.into());
            }
        }
        let (rx, tx) = UnixStream::pair().expect("socketpair");
        Sockets {
            idle,
            active_rx: rx.into(),
            active_tx: tx.into(),
        }
    }

    pub fn idle_count(&self) -> usize {
        self.idle.len()
    }
}

/// Raises the soft descriptor limit to at least `want` (up to the hard limit).
fn raise_nofile(want: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid out-pointer.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    if lim.rlim_cur < want {
        lim.rlim_cur = want.min(lim.rlim_max);
        // SAFETY: valid pointer; raising the soft limit up to the hard one is allowed.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    }
}

fn ping(tx: RawFd) {
    let b = [1u8];
    // SAFETY: one valid byte.
    let n = unsafe { libc::write(tx, b.as_ptr().cast(), 1) };
    assert_eq!(n, 1);
}

fn pong(rx: RawFd) {
    let mut b = [0u8];
    // SAFETY: one writable byte.
    let n = unsafe { libc::read(rx, b.as_mut_ptr().cast(), 1) };
    assert_eq!(n, 1);
}

/// Runs `waiter` for about `budget` and returns the median-free mean wait time per event
/// of this run (the caller takes the median over runs).
pub fn measure(s: &Sockets, waiter: Waiter, budget: Duration, with_idle: bool) -> Duration {
    let rx = s.active_rx.as_raw_fd();
    let tx = s.active_tx.as_raw_fd();
    let idle: &[OwnedFd] = if with_idle { &s.idle } else { &[] };
    match waiter {
        Waiter::Poller => {
            let mut p = Poller::new().expect("Poller::new");
            for (i, fd) in idle.iter().enumerate() {
                p.add(fd.as_raw_fd(), READABLE, i as u64 + 1).expect("add");
            }
            p.add(rx, READABLE, 0).expect("add");
            let mut out = [Event::default(); 64];
            timed_loop(budget, || {
                ping(tx);
                let t = Instant::now();
                let n = p.wait(&mut out, Deadline::Forever).expect("wait");
                let d = t.elapsed();
                assert!(n == 1 && out[0].tag == 0 && out[0].events & READABLE != 0);
                pong(rx);
                d
            })
        }
        Waiter::Epoll => {
            // SAFETY: plain epoll calls on descriptors we own; `ep` is closed at the end.
            unsafe {
                let ep = libc::epoll_create1(libc::EPOLL_CLOEXEC);
                assert!(ep >= 0);
                let add = |fd: RawFd, key: u64| {
                    let mut ev = libc::epoll_event {
                        events: libc::EPOLLIN as u32,
                        u64: key,
                    };
                    assert_eq!(libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev), 0);
                };
                for (i, fd) in idle.iter().enumerate() {
                    add(fd.as_raw_fd(), i as u64 + 1);
                }
                add(rx, 0);
                let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 64];
                let d = timed_loop(budget, || {
                    ping(tx);
                    let t = Instant::now();
                    let n = libc::epoll_wait(ep, evs.as_mut_ptr(), evs.len() as i32, -1);
                    let d = t.elapsed();
                    let key = evs[0].u64;
                    assert!(n == 1 && key == 0);
                    pong(rx);
                    d
                });
                libc::close(ep);
                d
            }
        }
        Waiter::Poll => {
            let mut fds: Vec<libc::pollfd> = idle
                .iter()
                .map(|fd| libc::pollfd {
                    fd: fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                })
                .collect();
            fds.push(libc::pollfd {
                fd: rx,
                events: libc::POLLIN,
                revents: 0,
            });
            timed_loop(budget, || {
                ping(tx);
                let t = Instant::now();
                // SAFETY: `fds` is a valid array of its length.
                let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
                // A poll() user has to scan the array to find who is ready: part of the cost.
                let ready = fds.iter().position(|p| p.revents != 0);
                let d = t.elapsed();
                assert!(n == 1 && ready == Some(fds.len() - 1));
                pong(rx);
                d
            })
        }
    }
}

/// Calls `one` (which returns the time of the part it measured) until `budget` has passed
/// (at least 16 times); returns the mean measured time.
fn timed_loop(budget: Duration, mut one: impl FnMut() -> Duration) -> Duration {
    // Warm-up.
    for _ in 0..8 {
        one();
    }
    let start = Instant::now();
    let mut total = Duration::ZERO;
    let mut count = 0u32;
    while count < 16 || start.elapsed() < budget {
        total += one();
        count += 1;
    }
    total / count
}
