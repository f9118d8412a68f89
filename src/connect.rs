//! Connecting the way RFC 8305 (Happy Eyeballs v2) says: every address a name resolves to
//! is raced under one deadline.
//!
//! [`Race`] is a small state machine over non-blocking sockets that never waits: each
//! [`Race::step`] starts the attempts that are due and collects the ones that finished.
//! The rules:
//!
//! - **Order.** The addresses are interleaved by family, the first address's family first
//!   (the resolver's order is kept within a family): v6, v4, v6, v4, ... when the resolver
//!   put an IPv6 address first.
//! - **Stagger.** A new attempt starts every `stagger` (250 ms by default, RFC 8305's
//!   "Connection Attempt Delay") while earlier ones are still in flight, and at once when
//!   an attempt fails (or when none is in flight).
//! - **Winner.** The first attempt to connect wins; every other attempt is closed.
//! - **Failure.** When every attempt failed, the most informative error is returned, in
//!   this order: `Refused` (a host answered: nothing listens on that port), then `TimedOut`
//!   (the caller's deadline passed with attempts unanswered), then `Reset` (the system gave
//!   up on the SYNs: `ETIMEDOUT`), then any other OS error (`Os`: e.g. network or host
//!   unreachable, typical of a family without a route), then anything else; of two of the
//!   same rank, the first seen.
//!
//! [`connect`] drives a race with blocking waits (`sys::poll_sockets` on every attempt in
//! flight, within the deadline); [`Connector`] drives one for an event loop that owns the
//! waiting, the name lookup included.

use std::collections::VecDeque;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::poller::{Poller, READABLE, WRITABLE};
use crate::resolve::{resolve, Lookup};
use crate::sys::{self, PollFd, RawSocket};

/// RFC 8305's recommended Connection Attempt Delay.
pub const STAGGER: Duration = Duration::from_millis(250);

/// Which address families a connection may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Any,
    V4,
    V6,
}

impl Family {
    fn allows(self, a: &SocketAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => a.is_ipv4(),
            Family::V6 => a.is_ipv6(),
        }
    }
}

/// What a client may ask of a connection besides its destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// A local host (name or literal) to bind each attempt to before it connects (port 0);
    /// `None`: the system chooses.
    pub bind_host: Option<String>,
    /// Only this family (or any).
    pub family: Family,
    /// The delay between two attempt starts.
    pub stagger: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            bind_host: None,
            family: Family::Any,
            stagger: STAGGER,
        }
    }
}

/// The connection that won, and the address it reached.
#[derive(Debug)]
pub struct Winner {
    pub sock: Socket,
    pub addr: SocketAddr,
}

/// `addrs` restricted to `family` and interleaved by family, the first one's first.
pub fn order(addrs: &[SocketAddr], family: Family) -> Vec<SocketAddr> {
    let kept: Vec<SocketAddr> = addrs.iter().copied().filter(|a| family.allows(a)).collect();
    let first_v6 = match kept.first() {
        Some(a) => a.is_ipv6(),
        None => return kept,
    };
    let (mut lead, mut other): (VecDeque<_>, VecDeque<_>) =
        kept.into_iter().partition(|a| a.is_ipv6() == first_v6);
    let mut out = Vec::with_capacity(lead.len() + other.len());
    loop {
        match (lead.pop_front(), other.pop_front()) {
            (None, None) => return out,
            (a, b) => out.extend(a.into_iter().chain(b)),
        }
    }
}

/// How informative a failure is (higher wins; see the module docs).
fn rank(e: &Error) -> u8 {
    match e {
        Error::Refused(_) => 4,
        Error::TimedOut => 3,
        Error::Reset(_) => 2,
        Error::Os(_) => 1,
        _ => 0,
    }
}

struct Attempt {
    sock: Socket,
    addr: SocketAddr,
}

/// The attempts of one connection, raced; never waits (see the module docs).
pub struct Race {
    pending: VecDeque<SocketAddr>,
    attempts: Vec<Attempt>,
    /// When the next attempt is due while others are in flight.
    next_at: Instant,
    stagger: Duration,
    bind: Vec<SocketAddr>,
    failure: Option<Error>,
    retired: Vec<Socket>,
    started: usize,
}

