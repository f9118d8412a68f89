//! Framed transfer: the same frames (4-byte big-endian length, then the payload) moved by
//! each contender, the sender on its own thread, the receiver on the calling thread.

use std::hint::black_box;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use sockhelp::deadline::Deadline;
use sockhelp::frames::{send_frame, send_frames, Reader, Writer};
use sockhelp::framing::Framing;
use sockhelp::Error;
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

use crate::net::{self, pair, raw_recv, raw_send, set_nonblocking, wait_fd, Transport};

/// Every payload byte; receivers check the first byte and the length of each frame.
pub const PATTERN: u8 = 0xa5;
/// Header bytes per frame on the wire (u32 big-endian length).
pub const HEADER: usize = 4;
/// Call size of the raw bulk baseline.
const RAW_CHUNK: usize = 256 * 1024;
/// The HOWTO's receive loop asks for at most this much per `recv`.
const NAIVE_CHUNK: usize = 2048;
/// The non-blocking sender flushes its writer once this much is queued (the documented
/// pattern: 256 KiB per system call reaches the wire's speed, 64 KiB did not).
const WRITER_HIGH: usize = 256 * 1024;
/// Payloads handed to one `send_frames` call.
const SEND_FRAMES_BATCH: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Bulk transfer of the same wire bytes in 256 KiB send/recv calls: the limit.
    Raw,
    /// The HOWTO loop against libc: 2 sends per frame; recv chunks of at most 2048 bytes.
    Naive,
    /// sockhelp `send_frame` / `Reader::recv_frame`, blocking sockets, no deadline.
    Blocking,
    /// sockhelp `Writer::queue` + `flush` at 256 KiB pending (`send_or_queue` for frames of
    /// 256 KiB and more), `Reader::fill` + `next_frame`, non-blocking sockets.
    NonBlocking,
    /// sockhelp `send_frames` (up to SEND_FRAMES_BATCH frames per call) / `Reader::recv_frame`,
    /// blocking sockets, no deadline.
    Batched,
    /// tokio-util `LengthDelimitedCodec` with FramedWrite / FramedRead, current-thread runtimes.
    Tokio,
    /// The floor of any framed I/O that copies each payload once on the way out and hands
    /// each frame out on the way in: a hand-written inline loop that encodes frames back to
    /// back into a 256 KiB buffer (4-byte header store + payload copy) sent in one call,
    /// and receives in 256 KiB calls and walks the frames (header load, length check,
    /// the same per-frame check as every receiver), with no error handling at all.
    Floor,
}

pub const METHODS: [Method; 7] = [
    Method::Raw,
    Method::Naive,
    Method::Blocking,
    Method::NonBlocking,
    Method::Batched,
    Method::Tokio,
    Method::Floor,
];

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Raw => "raw",
            Method::Naive => "naive",
            Method::Blocking => "sockhelp blocking",
            Method::NonBlocking => "sockhelp non-blocking",
            Method::Batched => "sockhelp send_frames",
            Method::Tokio => "tokio-util",
            Method::Floor => "floor (inline loop)",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Method::Raw => "raw",
            Method::Naive => "naive",
            Method::Blocking => "blocking",
            Method::NonBlocking => "nonblocking",
            Method::Batched => "batched",
            Method::Tokio => "tokio",
            Method::Floor => "floor",
        }
    }
}

/// Which side of a case runs the contender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The contender on both sides (the cases as written).
    EndToEnd,
    /// The contender receives; the sender pushes pre-encoded frames in 256 KiB calls, as
    /// fast as raw bulk, so the receiver alone is measured.
    RecvSide,
    /// The contender sends; the receiver drains in 256 KiB calls, as fast as raw bulk.
    SendSide,
}

pub const MODES: [Mode; 3] = [Mode::EndToEnd, Mode::RecvSide, Mode::SendSide];

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::EndToEnd => "end to end",
            Mode::RecvSide => "receive side",
            Mode::SendSide => "send side",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Mode::EndToEnd => "e2e",
            Mode::RecvSide => "recv",
            Mode::SendSide => "send",
        }
    }
}

fn framing() -> Framing {
    Framing::length_prefixed(4, false, 16 << 20).expect("framing")
}

