//! The example servers (c_examples/kv_server.c, c_examples/http_server.c) driven by clients
//! nobody here wrote: redis-cli and redis-benchmark (redis-tools), curl, ab (apache2-utils)
//! and wrk, from Debian's packages (`scripts/test.sh` installs them). Each test starts the
//! server as a child process on a free loopback port (it prints `listening on PORT`) and
//! stops it by PID when the test ends or panics. redis-server, where a test compares, is
//! started as tests/servers does (persistence off).
//!
//! Also: 1,000 idle connections held through a benchmark, clients that send half a request
//! and vanish (and the idle timeout that drops the silent ones), a pipeline of 10,000
//! requests in one write, and the memory an idle connection costs against redis-server's,
//! with 10,000 connections made by another process.
#![cfg(target_os = "linux")]

mod common;
mod servers;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{build_c, describe, require_tool, start_server, wait_output};

/// A generous bound on any one client run (a loaded 2-core machine).
const CLIENT_LIMIT: Duration = Duration::from_secs(120);

/// An example server, stopped by PID (SIGTERM, then SIGKILL) on drop.
struct Example {
    name: &'static str,
    child: Option<Child>,
    _stdout: BufReader<ChildStdout>,
    port: u16,
}

impl Example {
    fn start(name: &'static str, args: &[&str]) -> Example {
        let exe = example(name);
        let (child, stdout, port) = start_server(&exe, args);
        Example {
            name,
            child: Some(child),
            _stdout: stdout,
            port,
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Panics (with its stderr) unless the server is still running.
    fn assert_running(&mut self) {
        let child = self.child.as_mut().expect("running");
        if let Ok(Some(status)) = child.try_wait() {
            let out = wait_output(self.child.take().unwrap(), Duration::from_secs(5));
            panic!(
                "{} exited ({}): {}",
                self.name,
                describe(&status),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Stops the server (SIGTERM) and returns its output; it must exit 0.
    fn stop(mut self) -> Output {
        let child = self.child.take().expect("running");
        kill(child.id(), "TERM");
        let out = wait_output(child, Duration::from_secs(15));
        common::assert_success(self.name, &out);
        out
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill(child.id(), "TERM");
            let _ = wait_output(child, Duration::from_secs(15));
        }
    }
}

fn kill(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status();
}

fn example(name: &str) -> PathBuf {
    let src = format!("c_examples/{}.c", name);
    build_c(name, &[&src], &["-Ic_examples"])
}

/// Runs `program args` with `stdin` as its input; returns its output (killed past
/// [`CLIENT_LIMIT`]).
fn client(program: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {}", program, e));
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = wait_output(child, CLIENT_LIMIT);
    let _ = feeder.join();
    out
}

/// [`client`], which must exit 0; returns its stdout.
fn client_ok(program: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let out = client(program, args, stdin);
    common::assert_success(&format!("{} {:?}", program, args), &out);
    out.stdout
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn pseudo_random(n: usize, mut seed: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(n);
    while v.len() < n {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.extend_from_slice(&seed.to_le_bytes());
    }
    v.truncate(n);
    v
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the server");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// Reads from `s` until `n` bytes came (or the peer closed, or a read timed out).
fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut got = vec![0u8; n];
    let mut at = 0;
    while at < n {
        match s.read(&mut got[at..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => at += k,
        }
    }
    got.truncate(at);
    got
}

/// Whether the peer closes `s` within `limit` (reads return 0 or a reset), discarding bytes.
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while start.elapsed() < limit {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return true,
        }
    }
    false
}

/// Every one of `silent` (clients that stopped mid-request) is closed by the server's 1.5 s
/// idle timeout, within a generous 30 s.
fn assert_all_dropped(silent: &mut [TcpStream]) {
    for (i, c) in silent.iter_mut().enumerate() {
        assert!(
            closed_within(c, Duration::from_secs(30)),
            "silent client {} was not dropped by the 1.5 s idle timeout",
            i
        );
    }
}

fn need_redis_tools() {
    require_tool(&["redis-cli", "--version"], "redis-tools");
    require_tool(&["redis-benchmark", "--version"], "redis-tools");
}

fn resp(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

// ------------------------------------------------------------------------------------------
// kv_server

/// The same redis-cli session against kv_server and redis-server prints the same: replies,
/// nil, integers, and Redis' own error texts.
#[test]
fn kv_server_answers_redis_cli_as_redis_server_does() {
    need_redis_tools();
    let kv = Example::start("kv_server", &[]);
    let redis = servers::redis();
    let session: &[&[&str]] = &[
        &["PING"],
        &["PING", "hello there"],
        &["ECHO", "binary\r\nsafe"],
        &["SET", "k", "v1"],
        &["GET", "k"],
        &["GET", "missing"],
        &["SET", "n", "41"],
        &["INCR", "n"],
        &["INCR", "fresh"],
        &["INCR", "k"],
        &["SET", "big", "9223372036854775807"],
        &["INCR", "big"],
        &["DEL", "k", "n", "nothing"],
        &["GET", "k"],
        &["get"],
        &["SET", "only-key"],
        &["ECHO"],
        &["NOSUCH", "a", "b"],
        &["set", "lower", "case"],
        &["GET", "lower"],
    ];
    for cmd in session {
        let run = |port: u16| {
            let mut args = vec!["-p".to_string(), port.to_string()];
            args.extend(cmd.iter().map(|s| s.to_string()));
            let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
            text(&client_ok("redis-cli", &args, b""))
        };
        let (ours, theirs) = (run(kv.port), run(redis.port));
        assert_eq!(ours, theirs, "{:?}: kv_server vs redis-server", cmd);
    }
    // Inline commands, as typed into telnet, pipelined in one write.
    let mut s = connect(kv.port);
    s.write_all(b"PING\r\nSET  x   42\r\n\r\nINCR x\r\nGET x\r\n")
        .unwrap();
    let want = b"+PONG\r\n+OK\r\n:43\r\n$2\r\n43\r\n";
    assert_eq!(text(&read_n(&mut s, want.len())), text(want));
    kv.stop();
}

/// Binary values through redis-cli: every byte value, CR LF inside, and a 1 MiB value.
#[test]
fn kv_server_keeps_binary_values_and_a_1_mib_value() {
    need_redis_tools();
    let kv = Example::start("kv_server", &[]);
    let p = kv.port.to_string();
    let mut small: Vec<u8> = (0u8..=255).collect();
    small.extend_from_slice(b"\r\n\r\n$5\r\n*1\r\n");
    let big = pseudo_random(1 << 20, 7);
    for (key, value) in [("small", &small), ("big", &big)] {
        let out = client_ok("redis-cli", &["-p", &p, "-x", "SET", key], value);
        assert_eq!(text(&out), "OK\n", "SET {}", key);
        let got = client_ok("redis-cli", &["-p", &p, "--raw", "GET", key], b"");
        // --raw prints the value and a newline.
        assert_eq!(got.len(), value.len() + 1, "GET {}", key);
        assert!(
            got[..value.len()] == value[..],
            "GET {}: the bytes differ",
            key
        );
    }
    // The same 1 MiB through a raw socket, with the reply's exact framing.
    let mut s = connect(kv.port);
    s.write_all(&resp(&[b"GET", b"big"])).unwrap();
    let head = format!("${}\r\n", big.len());
    let reply = read_n(&mut s, head.len() + big.len() + 2);
    assert_eq!(&reply[..head.len()], head.as_bytes());
    assert!(reply[head.len()..head.len() + big.len()] == big[..]);
    assert_eq!(&reply[head.len() + big.len()..], b"\r\n");
    kv.stop();
}

/// `redis-cli --pipe` with 100,000 SETs: every reply comes, no error; the keys are there.
#[test]
fn kv_server_takes_redis_cli_pipe_of_100000_keys() {
    need_redis_tools();
    let kv = Example::start("kv_server", &[]);
    let p = kv.port.to_string();
    let mut input = Vec::new();
    for i in 0..100_000 {
        let (k, v) = (format!("key:{}", i), format!("value:{}", i * 7));
        input.extend_from_slice(&resp(&[b"SET", k.as_bytes(), v.as_bytes()]));
    }
    let out = text(&client_ok("redis-cli", &["-p", &p, "--pipe"], &input));
    assert!(
        out.contains("errors: 0, replies: 100000"),
        "redis-cli --pipe: {}",
        out
    );
    for i in [0, 4_242, 99_999] {
        let got = client_ok("redis-cli", &["-p", &p, "GET", &format!("key:{}", i)], b"");
        assert_eq!(text(&got), format!("value:{}\n", i * 7));
    }
    kv.stop();
}

/// Starts `n` idle connections that each made one exchange (`request` -> `reply_len`
/// bytes), kept open by the caller.
fn idle_connections(port: u16, n: usize, request: &[u8], reply_len: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|i| {
            let mut s = connect(port);
            s.write_all(request).unwrap();
            let got = read_n(&mut s, reply_len);
            assert_eq!(got.len(), reply_len, "idle connection {}: short reply", i);
            s
        })
        .collect()
}

/// 1,000 idle connections stay while redis-benchmark runs (`-P 1` and `-P 16`), and each
/// is served afterwards; redis-benchmark reports every test it ran.
#[test]
fn kv_server_serves_redis_benchmark_with_1000_idle_connections() {
    need_redis_tools();
    let kv = Example::start("kv_server", &[]);
    let p = kv.port.to_string();
    let ping = resp(&[b"PING"]);
    let mut idle = idle_connections(kv.port, 1000, &ping, 7);
    for pipeline in ["1", "16"] {
        let out = text(&client_ok(
            "redis-benchmark",
            &[
                "-p",
                &p,
                "-q",
                "-c",
                "20",
                "-n",
                "20000",
                "-P",
                pipeline,
                "-t",
                "ping,set,get,incr",
                "-d",
                "64",
            ],
            b"",
        ));
        for t in ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR"] {
            assert!(
                out.lines()
                    .any(|l| l.contains(&format!("{}: ", t)) && l.contains("requests per second")),
                "redis-benchmark -P {}: no {} result in {}",
                pipeline,
                t,
                out
            );
        }
    }
    for (i, s) in idle.iter_mut().enumerate() {
        s.write_all(&ping).unwrap();
        assert_eq!(read_n(s, 7), b"+PONG\r\n", "idle connection {}", i);
    }
    drop(idle);
    kv.stop();
}

/// Clients that send half a command and vanish cost nothing lasting; clients that send half
/// and stay silent are dropped by the idle timeout; the server keeps serving.
#[test]
fn kv_server_survives_half_requests_and_drops_silent_clients() {
    let kv = Example::start("kv_server", &["--idle-ms", "1500"]);
    let half = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nonly part of the value";
    for _ in 0..200 {
        let mut s = connect(kv.port);
        s.write_all(half).unwrap();
    } // each closed here, mid-command
    let mut silent: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut s = connect(kv.port);
            s.write_all(half).unwrap();
            s
        })
        .collect();
    let mut s = connect(kv.port);
    s.write_all(&resp(&[b"PING"])).unwrap();
    assert_eq!(read_n(&mut s, 7), b"+PONG\r\n");
    assert_all_dropped(&mut silent);
    // A connection that keeps talking is kept past the timeout.
    let mut s = connect(kv.port);
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_millis(2500) {
        s.write_all(b"INCR beat\r\n").unwrap();
        n += 1;
        let want = format!(":{}\r\n", n);
        assert_eq!(text(&read_n(&mut s, want.len())), want);
        thread::sleep(Duration::from_millis(200));
    }
    let mut kv = kv;
    kv.assert_running();
    kv.stop();
}

/// Writes `request` from a thread while reading `reply_len` bytes: a pipeline in one write
/// (the server stops reading while its replies back up, so the client must read meanwhile).
fn pipeline(port: u16, request: Vec<u8>, reply_len: usize) -> Vec<u8> {
    let mut s = connect(port);
    let mut w = s.try_clone().unwrap();
    let writer = thread::spawn(move || w.write_all(&request).expect("the pipeline is written"));
    let got = read_n(&mut s, reply_len);
    writer.join().unwrap();
    got
}

/// 10,000 commands in one write: 10,000 replies, in order.
#[test]
fn kv_server_answers_a_pipeline_of_10000_commands_in_one_write() {
    let kv = Example::start("kv_server", &[]);
    let mut request = Vec::new();
    let mut want = Vec::new();
    for i in 1..=10_000 {
        if i % 2 == 0 {
            request.extend_from_slice(&resp(&[b"INCR", b"counter"]));
            want.extend_from_slice(format!(":{}\r\n", i / 2).as_bytes());
        } else {
            request.extend_from_slice(b"PING\r\n");
            want.extend_from_slice(b"+PONG\r\n");
        }
    }
    let got = pipeline(kv.port, request, want.len());
    assert!(got == want, "the 10,000 replies differ");
    kv.stop();
}

// ------------------------------------------------------------------------------------------
// http_server

const SMALL: &[u8] = b"Hello, sockhelp";

fn big_body() -> Vec<u8> {
    (0..65536).map(|i| b'a' + (i % 26) as u8).collect()
}

/// curl: both bodies, keep-alive (one connection for several URLs), Connection: close,
/// HEAD, 404, a POST body echoed; raw garbage gets 400 and the connection closes.
#[test]
fn http_server_answers_curl() {
    require_tool(&["curl", "--version"], "curl");
    let h = Example::start("http_server", &[]);
    let base = format!("http://127.0.0.1:{}", h.port);
    let small = client_ok("curl", &["-sS", &format!("{}/small", base)], b"");
    assert_eq!(small, SMALL);
    let big = client_ok("curl", &["-sS", &format!("{}/big", base)], b"");
    assert!(
        big == big_body(),
        "/big: {} bytes, not the 64 KiB body",
        big.len()
    );
    // Keep-alive: three URLs, one connection.
    let out = client(
        "curl",
        &[
            "-sS",
            "-v",
            "-o",
            "/dev/null",
            "-o",
            "/dev/null",
            "-o",
            "/dev/null",
            &format!("{}/small", base),
            &format!("{}/big", base),
            &format!("{}/small", base),
        ],
        b"",
    );
    common::assert_success("curl -v", &out);
    let err = text(&out.stderr);
    assert_eq!(
        err.matches("Re-using existing connection").count(),
        2,
        "{}",
        err
    );
    // Connection: close is honoured.
    let out = client(
        "curl",
        &[
            "-sS",
            "-v",
            "-H",
            "Connection: close",
            &format!("{}/small", base),
        ],
        b"",
    );
    assert!(
        text(&out.stderr).contains("< Connection: close"),
        "{}",
        text(&out.stderr)
    );
    let code = |args: &[&str]| {
        let mut a = vec!["-sS", "-o", "/dev/null", "-w", "%{http_code}"];
        a.extend_from_slice(args);
        text(&client_ok("curl", &a, b""))
    };
    assert_eq!(code(&[&format!("{}/nothing", base)]), "404");
    assert_eq!(code(&["-I", &format!("{}/big", base)]), "200");
    assert_eq!(code(&["-X", "DELETE", &format!("{}/small", base)]), "405");
    let body = pseudo_random(200_000, 3);
    let echoed = client_ok(
        "curl",
        &["-sS", "--data-binary", "@-", &format!("{}/echo", base)],
        &body,
    );
    assert!(echoed == body, "POST /echo: {} bytes back", echoed.len());
    // Garbage: 400, then the server closes.
    for garbage in [
        &b"garbage\r\n\r\n"[..],
        b"GET /small HTTP/9.9\r\n\r\n",
        b"GET /small HTTP/1.1\r\nno colon\r\n\r\n",
    ] {
        let mut s = connect(h.port);
        s.write_all(garbage).unwrap();
        let mut reply = Vec::new();
        let _ = s.read_to_end(&mut reply);
        assert!(
            reply.starts_with(b"HTTP/1.1 400 Bad Request\r\n"),
            "{:?}: {}",
            text(garbage),
            text(&reply)
        );
    }
    h.stop();
}

/// ab (keep-alive, 20 at a time) and wrk (50 connections) on both bodies: no failure, every
/// request kept alive; 1,000 idle connections held through it all are served afterwards.
#[test]
fn http_server_serves_ab_and_wrk_with_1000_idle_connections() {
    require_tool(&["ab", "-V"], "apache2-utils");
    require_tool(&["sh", "-c", "command -v wrk"], "wrk"); // wrk has no option that exits 0
    let h = Example::start("http_server", &[]);
    let get = b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n";
    let one = {
        let mut s = connect(h.port);
        s.write_all(get).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut v = vec![0u8; 4096];
        let n = s.read(&mut v).unwrap();
        v.truncate(n);
        v
    };
    assert!(one.ends_with(SMALL), "{}", text(&one));
    let mut idle = idle_connections(h.port, 1000, get, one.len());
    for path in ["/small", "/big"] {
        let url = format!("http://127.0.0.1:{}{}", h.port, path);
        let out = text(&client_ok(
            "ab",
            &["-k", "-n", "5000", "-c", "20", &url],
            b"",
        ));
        for want in [
            "Complete requests:      5000",
            "Failed requests:        0",
            "Keep-Alive requests:    5000",
        ] {
            assert!(out.contains(want), "ab {}: no {:?} in\n{}", path, want, out);
        }
        let out = text(&client_ok(
            "wrk",
            &["-t", "1", "-c", "50", "-d", "2s", &url],
            b"",
        ));
        assert!(
            out.contains("Requests/sec:")
                && !out.contains("Non-2xx")
                && !out.contains("Socket errors"),
            "wrk {}:\n{}",
            path,
            out
        );
    }
    for (i, s) in idle.iter_mut().enumerate() {
        s.write_all(get).unwrap();
        assert_eq!(read_n(s, one.len()), one, "idle connection {}", i);
    }
    drop(idle);
    h.stop();
}

/// 10,000 requests in one write: 10,000 responses in order; the last one asks to close.
#[test]
fn http_server_answers_a_pipeline_of_10000_requests_in_one_write() {
    let h = Example::start("http_server", &[]);
    let one = {
        let mut s = connect(h.port);
        s.write_all(b"GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut v = Vec::new();
        s.read_to_end(&mut v).unwrap();
        v
    };
    let keep = text(&one).replace("Connection: close\r\n", "");
    let mut request = Vec::new();
    for i in 0..10_000 {
        request.extend_from_slice(b"GET /small HTTP/1.1\r\nHost: x\r\n");
        if i == 9_999 {
            request.extend_from_slice(b"Connection: close\r\n");
        }
        request.extend_from_slice(b"\r\n");
    }
    let want_len = keep.len() * 9_999 + one.len();
    let got = pipeline(h.port, request, want_len + 1);
    assert_eq!(
        got.len(),
        want_len,
        "the server closes after the last response"
    );
    assert_eq!(text(&got[..keep.len()]), keep);
    assert!(got.ends_with(&one));
    assert_eq!(text(&got).matches("HTTP/1.1 200 OK").count(), 10_000);
    h.stop();
}

/// Half a request and gone, or half a request and silent (a slowloris): the first cost
/// nothing lasting, the second are dropped by the idle timeout; the server keeps serving.
#[test]
fn http_server_survives_half_requests_and_drops_silent_clients() {
    let h = Example::start("http_server", &["--idle-ms", "1500"]);
    let half = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly part";
    for i in 0..200 {
        let mut s = connect(h.port);
        s.write_all(if i % 2 == 0 { &half[..] } else { &half[..20] })
            .unwrap();
    }
    let mut silent: Vec<TcpStream> = (0..20)
        .map(|i| {
            let mut s = connect(h.port);
            s.write_all(if i % 2 == 0 { &half[..] } else { b"GET /sma" })
                .unwrap();
            s
        })
        .collect();
    let mut s = connect(h.port);
    s.write_all(b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let got = read_n(&mut s, 40);
    assert!(got.starts_with(b"HTTP/1.1 200 OK"), "{}", text(&got));
    assert_all_dropped(&mut silent);
    let mut h = h;
    h.assert_running();
    h.stop();
}

// ------------------------------------------------------------------------------------------
// Memory per idle connection

/// The client process: `N` connections to 127.0.0.1:PORT, each sends one PING and reads its
/// `+PONG`; then prints `ready` and holds them until its stdin closes. (A process may hold
/// 20,000 descriptors here: the clients cannot share the server's.)
const IDLE_CLIENTS_PY: &str = r#"
import resource, socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"*1\r\n$4\r\nPING\r\n")
    got = b""
    while len(got) < 7:
        b = s.recv(64)
        if not b:
            sys.exit("connection %d closed after %r" % (i, got))
        got += b
    if got != b"+PONG\r\n":
        sys.exit("connection %d: %r" % (i, got))
    held.append(s)
print("ready", flush=True)
sys.stdin.read()
"#;

fn vm_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid)).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// RSS growth per connection, in bytes, of the server `pid` while another process holds `n`
/// idle connections to `port` that each made one request. Read after 3 s idle (both servers
/// trim idle clients within a second or two).
fn rss_per_idle_connection(pid: u32, port: u16, n: usize) -> u64 {
    let before = vm_rss_kib(pid);
    let mut child = Command::new("python3")
        .args(["-c", IDLE_CLIENTS_PY, &port.to_string(), &n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    let mut out = child.stdout.take().unwrap();
    let mut line = [0u8; 6];
    let ready = out.read_exact(&mut line).is_ok() && &line == b"ready\n";
    if !ready {
        let o = wait_output(child, Duration::from_secs(10));
        panic!("the client process failed: {}", text(&o.stderr));
    }
    thread::sleep(Duration::from_secs(3));
    let after = vm_rss_kib(pid);
    drop(child.stdin.take()); // the clients go
    let o = wait_output(child, CLIENT_LIMIT);
    common::assert_success("the idle clients", &o);
    after.saturating_sub(before) * 1024 / n as u64
}

/// 10,000 idle keep-alive connections (each sent one request) cost kv_server no more RSS
/// apiece than they cost redis-server in the same run.
#[test]
fn kv_server_idle_connection_costs_no_more_than_redis_servers() {
    require_tool(&["python3", "--version"], "python3");
    const N: usize = 10_000;
    let kv = Example::start("kv_server", &[]);
    let redis = servers::redis_args(&["--maxclients", "20000"]);
    let ours = rss_per_idle_connection(kv.pid(), kv.port, N);
    let theirs = rss_per_idle_connection(redis.pid(), redis.port, N);
    eprintln!(
        "RSS per idle connection ({} connections): kv_server {} B, redis-server {} B",
        N, ours, theirs
    );
    assert!(
        ours <= theirs,
        "kv_server holds {} B per idle connection, redis-server {} B",
        ours,
        theirs
    );
    kv.stop();
}