impl Race {
    /// A race over `addrs` (in the resolver's order) with `opts`, nothing started yet.
    /// `bind` holds the local addresses `opts.bind_host` resolved to (empty: none asked
    /// for); an address with no local address of its family is left out. `NotFound` when
    /// no address is left (none of the family asked for), `Invalid` when `bind` left none.
    pub fn new(addrs: &[SocketAddr], opts: &Options, bind: Vec<SocketAddr>) -> Result<Race> {
        let mut ordered = order(addrs, opts.family);
        if ordered.is_empty() {
            return Err(Error::NotFound);
        }
        if !bind.is_empty() {
            ordered.retain(|a| bind.iter().any(|b| b.is_ipv6() == a.is_ipv6()));
            if ordered.is_empty() {
                return Err(Error::Invalid);
            }
        }
        Ok(Race {
            pending: ordered.into(),
            attempts: Vec::new(),
            next_at: Instant::now(),
            stagger: opts.stagger,
            bind,
            failure: None,
            retired: Vec::new(),
            started: 0,
        })
    }

    /// One round, without waiting: starts the attempts that are due, collects the ones
    /// that finished. `Ok(Some)`: connected (the socket in blocking mode, every other
    /// attempt retired); `Ok(None)`: wait for an attempt's socket to become writable or for
    /// [`Race::wait_ms`]; `Err`: every address failed (the most informative error).
    pub fn step(&mut self) -> Result<Option<Winner>> {
        // Each failure seen makes the next attempt due at once: bounded by the addresses.
        loop {
            if let Some(w) = self.start_due()? {
                return Ok(Some(self.win(w)));
            }
            let (won, failed) = self.collect()?;
            if let Some(w) = won {
                return Ok(Some(self.win(w)));
            }
            if !failed || self.pending.is_empty() {
                break;
            }
        }
        if self.attempts.is_empty() && self.pending.is_empty() {
            return Err(self.failure.unwrap_or(Error::NotFound));
        }
        Ok(None)
    }

    /// Starts attempts while one is due: none in flight, or the stagger has passed.
    fn start_due(&mut self) -> Result<Option<Attempt>> {
        while !self.pending.is_empty()
            && (self.attempts.is_empty() || Instant::now() >= self.next_at)
        {
            let addr = self.pending.pop_front().expect("not empty");
            self.started += 1;
            match self.start_one(addr) {
                Ok((a, true)) => return Ok(Some(a)),
                Ok((a, false)) => {
                    self.attempts.push(a);
                    self.next_at = Instant::now() + self.stagger;
                }
                Err(e) => self.record(e),
            }
        }
        Ok(None)
    }

    /// A non-blocking connect to `addr`: `(attempt, true)` when connected at once.
    fn start_one(&self, addr: SocketAddr) -> Result<(Attempt, bool)> {
        let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        sys::prepare_stream(&sock)?;
        sock.set_nonblocking(true)?;
        if let Some(local) = self.bind.iter().find(|b| b.is_ipv6() == addr.is_ipv6()) {
            sock.bind(&SockAddr::from(SocketAddr::new(local.ip(), 0)))?;
        }
        let done = match sock.connect(&SockAddr::from(addr)) {
            Ok(()) => true,
            Err(e) if sys::connect_in_progress(&e) || e.kind() == io::ErrorKind::Interrupted => {
                false
            }
            Err(e) => return Err(Error::from_io(&e)),
        };
        Ok((Attempt { sock, addr }, done))
    }

