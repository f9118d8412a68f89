//! A fixed amount of framed work for instruction counts, not for timing: 100,000 frames of
//! 64 bytes (4-byte length prefix) through `send_frames` in batches of 256 (`send`), or
//! through `Reader::recv_frame` (`recv`), over a Unix socketpair, the peer on a thread
//! (`frames-count send|recv [FRAMES]`: another count; it prints the CPU time of the thread
//! making the framed calls).
//! Run it under `valgrind --tool=callgrind` (BENCHMARKS.md, "Issue 20"); it uses only calls
//! older than the structure work, so the same file builds against an older sockhelp to
//! compare.
use std::io::{Read, Write};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;

use sockhelp::deadline::Deadline;
use sockhelp::frames::{send_frames, Reader};
use sockhelp::framing::Framing;

const FRAMES: usize = 100_000;
const PAYLOAD: usize = 64;
const BATCH: usize = 256;

fn main() {
    let what = std::env::args().nth(1).unwrap_or_default();
    let total: usize = match std::env::args().nth(2) {
        Some(n) => n.parse().expect("FRAMES: a number"),
        None => FRAMES,
    };
    let f = Framing::length_prefixed(4, false, 1 << 20).expect("framing");
    let (a, mut b) = UnixStream::pair().expect("socketpair");
    let payloads: Vec<Vec<u8>> = (0..BATCH).map(|i| vec![i as u8; PAYLOAD]).collect();
    match what.as_str() {
        "send" => {
            let peer = std::thread::spawn(move || {
                let mut buf = vec![0u8; 1 << 16];
                let mut got = 0;
                while got < total * (PAYLOAD + 4) {
                    match b.read(&mut buf).expect("read") {
                        0 => break,
                        n => got += n,
                    }
                }
            });
            let mut sent = 0;
            while sent < total {
                let (frames, _, r) = send_frames(a.as_raw_fd(), &f, &payloads, Deadline::Forever);
                r.expect("send_frames");
                sent += frames;
            }
            drop(a);
            print_thread_cpu("sender");
            peer.join().expect("peer");
        }
        "recv" => {
            let mut wire = Vec::new();
            for p in &payloads {
                wire.extend_from_slice(&(PAYLOAD as u32).to_be_bytes());
                wire.extend_from_slice(p);
            }
            let rounds = total / BATCH;
            let peer = std::thread::spawn(move || {
                for _ in 0..rounds {
                    b.write_all(&wire).expect("write");
                }
            });
            let mut r = Reader::new(f);
            let mut out = [0u8; 2 * PAYLOAD];
            for _ in 0..rounds * BATCH {
                let (n, res) = r.recv_frame(a.as_raw_fd(), &mut out, Deadline::Forever);
                res.expect("recv_frame");
                assert_eq!(n, PAYLOAD);
            }
            print_thread_cpu("receiver");
            peer.join().expect("peer");
        }
        _ => {
            eprintln!("usage: frames-count send|recv");
            std::process::exit(2);
        }
    }
}

/// Prints the CPU time this thread has used (user and system, seconds): the framed calls'
/// cost without the peer thread's.
fn print_thread_cpu(who: &str) {
    // SAFETY: getrusage writes one rusage struct into the zeroed local it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_THREAD is Linux's (this program is run on Linux).
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) } != 0 {
        return;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    eprintln!(
        "{} thread: user {:.3} s, system {:.3} s",
        who,
        secs(ru.ru_utime),
        secs(ru.ru_stime)
    );
}
