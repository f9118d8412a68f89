//! Waiting for readiness: `sockhelp_select` and the poller.

use std::os::raw::c_int;
use std::ptr;

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::ffi::{boundary, code};
use crate::select::{self, Poller, MAX_EVENTS_PER_WAIT, MAX_SELECT_ENTRIES};
use crate::sys::sockhelp_socket;

/// Poller interest / event bit: a read (or an accept) will not block: data, a pending
/// connection, the peer's close.
pub const SOCKHELP_READABLE: u32 = 1;
/// Poller interest / event bit: a write will not block, or a non-blocking connect finished
/// (successfully or not: read `SO_ERROR`).
pub const SOCKHELP_WRITABLE: u32 = 2;
/// Poller event bit: the connection hung up (both directions closed, or reset); reported
/// whatever the interest.
pub const SOCKHELP_HANGUP: u32 = 4;
/// Poller event bit: an error is pending on the socket (read it with `SO_ERROR`); reported
/// whatever the interest.
pub const SOCKHELP_ERROR: u32 = 8;

/// A set of sockets watched together (epoll on Linux, kqueue on the BSDs and macOS, IOCP on
/// Windows), level-triggered. Made by `sockhelp_poller_new`, freed by `sockhelp_poller_free`;
/// used by one thread at a time.
#[allow(non_camel_case_types)]
pub struct sockhelp_poller {
    inner: Poller,
    /// Reached by `sockhelp_poller_wake` from other threads and signal handlers while a
    /// wait holds `inner`: only ever borrowed shared, and never through a reference to the
    /// whole struct.
    waker: select::Waker,
}

/// One readiness report of `sockhelp_poller_wait`: the tag given for the socket, and the
/// `SOCKHELP_READABLE` / `SOCKHELP_WRITABLE` / `SOCKHELP_HANGUP` / `SOCKHELP_ERROR` bits that
/// hold now.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct sockhelp_event {
    /// The tag passed to `sockhelp_poller_add` / `sockhelp_poller_modify`, all 64 bits.
    pub tag: u64,
    /// The bits that hold.
    pub events: u32,
}

impl From<select::Event> for sockhelp_event {
    fn from(e: select::Event) -> sockhelp_event {
        sockhelp_event {
            tag: e.tag,
            events: e.events,
        }
    }
}

/// A C `(array, *count)` pair: the count (a NULL pointer means 0) and the array's address
/// range, checked but not yet turned into a slice.
struct SocketArray {
    ptr: *mut sockhelp_socket,
    count_ptr: *mut usize,
    len: usize,
}

impl SocketArray {
    fn new(ptr: *mut sockhelp_socket, count_ptr: *mut usize) -> Result<SocketArray> {
        let len = if count_ptr.is_null() {
            0
        } else {
            // SAFETY: the C caller passes NULL or a valid pointer to a size_t.
            unsafe { count_ptr.read() }
        };
        if len > MAX_SELECT_ENTRIES || (len > 0 && ptr.is_null()) {
            return Err(Error::Invalid);
        }
        Ok(SocketArray {
            ptr,
            count_ptr,
            len,
        })
    }

    fn range(&self) -> (usize, usize) {
        let start = self.ptr as usize;
        (
            start,
            start + self.len * std::mem::size_of::<sockhelp_socket>(),
        )
    }

    fn overlaps(&self, other: &SocketArray) -> bool {
        if self.len == 0 || other.len == 0 {
            return false;
        }
        let (a0, a1) = self.range();
        let (b0, b1) = other.range();
        a0 < b1 && b0 < a1
    }

