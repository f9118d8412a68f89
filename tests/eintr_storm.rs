//! The HOWTO's blocking calls under an EINTR storm: a signal whose handler is
//! installed without SA_RESTART hits the working threads every 100 µs, so
//! nearly every blocking system call is interrupted. Everything must still
//! arrive intact, counts must be exact, and deadlines must still hold.

#![cfg(unix)]

use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

use sockhelp::deadline::Deadline;
use sockhelp::frames::{Reader, Writer};
use sockhelp::framing::Framing;
use sockhelp::io::{recv_all, send_all};
use sockhelp::select;
use sockhelp::Error;

static SIGNALS: AtomicUsize = AtomicUsize::new(0);

/// Work for one thread of a storm.
type Job<T> = Box<dyn FnOnce() -> T + Send>;
/// How long a timed call took, and what it returned.
type Timed = (Duration, (usize, Result<(), Error>));

extern "C" fn on_signal(_: libc::c_int) {
    SIGNALS.fetch_add(1, Ordering::Relaxed);
}

/// SIGUSR2 with a handler and no SA_RESTART: interrupted calls fail with EINTR.
fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: a zeroed sigaction with a plain handler and an empty mask is valid.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            sa.sa_flags = 0;
            libc::sigemptyset(&mut sa.sa_mask);
            assert_eq!(libc::sigaction(libc::SIGUSR2, &sa, std::ptr::null_mut()), 0);
        }
    });
}

/// Runs `work` on `threads` threads while a storm of signals hits all of them
/// every 100 µs; returns the results and how many signals were sent.
fn under_storm<T: Send + 'static>(work: Vec<Box<dyn FnOnce() -> T + Send>>) -> (Vec<T>, usize) {
    install_handler();
    let done = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let mut handles = Vec::new();
    for w in work {
        let tx = tx.clone();
        handles.push(thread::spawn(move || {
            // SAFETY: pthread_self has no preconditions.
            tx.send(unsafe { libc::pthread_self() }).unwrap();
            w()
        }));
    }
    let targets: Vec<libc::pthread_t> = (0..handles.len()).map(|_| rx.recv().unwrap()).collect();
    let storm_done = done.clone();
    let storm = thread::spawn(move || {
        let mut sent = 0usize;
        // Bounded: at most 20 s of signals even if the work hangs.
        let limit = Instant::now() + Duration::from_secs(20);
        while !storm_done.load(Ordering::Relaxed) && Instant::now() < limit {
            for t in &targets {
                // SAFETY: the target threads are alive until `done` is set below.
                unsafe { libc::pthread_kill(*t, libc::SIGUSR2) };
                sent += 1;
            }
            thread::sleep(Duration::from_micros(100));
        }
        sent
    });
    let mut results = Vec::new();
    for h in handles {
        results.push(h.join().unwrap());
    }
    done.store(true, Ordering::Relaxed);
    let sent = storm.join().unwrap();
    (results, sent)
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i ^ (i >> 9) ^ (i >> 17)) as u8).collect()
}

#[test]
fn sendall_and_recvall_of_64_mib_survive_an_eintr_storm() {
    let (a, b) = UnixStream::pair().unwrap();
    let data = Arc::new(pattern(64 << 20));
    let expect = data.clone();
    let send: Job<(usize, Result<(), Error>)> =
        Box::new(move || send_all(a.as_raw_fd(), &data, Deadline::Forever));
    let recv: Job<(usize, Result<(), Error>)> = Box::new(move || {
        let mut buf = vec![0u8; 64 << 20];
        let r = recv_all(
            b.as_raw_fd(),
            &mut buf,
            Deadline::from_timeout_ms(60_000).unwrap(),
        );
        assert!(buf == *expect, "received bytes differ");
        r
    });
    let (results, sent) = under_storm(vec![send, recv]);
    assert_eq!(results[0], (64 << 20, Ok(())));
    assert_eq!(results[1], (64 << 20, Ok(())));
    println!(
        "{} signals sent, {} handled",
        sent,
        SIGNALS.load(Ordering::Relaxed)
    );
    assert!(sent > 10);
}

#[test]
fn framed_io_of_64_mib_survives_an_eintr_storm() {
    let (a, b) = UnixStream::pair().unwrap();
    let f = Framing::length_prefixed(4, false, 1 << 20).unwrap();
    let frames = (64usize << 20) / 4096;
    let wf = f.clone();
    let send: Job<usize> = Box::new(move || {
        let mut w = Writer::new(wf);
        let mut payload = vec![0u8; 4096];
        for i in 0..frames {
            payload[..8].copy_from_slice(&(i as u64).to_le_bytes());
            w.queue(&payload).unwrap();
            if w.pending() > (1 << 20) {
                w.flush(a.as_raw_fd(), Deadline::Forever).unwrap();
            }
        }
        w.flush(a.as_raw_fd(), Deadline::Forever).unwrap();
        frames
    });
    let recv: Job<usize> = Box::new(move || {
        let mut r = Reader::new(f);
        let mut out = vec![0u8; 4096];
        for i in 0..frames {
            let (n, res) = r.recv_frame(
                b.as_raw_fd(),
                &mut out,
                Deadline::from_timeout_ms(60_000).unwrap(),
            );
            assert_eq!((n, res), (4096, Ok(())), "frame {}", i);
            assert_eq!(
                out[..8],
                (i as u64).to_le_bytes(),
                "frame {} out of order",
                i
            );
        }
        frames
    });
    let (results, _) = under_storm(vec![send, recv]);
    assert_eq!(results, vec![frames, frames]);
}

#[test]
fn deadlines_hold_during_an_eintr_storm() {
    let (a, _b) = UnixStream::pair().unwrap();
    let (c, _d) = UnixStream::pair().unwrap();
    let recv: Job<Timed> = Box::new(move || {
        let start = Instant::now();
        let mut buf = [0u8; 16];
        let r = recv_all(
            a.as_raw_fd(),
            &mut buf,
            Deadline::from_timeout_ms(300).unwrap(),
        );
        (start.elapsed(), r)
    });
    let sel: Job<Timed> = Box::new(move || {
        let start = Instant::now();
        let mut readers = [c.as_raw_fd()];
        let r = select::select(
            &mut readers,
            &mut [],
            &mut [],
            Deadline::from_timeout_ms(300).unwrap(),
        )
        .map(|s| s.total());
        (start.elapsed(), (r.unwrap_or(99), r.map(|_| ())))
    });
    let (results, _) = under_storm(vec![recv, sel]);
    let (took, r) = results[0];
    assert_eq!(r, (0, Err(Error::TimedOut)));
    assert!(
        took >= Duration::from_millis(290) && took < Duration::from_secs(3),
        "{:?}",
        took
    );
    let (took, r) = results[1];
    assert_eq!(r, (0, Ok(())));
    assert!(
        took >= Duration::from_millis(290) && took < Duration::from_secs(3),
        "{:?}",
        took
    );
}
