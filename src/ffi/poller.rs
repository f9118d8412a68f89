//! The poller through C: `sockhelp_poller_new` ... `sockhelp_poller_wait`. (The
//! `SOCKHELP_READABLE`... bits come from the table in `event_bits.rs`; build.rs writes them
//! into the header.)

use std::os::raw::c_int;
use std::ptr;

use crate::deadline::Deadline;
use crate::error::Error;
use crate::ffi::cast::castable;
use crate::ffi::{boundary, call, call_count, free_boxed, new_boxed, sockhelp_socket, try_mut};
use crate::poller::{Event, Poller, Waker, MAX_EVENTS_PER_WAIT};

/// A set of sockets watched together (epoll on Linux, kqueue on the BSDs and macOS, event
/// ports on illumos, IOCP on Windows), level-triggered. Made by `sockhelp_poller_new`, freed by `sockhelp_poller_free`;
/// used by one thread at a time.
#[allow(non_camel_case_types)]
pub struct sockhelp_poller {
    inner: Poller,
    /// Reached by `sockhelp_poller_wake` from other threads and signal handlers while a
    /// wait holds `inner`: borrowed shared through a field projection only, never through a
    /// reference to the whole struct (`try_mut` borrows `inner` alone).
    waker: Waker,
}

castable!(sockhelp_poller => Poller, |inner| sockhelp_poller {
    waker: inner.waker(),
    inner
});

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

impl From<Event> for sockhelp_event {
    fn from(e: Event) -> sockhelp_event {
        sockhelp_event {
            tag: e.tag,
            events: e.events,
        }
    }
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
/// epoll (Linux), kqueue (BSDs, macOS), event ports (illumos, where each socket a wait
/// reports is registered again before the wait returns, which makes the ports'
/// one-shot events level-triggered) or IOCP (Windows). For thousands of sockets.
///
/// The poller belongs to the caller: free it with `sockhelp_poller_free`. Use it from one
/// thread at a time. Never waits.
///
/// Returns the poller, or NULL when the system cannot make one (`sockhelp_last_os_error()`
/// tells why, e.g. `EMFILE`) or memory runs out.
#[no_mangle]
pub extern "C" fn sockhelp_poller_new() -> *mut sockhelp_poller {
    boundary(|| new_boxed(Poller::new()))
}

/// Frees a poller from `sockhelp_poller_new`; NULL is fine. Sockets still added are
/// unregistered, never closed: they stay the caller's.
#[no_mangle]
pub extern "C" fn sockhelp_poller_free(p: *mut sockhelp_poller) {
    free_boxed(p)
}

/// Starts watching socket `s` (which stays the caller's) for `interest`:
/// `SOCKHELP_READABLE` and/or `SOCKHELP_WRITABLE`. `SOCKHELP_HANGUP` and `SOCKHELP_ERROR`
/// are always reported where the system reports them (epoll, event ports, IOCP; not kqueue:
/// see `sockhelp_poller_wait`), so they may be given but change nothing. Interest 0 is
/// allowed: the socket stays registered and reports only hang-ups and errors (on kqueue,
/// nothing at all). Every event for `s` carries `tag` (any 64-bit value, e.g. a pointer or
/// an index). Never waits.
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
    call(|| try_mut(p)?.add(s, interest, tag))
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
    call(|| try_mut(p)?.modify(s, interest, tag))
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
    call(|| try_mut(p)?.remove(s))
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
///   them); `SOCKHELP_TIMEDOUT_EVENT` once the socket's deadline passed
///   (`sockhelp_poller_set_deadline`: the wait returns by the nearest deadline). A TCP
///   peer's orderly close shows as `SOCKHELP_READABLE` (the next recv returns
///   0); `SOCKHELP_HANGUP` means both directions are closed or the connection was reset;
///   `SOCKHELP_ERROR` that an error is pending (a reset, a failed connect).
/// - On kqueue (macOS, the BSDs) `SOCKHELP_HANGUP` and `SOCKHELP_ERROR` are never set: the
///   system says neither. A peer's close, a reset and a pending error (a failed connect
///   too) show there as `SOCKHELP_READABLE` and/or `SOCKHELP_WRITABLE`, whichever were
///   asked for, and the next recv or send tells which (0, or the error). Code that must
///   notice a dead connection on every system asks for `SOCKHELP_READABLE`.
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
    call_count(|| {
        let poller = try_mut(p)?;
        if events.is_null() || cap == 0 {
            return Err(Error::Invalid);
        }
        let deadline = Deadline::from_timeout_ms(timeout_ms)?;
        let len = cap.min(MAX_EVENTS_PER_WAIT);
        poller.wait(event_slice(events, len), deadline)
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
    let waker = unsafe { &*std::ptr::addr_of!((*p).waker) };
    match waker.wake() {
        Ok(()) => 0,
        Err(e) => e.code(),
    }
}
