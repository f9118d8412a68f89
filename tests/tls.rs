//! TLS against real TLS servers and hostile peers (issue 21), through the C API alone.
//!
//! The library is built with the cargo feature `tls` into `target/ctest-tls` (its own
//! directory: the plain build of tests/common stays as it is), and the C programs linked
//! against it: the examples `https_get`, `redis_cli --tls`, `pg_query sslmode=require`,
//! `mqtt_pubsub --tls`, `tls_echo_server`, and the probe tests/c/tls_probe.c, which prints
//! each step's result by its code's name. No C program and no test here calls a TLS or
//! crypto function of its own: the certificates come from the `openssl` command line tool
//! (tests/servers/certs.rs), the TLS servers are `openssl s_server`, nginx, redis-server,
//! PostgreSQL and mosquitto (tests/servers), and the hostile peers are plain TCP threads
//! here that answer with crafted bytes.
//!
//! Hostile cases and the code the library must answer: a wrong name, an unknown CA, an
//! expired and a self-signed certificate (ECERT); a server that handshakes and goes silent
//! (ETIMEDOUT, on time); a listener that never answers the ClientHello (ETIMEDOUT, on time);
//! a cut without close_notify, by a sockhelp server and by a killed s_server (ETRUNCATED;
//! close_notify gives ECLOSED); bytes injected after PostgreSQL's SSLRequest answer and
//! after a STARTTLS answer (EPROTO); garbage instead of a ServerHello and a record announcing
//! more than 2^14 + 2048 bytes (ETLS, at once).
#![cfg(target_os = "linux")]

mod common;
mod servers;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, Once};
use std::time::Duration;

use common::{
    assert_success, build_c, build_c_tls, compiler, ctest_dir, describe, root, wait_output,
    C_FLAGS, NATIVE_LIBS,
};
use servers::certs::{self, Certs};
use servers::hostile::{self, hold, read_some};
use servers::{SServerMode, Server};

// ---------------------------------------------------------------------------------------
// The library with TLS, and the C programs linked against it.

static BUILD: Once = Once::new();
static BUILT: Mutex<Vec<(String, PathBuf)>> = Mutex::new(Vec::new());

fn tls_dir() -> PathBuf {
    root().join("target").join("ctest-tls")
}

