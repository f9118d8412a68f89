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

fn python_with_cffi() {
    let ok = Command::new("python3")
        .args(["-c", "import cffi"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "python3 with cffi is needed: apt-get install python3-cffi (or pip install cffi), \
         or run scripts/test.sh, which installs it when run as root"
    );
}

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

#[test]
fn python_cffi_calls_sendall_and_recvall_through_the_shared_library() {
    python_with_cffi();
    // Builds libsockhelp.a and libsockhelp.so (cargo build --release --lib).
    let lib = common::staticlib().with_file_name("libsockhelp.so");
    assert!(lib.is_file(), "{} was not built", lib.display());
    let child = Command::new("python3")
        .arg(root().join("tests/cffi/calls.py"))
        .arg(root().join("include/sockhelp_cffi.h"))
        .arg(&lib)
        .arg(env!("CARGO_PKG_VERSION"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let out = wait_output(child, common::RUN_LIMIT);
    assert_success("tests/cffi/calls.py", &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("cffi: ok"), "unexpected output: {}", stdout);
}