/// Moves `n` frames of `payload` bytes with `method` (on the sides `mode` says) over a
/// fresh `transport` pair and returns the receiver's time from the start signal to the
/// last frame.
pub fn run(transport: Transport, mode: Mode, method: Method, payload: usize, n: usize) -> Duration {
    let (tx, rx) = pair(transport);
    let barrier = Arc::new(Barrier::new(2));
    let b2 = barrier.clone();
    let sender = std::thread::spawn(move || {
        if mode == Mode::RecvSide && method != Method::Raw {
            let block = preencoded_block(payload, n);
            b2.wait();
            send_preencoded(tx, &block, payload, n);
        } else {
            b2.wait();
            send(method, tx, payload, n);
        }
    });
    let receiver = if mode == Mode::SendSide {
        Method::Raw
    } else {
        method
    };
    barrier.wait();
    let start = Instant::now();
    receive(receiver, &rx, payload, n);
    let elapsed = start.elapsed();
    sender.join().expect("sender thread");
    elapsed
}

fn send(method: Method, tx: OwnedFd, payload: usize, n: usize) {
    let fd = tx.as_raw_fd();
    let data = vec![PATTERN; payload];
    match method {
        Method::Raw => {
            let chunk = vec![PATTERN; RAW_CHUNK];
            let mut left = n * (payload + HEADER);
            while left > 0 {
                left -= raw_send(fd, &chunk[..left.min(RAW_CHUNK)]);
            }
        }
        Method::Naive => {
            let header = (payload as u32).to_be_bytes();
            for _ in 0..n {
                naive_send_all(fd, &header);
                naive_send_all(fd, &data);
            }
        }
        Method::Floor => {
            let header = (payload as u32).to_be_bytes();
            let frame = payload + HEADER;
            if frame > RAW_CHUNK {
                for _ in 0..n {
                    naive_send_all(fd, &header);
                    naive_send_all(fd, &data);
                }
            } else {
                let mut buf = vec![0u8; RAW_CHUNK];
                let mut at = 0;
                for _ in 0..n {
                    if RAW_CHUNK - at < frame {
                        naive_send_all(fd, &buf[..at]);
                        at = 0;
                    }
                    buf[at..at + HEADER].copy_from_slice(&header);
                    buf[at + HEADER..at + frame].copy_from_slice(&data);
                    at += frame;
                }
                naive_send_all(fd, &buf[..at]);
            }
        }
        Method::Blocking => {
            let f = framing();
            for _ in 0..n {
                let (_, r) = send_frame(fd, &f, &data, Deadline::Forever);
                r.expect("send_frame");
            }
        }
        Method::Batched => {
            let f = framing();
            let batch: Vec<&[u8]> = vec![&data[..]; SEND_FRAMES_BATCH.min(n)];
            let mut left = n;
            while left > 0 {
                let k = left.min(batch.len());
                let (frames, _, r) = send_frames(fd, &f, &batch[..k], Deadline::Forever);
                r.expect("send_frames");
                assert_eq!(frames, k);
                left -= k;
            }
        }
        Method::NonBlocking => {
            set_nonblocking(fd, true);
            let mut w = Writer::new(framing());
            // The documented pattern: queue small frames, write big ones through once the
            // queue is empty (the socket takes what it can straight from the payload; only
            // the rest is copied into the queue).
            let through = data.len() >= WRITER_HIGH;
            for _ in 0..n {
                if through {
                    flush_below(&mut w, fd, 1);
                    w.send_or_queue(fd, &data).expect("send_or_queue");
                } else {
                    w.queue(&data).expect("queue");
                }
                if w.pending() >= WRITER_HIGH {
                    flush_below(&mut w, fd, WRITER_HIGH);
                }
            }
            flush_below(&mut w, fd, 1);
        }
        Method::Tokio => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let bytes = bytes::Bytes::from(data);
                let mut w = FramedWrite::new(tokio_stream(tx), LengthDelimitedCodec::new());
                for _ in 0..n {
                    w.feed(bytes.clone()).await.expect("feed");
                }
                w.flush().await.expect("flush");
            });
            return;
        }
    }
    drop(tx);
}

