//! Name resolution within a deadline, on a small pool of threads the process shares.
//!
//! The system resolver (`getaddrinfo`) cannot be cancelled or given a timeout, so a lookup
//! that must keep a deadline runs on a worker thread while its caller waits at most until
//! the deadline. The workers are few and shared:
//!
//! - at most [`WORKERS_MAX`] threads, started when a lookup finds none idle, each ending
//!   after [`IDLE_EXIT`] without work;
//! - lookups wait for a worker in a queue of at most [`QUEUE_MAX`]; a caller that finds it
//!   full waits for room within its own deadline;
//! - a caller that gives up at its deadline takes its lookup out of the queue if no worker
//!   has started it: an abandoned lookup never holds a thread. One a worker already runs
//!   keeps that worker until the system answers, so during a DNS outage at most
//!   `WORKERS_MAX` threads wait in the resolver, whatever the number of calls, and lookups
//!   behind them time out in the queue.
//!
//! - a lookup of a `host:port` already queued or running is shared: one `getaddrinfo`
//!   answers every caller that asked for it meanwhile.
//!
//! Address literals never get here (see [`resolve`]). The API is two steps, so a caller can
//! start several lookups and wait for them in its own order: [`Lookup::start`], then
//! [`Lookup::wait`]; [`resolve`] is both at once.

use std::net::{IpAddr, SocketAddr};
use std::sync::{mpsc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::sys;

use socket2::Socket;

/// Most worker threads the process ever has for lookups.
pub const WORKERS_MAX: usize = 4;

/// Most lookups waiting for a worker.
pub const QUEUE_MAX: usize = 64;

/// How long an idle worker waits for another lookup before it ends.
pub const IDLE_EXIT: Duration = Duration::from_secs(10);

type Answer = Result<Vec<SocketAddr>>;

/// One caller waiting for a job's answer, and the socket to poke when it comes.
struct Waiter {
    id: u64,
    reply: mpsc::SyncSender<Answer>,
    notify: Option<Socket>,
}

/// A lookup in the pool: queued until a worker starts it, then running until it answers.
/// Callers asking the same `host:port` while it is queued or running share it.
struct Job {
    id: u64,
    host: String,
    port: u16,
    started: bool,
    waiters: Vec<Waiter>,
}

struct Pool {
    /// Queued jobs (not started) first-come first-served, then running ones.
    jobs: Vec<Job>,
    /// Workers alive, busy or idle.
    workers: usize,
    /// Workers waiting for a job.
    idle: usize,
    next_id: u64,
    /// The process the workers belong to: a child after `fork` has none of them.
    pid: u32,
}

impl Pool {
    fn queued(&self) -> usize {
        self.jobs.iter().filter(|j| !j.started).count()
    }
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    jobs: Vec::new(),
    workers: 0,
    idle: 0,
    next_id: 0,
    pid: 0,
});
/// Workers wait here for a job.
static WORK: Condvar = Condvar::new();
/// Callers wait here for room in the queue.
static ROOM: Condvar = Condvar::new();

/// The pool, for this process: after a `fork` the child inherits the counts but none of
/// the threads, so it starts afresh.
fn pool() -> MutexGuard<'static, Pool> {
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let pid = std::process::id();
    if pool.pid != pid {
        pool.jobs.clear();
        pool.workers = 0;
        pool.idle = 0;
        pool.pid = pid;
    }
    pool
}

/// What remains of `deadline` as a wait: `None` for no limit.
fn remaining(deadline: Deadline) -> Option<Duration> {
    match deadline.remaining_ms() {
        -1 => None,
        ms => Some(Duration::from_millis(ms as u64)),
    }
}

