//! No allocation per frame in steady state: once a Reader / Writer pair has warmed up
//! (its buffers grown), moving frames allocates nothing, on every path (send_frame,
//! recv_frame, queue + flush, fill + next_frame), at 64 B and 4 KiB. And the codecs
//! allocate nothing at all, whatever length a header announces.
//!
//! (POSIX only: the counter reads thread-local state inside the allocator, which on
//! windows-gnu re-enters the allocator on a thread's first access. The codecs and the
//! frame buffer are the same code on every platform.)
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
use sockhelp::framing::internals::HEADER_MAX;
use sockhelp::framing::{DecodeState, Framing, LengthEncoding, LengthFieldSpec};
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

/// BATCH frames taken with `recv_frame`, each `len` bytes.
fn recv_frames(r: &mut Reader, b: &UnixStream, out: &mut [u8], len: usize) {
    for _ in 0..BATCH {
        let (n, res) = r.recv_frame(b.as_raw_fd(), out, Deadline::Forever);
        res.unwrap();
        assert_eq!(n, len);
    }
}

/// The BATCH `payloads` in one `send_frames`, all sent.
fn send_batch(f: &Framing, a: &UnixStream, payloads: &[&[u8]; BATCH]) {
    let (frames, _, res) = send_frames(a.as_raw_fd(), f, payloads, Deadline::Forever);
    res.unwrap();
    assert_eq!(frames, BATCH);
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
        recv_frames(r, b, out, payload.len());
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
/// writer's write-through (`send_or_queue`, flushed), taken with `next_batch`,
/// `recv_batch` and `recv_frame`. Blocking sockets; each batch fits the socket buffer.
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
        send_batch(f, a, &payloads);
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
        // The blocking batch: the same frames again, taken with `recv_batch`.
        send_batch(f, a, &payloads);
        let mut got = 0;
        while got < BATCH {
            let n = r
                .recv_batch(b.as_raw_fd(), BATCH - got, Deadline::Forever, |frame| {
                    assert_eq!(frame.len(), payload.len())
                })
                .unwrap();
            assert!(n >= 1);
            got += n;
        }
        for _ in 0..BATCH {
            w.send_or_queue(a.as_raw_fd(), payload).unwrap();
        }
        w.flush(a.as_raw_fd(), Deadline::Forever).unwrap();
        recv_frames(r, b, out, payload.len());
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

/// The trap: a decoder that sizes something by the length a peer announced. Every length
/// field encoding, heads and adjustments, the largest maxima, decoded at every cut and
/// fed headers announcing the largest values each encoding can write: no allocation.
#[test]
fn length_fields_allocate_nothing_whatever_the_peer_announces() {
    let encodings = [
        LengthEncoding::Binary {
            width: 4,
            little_endian: false,
        },
        LengthEncoding::Binary {
            width: 8,
            little_endian: true,
        },
        LengthEncoding::Binary {
            width: 2,
            little_endian: false,
        },
        LengthEncoding::Varint,
        LengthEncoding::Decimal { digits: 20 },
        LengthEncoding::Decimal { digits: 5 },
        LengthEncoding::Hex { digits: 16 },
    ];
    let hostile: Vec<Vec<u8>> = vec![
        vec![0xff; 40],
        [&[0x41u8; 8][..], &[0xff; 9][..], &[0x01][..]].concat(),
        vec![b'9'; 40],
        vec![b'f'; 40],
        vec![0x7f; 40],
    ];
    let mut checked = 0;
    for encoding in encodings.iter() {
        for &(head, adjustment) in &[(0usize, 0i64), (1, -4), (3, 0), (1, 2)] {
            for &max_len in &[usize::MAX, 1 << 40, 300] {
                let spec = LengthFieldSpec {
                    head,
                    encoding: *encoding,
                    adjustment,
                    max_len,
                };
                let f = match Framing::length_field(spec) {
                    Ok(f) => f,
                    Err(_) => continue, // a spec that cannot work is refused up front
                };
                let payload: Vec<u8> = (0..head + 40).map(|i| i as u8).collect();
                let mut out = vec![0u8; payload.len() + HEADER_MAX];
                let mut header = [0u8; HEADER_MAX];
                let n = allocations(|| {
                    let mut state = DecodeState::new();
                    let len = f.encode(&payload, &mut out).unwrap();
                    assert!(f.encode_header(&payload, &mut header).is_ok());
                    assert!(f.encoded_len(payload.len()).is_ok());
                    let wire = &out[..len];
                    for cut in 0..=wire.len() {
                        let _ = f.decode(&wire[..cut], &mut state);
                        let _ = f.frame_span(&wire[..cut]);
                        let _ = f.whole_frame(&wire[..cut]);
                    }
                    for h in &hostile {
                        state.reset();
                        for cut in 0..=h.len() {
                            let _ = f.decode(&h[..cut], &mut state);
                            let _ = f.whole_frame(&h[..cut]);
                        }
                    }
                });
                assert_eq!(n, 0, "{:?} allocated", f);
                checked += 1;
            }
        }
    }
    assert!(checked >= 60, "only {} specs were accepted", checked);
}
