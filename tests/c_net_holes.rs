//! Issue 23's outside cases in the networking calls, driven from C through the header:
//! addresses printed losslessly within `SOCKHELP_ADDR_MAX`, `connect_finish` on sockets
//! that are not connecting, the resolver bounded (threads and `listen`'s wait), and
//! `close_graceful`'s deadline against a peer that keeps sending.
//!
//! Linux: the resolver test counts threads in `/proc/self/task`, the address test binds
//! abstract Unix names.
#![cfg(target_os = "linux")]

mod common;

use common::{assert_success, build_c, run, run_c_test};

/// A peer binds a 107-byte name that is not UTF-8, or an abstract name with a NUL inside:
/// accept_addr writes it (escaped, NUL-terminated) into a SOCKHELP_ADDR_MAX buffer, and
/// no two different names print alike; cap is checked alike in the three calls.
#[test]
fn unix_addresses_are_escaped_and_always_fit() {
    run_c_test("addresses_escaped");
}

/// connect_finish on a listener, a pipe, a UDP socket: SOCKHELP_EOS at once, not
/// EWOULDBLOCK forever.
#[test]
fn connect_finish_on_a_socket_not_connecting_is_eos() {
    run_c_test("connect_finish_not_connecting");
}

fn run_resolver(part: &str) {
    let exe = build_c("resolver_bounded", &["tests/c/resolver_bounded.c"], &[]);
    let out = run(&exe, &[part]);
    assert_success(&format!("resolver_bounded {}", part), &out);
    print!("{}", String::from_utf8_lossy(&out.stdout));
}

/// A DNS server that never answers: 16 timed-out connects leave at most 4 threads behind.
#[test]
fn timed_out_lookups_leave_no_unbounded_threads() {
    run_resolver("threads");
}

/// A DNS server that never answers: listen with a name returns ETIMEDOUT within its bound.
#[test]
fn listen_on_a_name_is_bounded_by_the_resolver_limit() {
    run_resolver("listen");
}

/// A peer that floods and never closes: close_graceful(200) returns by its deadline.
#[test]
fn close_graceful_keeps_its_deadline_against_a_flooding_peer() {
    run_c_test("close_graceful_flood");
}
