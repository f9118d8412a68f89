//! The C shell: every `extern "C"` function lives in this module's files, one
//! file per area. Each body checks pointers, converts, calls the safe core and
//! maps the result to a code, inside [`boundary`] so no panic reaches C.

#![allow(non_camel_case_types)]
// These functions are called from C, which has no `unsafe`: each one checks its
// pointers for NULL and documents what it requires of the rest.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use std::cell::Cell;
use std::os::raw::c_int;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::error::{Error, Result};

pub mod basics;
pub mod bytes;
pub mod framing;
pub mod net;
pub mod select;
pub mod stream;

thread_local! {
    /// The OS error behind the last failing call on this thread.
    static LAST_OS_ERROR: Cell<i32> = const { Cell::new(0) };
    /// Depth of sockhelp calls on this thread: a panic inside one prints nothing.
    static IN_CALL: Cell<u32> = const { Cell::new(0) };
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

/// Runs `f` with panics caught: a panic returns `on_panic` instead of unwinding into C.
pub(crate) fn boundary<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    quiet_panics_inside_calls();
    IN_CALL.with(|c| c.set(c.get() + 1));
    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        #[cfg(test)]
        if FORCE_PANIC.with(|c| c.replace(false)) {
            panic!("panic forced by a test");
        }
        f()
    }));
    IN_CALL.with(|c| c.set(c.get().saturating_sub(1)));
    r.unwrap_or(on_panic)
}

/// The C code of a result, remembering the OS error for `sockhelp_last_os_error`.
pub(crate) fn code(r: Result<()>) -> c_int {
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
pub(crate) fn call(f: impl FnOnce() -> Result<()>) -> c_int {
    boundary(Error::Internal.code(), || code(f()))
}

pub(crate) fn last_os_error() -> i32 {
    LAST_OS_ERROR.with(|c| c.get())
}

/// Writes `v` through `p` when `p` is not NULL.
pub(crate) fn put<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: the C caller passes NULL or a valid, aligned pointer to a T.
        unsafe { p.write(v) };
    }
}

/// `(ptr, len)` from C as a byte slice: NULL is allowed only with `len == 0`.
pub(crate) fn bytes<'a>(p: *const std::os::raw::c_void, len: usize) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() || len > isize::MAX as usize {
        return Err(Error::Invalid);
    }
    // SAFETY: the C caller promises `len` readable bytes at `p`, alive for the call.
    Ok(unsafe { std::slice::from_raw_parts(p as *const u8, len) })
}

/// `(ptr, len)` from C as a writable byte slice: NULL is allowed only with `len == 0`.
pub(crate) fn bytes_mut<'a>(p: *mut std::os::raw::c_void, len: usize) -> Result<&'a mut [u8]> {
    if len == 0 {
        return Ok(&mut []);
    }
    if p.is_null() || len > isize::MAX as usize {
        return Err(Error::Invalid);
    }
    // SAFETY: the C caller promises `len` writable bytes at `p`, alive and
    // unaliased for the call.
    Ok(unsafe { std::slice::from_raw_parts_mut(p as *mut u8, len) })
}

/// A C string as `&str`; NULL gives `None`, invalid UTF-8 is `Invalid`.
pub(crate) fn c_str<'a>(p: *const std::os::raw::c_char) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the C caller passes a NUL-terminated string alive for the call.
    let s = unsafe { std::ffi::CStr::from_ptr(p) };
    s.to_str().map(Some).map_err(|_| Error::Invalid)
}

#[cfg(test)]
thread_local! {
    /// Test-only hook: the next exported call on this thread panics inside the boundary.
    static FORCE_PANIC: Cell<bool> = const { Cell::new(false) };
}

#[cfg(all(test, unix))]
mod tests {
    use super::FORCE_PANIC;
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;

    use super::basics::{SOCKHELP_EINTERNAL, SOCKHELP_OK};
    use super::bytes::sockhelp_sendall;
    use super::framing::{sockhelp_framing_fixed, sockhelp_framing_free};

    #[test]
    fn a_panic_inside_an_exported_function_is_einternal_and_the_process_lives() {
        let (a, _b) = UnixStream::pair().unwrap();
        let mut sent = 99usize;
        FORCE_PANIC.with(|c| c.set(true));
        let rc = sockhelp_sendall(a.as_raw_fd(), b"x".as_ptr().cast(), 1, 100, &mut sent);
        assert_eq!(rc, SOCKHELP_EINTERNAL);
        assert_eq!(sent, 0);
        // Functions returning pointers give NULL instead.
        FORCE_PANIC.with(|c| c.set(true));
        assert!(sockhelp_framing_fixed(4).is_null());
        // And the next calls work normally.
        let rc = sockhelp_sendall(a.as_raw_fd(), b"x".as_ptr().cast(), 1, 100, &mut sent);
        assert_eq!((rc, sent), (SOCKHELP_OK, 1));
        let f = sockhelp_framing_fixed(4);
        assert!(!f.is_null());
        sockhelp_framing_free(f);
    }
}
