//! Framing, select and the poller driven from C: the format test program and
//! the examples, including the HOWTO's inside-out server under 1000
//! concurrent connections.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{assert_success, build_c, run, run_c_test, wait_output};

/// Every wire format through the header: exact bytes, recv_frame and feed/next,
/// hostile input (4 GiB prefix, missing delimiter, non-digit, unknown type, close
/// mid-frame) and argument checks.
#[test]
fn every_framing_format_works_from_c() {
    run_c_test("framing_formats");
}

/// The poller and sockets shared with another descriptor (dup, fork): closed and removed,
/// they are never reported again, not under a new socket's tag either, and no wait (finite
/// or -1) spins on them (CPU time measured; the watchdog bounds every wait).
#[test]
fn poller_forgets_a_closed_socket_that_another_descriptor_shares() {
    run_c_test("poller_shared_socket");
}

/// A wait with -1 cannot be interrupted by a signal (EINTR is retried): the wake, from
/// another thread or a signal handler (the Ctrl-C pattern), coalesced, ends it.
#[test]
fn poller_wake_ends_a_forever_wait_from_a_thread_or_a_signal_handler() {
    run_c_test("poller_wake");
}

/// The general length field through the header: PostgreSQL, MQTT, DNS, TLS and ASCII
/// lengths byte for byte over a socket pair and fed one byte at a time, hostile values
/// (negative adjusted length, over the maximum, overlong varint), every refused spec with
/// EINVAL and `*out` NULL, and the code-returning constructors of the older formats.
#[test]
fn general_length_field_works_from_c() {
    run_c_test("framing_length_field");
}

/// The length-prefixed RPC example: 4 clients pipeline requests (one of 300 KB),
/// so receives hold several messages or half of one; every reply must be right.
#[test]
fn framed_rpc_example_answers_pipelined_requests() {
    let exe = build_c("framed_rpc", &["c_examples/framed_rpc.c"], &[]);
    let out = run(&exe, &["demo"]);
    assert_success("framed_rpc demo", &out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("every reply correct"));
}

/// The newline-delimited chat example: 3 clients x 50 lines (one sent in pieces),
/// every line relayed to everyone in order.
#[test]
fn line_chat_example_relays_every_line_in_order() {
    let exe = build_c("line_chat", &["c_examples/line_chat.c"], &[]);
    let out = run(&exe, &["demo"]);
    assert_success("line_chat demo", &out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("in order"));
}

/// Starts a server that prints `listening on PORT` first; returns it and the port.
fn start_server(
    exe: &std::path::Path,
    args: &[&str],
) -> (Child, BufReader<std::process::ChildStdout>, u16) {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let _ = stdout.read_line(&mut line);
    match line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|p| p.parse().ok())
    {
        Some(port) => (child, stdout, port),
        None => {
            let _ = child.kill();
            let out = wait_output(child, Duration::from_secs(5));
            panic!(
                "server did not print its port (got {:?}): {}",
                line,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// The inside-out server (one thread, non-blocking sockets, reader fill/next,
/// writer queue/flush) against `conns` concurrent connections x `trips` framed
/// round trips from another process; any lost, duplicated, reordered or corrupted
/// reply fails the client.
fn load_test(server_flags: &[&str], conns: u32, trips: u32) {
    let out = load_run(server_flags, &[], conns, trips);
    assert!(
        out.contains(&format!(
            "{} replies, all correct",
            conns as u64 * trips as u64
        )),
        "{}",
        out
    );
}

/// Runs the server and the load client; returns what both printed.
fn load_run(server_flags: &[&str], client_flags: &[&str], conns: u32, trips: u32) -> String {
    let server = build_c("select_server", &["c_examples/select_server.c"], &[]);
    let client = build_c("load_client", &["c_examples/load_client.c"], &[]);
    let conns_arg = conns.to_string();
    let mut args: Vec<&str> = server_flags.to_vec();
    args.extend_from_slice(&["--conns", &conns_arg]);
    let (child, stdout, port) = start_server(&server, &args);
    let mut client_args: Vec<String> = client_flags.iter().map(|a| a.to_string()).collect();
    client_args.extend([port.to_string(), conns.to_string(), trips.to_string()]);
    let out = run(&client, &client_args);
    assert_success("load_client", &out);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    println!("{}", said.trim());
    let server_out = wait_output(child, Duration::from_secs(60));
    let mut rest = String::new();
    let mut stdout = stdout;
    let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
    assert_success("select_server", &server_out);
    println!("{}", rest.trim());
    said + &rest
}

#[test]
fn inside_out_server_with_the_poller_serves_1000_connections() {
    load_test(&["--poller"], 1000, 100);
}

#[test]
fn inside_out_server_with_select_serves_500_connections() {
    load_test(&[], 500, 100);
}

/// Stress: 1000 clients, each with its own framing (u32 big-endian, u16 little-endian,
/// varint, 5 ASCII digits, 0-delimited), requests of random sizes up to 64 KiB, and
/// about 10% of the clients resetting mid-conversation (some with a request half
/// sent). The server must survive the resets, every other client must get every
/// reply intact and in order, and the server's peak RSS is reported.
#[test]
fn stress_mixed_formats_random_sizes_and_resets() {
    let out = load_run(
        &["--poller", "--mixed"],
        &["--mixed", "--resets", "10"],
        1000,
        20,
    );
    assert!(out.contains("all correct"), "{}", out);
    assert!(out.contains("connections reset on purpose"), "{}", out);
    let rss_kib: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("select_server: peak RSS "))
        .and_then(|r| r.trim_end_matches(" KiB").parse().ok())
        .expect("the server reports its peak RSS");
    // Per connection: a reader (one 64 KiB frame + 64 KiB) and a writer bounded by the
    // server's backlog limit; 1000 connections stay well under 1 GiB.
    assert!(rss_kib < 1 << 20, "peak RSS {} KiB", rss_kib);
}