/// As many whole frames as fit in 256 KiB (at least one), encoded back to back.
fn preencoded_block(payload: usize, n: usize) -> Vec<u8> {
    let per = (RAW_CHUNK / (payload + HEADER)).clamp(1, n.max(1));
    let mut block = Vec::with_capacity(per * (payload + HEADER));
    for _ in 0..per {
        block.extend_from_slice(&(payload as u32).to_be_bytes());
        block.resize(block.len() + payload, PATTERN);
    }
    block
}

/// Sends `n` frames from the pre-encoded `block`, in calls of up to 256 KiB.
fn send_preencoded(tx: OwnedFd, block: &[u8], payload: usize, n: usize) {
    let fd = tx.as_raw_fd();
    let mut left = n * (payload + HEADER);
    while left > 0 {
        let this = left.min(block.len());
        let mut sent = 0;
        while sent < this {
            let end = this.min(sent + RAW_CHUNK);
            sent += raw_send(fd, &block[sent..end]);
        }
        left -= this;
    }
    drop(tx);
}

/// An event loop's flush: send what the socket takes; while more than `below` is still
/// pending, wait until writable and go on.
fn flush_below(w: &mut Writer, fd: RawFd, below: usize) {
    loop {
        match w.flush(fd, Deadline::Now) {
            Ok(()) => return,
            Err(Error::WouldBlock) if w.pending() < below => return,
            Err(Error::WouldBlock) => wait_fd(fd, libc::POLLOUT),
            Err(e) => panic!("flush: {e:?}"),
        }
    }
}

/// The HOWTO's `mysend`: loop until the socket took it all.
fn naive_send_all(fd: RawFd, buf: &[u8]) {
    let mut sent = 0;
    while sent < buf.len() {
        sent += raw_send(fd, &buf[sent..]);
    }
}

/// The HOWTO's `myreceive`: `recv(min(left, 2048))` until `buf` is full.
fn naive_recv_all(fd: RawFd, buf: &mut [u8]) {
    let mut got = 0;
    while got < buf.len() {
        let want = (buf.len() - got).min(NAIVE_CHUNK);
        got += raw_recv(fd, &mut buf[got..got + want]);
    }
}

#[inline]
fn check(frame: &[u8], payload: usize) {
    assert!(
        frame.len() == payload && (payload == 0 || frame[0] == PATTERN),
        "bad frame: {} bytes, expected {}",
        frame.len(),
        payload
    );
    black_box(frame.as_ptr());
}

fn receive(method: Method, rx: &OwnedFd, payload: usize, n: usize) {
    let fd = rx.as_raw_fd();
    match method {
        Method::Raw => {
            let mut buf = vec![0u8; RAW_CHUNK];
            let mut left = n * (payload + HEADER);
            while left > 0 {
                let want = left.min(RAW_CHUNK);
                left -= raw_recv(fd, &mut buf[..want]);
            }
            black_box(&buf);
        }
        Method::Naive => {
            let mut header = [0u8; 4];
            let mut buf = vec![0u8; payload];
            for _ in 0..n {
                naive_recv_all(fd, &mut header);
                let len = u32::from_be_bytes(header) as usize;
                assert!(len <= buf.len(), "naive: frame too big");
                naive_recv_all(fd, &mut buf[..len]);
                check(&buf[..len], payload);
            }
        }
        Method::Floor => {
            let mut buf = vec![0u8; RAW_CHUNK.max(2 * (payload + HEADER))];
            let (mut start, mut end, mut got) = (0, 0, 0);
            while got < n {
                while end - start >= HEADER {
                    let mut h = [0u8; HEADER];
                    h.copy_from_slice(&buf[start..start + HEADER]);
                    let len = u32::from_be_bytes(h) as usize;
                    if end - start - HEADER < len {
                        break;
                    }
                    check(&buf[start + HEADER..start + HEADER + len], payload);
                    start += HEADER + len;
                    got += 1;
                }
                if got == n {
                    break;
                }
                // Compact only when the free space cannot take the rest of the front frame
                // (or a full call): a partial small frame is moved, a big one rarely.
                if buf.len() - end < (payload + HEADER).min(RAW_CHUNK) {
                    buf.copy_within(start..end, 0);
                    end -= start;
                    start = 0;
                }
                let want = (buf.len() - end).min(RAW_CHUNK);
                end += raw_recv(fd, &mut buf[end..end + want]);
            }
        }
        Method::Blocking | Method::Batched => {
            let mut r = Reader::new(framing());
            let mut out = vec![0u8; payload];
            for _ in 0..n {
                let (len, res) = r.recv_frame(fd, &mut out, Deadline::Forever);
                res.expect("recv_frame");
                check(&out[..len], payload);
            }
        }
        Method::NonBlocking => {
            set_nonblocking(fd, true);
            let mut r = Reader::new(framing());
            let mut got = 0;
            while got < n {
                loop {
                    match r.next_frame() {
                        Ok(frame) => {
                            check(frame, payload);
                            got += 1;
                        }
                        Err(Error::WouldBlock) => break,
                        Err(e) => panic!("next_frame: {e:?}"),
                    }
                }
                if got == n {
                    break;
                }
                match r.fill(fd) {
                    Ok(_) => {}
                    Err(Error::WouldBlock) => wait_fd(fd, libc::POLLIN),
                    Err(e) => panic!("fill: {e:?}"),
                }
            }
        }
        Method::Tokio => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .expect("runtime");
            let dup = rx.try_clone().expect("dup");
            rt.block_on(async move {
                let mut r = FramedRead::new(tokio_stream(dup), LengthDelimitedCodec::new());
                for _ in 0..n {
                    let frame = r.next().await.expect("eof").expect("frame");
                    check(&frame, payload);
                }
            });
        }
    }
}

