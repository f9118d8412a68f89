//! Python's cffi, the way Python projects bind C libraries: `ffi.cdef()` of the committed
//! declarations (include/sockhelp_cffi.h, made from the header by scripts/gen-cffi.py),
//! `ffi.dlopen()` of the release shared library, and real calls (tests/cffi/calls.py):
//! sockhelp_version, sockhelp_strerror, sockhelp_sendall / sockhelp_recvall over a
//! socketpair, a frame through a reader, the peer's close.
//!
//! Needs python3 with cffi (scripts/test.sh installs python3-cffi when missing); without
//! it the test fails saying what to install.
#![cfg(target_os = "linux")]

mod common;

use std::process::{Command, Stdio};

use common::{assert_success, root, wait_output};

#[test]
fn cffi_declarations_are_fresh() {
    let child = Command::new("python3")
        .arg(root().join("scripts/gen-cffi.py"))
        .arg("--check")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let out = wait_output(child, common::RUN_LIMIT);
    assert_success(
        "include/sockhelp_cffi.h is what scripts/gen-cffi.py makes of the header",
        &out,
    );
}

/// The tree's declarations and the shared library as built (tests/packaging.rs runs the
/// same calls through the installed ones).
#[test]
fn python_cffi_calls_sendall_and_recvall_through_the_shared_library() {
    // Builds libsockhelp.a and libsockhelp.so (cargo build --release --lib).
    let lib = common::staticlib().with_file_name("libsockhelp.so");
    common::python_cffi_calls(&root().join("include/sockhelp_cffi.h"), &lib);
}
