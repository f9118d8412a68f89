//! Queueing one payload on a `Writer` (issue 22): a `"\r\n"`-delimited writer, which must
//! check that the payload holds no delimiter, against a 4-byte length-prefixed one, which
//! only copies. The writer flushes into a sink that takes every byte at once, so the
//! figure is the queue call itself (encode + copy) plus one empty-queue flush.

use std::io::{self, IoSlice};
use std::time::{Duration, Instant};

use sockhelp::deadline::Deadline;
use sockhelp::frames::Writer;
use sockhelp::framing::Framing;
use sockhelp::stream::ByteStream;
use sockhelp::Interest;

/// A stream that takes every byte it is given, at once.
struct Sink;

impl ByteStream for Sink {
    fn is_valid(&self) -> bool {
        true
    }
    fn before_send(&mut self) -> sockhelp::Result<()> {
        Ok(())
    }
    fn recv(&mut self, _buf: &mut [u8], _dontwait: bool) -> io::Result<usize> {
        Ok(0)
    }
    fn send(&mut self, buf: &[u8], _dontwait: bool) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn send_vectored(&mut self, bufs: &[IoSlice<'_>], _dontwait: bool) -> io::Result<usize> {
        Ok(bufs.iter().map(|b| b.len()).sum())
    }
    fn wait(&mut self, _interest: Interest, _timeout_ms: i32) -> io::Result<bool> {
        Ok(true)
    }
}

/// The two writers compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueFraming {
    Delimited,
    LengthPrefixed,
}

impl QueueFraming {
    pub fn name(self) -> &'static str {
        match self {
            QueueFraming::Delimited => "delimited \"\\r\\n\"",
            QueueFraming::LengthPrefixed => "length-prefixed (4 bytes)",
        }
    }

    fn framing(self) -> Framing {
        match self {
            QueueFraming::Delimited => Framing::delimited(b"\r\n", 1 << 24),
            QueueFraming::LengthPrefixed => Framing::length_prefixed(4, false, 1 << 24),
        }
        .expect("framing")
    }
}

/// Nanoseconds per `queue` of a `payload`-byte payload (no delimiter in it) for each of
/// `kinds`, and the median of the per-round ratios of each to the first: rounds of a few
/// calls of each writer in turn, over about `budget`, so that both see the same load.
pub fn measure(kinds: &[QueueFraming], payload: usize, budget: Duration) -> (Vec<f64>, Vec<f64>) {
    let mut writers: Vec<Writer> = kinds.iter().map(|f| Writer::new(f.framing())).collect();
    let p = vec![b'x'; payload];
    let calls = (256 * 1024 / payload.max(1)).clamp(4, 1024);
    let mut ns: Vec<Vec<f64>> = vec![Vec::new(); kinds.len()];
    let began = Instant::now();
    // Warm up: each queue's allocation is made once.
    for w in writers.iter_mut() {
        for _ in 0..16 {
            w.queue(&p).expect("queue");
            w.flush(Sink, Deadline::Forever).expect("flush");
        }
    }
    while began.elapsed() < budget || ns[0].len() < 5 {
        for (w, out) in writers.iter_mut().zip(ns.iter_mut()) {
            let t = Instant::now();
            for _ in 0..calls {
                w.queue(std::hint::black_box(&p)).expect("queue");
                w.flush(Sink, Deadline::Forever).expect("flush");
            }
            out.push(t.elapsed().as_secs_f64() * 1e9 / calls as f64);
        }
    }
    let medians = ns.iter().map(|v| crate::median(v)).collect();
    let ratios = ns
        .iter()
        .map(|v| {
            let r: Vec<f64> = v.iter().zip(&ns[0]).map(|(a, b)| a / b).collect();
            crate::median(&r)
        })
        .collect();
    (medians, ratios)
}
