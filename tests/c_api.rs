//! The C API driven from C: each test builds one program from `tests/c/` against
//! `libsockhelp.a` and asserts it exits 0 (its stderr names the failed check otherwise).
//! Each test is named after the Socket Programming HOWTO trap it guards.
//!
//! The C programs are POSIX (pthreads, fork, raw sockets for the hostile peer).
#![cfg(unix)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::{assert_success, build_c, run, run_c_test, start_server, syntax_check, wait_output};

/// 64 MiB each way through a peer that moves 1 byte at a time, then random chunks.
#[test]
fn partial_send_and_recv_are_looped() {
    run_c_test("short_send_recv");
}

/// The peer sends 1000 bytes and closes: ECLOSED with exactly 1000 received.
#[test]
fn recv_zero_is_peer_closed_and_keeps_the_bytes() {
    run_c_test("peer_closed");
}

/// SO_LINGER {1, 0} + close: ERESET from recvall and from a later sendall.
#[test]
fn peer_reset_is_an_error_not_a_hang() {
    run_c_test("peer_reset");
}

/// A silent peer: recvall / sendall with timeout 200 end in ~200 ms with the true count.
#[test]
fn silent_peer_is_bounded_by_the_timeout() {
    run_c_test("silent_peer_timeout");
}

/// Non-blocking sockets work with timeout -1 and no call changes the socket's mode.
#[test]
fn nonblocking_sockets_work_and_modes_are_kept() {
    run_c_test("socket_mode_kept");
}

/// timeout 0 is one attempt: EWOULDBLOCK at once, count = what was there.
#[test]
fn timeout_zero_never_waits() {
    run_c_test("timeout_zero");
}

/// With SIGPIPE at its default, writing to a closed or reset peer returns ERESET and the
/// process lives.
#[test]
fn writing_to_a_closed_peer_raises_no_sigpipe() {
    run_c_test("no_sigpipe");
}

/// NULL pointers, bad `how`, timeouts below -1, closed descriptors: codes, not crashes.
#[test]
fn misuse_gives_error_codes_not_crashes() {
    run_c_test("bad_args");
}

/// sendall / recvall on SOCKHELP_INVALID_SOCKET must say EINVAL (the header's contract),
/// not pass -1 on to the system.
#[test]
fn invalid_socket_is_einval_for_sendall_and_recvall() {
    run_c_test("invalid_socket_bytes");
}

/// Connecting to a loopback port where nothing listens: EREFUSED at once.
#[test]
fn connect_to_a_closed_port_is_refused_at_once() {
    run_c_test("connect_refused");
}

/// Connecting to a listener whose queue is full (SYNs dropped): ETIMEDOUT in ~300 ms.
#[test]
fn connect_that_gets_no_answer_times_out() {
    run_c_test("connect_timeout");
}

/// accept with 200 / 0 / -1, and the accepted socket is blocking whatever the listener.
#[test]
fn accept_is_bounded_and_gives_blocking_sockets() {
    run_c_test("accept_timeout");
}

/// A pre-fork server: six processes accept on one blocking listener, one connection
/// arrives; the losers come back by their deadline (0 and 300 ms), never block in
/// accept(). And accept on a socket that is not listening fails at once (EOS, EINVAL).
#[test]
fn accept_on_a_shared_listener_never_outlives_its_deadline() {
    run_c_test("accept_shared_listener");
}

/// Who connected: peer/local addresses for IPv4 and IPv6, ENOSPACE with the size needed,
/// accept_addr giving the address in the same call and refusing a short buffer first.
#[test]
fn addresses_print_and_never_overflow_the_callers_buffer() {
    run_c_test("addresses");
}

/// Unix-domain sockets: listen/connect, the existing-file rules, and sendall/recvall,
/// framing, select, the poller and close_graceful on them unchanged.
#[test]
fn unix_sockets_work_with_every_call_and_keep_foreign_files() {
    run_c_test("unix_sockets");
}