    /// The array as a slice. Only called once the three arrays are known not to overlap.
    fn slice<'a>(&self) -> &'a mut [sockhelp_socket] {
        if self.len == 0 {
            return &mut [];
        }
        // SAFETY: the C caller promises `len` readable and writable sockets at `ptr`, alive
        // for the call; `new` checked `ptr` is not NULL and `len` is bounded, and the caller
        // of `slice` checked that no other slice made here overlaps this one.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }

    fn store(&self, n: usize) {
        crate::ffi::put(self.count_ptr, n);
    }
}

fn select_body(
    readers: SocketArray,
    writers: SocketArray,
    errors: SocketArray,
    timeout_ms: c_int,
) -> Result<usize> {
    let deadline = Deadline::from_timeout_ms(timeout_ms)?;
    if readers.overlaps(&writers) || readers.overlaps(&errors) || writers.overlaps(&errors) {
        return Err(Error::Invalid);
    }
    let counts = [readers.count_ptr, writers.count_ptr, errors.count_ptr];
    for i in 0..counts.len() {
        for j in i + 1..counts.len() {
            if !counts[i].is_null() && counts[i] == counts[j] {
                return Err(Error::Invalid);
            }
        }
    }
    let ready = select::select(readers.slice(), writers.slice(), errors.slice(), deadline)?;
    readers.store(ready.readers);
    writers.store(ready.writers);
    errors.store(ready.errors);
    Ok(ready.total())
}

/// Python's `select.select` for C, without `FD_SETSIZE`: waits until at least one socket
/// in the three arrays is ready, then keeps in each array only its ready sockets.
///
/// - `readers` / `writers` / `errors`: arrays of `*n_readers` / `*n_writers` / `*n_errors`
///   sockets. An array may be NULL when its count is 0; a NULL count pointer means 0. A
///   socket may appear in several arrays (it is polled once). The arrays must not overlap.
/// - Ready means: in `readers`, a read (or an accept on a listener) will not block: data,
///   a pending connection, the peer's close, a hang-up or an error (`POLLIN|POLLHUP|POLLERR`);
///   in `writers`, a write will not block, or a non-blocking connect finished, successfully
///   or not (read `SO_ERROR` to know which) (`POLLOUT|POLLHUP|POLLERR`); in `errors`, the
///   exceptional condition: out-of-band data (`POLLPRI`; `POLLRDBAND` on Windows) or a pending
///   socket error (`POLLERR`, e.g. a refused connect). A socket that is only in `errors` and
///   merely hangs up is not reported there (as with Python's select).
/// - On return > 0 each array holds its ready sockets at its front, in their original
///   order, and each count is updated; on 0 (timeout) every count is set to 0. On an error
///   the arrays and counts are left untouched.
/// - Built on `poll()` (`WSAPoll` on Windows), never `select()`: any descriptor number
///   works, however large. At most 1,000,000 entries in all.
/// - `timeout_ms`: -1 waits forever, 0 polls once, > 0 is a deadline for the whole call;
///   an interrupted wait (`EINTR`) is resumed with the time left. With all counts 0 the call
///   just sleeps for `timeout_ms`.
///
/// Returns the number of ready entries over the three arrays (a socket ready in two arrays
/// counts twice), 0 on timeout, or `SOCKHELP_EINVAL` (an array NULL with a non-zero count,
/// a socket value `SOCKHELP_INVALID_SOCKET`, more than 1,000,000 entries, overlapping arrays
/// or shared count pointers, `timeout_ms` < -1, all counts 0 with `timeout_ms` -1),
/// `SOCKHELP_EOS` (an entry is not an open socket: `sockhelp_last_os_error()` is `EBADF`,
/// `WSAENOTSOCK` on Windows; or another system error), `SOCKHELP_ENOMEM`,
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_select(
    readers: *mut sockhelp_socket,
    n_readers: *mut usize,
    writers: *mut sockhelp_socket,
    n_writers: *mut usize,
    errors: *mut sockhelp_socket,
    n_errors: *mut usize,
    timeout_ms: c_int,
) -> c_int {
    boundary(Error::Internal.code(), || {
        let r = SocketArray::new(readers, n_readers).and_then(|r| {
            let w = SocketArray::new(writers, n_writers)?;
            let e = SocketArray::new(errors, n_errors)?;
            select_body(r, w, e, timeout_ms)
        });
        match r {
            Ok(n) => n as c_int,
            Err(e) => code(Err(e)),
        }
    })
}

fn poller_mut<'a>(p: *mut sockhelp_poller) -> Result<&'a mut Poller> {
    if p.is_null() {
        return Err(Error::Invalid);
    }
    // SAFETY: a non-NULL `p` came from `sockhelp_poller_new`, is not freed, and is used by
    // one thread at a time (the documented contract).
    Ok(unsafe { &mut (*p).inner })
}

fn free_poller(p: *mut sockhelp_poller) {
    // SAFETY: a non-NULL `p` came from `sockhelp_poller_new` and is freed once (the C
    // contract).
    drop(unsafe { Box::from_raw(p) });
}

/// The caller's `events` array (non-NULL, at least `len` entries) as a zeroed slice.
fn event_slice<'a>(events: *mut sockhelp_event, len: usize) -> &'a mut [sockhelp_event] {
    // SAFETY: the C caller promises at least `len` writable events at `events`, alive and
    // unaliased for the call; `events` is not NULL. Zeroing first makes every entry a valid
    // `sockhelp_event` even if the caller's memory was not initialized.
    unsafe {
        ptr::write_bytes(events, 0, len);
        std::slice::from_raw_parts_mut(events, len)
    }
}

/// Makes a new, empty poller: a set of sockets watched together, level-triggered (a socket
/// is reported at every wait for as long as it is ready, like `sockhelp_select`), built on
/// epoll (Linux), kqueue (BSDs, macOS) or IOCP (Windows). For thousands of sockets.
///
/// The poller belongs to the caller: free it with `sockhelp_poller_free`. Use it from one
/// thread at a time. Never waits.
///
/// Returns the poller, or NULL when the system cannot make one (`sockhelp_last_os_error()`
/// tells why, e.g. `EMFILE`) or memory runs out.
#[no_mangle]
pub extern "C" fn sockhelp_poller_new() -> *mut sockhelp_poller {
    boundary(ptr::null_mut(), || match Poller::new() {
        Ok(inner) => {
            let waker = inner.waker();
            Box::into_raw(Box::new(sockhelp_poller { inner, waker }))
        }
        Err(e) => {
            code(Err(e));
            ptr::null_mut()
        }
    })
}

/// Frees a poller from `sockhelp_poller_new`; NULL is fine. Sockets still added are
/// unregistered, never closed: they stay the caller's.
#[no_mangle]
pub extern "C" fn sockhelp_poller_free(p: *mut sockhelp_poller) {
    boundary((), || {
        if !p.is_null() {
            free_poller(p);
        }
    })
}

/// Starts watching socket `s` (which stays the caller's) for `interest`:
/// `SOCKHELP_READABLE` and/or `SOCKHELP_WRITABLE`. `SOCKHELP_HANGUP` and `SOCKHELP_ERROR`
/// are always reported where the system reports them (epoll, IOCP; kqueue shows a hang-up
/// as readable), so they may be given but change nothing. Interest 0 is allowed: the socket
/// stays registered and reports only hang-ups and errors. Every event for `s` carries `tag`
/// (any 64-bit value, e.g. a pointer or an index). Never waits.
///
/// Remove a socket before closing it. If a socket was closed without being removed and a new
/// socket got the same number, adding that number works on Linux (the system had dropped
/// the old one); elsewhere call `sockhelp_poller_remove` for it first. These rules hold for
/// sockets shared with another descriptor too (`dup`, a forked child, a pre-fork server):
/// once the caller has closed its number and removed it (in either order), the poller never
/// reports the old socket again, neither under its tag nor under the tag of a new socket
/// that gets the same number, and no wait spins on it.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `p`, `SOCKHELP_INVALID_SOCKET`, unknown
/// interest bits, `s` already added), `SOCKHELP_EOS` (e.g. `EBADF`: `s` is not an open
/// descriptor; `EPERM`: it cannot be polled), `SOCKHELP_ENOMEM`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_poller_add(
    p: *mut sockhelp_poller,
    s: sockhelp_socket,
    interest: u32,
    tag: u64,
) -> c_int {
    boundary(Error::Internal.code(), || {
        code(poller_mut(p).and_then(|poller| poller.add(s, interest, tag)))
    })
}

