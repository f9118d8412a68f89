//! The panic boundary and the mapping of results to C codes.

use std::cell::Cell;
use std::os::raw::c_int;
use std::panic::{self, AssertUnwindSafe};
use std::ptr;
use std::sync::Once;

use super::put;
use crate::error::{Error, Result};

thread_local! {
    /// The OS error behind the last failing call on this thread.
    static LAST_OS_ERROR: Cell<i32> = const { Cell::new(0) };
    /// Depth of sockhelp calls on this thread: a panic inside one prints nothing.
    static IN_CALL: Cell<u32> = const { Cell::new(0) };
}

#[cfg(test)]
thread_local! {
    /// Test-only hook: the next exported call on this thread panics inside the boundary.
    pub(super) static FORCE_PANIC: Cell<bool> = const { Cell::new(false) };
}

static QUIET_PANICS: Once = Once::new();

/// Installs (once) a panic hook that stays silent for panics inside sockhelp
/// calls (they become `SOCKHELP_EINTERNAL`) and defers to the previous hook
/// for everything else, so a Rust host program keeps its own reporting.
fn quiet_panics_inside_calls() {
    QUIET_PANICS.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_CALL.with(|c| c.get()) == 0 {
                previous(info);
            }
        }));
    });
}

/// What an exported function returns when its body panicked, chosen by its return type:
/// `SOCKHELP_EINTERNAL` for a code, NULL for a pointer, 0 for a size, nothing for `()`.
pub(super) trait OnPanic {
    fn on_panic() -> Self;
}

impl OnPanic for c_int {
    fn on_panic() -> c_int {
        Error::Internal.code()
    }
}

impl OnPanic for usize {
    fn on_panic() -> usize {
        0
    }
}

impl OnPanic for () {
    fn on_panic() {}
}

impl<T> OnPanic for *mut T {
    fn on_panic() -> *mut T {
        ptr::null_mut()
    }
}

impl<T> OnPanic for *const T {
    fn on_panic() -> *const T {
        ptr::null()
    }
}

/// Runs `f` with panics caught: a panic returns `T::on_panic()` instead of unwinding into C.
/// Inlined into each exported function: a call of its own (the closure's captures spilled
/// to the stack, a second prologue) cost the per-frame calls about 20 instructions each.
#[inline(always)]
pub(super) fn boundary<T: OnPanic>(f: impl FnOnce() -> T) -> T {
    quiet_panics_inside_calls();
    // One thread-local look-up per call, in a closure small enough to be inlined (the
    // address of this thread's counter), so the body below is not a closure that the
    // thread-local machinery calls through a pointer: every exported call pays for this.
    let depth: *const Cell<u32> = IN_CALL.with(|depth| depth as *const Cell<u32>);
    // SAFETY: `depth` is this thread's own counter (a `Cell` with a constant initializer
    // and no destructor), alive as long as the thread; it is used on this thread only,
    // within this call.
    let depth = unsafe { &*depth };
    depth.set(depth.get() + 1);
    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        #[cfg(test)]
        if FORCE_PANIC.with(|c| c.replace(false)) {
            panic!("panic forced by a test");
        }
        f()
    }));
    // Never below zero: the increment above came first, on this thread.
    depth.set(depth.get().wrapping_sub(1));
    r.unwrap_or_else(|_| T::on_panic())
}

/// The C code of a result, remembering the OS error for `sockhelp_last_os_error`.
pub(super) fn code(r: Result<()>) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => {
            // Every error sets it, so it never describes an older failure (0: no OS error).
            LAST_OS_ERROR.with(|c| c.set(e.os_code().unwrap_or(0)));
            e.code()
        }
    }
}

/// Runs a fallible body inside the panic boundary and returns its C code.
#[inline(always)]
pub(super) fn call(f: impl FnOnce() -> Result<()>) -> c_int {
    boundary(|| code(f()))
}

/// Runs a body that counts something inside the panic boundary: the count (>= 0) on
/// success, the negative C code on failure.
pub(super) fn call_count(f: impl FnOnce() -> Result<usize>) -> c_int {
    boundary(|| match f() {
        Ok(n) => c_int::try_from(n).unwrap_or(c_int::MAX),
        Err(e) => code(Err(e)),
    })
}

/// The "zero the count, call, write the count" shape of the calls with a count
/// out-parameter (`*sent`, `*received`, `*len`...; `count` may be NULL): the count is 0 until
/// the body has run, then what the body counted, on every return. The body returns
/// `Err` for a refusal before anything was counted (the count stays 0), or the count with
/// the call's result (a short count beside its error: a timeout after some bytes).
pub(super) fn call_with_count(
    count: *mut usize,
    f: impl FnOnce() -> Result<(usize, Result<()>)>,
) -> c_int {
    put(count, 0);
    call(|| {
        let (n, r) = f()?;
        put(count, n);
        r
    })
}

pub(super) fn last_os_error() -> i32 {
    LAST_OS_ERROR.with(|c| c.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth() -> usize {
        IN_CALL.with(|d| d.get() as usize)
    }

    /// The depth counter that keeps panics inside calls quiet: 1 inside a call, 2 inside a
    /// nested one, back to 0 after each, also after a panic was caught.
    #[test]
    fn the_depth_counter_counts_calls_and_is_restored_after_a_panic() {
        assert_eq!(depth(), 0);
        assert_eq!(boundary(depth), 1);
        assert_eq!(boundary(|| boundary(depth)), 2);
        assert_eq!(depth(), 0);
        FORCE_PANIC.with(|c| c.set(true));
        assert_eq!(call(|| Ok(())), Error::Internal.code());
        assert_eq!(depth(), 0);
        assert_eq!(boundary(|| -> usize { panic!("inside") }), 0);
        assert_eq!(depth(), 0);
    }
}
