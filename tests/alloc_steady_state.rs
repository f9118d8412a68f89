//! No allocation per frame in steady state: once a Reader / Writer pair has warmed up
//! (its buffers grown), moving frames allocates nothing, on every path (send_frame,
//! recv_frame, queue + flush, fill + next_frame), at 64 B and 4 KiB.
//!
//! A counting global allocator counts the allocations made on the test's own thread
//! while counting is switched on (the test harness's other threads do not disturb it).
#![cfg(unix)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;

use sockhelp::deadline::Deadline;
use sockhelp::frames::{send_frame, send_frames, Reader, Writer};
use sockhelp::framing::Framing;
use sockhelp::Error;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: thread-local storage may already be gone while a thread exits.
    let on = COUNTING.try_with(|c| c.get()).unwrap_or(false);
    if on {
        let _ = COUNT.try_with(|n| n.set(n.get() + 1));
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> u64 {
    COUNT.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(|n| n.get())
}

const FRAMES: usize = 10_000;
/// Frames per round trip through the socket buffer (4 KiB x 16 fits its default size).
const BATCH: usize = 16;

fn framing() -> Framing {
    Framing::length_prefixed(4, false, 1 << 20).unwrap()
}

/// `rounds` batches: the writer queues and flushes BATCH frames, the reader takes them
/// with fill + next_frame. Everything on one thread, non-blocking sockets.
fn queue_flush_fill_next(
    w: &mut Writer,
    r: &mut Reader,
    a: &UnixStream,
    b: &UnixStream,
    payload: &[u8],
    rounds: usize,
) {
    for _ in 0..rounds {
        for _ in 0..BATCH {
            w.queue(payload).unwrap();
        }
        w.flush(a.as_raw_fd(), Deadline::Now).unwrap();
        let mut got = 0;
        while got < BATCH {
            match r.next_frame() {
                Ok(frame) => {
                    assert_eq!(frame.len(), payload.len());
                    got += 1;
                }
                Err(Error::WouldBlock) => {
                    r.fill(b.as_raw_fd()).unwrap();
                }
                Err(e) => panic!("next_frame: {:?}", e),
            }
        }
    }
}

/// `rounds` batches of BATCH frames with send_frame, received with recv_frame (blocking
/// sockets, no deadline; the batch fits the socket buffer, so nothing waits).
fn send_frame_recv_frame(
    f: &Framing,
    r: &mut Reader,
    a: &UnixStream,
    b: &UnixStream,
    payload: &[u8],
    out: &mut [u8],
    rounds: usize,
) {
    for _ in 0..rounds {
        for _ in 0..BATCH {
            let (_, res) = send_frame(a.as_raw_fd(), f, payload, Deadline::Forever);
            res.unwrap();
        }
        for _ in 0..BATCH {
            let (n, res) = r.recv_frame(b.as_raw_fd(), out, Deadline::Forever);
            res.unwrap();
            assert_eq!(n, payload.len());
        }
    }
}

#[test]
fn queue_flush_fill_next_allocate_nothing_per_frame() {
    for &size in &[64usize, 4096] {
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        let payload = vec![7u8; size];
        let mut w = Writer::new(framing());
        let mut r = Reader::new(framing());
        // Warm-up: buffers grow to their steady size.
        queue_flush_fill_next(&mut w, &mut r, &a, &b, &payload, 64);
        let n = allocations(|| {
            queue_flush_fill_next(&mut w, &mut r, &a, &b, &payload, FRAMES / BATCH);
        });
        assert_eq!(
            n, 0,
            "{} allocations for {} frames of {} bytes",
            n, FRAMES, size
        );
    }
}

#[test]
fn send_frame_recv_frame_allocate_nothing_per_frame() {
    for &size in &[64usize, 4096] {
        let (a, b) = UnixStream::pair().unwrap();
        let f = framing();
        let payload = vec![7u8; size];
        let mut out = vec![0u8; size];
        let mut r = Reader::new(framing());
        send_frame_recv_frame(&f, &mut r, &a, &b, &payload, &mut out, 64);
        let n = allocations(|| {
            send_frame_recv_frame(&f, &mut r, &a, &b, &payload, &mut out, FRAMES / BATCH);
        });
        assert_eq!(
            n, 0,
            "{} allocations for {} frames of {} bytes",
            n, FRAMES, size
        );
    }
}

/// `rounds` batches: BATCH frames in one `send_frames`, then BATCH more through the
/// writer's write-through (`send_or_queue`, flushed), taken with `next_batch` and
/// `recv_frame`. Blocking sockets; each batch fits the socket buffer.
#[allow(clippy::too_many_arguments)]
fn send_frames_write_through_next_batch(
    f: &Framing,
    w: &mut Writer,
    r: &mut Reader,
    a: &UnixStream,
    b: &UnixStream,
    payload: &[u8],
    out: &mut [u8],
    rounds: usize,
) {
    let payloads = [payload; BATCH];
    for _ in 0..rounds {
        let (frames, _, res) = send_frames(a.as_raw_fd(), f, &payloads, Deadline::Forever);
        res.unwrap();
        assert_eq!(frames, BATCH);
        let mut got = 0;
        while got < BATCH {
            match r.next_batch(BATCH - got, |frame| assert_eq!(frame.len(), payload.len())) {
                Ok(n) => got += n,
                Err(Error::WouldBlock) => {
                    r.fill(b.as_raw_fd()).unwrap();
                }
                Err(e) => panic!("next_batch: {:?}", e),
            }
        }
        for _ in 0..BATCH {
            w.send_or_queue(a.as_raw_fd(), payload).unwrap();
        }
        w.flush(a.as_raw_fd(), Deadline::Forever).unwrap();
        for _ in 0..BATCH {
            let (n, res) = r.recv_frame(b.as_raw_fd(), out, Deadline::Forever);
            res.unwrap();
            assert_eq!(n, payload.len());
        }
    }
}

#[test]
fn send_frames_write_through_next_batch_allocate_nothing_per_frame() {
    for &size in &[64usize, 4096] {
        let (a, b) = UnixStream::pair().unwrap();
        let f = framing();
        let payload = vec![7u8; size];
        let mut out = vec![0u8; size];
        let mut w = Writer::new(framing());
        let mut r = Reader::new(framing());
        send_frames_write_through_next_batch(&f, &mut w, &mut r, &a, &b, &payload, &mut out, 64);
        let n = allocations(|| {
            send_frames_write_through_next_batch(
                &f,
                &mut w,
                &mut r,
                &a,
                &b,
                &payload,
                &mut out,
                FRAMES / BATCH,
            );
        });
        assert_eq!(
            n, 0,
            "{} allocations for {} frames of {} bytes",
            n, FRAMES, size
        );
    }
}

#[test]
fn the_counter_counts() {
    let n = allocations(|| {
        let v: Vec<u8> = Vec::with_capacity(10);
        drop(v);
    });
    assert_eq!(n, 1);
}