/// Changes the interest (as in `sockhelp_poller_add`) and the tag of a socket already added.
/// Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `p`, `s` not added or already removed,
/// unknown interest bits), `SOCKHELP_EOS` (e.g. `EBADF` / `ENOENT` when `s` was closed without
/// being removed: remove it), `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_poller_modify(
    p: *mut sockhelp_poller,
    s: sockhelp_socket,
    interest: u32,
    tag: u64,
) -> c_int {
    boundary(Error::Internal.code(), || {
        code(poller_mut(p).and_then(|poller| poller.modify(s, interest, tag)))
    })
}

/// Stops watching socket `s` and forgets it; `s` is not closed (it stays the caller's).
/// Removing a socket the caller already closed is fine: it is forgotten and
/// `SOCKHELP_OK` is returned (the system had dropped it already). Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `p`, `s` not added or already removed),
/// `SOCKHELP_EOS` (an unexpected system error; `s` is forgotten all the same),
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_poller_remove(p: *mut sockhelp_poller, s: sockhelp_socket) -> c_int {
    boundary(Error::Internal.code(), || {
        code(poller_mut(p).and_then(|poller| poller.remove(s)))
    })
}

/// Waits until at least one added socket is ready, then writes one `sockhelp_event` per
/// ready socket (its tag and the bits that hold) to `events[0..]`.
///
/// - `cap`: the room in `events`. When more sockets are ready than fit (or than 1024, the
///   most one wait fetches), `cap` events are returned and the others are reported by the
///   next wait: the poller is level-triggered, so a socket is reported again at every wait
///   for as long as it is ready (read the data or remove the socket to quiet it).
/// - `SOCKHELP_READABLE` / `SOCKHELP_WRITABLE` appear only where asked for;
///   `SOCKHELP_HANGUP` / `SOCKHELP_ERROR` whatever the interest (where the system reports
///   them). A TCP peer's orderly close shows as `SOCKHELP_READABLE` (the next recv returns
///   0); `SOCKHELP_HANGUP` means both directions are closed or the connection was reset.
/// - `timeout_ms`: -1 waits forever, 0 only looks, > 0 is a deadline for the whole call; an
///   interrupted wait (`EINTR`) is resumed with the time left.
/// - Allocates nothing while `cap` stays the same from wait to wait.
///
/// Returns the number of events written (1..`cap`), 0 on timeout, or `SOCKHELP_EINVAL`
/// (NULL `p`, NULL `events`, `cap` 0, `timeout_ms` < -1), `SOCKHELP_EOS`, `SOCKHELP_ENOMEM`,
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_poller_wait(
    p: *mut sockhelp_poller,
    events: *mut sockhelp_event,
    cap: usize,
    timeout_ms: c_int,
) -> c_int {
    boundary(Error::Internal.code(), || {
        let r = (|| {
            let poller = poller_mut(p)?;
            if events.is_null() || cap == 0 {
                return Err(Error::Invalid);
            }
            let deadline = Deadline::from_timeout_ms(timeout_ms)?;
            let len = cap.min(MAX_EVENTS_PER_WAIT);
            poller.wait(event_slice(events, len), deadline)
        })();
        match r {
            Ok(n) => n as c_int,
            Err(e) => code(Err(e)),
        }
    })
}

