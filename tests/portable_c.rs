//! The portable C tests (`tests/cwin/*.c`) built with the host's C compiler and run here.
//! The same sources are cross-compiled with mingw and run under Wine by
//! `scripts/windows-test.sh`; this driver is POSIX-only because it needs a C compiler on
//! the host (there is none inside Wine).
#![cfg(unix)]

mod common;

use common::{assert_success, build_c, run};

fn run_cwin(name: &str) {
    let src = format!("tests/cwin/{}.c", name);
    let exe = build_c(&format!("cwin_{}", name), &[&src], &["-Itests/cwin"]);
    let out = run(&exe, &[] as &[&str]);
    assert_success(&src, &out);
}

/// sendall / recvall: partial transfers, peer close, reset, timeouts.
#[test]
fn cwin_bytes() {
    run_cwin("cw_bytes");
}

/// A peer's RST is ERESET for recvall and sendall.
#[test]
fn cwin_reset() {
    run_cwin("cw_reset");
}

/// connect / accept / options / close_graceful.
#[test]
fn cwin_net() {
    run_cwin("cw_net");
}

/// send_frame / recv_frame / reader / writer.
#[test]
fn cwin_framing() {
    run_cwin("cw_framing");
}

/// select and the poller.
#[test]
fn cwin_select() {
    run_cwin("cw_select");
}

/// Addresses, accept_addr, connect_start/finish, os_strerror, Unix-domain sockets.
#[test]
fn cwin_servers() {
    run_cwin("cw_servers");
}

/// Length field, reader control mid-stream (set_framing, recvall, take, feed_some,
/// next_batch), writer limit, send_frames.
#[test]
fn cwin_protocol_io() {
    run_cwin("cw_protocol_io");
}