/// connect_start / connect_finish: connected, refused, still in progress, and an OS
/// timeout (TCP_USER_TIMEOUT on unanswered SYNs) reported as ERESET + ETIMEDOUT, never as
/// the caller's ETIMEDOUT; last_os_error is 0 after ENOTFOUND; os_strerror's static text.
#[test]
fn nonblocking_connect_reports_how_it_ended() {
    run_c_test("connect_nonblocking");
}

/// shutdown(WR), drain, close: OK with a polite peer, ETIMEDOUT (and closed) otherwise.
#[test]
fn close_graceful_shuts_down_drains_and_closes() {
    run_c_test("close_graceful");
}

/// TCP_NODELAY, keepalive timings (checked with getsockopt), shutdown(WR) gives EOF.
#[test]
fn nodelay_keepalive_and_shutdown_do_what_they_say() {
    run_c_test("socket_options");
}

/// The header alone, as C99 and as C++11, every warning an error.
#[test]
fn header_compiles_as_c99_and_cpp() {
    let src = "tests/c/header_compiles.c";
    let c = syntax_check(
        false,
        &[
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-Iinclude",
        ],
        src,
    );
    assert_success("the header as C99", &c);
    let cpp = syntax_check(
        true,
        &[
            "-std=c++11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-Iinclude",
            "-x",
            "c++",
        ],
        src,
    );
    assert_success("the header as C++11", &cpp);
}

/// The examples in `c_examples/` (the HOWTO's echo client and server) build with the
/// strict flags and work together: the server prints its port, the client sends
/// messages up to several MiB and checks every echo, the server stops after one client.
#[test]
fn c_examples_echo_client_and_server_work() {
    let server = build_c("echo_server", &["c_examples/echo_server.c"], &[]);
    let client = build_c("echo_client", &["c_examples/echo_client.c"], &[]);

    let (child, stdout, port) = start_server(&server, &["0", "1"]);

    let out = run(&client, &["127.0.0.1".to_string(), port.to_string()]);
    assert_success("echo_client", &out);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("all echoed intact"), "client said: {}", said);

    let server_out = wait_output(child, Duration::from_secs(30));
    drop(stdout); // kept open until now: the server may print more lines
    assert_success("echo_server (after its one client)", &server_out);
}

/// `c_examples/connect_many.c`: 100 connections started at once with connect_start,
/// finished through the poller, each with a checked round trip to `select_server --poller`.
#[test]
fn c_examples_connect_many_connects_100_clients_through_the_poller() {
    let server = build_c("select_server", &["c_examples/select_server.c"], &[]);
    let client = build_c("connect_many", &["c_examples/connect_many.c"], &[]);
    let (child, stdout, port) = start_server(&server, &["--poller", "--conns", "100"]);
    let out = run(&client, &[port.to_string(), "100".to_string()]);
    assert_success("connect_many", &out);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("100 connections"), "client said: {}", said);
    assert!(said.contains("all replies right"), "client said: {}", said);
    let server_out = wait_output(child, Duration::from_secs(30));
    drop(stdout);
    assert_success("select_server (after 100 connections)", &server_out);
}

/// Every `extern "C"` function of `src/ffi` is a defined global symbol of the
/// static library (what `nm -g --defined-only libsockhelp.a` lists), so a C
/// program can link against any name the header declares.
#[test]
fn every_exported_function_is_defined_in_the_static_library() {
    let lib = common::staticlib();
    let out = Command::new("nm")
        .args(["-g", "--defined-only"])
        .arg(&lib)
        .output()
        .expect("nm runs (install binutils to run this test)");
    assert!(out.status.success());
    let symbols = String::from_utf8_lossy(&out.stdout);
    let defined: std::collections::HashSet<&str> = symbols
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(_), Some("T"), Some(name)) => Some(name),
                _ => None,
            }
        })
        .collect();
    let mut count = 0;
    for entry in std::fs::read_dir(common::root().join("src/ffi")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("pub extern \"C\" fn ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    defined.contains(name.as_str()),
                    "{} is not in {:?}",
                    name,
                    lib
                );
                count += 1;
            }
        }
    }
    assert!(count >= 40, "only {} exported functions found", count);
}