    /// Looks (without waiting) at every attempt in flight: a failed one is recorded and
    /// retired (and makes the next attempt due now); a connected one is returned. The flag
    /// says whether one failed.
    fn collect(&mut self) -> Result<(Option<Attempt>, bool)> {
        if self.attempts.is_empty() {
            return Ok((None, false));
        }
        let mut fds = self.poll_fds();
        match sys::poll_sockets(&mut fds, 0) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok((None, false)),
            Err(e) => return Err(Error::from_io(&e)),
        }
        let mut failed = false;
        let mut i = fds.len();
        while i > 0 {
            i -= 1;
            let r = fds[i].readiness();
            if r == 0 {
                continue;
            }
            let a = self.attempts.remove(i);
            match finished(&a.sock) {
                Ok(()) => return Ok((Some(a), failed)),
                Err(e) => {
                    self.record(e);
                    self.retired.push(a.sock);
                    self.next_at = Instant::now();
                    failed = true;
                }
            }
        }
        Ok((None, failed))
    }

    fn win(&mut self, w: Attempt) -> Winner {
        self.retired.extend(self.attempts.drain(..).map(|a| a.sock));
        self.pending.clear();
        Winner {
            sock: w.sock,
            addr: w.addr,
        }
    }

    fn record(&mut self, e: Error) {
        match self.failure {
            Some(f) if rank(&f) >= rank(&e) => {}
            _ => self.failure = Some(e),
        }
    }

    /// The longest wait before the next [`Race::step`] is due when no socket becomes
    /// ready, in milliseconds: -1 when only readiness can move the race on.
    pub fn wait_ms(&self) -> i32 {
        if self.pending.is_empty() {
            return -1;
        }
        let left = self.next_at.saturating_duration_since(Instant::now());
        ((left.as_nanos() + 999_999) / 1_000_000).min(i32::MAX as u128) as i32
    }

    /// The sockets of the attempts in flight (wait for them to become writable).
    pub fn sockets(&self) -> impl Iterator<Item = RawSocket> + '_ {
        self.attempts.iter().map(|a| sys::as_raw(&a.sock))
    }

    /// How many attempts were started so far.
    pub fn started(&self) -> usize {
        self.started
    }

    fn poll_fds(&self) -> Vec<PollFd> {
        self.sockets().map(|s| PollFd::new(s, WRITABLE)).collect()
    }

    /// The sockets of attempts that lost or failed since the last call; the caller closes
    /// them (by dropping) once it has stopped watching them.
    pub fn take_retired(&mut self) -> Vec<Socket> {
        std::mem::take(&mut self.retired)
    }

    /// The error to return when the caller's deadline passed: `out_of_time` ranked with
    /// the failures seen so far.
    pub fn give_up(&mut self, out_of_time: Error) -> Error {
        self.record(out_of_time);
        self.retired.extend(self.attempts.drain(..).map(|a| a.sock));
        self.failure.unwrap_or(out_of_time)
    }
}

/// How a connect that reported ready ended: `SO_ERROR`, then whether a peer is there.
fn finished(sock: &Socket) -> Result<()> {
    if let Some(err) = sock.take_error()? {
        return Err(Error::from_io(&err));
    }
    sock.peer_addr()?;
    sock.set_nonblocking(false)?;
    Ok(())
}

/// The local addresses `opts.bind_host` names (empty when none is asked for).
fn bind_addrs(opts: &Options, deadline: Deadline) -> Result<Vec<SocketAddr>> {
    match opts.bind_host.as_deref() {
        None | Some("") => Ok(Vec::new()),
        Some(h) => resolve(h, 0, deadline),
    }
}

/// Connects to `host:port` racing its addresses (module docs) within `deadline`, the
/// name lookup included. `Now`: one round, `WouldBlock` unless an attempt connected at
/// once.
pub fn connect(host: &str, port: u16, opts: &Options, deadline: Deadline) -> Result<Winner> {
    if host.is_empty() || port == 0 {
        return Err(Error::Invalid);
    }
    let addrs = resolve(host, port, deadline)?;
    let bind = bind_addrs(opts, deadline)?;
    let mut race = Race::new(&addrs, opts, bind)?;
    loop {
        let step = race.step();
        drop(race.take_retired());
        if let Some(w) = step? {
            return Ok(w);
        }
        if deadline.expired() {
            return Err(race.give_up(deadline.out_of_time()));
        }
        let wait = match (race.wait_ms(), deadline.remaining_ms()) {
            (-1, d) => d,
            (r, -1) => r,
            (r, d) => r.min(d),
        };
        let mut fds = race.poll_fds();
        match sys::poll_sockets(&mut fds, wait) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::from_io(&e)),
        }
    }
}

/// How long the connector asks its caller to wait at most while the resolver's queue is
/// full (it tries to queue its lookup again at the next step).
const QUEUE_RETRY_MS: i32 = 20;

