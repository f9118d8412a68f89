//! The byte queue under both the reader's buffer and the writer's queue: bytes appended at
//! the end, consumed from the front, one way to make room.
//!
//! `buf.len()` is the usable size (zero-filled once when grown), so bytes are received or
//! encoded straight into the free space after the queued ones, without reallocation or
//! `unsafe`. Consuming moves nothing (the front offset advances); room is made by
//! compacting when at most half the allocation is queued bytes (so a compaction copies no
//! more than it frees), else by doubling.
//!
//! Memory goes back at idle points (a reader that found nothing to receive, a writer whose
//! queue emptied): a queue whose allocation was more than four times the most bytes it held
//! since the last idle point keeps only what its owner asks for (nothing by default), so an
//! idle connection holds no buffer while a busy one keeps its allocation across bursts.

use crate::error::{Error, Result};

/// A queue that grew beyond this gives its memory back once it is empty.
const KEEP: usize = 8 << 20;

/// An allocation more than this many times the bytes held since the last idle point is
/// given back at the next one.
const OVERSIZED: usize = 4;

/// Bytes `buf[start..end]`, free space `buf[end..]`.
#[derive(Debug, Default)]
pub(crate) struct ByteQueue {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The most bytes queued at once since the last idle point.
    peak: usize,
}

impl ByteQueue {
    /// An empty queue (allocated on first use).
    pub(crate) fn new() -> ByteQueue {
        ByteQueue::default()
    }

    /// Bytes queued.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when nothing is queued.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The usable size of the allocation.
    #[inline]
    pub(crate) fn size(&self) -> usize {
        self.buf.len()
    }

    /// The memory held (the allocation).
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Free bytes after the queued ones.
    #[inline]
    pub(crate) fn free_len(&self) -> usize {
        self.buf.len() - self.end
    }

