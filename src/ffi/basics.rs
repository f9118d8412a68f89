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
/// Call it before any other function on Windows. Never waits.
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
/// `SOCKHELP_EOS`, `SOCKHELP_ERESET` or `SOCKHELP_EREFUSED` returned on the calling
/// thread; 0 if there was none. Each thread has its own.
#[no_mangle]
pub extern "C" fn sockhelp_last_os_error() -> c_int {
    crate::ffi::last_os_error()
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
