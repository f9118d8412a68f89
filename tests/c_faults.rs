//! Fault injection at the system-call seam: `tests/c/fault_shim.c` is preloaded
//! (LD_PRELOAD) into a C program linked with libsockhelp.a and wraps send,
//! sendmsg, recv and poll. Every helper is run against short reads and writes
//! of many sizes, EINTR and EAGAIN before and after partial progress (alone
//! and mixed), a reset mid-transfer and the peer's close mid-buffer and
//! mid-frame; `tests/c/faults.c` asserts exact counts and codes and that no
//! byte is lost or duplicated.
#![cfg(target_os = "linux")]

mod common;

use std::process::Command;

use common::{assert_success, build_c, build_shared, wait_output};

fn run_with_faults(plan: &str, args: &[&str]) -> String {
    let shim = build_shared("fault_shim", "tests/c/fault_shim.c");
    let exe = build_c("faults", &["tests/c/faults.c"], &["-ldl"]);
    let child = Command::new(&exe)
        .args(args)
        .env("LD_PRELOAD", &shim)
        .env("SOCKHELP_FAULTS", plan)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("faults starts");
    let out = wait_output(child, std::time::Duration::from_secs(150));
    assert_success(&format!("faults {:?} under [{}]", args, plan), &out);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Short transfers of every size class, EINTR and EAGAIN at different rates,
/// and mixes of them, through sendall/recvall, send_frame/recv_frame and the
/// non-blocking writer/reader.
#[test]
fn every_helper_survives_short_transfers_eintr_and_eagain() {
    let plans = [
        "max=1",
        "max=2",
        "max=3",
        "max=7",
        "max=4093",
        "eintr=2",
        "eintr=3",
        "eagain=2",
        "eagain=3",
        "eintr=2,max=5",
        "eagain=2,max=1",
        "eagain=3,eintr=5,max=999",
    ];
    for plan in plans {
        for scenario in ["bytes", "frames", "nonblocking"] {
            println!("{}", run_with_faults(plan, &[scenario]));
        }
    }
}

/// A reset after exactly B bytes: sendall says ERESET and reports exactly B sent,
/// even when the reset comes amid short writes and EINTRs.
#[test]
fn a_reset_mid_transfer_reports_exactly_what_was_sent() {
    for (plan, after) in [
        ("reset_after=0", "0"),
        ("reset_after=1", "1"),
        ("reset_after=100000", "100000"),
        ("reset_after=65537,max=777,eintr=3", "65537"),
    ] {
        println!("{}", run_with_faults(plan, &["reset", after]));
    }
}

/// recv returns 0 after exactly B bytes: recvall says ECLOSED with exactly B,
/// recv_frame hands out only the whole frames before the cut and keeps the rest.
#[test]
fn the_peer_closing_mid_buffer_or_mid_frame_loses_nothing() {
    for (plan, after) in [
        ("eof_after=0", "0"),
        ("eof_after=12345", "12345"),
        ("eof_after=12345,max=3,eintr=4", "12345"),
    ] {
        println!("{}", run_with_faults(plan, &["eof", after]));
    }
    for (plan, after) in [
        ("eof_after=2", "2"),
        ("eof_after=1004", "1004"),
        ("eof_after=12345", "12345"),
        ("eof_after=12345,max=5,eagain=2", "12345"),
    ] {
        println!("{}", run_with_faults(plan, &["eof_frames", after]));
    }
}