    /// The queued bytes.
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// The queued bytes, writable (a typed frame's payload is assembled in place).
    #[inline]
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..self.end]
    }

    /// The free space after the queued bytes, to receive or encode into; `commit` then
    /// says how much of it was written.
    #[inline]
    pub(crate) fn free_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.end..]
    }

    /// Adds `n` bytes written into `free_mut` to the queue.
    #[inline]
    pub(crate) fn commit(&mut self, n: usize) {
        debug_assert!(n <= self.free_len());
        self.end += n;
        self.peak = self.peak.max(self.end - self.start);
    }

    /// An idle point (see the module docs): when the queue is empty and its allocation is
    /// more than `OVERSIZED` times the most bytes it held since the last idle point, the
    /// allocation shrinks to `keep` bytes (0: freed). Returns true when memory went back.
    pub(crate) fn idle_point(&mut self, keep: usize) -> bool {
        if !self.is_empty() {
            return false;
        }
        let peak = std::mem::take(&mut self.peak);
        if self.buf.len() <= keep || peak.saturating_mul(OVERSIZED) > self.buf.len() {
            return false;
        }
        self.buf = Vec::new();
        if keep > 0 && self.buf.try_reserve_exact(keep).is_ok() {
            self.buf.resize(keep, 0);
        }
        true
    }

    /// Drops `n` bytes from the front. An emptied queue starts again at the front of its
    /// allocation, which goes back when it grew beyond `KEEP`.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.len());
        self.start += n;
        if self.start == self.end {
            self.clear();
        }
    }

    /// Drops every queued byte (see `consume`).
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
        if self.buf.len() > KEEP {
            self.buf = Vec::new();
        }
    }

    /// Moves the queued bytes to the front of the allocation when that copies no more
    /// than half of it.
    pub(crate) fn compact_if_cheap(&mut self) {
        if self.start > 0 && self.len() <= self.buf.len() / 2 {
            self.move_to_front();
        }
    }

    fn move_to_front(&mut self) {
        let live = self.len();
        self.buf.copy_within(self.start..self.end, 0);
        self.start = 0;
        self.end = live;
    }

    /// Makes at least `want` free bytes after the queued ones as long as the allocation
    /// stays within `hard`: compacts when at most half of it is queued bytes and that is
    /// enough, else grows (doubling, at least to `len + want` and to `first`, at most
    /// `hard`), so the free space may end up short of `want` at `hard`. `TooBig` when
    /// even `hard` leaves no free byte; `NoMem`.
    #[inline]
    pub(crate) fn reserve(&mut self, want: usize, first: usize, hard: usize) -> Result<()> {
        if self.free_len() >= want {
            return Ok(());
        }
        self.compact_or_grow(want, first, hard)
    }

    /// `reserve` when the free space is short (out of line: the common case is the check).
    #[inline(never)]
    fn compact_or_grow(&mut self, want: usize, first: usize, hard: usize) -> Result<()> {
        let size = self.buf.len();
        let live = self.len();
        if self.start > 0 && live <= size / 2 && size - live >= want {
            self.move_to_front();
            return Ok(());
        }
        let grown = size
            .saturating_mul(2)
            .max(live.saturating_add(want))
            .max(first)
            .min(hard);
        if grown <= live {
            return Err(Error::TooBig);
        }
        if grown > size {
            let mut bigger = Vec::new();
            bigger.try_reserve_exact(grown).map_err(|_| Error::NoMem)?;
            bigger.extend_from_slice(self.bytes());
            bigger.resize(grown, 0);
            self.buf = bigger;
            self.start = 0;
            self.end = live;
        } else {
            self.move_to_front();
        }
        Ok(())
    }

    /// Appends `data` (room made as `reserve` with no bound but memory).
    pub(crate) fn append(&mut self, data: &[u8], first: usize) -> Result<()> {
        self.reserve(data.len(), first, usize::MAX)?;
        self.free_mut()[..data.len()].copy_from_slice(data);
        self.commit(data.len());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumed_bytes_make_room_without_growth() {
        let mut q = ByteQueue::new();
        q.append(&[1; 3000], 4096).unwrap();
        assert_eq!(q.size(), 4096);
        q.consume(2500);
        // 500 queued of 4096: compacting copies 500 and frees enough for 3000 more.
        q.reserve(3000, 4096, usize::MAX).unwrap();
        assert_eq!(q.size(), 4096);
        assert_eq!(q.bytes(), &[1; 500][..]);
        // Now more than half is needed: it doubles.
        q.append(&[2; 3000], 4096).unwrap();
        q.reserve(1000, 4096, usize::MAX).unwrap();
        assert_eq!(q.size(), 8192);
        assert_eq!(q.len(), 3500);
        assert_eq!(&q.bytes()[..500], &[1; 500][..]);
        assert_eq!(&q.bytes()[500..], &[2; 3000][..]);
    }

    #[test]
    fn idle_points_give_back_oversized_memory_only() {
        let mut q = ByteQueue::new();
        // Bulk: the allocation was used: kept across the idle point.
        q.append(&[0; 3000], 4096).unwrap();
        q.consume(3000);
        assert!(!q.idle_point(0));
        assert_eq!(q.size(), 4096);
        // A small burst after it: the allocation is oversized for it, freed.
        q.append(&[0; 100], 4096).unwrap();
        q.consume(100);
        assert!(q.idle_point(0));
        assert_eq!(q.capacity(), 0);
        // With bytes queued nothing moves; a size to keep is honoured.
        q.append(&[0; 10], 4096).unwrap();
        assert!(!q.idle_point(0));
        q.consume(10);
        assert!(q.idle_point(512));
        assert_eq!(q.size(), 512);
    }

    #[test]
    fn hard_bound_gives_what_it_can_then_too_big() {
        let mut q = ByteQueue::new();
        q.reserve(100, 64, 80).unwrap();
        assert_eq!(q.size(), 80);
        q.commit(80);
        assert_eq!(q.reserve(1, 64, 80), Err(Error::TooBig));
        q.consume(80);
        assert!(q.is_empty());
        assert_eq!(q.free_len(), 80);
    }
}