enum State {
    /// The lookup could not be queued yet (the queue was full).
    Queued,
    /// The name is being looked up on the pool; `wake` becomes readable with the answer.
    Resolving(Lookup, Socket),
    Racing(Race),
    Done,
}

/// A Happy Eyeballs connection for an event loop: nothing ever blocks the caller's thread
/// (the name lookup runs on the resolver pool). The caller waits on what
/// [`Connector::sockets`] names (or lets [`Connector::poll_with`] register it with a
/// [`Poller`]), at most [`Connector::timeout_ms`], and calls [`Connector::step`] again.
pub struct Connector {
    host: String,
    port: u16,
    opts: Options,
    bind: Option<Vec<SocketAddr>>,
    state: State,
    /// The tag the sockets are registered with, while a poller watches them.
    tag: Option<u64>,
    /// What that poller watches for us now.
    watched: Vec<RawSocket>,
}

/// A UDP socket connected to itself: the resolver sends it a byte when the answer is
/// there, so it turns readable (a socket every poller and `select` can watch).
fn wake_socket() -> Result<Socket> {
    let s = Socket::new(Domain::IPV4, Type::DGRAM, None)?;
    s.bind(&SockAddr::from(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))))?;
    let me = s.local_addr()?;
    s.connect(&me)?;
    s.set_nonblocking(true)?;
    Ok(s)
}

impl Connector {
    /// Starts connecting to `host:port` with `opts`; never waits (a name's lookup is
    /// queued on the resolver pool, a literal's first attempt is started by the first
    /// [`Connector::step`]).
    pub fn start(host: &str, port: u16, opts: Options) -> Result<Connector> {
        if host.is_empty() || port == 0 {
            return Err(Error::Invalid);
        }
        let mut c = Connector {
            host: host.to_owned(),
            port,
            opts,
            bind: None,
            state: State::Queued,
            tag: None,
            watched: Vec::new(),
        };
        // The local address: a literal at once; a name through the pool, without waiting
        // for it here (`Now` on the pool would fail at once): bounded by the listen limit.
        c.bind = Some(bind_addrs(
            &c.opts,
            Deadline::after(crate::net::LISTEN_RESOLVE),
        )?);
        if let Ok(ip) = host.parse() {
            let race = Race::new(
                &[SocketAddr::new(ip, port)],
                &c.opts,
                c.bind.take().unwrap(),
            )?;
            c.state = State::Racing(race);
        } else {
            c.queue()?;
        }
        Ok(c)
    }