/// Resolves `host:port`: an address literal at once, without the resolver; a name on the
/// caller's thread when the deadline is `Forever` or `Now` (nothing to bound, or no time
/// to wait on a worker: the header tells callers to pass literals there), else through the
/// pool within the deadline (`TimedOut` when it passes). Failures: `NotFound` (no such
/// name, or no address), `TryAgain` (a temporary failure: `EAI_AGAIN`), `NoMem`, `Os`.
pub fn resolve(host: &str, port: u16, deadline: Deadline) -> Answer {
    // An empty name names nothing: answered here, not by a worker (or the system).
    if host.is_empty() {
        return Err(Error::NotFound);
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    match deadline {
        Deadline::At(_) => Lookup::start(host, port, deadline)?.wait(deadline),
        _ => lookup(host, port),
    }
}

/// One `getaddrinfo` (`sys::getaddrinfo`: its error code kept).
fn lookup(host: &str, port: u16) -> Answer {
    if host.is_empty() {
        return Err(Error::NotFound);
    }
    sys::getaddrinfo(host, port)
}

/// A lookup handed to the pool; dropping it (or a `wait` that times out) abandons it.
pub struct Lookup {
    job: u64,
    waiter: u64,
    reply: mpsc::Receiver<Answer>,
}

impl Lookup {
    /// Queues a lookup of `host:port` (a name: literals need none), waiting for room in the
    /// queue within `deadline`, and starts a worker if none is idle and fewer than
    /// `WORKERS_MAX` run. A lookup of the same `host:port` already queued or running is
    /// shared instead (one `getaddrinfo` answers both). `TimedOut` / `WouldBlock` when the
    /// queue stayed full; `NoMem` when no worker exists and none can be started.
    pub fn start(host: &str, port: u16, deadline: Deadline) -> Result<Lookup> {
        Lookup::start_notify(host, port, deadline, None)
    }

    /// `start`, and when the answer comes the worker sends one byte on `notify` (a
    /// connected datagram socket, e.g. connected to itself: it then becomes readable).
    pub fn start_notify(
        host: &str,
        port: u16,
        deadline: Deadline,
        notify: Option<Socket>,
    ) -> Result<Lookup> {
        let mut pool = pool();
        let waiter = pool.next_id;
        pool.next_id += 1;
        let (tx, rx) = mpsc::sync_channel(1);
        let w = Waiter {
            id: waiter,
            reply: tx,
            notify,
        };
        if let Some(job) = pool
            .jobs
            .iter_mut()
            .find(|j| j.host == host && j.port == port)
        {
            job.waiters.push(w);
            let job = job.id;
            return Ok(Lookup {
                job,
                waiter,
                reply: rx,
            });
        }
        while pool.queued() >= QUEUE_MAX {
            if deadline.expired() {
                return Err(deadline.out_of_time());
            }
            pool = match remaining(deadline) {
                None => ROOM.wait(pool).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    ROOM.wait_timeout(pool, d)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
        let id = pool.next_id;
        pool.next_id += 1;
        pool.jobs.push(Job {
            id,
            host: host.to_owned(),
            port,
            started: false,
            waiters: vec![w],
        });
        if pool.queued() > pool.idle && pool.workers < WORKERS_MAX {
            let spawned = std::thread::Builder::new()
                .name("sockhelp-resolve".into())
                .spawn(work);
            match spawned {
                Ok(_) => pool.workers += 1,
                Err(_) if pool.workers == 0 => {
                    pool.jobs.retain(|j| j.id != id);
                    return Err(Error::NoMem);
                }
                // The workers there are will get to it.
                Err(_) => {}
            }
        }
        WORK.notify_one();
        Ok(Lookup {
            job: id,
            waiter,
            reply: rx,
        })
    }

    /// The answer, waited for until `deadline` (`TimedOut`, or `WouldBlock` for `Now`,
    /// when it passes first: the lookup is then abandoned).
    pub fn wait(self, deadline: Deadline) -> Answer {
        let got = match remaining(deadline) {
            None => self
                .reply
                .recv()
                .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            Some(d) => self.reply.recv_timeout(d),
        };
        match got {
            Ok(answer) => answer,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(deadline.out_of_time()),
            // The worker is gone without an answer (it cannot panic: `lookup` does not).
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(Error::Internal),
        }
    }

    /// The answer if it is there, without waiting (`None`: not yet).
    pub fn try_answer(&self) -> Option<Answer> {
        match self.reply.try_recv() {
            Ok(answer) => Some(answer),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(Err(Error::Internal)),
        }
    }
}

impl Drop for Lookup {
    /// Abandons the lookup: this caller stops waiting; a job nobody waits for any more
    /// leaves the queue if no worker took it yet (a worker that did finishes it and drops
    /// the answer).
    fn drop(&mut self) {
        let mut pool = pool();
        let (job, waiter) = (self.job, self.waiter);
        let mut freed = false;
        pool.jobs.retain_mut(|j| {
            if j.id != job {
                return true;
            }
            j.waiters.retain(|w| w.id != waiter);
            freed = j.waiters.is_empty() && !j.started;
            !freed
        });
        if freed {
            ROOM.notify_one();
        }
    }
}

/// A worker: runs queued lookups one at a time; ends after `IDLE_EXIT` without one.
fn work() {
    let mut pool = pool();
    loop {
        if let Some(job) = pool.jobs.iter_mut().find(|j| !j.started) {
            job.started = true;
            let (id, host, port) = (job.id, job.host.clone(), job.port);
            ROOM.notify_one();
            drop(pool);
            let answer = lookup(&host, port);
            pool = self::pool();
            let at = pool.jobs.iter().position(|j| j.id == id);
            // The callers may have given up: then nobody listens, and that is fine.
            if let Some(job) = at.map(|i| pool.jobs.remove(i)) {
                for w in job.waiters {
                    let _ = w.reply.try_send(answer.clone());
                    if let Some(s) = &w.notify {
                        let _ = s.send(&[1]);
                    }
                }
            }
            continue;
        }
        pool.idle += 1;
        let (p, waited) = WORK
            .wait_timeout(pool, IDLE_EXIT)
            .unwrap_or_else(|e| e.into_inner());
        pool = p;
        pool.idle -= 1;
        if waited.timed_out() && pool.queued() == 0 {
            pool.workers -= 1;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_local_names() {
        let d = Deadline::after(Duration::from_secs(5));
        let v = resolve("127.0.0.1", 80, d).unwrap();
        assert_eq!(v, vec!["127.0.0.1:80".parse().unwrap()]);
        let v = resolve("localhost", 80, d).unwrap();
        assert!(v.iter().all(|a| a.ip().is_loopback() && a.port() == 80));
        assert!(pool().workers <= WORKERS_MAX);
        assert_eq!(resolve("", 80, d).err(), Some(Error::NotFound));
    }
}