/// `libsockhelp.a` with the feature `tls`, built once per test process.
fn tls_staticlib() -> PathBuf {
    let lib = tls_dir().join("release").join("libsockhelp.a");
    BUILD.call_once(|| {
        let out = Command::new(env!("CARGO"))
            .current_dir(root())
            .args(["build", "--release", "--lib", "--features", "tls"])
            .arg("--target-dir")
            .arg(tls_dir())
            .output()
            .expect("cargo can be started");
        assert!(
            out.status.success(),
            "cargo build --release --lib --features tls failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    assert!(lib.is_file(), "{} was not built", lib.display());
    lib
}

/// Compiles `source` (relative to the crate root) into `target/ctest-tls/bin/<name>`,
/// linked against the TLS library; once per test process.
fn build(name: &str, source: &str) -> PathBuf {
    let lib = tls_staticlib();
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = built.iter().find(|(n, _)| n == name) {
        return p.clone();
    }
    let bin = tls_dir().join("bin");
    std::fs::create_dir_all(&bin).expect("the bin directory can be created");
    let exe = bin.join(name);
    let mut cmd = compiler(false);
    cmd.current_dir(root())
        .args(C_FLAGS)
        .args(["-Iinclude", "-Itests/c", "-Ic_examples"])
        .arg(source)
        .arg("-o")
        .arg(&exe)
        .arg(&lib)
        .args(NATIVE_LIBS);
    let out = cmd.output().expect("the C compiler can be started");
    assert!(
        out.status.success(),
        "compiling {} failed: {:?}\n{}",
        source,
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = ctest_dir(); // the plain build's directory is not touched
    built.push((name.to_string(), exe.clone()));
    exe
}

fn example(name: &str) -> PathBuf {
    build(name, &format!("c_examples/{}.c", name))
}

fn probe_exe() -> PathBuf {
    build("tls_probe", "tests/c/tls_probe.c")
}

const RUN_LIMIT: Duration = Duration::from_secs(60);

fn run(exe: &Path, args: &[String]) -> Output {
    let child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {}", exe.display(), e));
    wait_output(child, RUN_LIMIT)
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs an example that must succeed; returns its stdout.
fn run_ok(name: &str, args: &[String], server: Option<&Server>) -> String {
    let out = run(&example(name), args);
    let (stdout, stderr) = text(&out);
    if !out.status.success() {
        panic!(
            "{} {:?} failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- server log ---\n{}",
            name,
            args,
            describe(&out.status),
            tail(&stdout, 3000),
            stderr,
            server.map(|s| s.log()).unwrap_or_default()
        );
    }
    stdout
}

/// Runs an example that must fail; returns its stderr.
fn run_fail(name: &str, args: &[String]) -> String {
    let out = run(&example(name), args);
    let (stdout, stderr) = text(&out);
    assert!(
        !out.status.success(),
        "{} {:?} succeeded where it must fail:\n{}",
        name,
        args,
        stdout
    );
    assert!(
        out.status.code().is_some(),
        "{} {:?} died ({}) instead of failing:\n{}",
        name,
        args,
        describe(&out.status),
        stderr
    );
    stderr
}

fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut at = s.len() - max;
    while !s.is_char_boundary(at) {
        at += 1;
    }
    &s[at..]
}

fn has_line(out: &str, line: &str) {
    assert!(
        out.lines().any(|l| l == line),
        "expected the line {:?} in:\n{}",
        line,
        tail(out, 3000)
    );
}

fn line_starting<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {:?} in:\n{}", prefix, tail(out, 3000)))
}

fn s(x: impl ToString) -> String {
    x.to_string()
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

// ---------------------------------------------------------------------------------------
// The probe.

/// A probe step's result: its code's name and how long it took.
#[derive(Debug)]
struct Step {
    code: String,
    elapsed_ms: u64,
    line: String,
}

fn step(out: &str, name: &str) -> Step {
    let line = line_starting(out, &format!("{}: ", name)).to_string();
    let mut words = line[name.len() + 2..].split(' ');
    let code = words.next().unwrap_or("").to_string();
    let elapsed_ms = words
        .next()
        .and_then(|w| w.strip_prefix("elapsed_ms="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no elapsed time in {:?}", line));
    Step {
        code,
        elapsed_ms,
        line,
    }
}

/// Runs the probe and returns its stdout (it exits 1 on a failed step: that is expected).
fn probe(args: &[String]) -> String {
    let out = run(&probe_exe(), args);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.code().is_some(),
        "tls_probe {:?} died ({}):\n{}\n{}",
        args,
        describe(&out.status),
        stdout,
        stderr
    );
    has_line(&stdout, "has_tls: 1");
    stdout
}

fn connect_args(port: u16, ca: &Path, extra: &[&str]) -> Vec<String> {
    let mut a = vec![s("connect"), s("127.0.0.1"), s(port), s("--cafile"), p(ca)];
    a.extend(extra.iter().map(|x| x.to_string()));
    a
}

/// Asserts the probe's `name` step answered `code`.
fn assert_step(out: &str, name: &str, code: &str) -> Step {
    let st = step(out, name);
    assert_eq!(st.code, code, "step {}: {}\n{}", name, st.line, out);
    st
}

// ---------------------------------------------------------------------------------------
// Real servers: the examples.

fn page(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// https_get against nginx with ssl: a small and a 1 MiB body, by IP address and by name,
/// the certificate verified against the test's CA; bodies byte for byte.
#[test]
fn https_get_fetches_from_nginx() {
    let c = certs::make();
    let small = b"hello over TLS\n".to_vec();
    let big = page(1 << 20, 0x51_7c_c1_b7_27_22_0a_95);
    let web = servers::nginx_tls(&[("small.txt", &small), ("big.bin", &big)], &c.server);
    for (host, path, body) in [
        ("127.0.0.1", "/small.txt", &small),
        ("localhost", "/big.bin", &big),
    ] {
        let file = web.dir().join("out");
        let out = run_ok(
            "https_get",
            &[
                s(host),
                s(web.port),
                s(path),
                p(&file),
                s("--cafile"),
                p(&c.ca.cert),
            ],
            Some(&web),
        );
        has_line(
            &out,
            &format!(
                "GET {}: 200, {} bytes, ended by close_notify -> {}",
                path,
                body.len(),
                file.display()
            ),
        );
        assert!(line_starting(&out, "tls: ").contains("TLSv1.3"), "{}", out);
        assert!(
            std::fs::read(&file).unwrap() == *body,
            "{}: the body differs",
            path
        );
    }
}

/// https_get against openssl s_server -www, TLS 1.2 and 1.3: the version negotiated is
/// the one the server allows, and the status page names the same.
#[test]
fn https_get_talks_to_s_server_tls12_and_tls13() {
    let c = certs::make();
    for (version, name) in [(12u8, "TLSv1.2"), (13, "TLSv1.3")] {
        let srv = servers::s_server(&c.server, version, SServerMode::Www, None);
        let file = srv.dir().join("page");
        let out = run_ok(
            "https_get",
            &[
                s("localhost"),
                s(srv.port),
                s("/"),
                p(&file),
                s("--cafile"),
                p(&c.ca.cert),
            ],
            Some(&srv),
        );
        assert!(line_starting(&out, "tls: ").contains(name), "{}", out);
        line_starting(&out, "GET /: 200, ");
        let body = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(body.contains(name), "s_server's page:\n{}", body);
    }
}

/// s_server -Verify: with the client certificate the CA signed, the GET succeeds; without
/// one the server refuses and the client fails with a TLS error (not a hang, not a crash).
#[test]
fn client_certificate_required_by_s_server() {
    let c = certs::make();
    for version in [12u8, 13] {
        let srv = servers::s_server(&c.server, version, SServerMode::Www, Some(&c.ca.cert));
        let file = srv.dir().join("page");
        let base = vec![
            s("127.0.0.1"),
            s(srv.port),
            s("/"),
            p(&file),
            s("--cafile"),
            p(&c.ca.cert),
        ];
        let mut with = base.clone();
        with.extend([s("--cert"), p(&c.client.cert), s("--key"), p(&c.client.key)]);
        let out = run_ok("https_get", &with, Some(&srv));
        line_starting(&out, "GET /: 200, ");

        // OpenSSL refuses with a handshake_failure alert in TLS 1.2 (ETLS, during the
        // handshake) and a certificate_required alert in TLS 1.3 (ECERT: the client learns
        // it at its first read, after its side of the handshake finished).
        let err = run_fail("https_get", &base);
        let want = if version == 12 {
            "TLS handshake or record-layer failure"
        } else {
            "certificate refused: received fatal alert: CertificateRequired"
        };
        assert!(
            err.contains(want),
            "TLS 1.{} without a client certificate:\n{}\n--- s_server ---\n{}",
            version - 10,
            err,
            srv.log()
        );
    }
}

/// redis_cli --tls against redis-server --tls-port: the same conversation as in plain text.
#[test]
fn redis_cli_over_tls() {
    let c = certs::make();
    let redis = servers::redis_tls(&c.server);
    let out = run_ok(
        "redis_cli",
        &[
            s("127.0.0.1"),
            s(redis.port),
            s("--tls"),
            s("--cafile"),
            p(&c.ca.cert),
        ],
        Some(&redis),
    );
    assert!(line_starting(&out, "tls: ").contains("TLSv1.3"), "{}", out);
    has_line(&out, "PING: +PONG");
    has_line(&out, "binary value: same bytes");
    has_line(&out, "big value: 100000 bytes, same bytes");
    has_line(&out, "GET missing: $-1");
    let pipe = out.lines().filter(|l| l.starts_with("pipe ")).count();
    assert_eq!(pipe, 1000, "{}", tail(&out, 2000));
    has_line(&out, "pipe 999: $9 value-998");
}

/// pg_query sslmode=require against PostgreSQL ssl=on: 'S', the upgrade, the whole session
/// over TLS, and a clean goodbye.
#[test]
fn pg_query_over_tls() {
    let c = certs::make();
    let pg = servers::postgres_tls(&c.server);
    let out = run_ok(
        "pg_query",
        &[
            s("127.0.0.1"),
            s(pg.port),
            s("sockhelp"),
            s("postgres"),
            s("sslmode=require"),
            s("--cafile"),
            p(&c.ca.cert),
        ],
        Some(&pg),
    );
    has_line(&out, "tls: S");
    assert!(
        out.lines()
            .any(|l| l.starts_with("tls: TLSv1.3") || l.starts_with("tls: TLSv1.2")),
        "{}",
        out
    );
    has_line(&out, "authentication: ok");
    assert_eq!(out.lines().filter(|l| l.starts_with("row: ")).count(), 1000);
    has_line(
        &out,
        "row: 1000|row 1000|a\\r\\nb\\|1000|\\\\x00ff0d0a4403e8",
    );
    has_line(&out, "complete: SELECT 1000");
    has_line(&out, "error field C: 42601");
    has_line(&out, "terminated");
    let log = pg.log();
    assert!(
        !log.contains("unexpected EOF") && !log.contains("could not accept SSL connection"),
        "postgres log:\n{}",
        log
    );
}

/// mqtt_pubsub --tls against mosquitto's TLS listener.
#[test]
fn mqtt_pubsub_over_tls() {
    let c = certs::make();
    let broker = servers::mosquitto_tls(&c.server, &c.ca.cert);
    let out = run_ok(
        "mqtt_pubsub",
        &[
            s("localhost"),
            s(broker.port),
            s("--tls"),
            s("--cafile"),
            p(&c.ca.cert),
        ],
        Some(&broker),
    );
    assert!(line_starting(&out, "tls: ").contains("TLSv1."), "{}", out);
    has_line(&out, "connack: accepted");
    for id in 2..=4 {
        has_line(&out, &format!("puback: packet {}", id));
    }
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("message: qos 1, "))
            .count(),
        3
    );
    line_starting(&out, "message: qos 1, 20000 bytes: ");
    has_line(&out, "disconnected");
}

/// tls_echo_server: 24 clients at once (each its own process), every handshake
/// non-blocking in the server's one thread; each gets its line back.
#[test]
fn tls_echo_server_serves_many_clients_in_one_thread() {
    let c = certs::make();
    let server_exe = example("tls_echo_server");
    let probe = probe_exe();
    const CLIENTS: usize = 24;
    let (child, stdout, port) = common::start_server(
        &server_exe,
        &[
            c.server.cert.to_str().unwrap(),
            c.server.key.to_str().unwrap(),
            "--clients",
            &CLIENTS.to_string(),
        ],
    );
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let line = format!("client {} says hello\n", i);
            let mut a = connect_args(port, &c.ca.cert, &["--send", &line]);
            a.extend([s("--recv"), s(line.len()), s("--close")]);
            let child = Command::new(&probe)
                .args(&a)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the probe starts");
            (line, child)
        })
        .collect();
    for (line, child) in clients {
        let out = wait_output(child, RUN_LIMIT);
        let (o, e) = text(&out);
        assert_step(&o, "connect", "OK");
        assert_step(&o, "recv", "OK");
        has_line(
            &o,
            &format!("received {}: {}", line.len(), line.trim_end_matches('\n')),
        );
        assert!(out.status.success(), "{}\n{}", o, e);
    }
    let mut child = child;
    child.stdout = Some(stdout.into_inner());
    let out = wait_output(child, RUN_LIMIT);
    let (o, e) = text(&out);
    assert!(out.status.success(), "tls_echo_server: {}\n{}", o, e);
    has_line(
        &o,
        &format!("served {} clients, {} lines", CLIENTS, CLIENTS),
    );
}

// ---------------------------------------------------------------------------------------
// Hostile cases: certificates.

fn refused_certificate(server_pair: &certs::Pair, ca: &Path, why: &str) {
    let srv = servers::s_server(server_pair, 13, SServerMode::Www, None);
    let out = probe(&connect_args(srv.port, ca, &[]));
    let st = assert_step(&out, "connect", "ECERT");
    assert!(
        st.line.contains("detail="),
        "{}: no reason given: {}",
        why,
        st.line
    );
}

#[test]
fn wrong_name_is_ecert() {
    let c = certs::make();
    refused_certificate(&c.wrong_name, &c.ca.cert, "wrong name");
}

#[test]
fn unknown_ca_is_ecert() {
    let c = certs::make();
    refused_certificate(&c.server, &c.other_ca.cert, "unknown CA");
}

#[test]
fn expired_is_ecert() {
    let c = certs::make();
    refused_certificate(&c.expired, &c.ca.cert, "expired");
}

#[test]
fn self_signed_is_ecert() {
    let c = certs::make();
    refused_certificate(&c.self_signed, &c.ca.cert, "self-signed");
}

/// The same server certificate is accepted (the refusals above are about the certificate,
/// not about the setup).
#[test]
fn good_certificate_is_accepted_by_name_and_address() {
    let c = certs::make();
    let srv = servers::s_server(&c.server, 13, SServerMode::Rev, None);
    for host in ["127.0.0.1", "localhost"] {
        let mut a = connect_args(
            srv.port,
            &c.ca.cert,
            &["--send", "abc\n", "--recv", "4", "--close"],
        );
        a[1] = s(host);
        let out = probe(&a);
        assert_step(&out, "connect", "OK");
        has_line(&out, "received 4: cba\n".trim_end());
        let _ = line_starting(&out, "info: TLSv1.3");
    }
}

// ---------------------------------------------------------------------------------------
// Hostile cases: time.

/// Margins for a deadline: never before it, and well within a loaded machine's slack after.
fn on_time(st: &Step, deadline_ms: u64) {
    assert!(
        st.elapsed_ms + 50 >= deadline_ms && st.elapsed_ms < deadline_ms + 5000,
        "deadline {} ms, took {} ms: {}",
        deadline_ms,
        st.elapsed_ms,
        st.line
    );
}

/// A server that completes the handshake, then says nothing: the read's deadline holds.
#[test]
fn silent_server_after_handshake_times_out() {
    let c = certs::make();
    let srv = servers::s_server(&c.server, 13, SServerMode::Rev, None);
    let out = probe(&connect_args(
        srv.port,
        &c.ca.cert,
        &["--timeout", "1500", "--recv", "10"],
    ));
    assert_step(&out, "connect", "OK");
    let st = assert_step(&out, "recv", "ETIMEDOUT");
    on_time(&st, 1500);
}

/// A listener that takes the ClientHello and never answers: the connect's one deadline
/// (resolve, connect, handshake) holds.
#[test]
fn silent_server_during_handshake_times_out() {
    let (port, h) = hostile::peer(|mut c| {
        let _ = read_some(&mut c);
        hold(c);
    });
    let c = certs::make();
    let out = probe(&connect_args(port, &c.ca.cert, &["--timeout", "1500"]));
    let st = assert_step(&out, "connect", "ETIMEDOUT");
    on_time(&st, 1500);
    h.join().unwrap();
}

// ---------------------------------------------------------------------------------------
// Hostile cases: the end of the stream.

/// Starts `tls_probe serve` with the server certificate, `extra` its options; returns the
/// child and its port.
fn probe_server(
    c: &Certs,
    extra: &[&str],
) -> (
    std::process::Child,
    BufReader<std::process::ChildStdout>,
    u16,
) {
    let mut args = vec![
        "serve",
        c.server.cert.to_str().unwrap(),
        c.server.key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    common::start_server(&probe_exe(), &args)
}

/// A sockhelp server sends a line, then closes with close_notify (ECLOSED at the client)
/// or without it (ETRUNCATED): the two are told apart.
#[test]
fn close_notify_is_eclosed_and_a_cut_is_etruncated() {
    let c = certs::make();
    for (how, want) in [("--close", "ECLOSED"), ("--abrupt", "ETRUNCATED")] {
        let (child, _stdout, port) = probe_server(&c, &["--send", "bye\n", how]);
        let out = probe(&connect_args(
            port,
            &c.ca.cert,
            &["--recv", "4", "--recv-more", "1"],
        ));
        assert_step(&out, "connect", "OK");
        assert_step(&out, "recv", "OK");
        has_line(&out, "received 4: bye");
        assert_step(&out, "recv-more", want);
        has_line(&out, "received 0");
        let server = wait_output(child, RUN_LIMIT);
        assert!(server.status.success(), "{:?}", text(&server));
    }
}

/// A real server killed mid-session (the kernel closes its socket: a FIN, no close_notify)
/// while the client waits for more: ETRUNCATED, not an orderly ECLOSED.
#[test]
fn killed_s_server_is_etruncated() {
    let c = certs::make();
    let srv = servers::s_server(&c.server, 13, SServerMode::Rev, None);
    let mut child = Command::new(probe_exe())
        .args(connect_args(
            srv.port,
            &c.ca.cert,
            &[
                "--send",
                "abc\n",
                "--recv",
                "4",
                "--recv-more",
                "1",
                "--timeout",
                "20000",
            ],
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the probe starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    for _ in 0..64 {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        seen.push_str(&line);
        if line.trim() == "waiting" {
            break;
        }
    }
    assert!(
        seen.contains("waiting"),
        "the probe stopped early:\n{}",
        seen
    );
    drop(srv); // SIGTERM: s_server dies without a close_notify
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let _ = wait_output(child, RUN_LIMIT);
    let out = seen + &rest;
    has_line(&out, "received 4: cba");
    let st = assert_step(&out, "recv-more", "ETRUNCATED");
    assert!(st.elapsed_ms < 15000, "{}", st.line);
}

// ---------------------------------------------------------------------------------------
// Hostile cases: injected and malformed bytes.

/// PostgreSQL's SSLRequest answered 'S' with bytes after it in the same segment (a man in
/// the middle's, CVE-2021-23222): pg_query sslmode=require refuses to upgrade (EPROTO).
#[test]
fn bytes_after_sslrequest_answer_are_eproto() {
    let (port, h) = hostile::peer(|mut c| {
        let mut req = [0u8; 8];
        c.read_exact(&mut req).unwrap();
        assert_eq!(req, hostile::SSL_REQUEST, "an SSLRequest");
        c.write_all(b"SE\x00\x00\x00\x20SFATAL\x00Minjected by a man in the middle\x00\x00")
            .unwrap();
        hold(c);
    });
    let c = certs::make();
    let err = run_fail(
        "pg_query",
        &[
            s("127.0.0.1"),
            s(port),
            s("u"),
            s("d"),
            s("sslmode=require"),
            s("--cafile"),
            p(&c.ca.cert),
        ],
    );
    assert!(
        err.contains("TLS upgrade: bytes buffered where the protocol forbids them"),
        "{}",
        err
    );
    h.join().unwrap();
}

/// A STARTTLS-style answer line with bytes after it: the upgrade is refused (EPROTO).
#[test]
fn bytes_after_starttls_answer_are_eproto() {
    let (port, h) = hostile::peer(|mut c| {
        let mut req = [0u8; 10];
        c.read_exact(&mut req).unwrap();
        assert_eq!(&req, b"STARTTLS\r\n");
        c.write_all(b"220 go ahead\r\n250 injected\r\n").unwrap();
        hold(c);
    });
    let c = certs::make();
    let out = probe(&[
        s("upgrade"),
        s("127.0.0.1"),
        s(port),
        s("--cafile"),
        p(&c.ca.cert),
        s("--name"),
        s("localhost"),
        s("--request"),
        s("STARTTLS\r\n"),
        s("--answer-line"),
    ]);
    has_line(&out, "answer: 220 go ahead");
    assert_step(&out, "upgrade", "EPROTO");
    h.join().unwrap();
}

/// An HTTP error page where the ServerHello should be: ETLS, at once.
#[test]
fn garbage_instead_of_server_hello_is_etls() {
    let (port, h) = hostile::peer(|mut c| {
        let _ = read_some(&mut c);
        c.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        hold(c);
    });
    let c = certs::make();
    let out = probe(&connect_args(port, &c.ca.cert, &["--timeout", "10000"]));
    let st = assert_step(&out, "connect", "ETLS");
    assert!(st.elapsed_ms < 5000, "{}", st.line);
    h.join().unwrap();
}

/// A handshake record announcing 2^14 + 2048 + 1 bytes (past TLS's limit for any record):
/// ETLS as soon as the header is read, without waiting for (or buffering) the body.
#[test]
fn oversized_record_is_etls() {
    let (port, h) = hostile::peer(|mut c| {
        let _ = read_some(&mut c);
        c.write_all(&hostile::record_announcing((1 << 14) + 2048 + 1))
            .unwrap();
        hold(c);
    });
    let c = certs::make();
    let out = probe(&connect_args(port, &c.ca.cert, &["--timeout", "10000"]));
    let st = assert_step(&out, "connect", "ETLS");
    assert!(st.elapsed_ms < 5000, "{}", st.line);
    h.join().unwrap();
}

// ---------------------------------------------------------------------------
// TLS through the C header: `tests/c/tls_smoke.c` linked against the TLS build of the
// library (a verified session, frames, what was agreed, a refused name, the close) and
// against the build without TLS (every TLS call is SOCKHELP_EUNSUPPORTED, plain streams
// work). The real TLS servers (openssl s_server, nginx, redis, PostgreSQL, mosquitto)
// are tests/real_servers.rs' business.

#[test]
fn tls_through_the_header_in_the_tls_build() {
    let exe = build_c_tls("tls_smoke_on", &["tests/c/tls_smoke.c"], &[]);
    let certs = root().join("tests").join("tls_certs");
    let out = common::run(&exe, &["on".as_ref(), certs.as_os_str()]);
    assert_success("tls_smoke on", &out);
}

#[test]
fn every_tls_call_is_unsupported_in_the_build_without_tls() {
    let exe = build_c("tls_smoke_off", &["tests/c/tls_smoke.c"], &[]);
    assert_success("tls_smoke off", &common::run(&exe, &["off"]));
}