/// Either kind of stream as a tokio stream (they differ only in type).
enum TokioStream {
    Unix(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream),
}

fn tokio_stream(fd: OwnedFd) -> TokioStream {
    set_nonblocking(fd.as_raw_fd(), true);
    // SAFETY-free: getsockopt(SO_DOMAIN) tells which kind the descriptor is.
    let domain = sock_domain(fd.as_raw_fd());
    if domain == libc::AF_UNIX {
        TokioStream::Unix(
            tokio::net::UnixStream::from_std(std::os::unix::net::UnixStream::from(fd))
                .expect("tokio unix"),
        )
    } else {
        TokioStream::Tcp(
            tokio::net::TcpStream::from_std(std::net::TcpStream::from(fd)).expect("tokio tcp"),
        )
    }
}

fn sock_domain(fd: RawFd) -> libc::c_int {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: v and len are valid for the call.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_DOMAIN,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    assert_eq!(rc, 0, "SO_DOMAIN");
    v
}

impl tokio::io::AsyncRead for TokioStream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            TokioStream::Unix(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            TokioStream::Tcp(s) => std::pin::Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for TokioStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            TokioStream::Unix(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            TokioStream::Tcp(s) => std::pin::Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            TokioStream::Unix(s) => std::pin::Pin::new(s).poll_flush(cx),
            TokioStream::Tcp(s) => std::pin::Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            TokioStream::Unix(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            TokioStream::Tcp(s) => std::pin::Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// `sendall` / `recvall` of `total` bytes in `call`-byte calls: sockhelp's, or the same
/// loops written against libc (`raw`). Returns the receiver's time.
pub fn run_bulk(transport: Transport, sockhelp: bool, total: usize, call: usize) -> Duration {
    let (tx, rx) = pair(transport);
    let barrier = Arc::new(Barrier::new(2));
    let b2 = barrier.clone();
    let sender = std::thread::spawn(move || {
        let fd = tx.as_raw_fd();
        let buf = vec![PATTERN; call];
        b2.wait();
        let mut left = total;
        while left > 0 {
            let this = left.min(call);
            if sockhelp {
                let (_, r) = sockhelp::io::send_all(fd, &buf[..this], Deadline::Forever);
                r.expect("send_all");
            } else {
                naive_send_all(fd, &buf[..this]);
            }
            left -= this;
        }
        drop(tx);
    });
    let fd = net::fd_of(&rx);
    let mut buf = vec![0u8; call];
    barrier.wait();
    let start = Instant::now();
    let mut left = total;
    while left > 0 {
        let this = left.min(call);
        if sockhelp {
            let (_, r) = sockhelp::io::recv_all(fd, &mut buf[..this], Deadline::Forever);
            r.expect("recv_all");
        } else {
            let mut got = 0;
            while got < this {
                got += raw_recv(fd, &mut buf[got..this]);
            }
        }
        left -= this;
    }
    let elapsed = start.elapsed();
    black_box(&buf);
    sender.join().expect("sender thread");
    elapsed
}