/// Makes the wait in progress on `p` (in another thread) return promptly, or, when none is
/// in progress, the next one. The woken wait returns the events ready by then, possibly
/// none (0, as on a timeout). Wakes before a wait coalesce: several wakes make one wait
/// return early, not several. Never waits.
///
/// Unlike every other call on a poller, this one may be called from any thread while
/// another thread uses the poller, and from a signal handler: on Linux it is one `write(2)`
/// to an eventfd and async-signal-safe (it touches no lock, no thread-local state, and
/// allocates nothing). Elsewhere it is the system's notify (thread-safe). It must not race
/// with `sockhelp_poller_free`.
///
/// The Ctrl-C pattern: the SIGINT handler sets a `volatile sig_atomic_t` flag and calls
/// `sockhelp_poller_wake(p)`; the loop checks the flag each time `sockhelp_poller_wait`
/// returns, and stops cleanly.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `p`); `SOCKHELP_EOS` (the system refused;
/// not expected). It does not set `sockhelp_last_os_error()` (thread-local state is not
/// async-signal-safe).
#[no_mangle]
pub extern "C" fn sockhelp_poller_wake(p: *mut sockhelp_poller) -> c_int {
    // No panic boundary here: `boundary` touches thread-local state, which is not
    // async-signal-safe, and nothing below can panic (a pointer check, a field borrow, one
    // write(2)).
    if p.is_null() {
        return Error::Invalid.code();
    }
    // SAFETY: a non-NULL `p` came from `sockhelp_poller_new` and is not freed (the C
    // contract). Only the `waker` field is borrowed, shared, through the raw pointer: a wait
    // on another thread holds `&mut` to the disjoint `inner` field only.
    let waker = unsafe { &(*p).waker };
    match waker.wake() {
        Ok(()) => 0,
        Err(e) => e.code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_match_the_core() {
        assert_eq!(SOCKHELP_READABLE, select::READABLE);
        assert_eq!(SOCKHELP_WRITABLE, select::WRITABLE);
        assert_eq!(SOCKHELP_HANGUP, select::HANGUP);
        assert_eq!(SOCKHELP_ERROR, select::ERROR);
    }
}
