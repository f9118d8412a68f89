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
//! Address literals never get here (see [`resolve`]). The API is two steps, so a caller can
//! start several lookups and wait for them in its own order: [`Lookup::start`], then
//! [`Lookup::wait`]; [`resolve`] is both at once.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{mpsc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::deadline::Deadline;
use crate::error::{Error, Result};

/// Most worker threads the process ever has for lookups.
pub const WORKERS_MAX: usize = 4;

/// Most lookups waiting for a worker.
pub const QUEUE_MAX: usize = 64;

/// How long an idle worker waits for another lookup before it ends.
pub const IDLE_EXIT: Duration = Duration::from_secs(10);

type Answer = Result<Vec<SocketAddr>>;

/// A lookup waiting in the queue for a worker.
struct Job {
    id: u64,
    host: String,
    port: u16,
    reply: mpsc::SyncSender<Answer>,
}

struct Pool {
    queue: Vec<Job>,
    /// Workers alive, busy or idle.
    workers: usize,
    /// Workers waiting for a job.
    idle: usize,
    next_id: u64,
    /// The process the workers belong to: a child after `fork` has none of them.
    pid: u32,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    queue: Vec::new(),
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
        pool.queue.clear();
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
/// pool within the deadline (`TimedOut` when it passes).
pub fn resolve(host: &str, port: u16, deadline: Deadline) -> Answer {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    match deadline {
        Deadline::At(_) => Lookup::start(host, port, deadline)?.wait(deadline),
        _ => lookup(host, port),
    }
}

/// One `getaddrinfo`; no address at all is `NotFound`.
fn lookup(host: &str, port: u16) -> Answer {
    match (host, port).to_socket_addrs() {
        Ok(addrs) => {
            let v: Vec<SocketAddr> = addrs.collect();
            if v.is_empty() {
                Err(Error::NotFound)
            } else {
                Ok(v)
            }
        }
        Err(_) => Err(Error::NotFound),
    }
}

/// A lookup handed to the pool; dropping it (or a `wait` that times out) abandons it.
pub struct Lookup {
    id: u64,
    reply: mpsc::Receiver<Answer>,
}

impl Lookup {
    /// Queues a lookup of `host:port` (a name: literals need none), waiting for room in the
    /// queue within `deadline`, and starts a worker if none is idle and fewer than
    /// `WORKERS_MAX` run. `TimedOut` / `WouldBlock` when the queue stayed full; `NoMem`
    /// when no worker exists and none can be started.
    pub fn start(host: &str, port: u16, deadline: Deadline) -> Result<Lookup> {
        let mut pool = pool();
        while pool.queue.len() >= QUEUE_MAX {
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
        let (tx, rx) = mpsc::sync_channel(1);
        pool.queue.push(Job {
            id,
            host: host.to_owned(),
            port,
            reply: tx,
        });
        if pool.queue.len() > pool.idle && pool.workers < WORKERS_MAX {
            let spawned = std::thread::Builder::new()
                .name("sockhelp-resolve".into())
                .spawn(work);
            match spawned {
                Ok(_) => pool.workers += 1,
                Err(_) if pool.workers == 0 => {
                    pool.queue.retain(|j| j.id != id);
                    return Err(Error::NoMem);
                }
                // The workers there are will get to it.
                Err(_) => {}
            }
        }
        WORK.notify_one();
        Ok(Lookup { id, reply: rx })
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
}

impl Drop for Lookup {
    /// Abandons the lookup: out of the queue if no worker took it yet (a worker that did
    /// finishes it and drops the answer).
    fn drop(&mut self) {
        let mut pool = pool();
        let before = pool.queue.len();
        let id = self.id;
        pool.queue.retain(|j| j.id != id);
        if pool.queue.len() != before {
            ROOM.notify_one();
        }
    }
}

/// A worker: takes queued lookups one at a time; ends after `IDLE_EXIT` without one.
fn work() {
    let mut pool = pool();
    loop {
        if !pool.queue.is_empty() {
            let job = pool.queue.remove(0);
            ROOM.notify_one();
            drop(pool);
            let answer = lookup(&job.host, job.port);
            // The caller may have given up: then nobody listens, and that is fine.
            let _ = job.reply.try_send(answer);
            pool = self::pool();
            continue;
        }
        pool.idle += 1;
        let (p, waited) = WORK
            .wait_timeout(pool, IDLE_EXIT)
            .unwrap_or_else(|e| e.into_inner());
        pool = p;
        pool.idle -= 1;
        if waited.timed_out() && pool.queue.is_empty() {
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
