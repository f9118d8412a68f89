//! Basics: version, strerror, last OS error, init/cleanup. (The result codes come from the
//! table in `error.rs`; build.rs writes them into the header.)

use std::os::raw::{c_char, c_int};

use crate::ffi::{boundary, call};
use crate::sys;

/// The major version of the header; compare with `sockhelp_version()` at run time.
#[allow(dead_code)] // a C macro (cbindgen reads it)
pub const SOCKHELP_VERSION_MAJOR: c_int = 0;
/// The minor version of the header.
#[allow(dead_code)] // a C macro (cbindgen reads it)
pub const SOCKHELP_VERSION_MINOR: c_int = 1;
/// The patch version of the header.
#[allow(dead_code)] // a C macro (cbindgen reads it)
pub const SOCKHELP_VERSION_PATCH: c_int = 0;

/// Prepares the socket layer: `WSAStartup(2.2)` on Windows, reference counted (call
/// `sockhelp_cleanup` once per successful `sockhelp_init`); a no-op elsewhere.
/// Call it before any other function on Windows. Never waits. The count is thread-safe:
/// `sockhelp_init` and `sockhelp_cleanup` may be called from any threads at once.
///
/// **Threads.** Every function may be called from any thread. A socket may be shared
/// between threads: one thread may `sockhelp_sendall` (or `send_frame`) while another
/// `sockhelp_recvall`s (or `recv_frame`s) on the same socket, since the two directions are
/// independent in the kernel; two threads sending at once (or receiving at once) on one
/// socket interleave their bytes, so serialize each direction yourself. A
/// `sockhelp_framing` is immutable once made and may be shared by any number of threads.
/// A `sockhelp_reader`, a `sockhelp_writer` and a `sockhelp_poller` are used by one thread
/// at a time (guard them with a lock to share them). Errors (`sockhelp_last_os_error`) are
/// per thread.
///
/// **A frame cut short.** When `sockhelp_send_frame` fails after sending part of a frame
/// (`*sent` > 0: wire bytes, header included), the peer holds half a frame and
/// `send_frame` cannot resume it. After `SOCKHELP_ETIMEDOUT` or `SOCKHELP_EWOULDBLOCK`
/// the connection is still good: encode the same payload with `sockhelp_frame_encode` and
/// `sockhelp_sendall` its bytes from offset `*sent`. After any other error, close the
/// connection. A `sockhelp_writer` keeps the unsent rest of every frame and finishes it on
/// the next flush: use one when sends may time out.
///
/// Returns `SOCKHELP_OK`, or `SOCKHELP_EOS` when Winsock cannot start.
#[no_mangle]
pub extern "C" fn sockhelp_init() -> c_int {
    call(sys::init)
}

/// Releases what one successful `sockhelp_init` took (`WSACleanup` on Windows); extra
/// calls are ignored. A no-op elsewhere.
#[no_mangle]
pub extern "C" fn sockhelp_cleanup() {
    boundary(sys::cleanup)
}

/// The library's version at run time, "MAJOR.MINOR.PATCH": a static string, never NULL.
/// Compare with the header's `SOCKHELP_VERSION_*` macros to detect a mismatch.
#[no_mangle]
pub extern "C" fn sockhelp_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// A static, never-NULL English description of a result code; unknown codes get
/// "unknown sockhelp error code". Do not free it.
#[no_mangle]
pub extern "C" fn sockhelp_strerror(code: c_int) -> *const c_char {
    crate::error::strerror_nul(code).as_ptr() as *const c_char
}

/// The OS error number (`errno`, or `WSAGetLastError()` on Windows) behind the last
/// failing call on the calling thread: set by `SOCKHELP_EOS`, `SOCKHELP_ERESET` and
/// `SOCKHELP_EREFUSED`, and reset to 0 by every other error code (`SOCKHELP_ENOTFOUND`,
/// `SOCKHELP_ETIMEDOUT`, ...), so it never describes an older failure. Successful calls leave
/// it alone. Each thread has its own. Print it with `sockhelp_os_strerror`.
#[no_mangle]
pub extern "C" fn sockhelp_last_os_error() -> c_int {
    crate::ffi::last_os_error()
}

/// A static, never-NULL English description of an OS error number as
/// `sockhelp_last_os_error()` returns it (`errno` values on POSIX, `WSAE*` values on
/// Windows): the same text on every platform for the same condition, e.g.
/// "connection refused". Unknown numbers get "unknown OS error". Thread-safe (unlike
/// `strerror`), never allocates; do not free it.
#[no_mangle]
pub extern "C" fn sockhelp_os_strerror(os_error: c_int) -> *const c_char {
    sys::os_strerror(os_error).as_ptr() as *const c_char
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_macros_match_the_package() {
        let v = format!(
            "{}.{}.{}",
            SOCKHELP_VERSION_MAJOR, SOCKHELP_VERSION_MINOR, SOCKHELP_VERSION_PATCH
        );
        assert_eq!(v, env!("CARGO_PKG_VERSION"));
    }
}
