//! The poller's deadlines: a min-heap of (instant, sequence number, socket) with lazy
//! deletion. Arming is a push (O(log n)); clearing or re-arming only forgets the old entry's
//! sequence number (O(1)): the owner (the poller's registration) holds the one number that is
//! live, and an entry whose number is not live any more is dropped when it reaches the top
//! (each entry is popped once: O(log n) amortized per timer). Stale entries never outnumber
//! live ones by much: past `2 x live + 64` the heap is rebuilt from the live ones (O(n),
//! once per n stale entries).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::sys::RawSocket;

/// A timer's identity: the sequence number it was armed with, unique for the life of its
/// `Timers` (a 64-bit count never wraps in practice).
pub(crate) type TimerId = u64;

/// A set of deadlines, one per socket at most (the owner says which entry is live).
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, TimerId, RawSocket)>>,
    next_id: TimerId,
    live: usize,
}

impl Timers {
    /// Arms a timer for `s` at `at`; the owner keeps the returned id as the live one.
    pub(crate) fn arm(&mut self, s: RawSocket, at: Instant) -> TimerId {
        let id = self.next_id;
        self.next_id += 1;
        self.heap.push(Reverse((at, id, s)));
        self.live += 1;
        id
    }

    /// The owner forgot one live timer (cleared, re-armed, its socket removed): its entry
    /// goes stale. `is_live(s, id)` says which entries still are, for a rebuild.
    pub(crate) fn forget(&mut self, is_live: impl Fn(RawSocket, TimerId) -> bool) {
        self.live = self.live.saturating_sub(1);
        if self.heap.len() > 2 * self.live + 64 {
            // BinaryHeap::retain is newer than Rust 1.63.
            let mut entries = std::mem::take(&mut self.heap).into_vec();
            entries.retain(|Reverse((_, id, s))| is_live(*s, *id));
            self.heap = BinaryHeap::from(entries);
        }
    }

    /// The nearest live deadline, stale entries at the top dropped on the way.
    pub(crate) fn nearest(
        &mut self,
        is_live: impl Fn(RawSocket, TimerId) -> bool,
    ) -> Option<Instant> {
        while let Some(Reverse((at, id, s))) = self.heap.peek() {
            if is_live(*s, *id) {
                return Some(*at);
            }
            self.heap.pop();
        }
        None
    }

    /// The socket of the nearest live timer if it is due by `now`, popped (the owner then
    /// calls `forget` for it, as for any timer it drops).
    pub(crate) fn pop_due(
        &mut self,
        now: Instant,
        is_live: impl Fn(RawSocket, TimerId) -> bool,
    ) -> Option<RawSocket> {
        let at = self.nearest(&is_live)?;
        if at > now {
            return None;
        }
        self.heap.pop().map(|Reverse((_, _, s))| s)
    }

    /// How many entries the heap holds, stale ones included (for tests of the bound).
    #[cfg(test)]
    pub(crate) fn entries(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::time::Duration;

    #[test]
    fn due_timers_come_out_in_order_and_stale_ones_never() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        let mut live: HashMap<RawSocket, TimerId> = HashMap::new();
        for s in 0..100 {
            let at = t0 + Duration::from_millis(((s * 37) % 100) as u64);
            live.insert(s, timers.arm(s, at));
        }
        // Re-arm every even socket far away, clear every socket divisible by 3.
        for s in 0..100 {
            if s % 2 == 0 {
                live.remove(&s);
                timers.forget(|s, id| live.get(&s) == Some(&id));
                live.insert(s, timers.arm(s, t0 + Duration::from_secs(3600)));
            }
            if s % 3 == 0 {
                live.remove(&s);
                timers.forget(|s, id| live.get(&s) == Some(&id));
            }
        }
        let mut out = Vec::new();
        let now = t0 + Duration::from_millis(200);
        while let Some(s) = timers.pop_due(now, |s, id| live.get(&s) == Some(&id)) {
            live.remove(&s);
            timers.forget(|s, id| live.get(&s) == Some(&id));
            out.push(s);
        }
        let want: Vec<RawSocket> = {
            let mut v: Vec<RawSocket> = (0..100).filter(|s| s % 2 != 0 && s % 3 != 0).collect();
            v.sort_by_key(|s| (s * 37) % 100);
            v
        };
        assert_eq!(out, want);
        // What is left: the even sockets not divisible by 3, an hour away.
        let left = live.len();
        assert_eq!(left, (0..100).filter(|s| s % 2 == 0 && s % 3 != 0).count());
        assert_eq!(
            timers.nearest(|s, id| live.get(&s) == Some(&id)),
            Some(t0 + Duration::from_secs(3600))
        );
    }

    #[test]
    fn rearming_forever_keeps_the_heap_bounded() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        let mut live: HashMap<RawSocket, TimerId> = HashMap::new();
        for round in 0..1000u64 {
            for s in 0..10 {
                if live.remove(&s).is_some() {
                    timers.forget(|s, id| live.get(&s) == Some(&id));
                }
                live.insert(s, timers.arm(s, t0 + Duration::from_millis(round)));
            }
            assert!(timers.entries() <= 2 * 10 + 64 + 1, "{}", timers.entries());
        }
    }
}