    /// Queues the lookup when the queue has room (else stays `Queued`).
    fn queue(&mut self) -> Result<()> {
        let wake = wake_socket()?;
        let notify = wake.try_clone()?;
        match Lookup::start_notify(&self.host, self.port, Deadline::Now, Some(notify)) {
            Ok(l) => self.state = State::Resolving(l, wake),
            Err(Error::WouldBlock) => self.state = State::Queued,
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Moves the connection on without waiting. `Ok(Some)`: connected (the socket in
    /// blocking mode, no longer watched by the poller); `Ok(None)`: wait and step again;
    /// `Err`: it failed (the most informative error, see the module docs). `poller` is the
    /// one [`Connector::poll_with`] registered with (kept in step with what to wait on).
    pub fn step(&mut self, mut poller: Option<&mut Poller>) -> Result<Option<Winner>> {
        let result = self.advance(&mut poller);
        if let Some(p) = poller {
            self.sync(p, result.is_ok() && !matches!(result, Ok(Some(_))))?;
        }
        if result.is_err() || matches!(result, Ok(Some(_))) {
            self.state = State::Done;
        }
        result
    }

    fn advance(&mut self, poller: &mut Option<&mut Poller>) -> Result<Option<Winner>> {
        if let State::Queued = self.state {
            self.queue()?;
        }
        if let State::Resolving(lookup, _) = &self.state {
            let addrs = match lookup.try_answer() {
                None => return Ok(None),
                Some(answer) => answer?,
            };
            let bind = self.bind.take().unwrap_or_default();
            let race = Race::new(&addrs, &self.opts, bind)?;
            self.unwatch_all(poller);
            self.state = State::Racing(race);
        }
        let race = match &mut self.state {
            State::Racing(r) => r,
            State::Queued => return Ok(None),
            _ => return Err(Error::Invalid),
        };
        let step = race.step();
        let retired = race.take_retired();
        for s in retired {
            self.unwatch(poller, sys::as_raw(&s));
        }
        let won = step?;
        if let Some(w) = &won {
            self.unwatch(poller, sys::as_raw(&w.sock));
        }
        Ok(won)
    }

    fn unwatch(&mut self, poller: &mut Option<&mut Poller>, s: RawSocket) {
        if let Some(i) = self.watched.iter().position(|&w| w == s) {
            self.watched.swap_remove(i);
            if let Some(p) = poller {
                let _ = p.remove(s);
            }
        }
    }

    fn unwatch_all(&mut self, poller: &mut Option<&mut Poller>) {
        for s in std::mem::take(&mut self.watched) {
            if let Some(p) = poller {
                let _ = p.remove(s);
            }
        }
    }

    /// The sockets to wait on now, each with the interest bits (`READABLE` for the lookup's
    /// wake socket, `WRITABLE` for attempts in flight).
    pub fn sockets(&self) -> Vec<(RawSocket, u32)> {
        match &self.state {
            State::Resolving(_, wake) => vec![(sys::as_raw(wake), READABLE)],
            State::Racing(r) => r.sockets().map(|s| (s, WRITABLE)).collect(),
            _ => Vec::new(),
        }
    }

    /// The longest the caller may wait before stepping again when nothing becomes ready
    /// (milliseconds; -1: only readiness moves it on).
    pub fn timeout_ms(&self) -> i32 {
        match &self.state {
            State::Queued => QUEUE_RETRY_MS,
            State::Racing(r) => r.wait_ms(),
            _ => -1,
        }
    }

    /// Makes `poller` watch what the connector waits on, with `tag`; every later
    /// [`Connector::step`] given that poller keeps it so.
    pub fn poll_with(&mut self, poller: &mut Poller, tag: u64) -> Result<()> {
        if self.tag.map_or(false, |t| t != tag) {
            let mut p = Some(&mut *poller);
            self.unwatch_all(&mut p);
        }
        self.tag = Some(tag);
        self.sync(poller, true)
    }

    /// Registers what is not yet watched (when `keep`); everything is removed otherwise.
    fn sync(&mut self, poller: &mut Poller, keep: bool) -> Result<()> {
        let tag = match self.tag {
            Some(t) if keep => t,
            _ => {
                self.unwatch_all(&mut Some(poller));
                return Ok(());
            }
        };
        for (s, interest) in self.sockets() {
            if !self.watched.contains(&s) {
                poller.add(s, interest, tag)?;
                self.watched.push(s);
            }
        }
        Ok(())
    }

    /// Makes `poller` (the one registered with) stop watching the connector's sockets and
    /// forgets it; the connection itself goes on.
    pub fn detach(&mut self, poller: &mut Poller) {
        self.unwatch_all(&mut Some(poller));
        self.tag = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A listener on `ip:port` (0: any) whose accept queue is full: a further SYN gets no
    /// answer (Linux drops it), as from a black-holed address. The filling connections are
    /// returned: keep them alive.
    pub(crate) fn black_hole(ip: &str, port: u16) -> (Socket, SocketAddr, Vec<Socket>) {
        let addr: SocketAddr = format!("{}:{}", ip, port).parse().unwrap();
        let l = Socket::new(Domain::for_address(addr), Type::STREAM, None).unwrap();
        l.bind(&addr.into()).unwrap();
        l.listen(0).unwrap();
        let addr = l.local_addr().unwrap().as_socket().unwrap();
        let mut fill = Vec::new();
        for _ in 0..16 {
            let c = Socket::new(Domain::for_address(addr), Type::STREAM, None).unwrap();
            c.set_nonblocking(true).unwrap();
            let _ = c.connect(&addr.into());
            let mut fds = [PollFd::new(sys::as_raw(&c), WRITABLE)];
            let ready = sys::poll_sockets(&mut fds, 300).unwrap() > 0;
            fill.push(c);
            if !ready {
                return (l, addr, fill);
            }
        }
        panic!(
            "16 connections and the accept queue of {} is still not full",
            addr
        );
    }

    fn race_to(addrs: &[SocketAddr], deadline_ms: u64) -> (Result<Winner>, Duration) {
        let t0 = Instant::now();
        let mut race = Race::new(addrs, &Options::default(), Vec::new()).unwrap();
        let deadline = Deadline::after(Duration::from_millis(deadline_ms));
        let r = loop {
            match race.step() {
                Ok(Some(w)) => break Ok(w),
                Err(e) => break Err(e),
                Ok(None) => {}
            }
            if deadline.expired() {
                break Err(race.give_up(Error::TimedOut));
            }
            let mut fds = race.poll_fds();
            let wait = match race.wait_ms() {
                -1 => deadline.remaining_ms(),
                w => w.min(deadline.remaining_ms()),
            };
            let _ = sys::poll_sockets(&mut fds, wait);
        };
        (r, t0.elapsed())
    }

    #[test]
    fn a_black_holed_first_address_costs_the_stagger_not_the_deadline() {
        let good = TcpListener::bind("127.0.0.1:0").unwrap();
        let (_l, hole, _fill) = black_hole("127.0.0.1", 0);
        let (r, took) = race_to(&[hole, good.local_addr().unwrap()], 10_000);
        let w = r.unwrap();
        assert_eq!(w.addr, good.local_addr().unwrap());
        eprintln!(
            "black-holed first: connected to the second after {:?}",
            took
        );
        assert!(took >= Duration::from_millis(200), "{:?}", took);
        assert!(took < Duration::from_millis(5000), "{:?}", took);
    }

    #[test]
    fn a_refused_first_address_starts_the_second_at_once() {
        let good = TcpListener::bind("127.0.0.1:0").unwrap();
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let refused = closed.local_addr().unwrap();
        drop(closed);
        let (r, took) = race_to(&[refused, good.local_addr().unwrap()], 10_000);
        assert_eq!(r.unwrap().addr, good.local_addr().unwrap());
        eprintln!("refused first: connected to the second after {:?}", took);
        // Well under the 250 ms stagger, with room for a loaded machine.
        assert!(took < Duration::from_millis(240), "{:?}", took);
    }

    #[test]
    fn all_failing_returns_refused_over_the_deadline() {
        let (_l, hole, _fill) = black_hole("127.0.0.1", 0);
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let refused = closed.local_addr().unwrap();
        drop(closed);
        let (r, took) = race_to(&[hole, refused], 600);
        assert!(matches!(r, Err(Error::Refused(_))), "{:?}", r.err());
        assert!(took >= Duration::from_millis(550), "{:?}", took);
        let (r, _) = race_to(&[hole], 300);
        assert_eq!(r.err(), Some(Error::TimedOut));
    }

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn families_interleave_first_family_first() {
        let v = [
            a("[::1]:1"),
            a("[::2]:1"),
            a("[::3]:1"),
            a("1.1.1.1:1"),
            a("2.2.2.2:1"),
        ];
        let got = order(&v, Family::Any);
        let want = [
            a("[::1]:1"),
            a("1.1.1.1:1"),
            a("[::2]:1"),
            a("2.2.2.2:1"),
            a("[::3]:1"),
        ];
        assert_eq!(got, want);
        let v = [a("1.1.1.1:1"), a("2.2.2.2:1"), a("[::1]:1")];
        assert_eq!(
            order(&v, Family::Any),
            [a("1.1.1.1:1"), a("[::1]:1"), a("2.2.2.2:1")]
        );
        assert_eq!(order(&v, Family::V6), [a("[::1]:1")]);
        assert_eq!(order(&v, Family::V4), [a("1.1.1.1:1"), a("2.2.2.2:1")]);
    }

    #[test]
    fn refused_ranks_above_the_deadline_and_unreachable() {
        assert!(rank(&Error::Refused(0)) > rank(&Error::TimedOut));
        assert!(rank(&Error::TimedOut) > rank(&Error::Reset(0)));
        assert!(rank(&Error::Reset(0)) > rank(&Error::Os(0)));
        assert!(rank(&Error::Os(0)) > rank(&Error::NotFound));
    }
}
