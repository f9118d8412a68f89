//! Real protocols against real servers: the C examples `pg_query`, `redis_cli`,
//! `mqtt_pubsub` and `http_get` (c_examples/) run against PostgreSQL, Redis, mosquitto and
//! nginx, each started by the test as a child process on a free loopback port in a
//! temporary directory (tests/servers), and stopped by PID when the test ends or panics.
//!
//! Each example frames its protocol with sockhelp alone (length fields, delimiters,
//! `reader_set_framing`, `reader_recvall`); the tests check what it printed against what the
//! server must have said, and, where possible, the server's state through an independent
//! raw client written here.
#![cfg(target_os = "linux")]

mod common;
mod servers;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use common::{build_c, describe, run};
use servers::Server;

/// Builds `c_examples/<name>.c` and runs it with `args`; panics with its output and the
/// server's log unless it exits 0. Returns its stdout.
fn run_example(name: &str, server: &Server, args: &[String]) -> String {
    let src = format!("c_examples/{}.c", name);
    let exe = build_c(name, &[&src], &[]);
    let out: Output = run(&exe, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        panic!(
            "{} {:?} failed ({}):\n--- stdout ---\n{}--- stderr ---\n{}--- {} log ---\n{}",
            src,
            args,
            describe(&out.status),
            tail(&stdout, 4000),
            String::from_utf8_lossy(&out.stderr),
            server.name,
            server.log()
        );
    }
    stdout
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

/// Asserts that `line` is one of the lines of `out`.
fn has_line(out: &str, line: &str) {
    assert!(
        out.lines().any(|l| l == line),
        "expected the line {:?} in the output:\n{}",
        line,
        tail(out, 4000)
    );
}

fn host_port(server: &Server) -> Vec<String> {
    vec!["127.0.0.1".to_string(), server.port.to_string()]
}

/// The escaping pg_query uses for values: \r \n \\ \| and \xHH for other control bytes.
fn pg_escape(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\\' | b'|' => {
                s.push('\\');
                s.push(b as char)
            }
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{:02x}", b)),
        }
    }
    s
}

/// The escaping redis_cli uses for bulk strings: \\ and \xHH for control and high bytes.
fn redis_escape(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        match b {
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{:02x}", b)),
        }
    }
    s
}

/// PostgreSQL: SSLRequest (refused: one bare byte), the startup, trust authentication, a
/// query of 1000 rows (every DataRow printed, values with CR LF, '|', NULL, bytea), an
/// ErrorResponse for a bad query, Terminate.
#[test]
fn pg_query_talks_to_postgresql() {
    let pg = servers::postgres();
    let mut args = host_port(&pg);
    args.push("sockhelp".to_string());
    args.push("postgres".to_string());
    let out = run_example("pg_query", &pg, &args);

    has_line(&out, "tls: N");
    has_line(&out, "authentication: ok");
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("row: ")).collect();
    assert_eq!(rows.len(), 1000, "DataRows printed:\n{}", tail(&out, 4000));
    for (i, row) in rows.iter().enumerate() {
        let g = i + 1;
        let crlf = if g % 3 == 0 {
            "NULL".to_string()
        } else {
            pg_escape(format!("a\r\nb|{}", g).as_bytes())
        };
        let bytea = pg_escape(format!("\\x00ff0d0a44{:04x}", g).as_bytes());
        let want = format!("row: {}|row {}|{}|{}", g, g, crlf, bytea);
        assert_eq!(*row, want, "DataRow {}", g);
    }
    has_line(&out, "complete: SELECT 1000");
    has_line(&out, "error field S: ERROR");
    has_line(&out, "error field C: 42601");
    has_line(&out, "error field M: syntax error at or near \"SELEC\"");
    assert_eq!(
        out.lines().filter(|l| *l == "ready: I").count(),
        3,
        "ReadyForQuery after the startup and after each query:\n{}",
        tail(&out, 2000)
    );
    has_line(&out, "terminated");
    // The server saw a clean goodbye, not a dropped connection.
    let log = pg.log();
    assert!(
        !log.contains("unexpected EOF on client connection"),
        "postgres log:\n{}",
        log
    );
}

/// The value redis_cli stores under "bin" (the C string literal, without its final NUL).
const REDIS_BINARY: &[u8] = b"bin\r\nary\0$3\r\n*1\r\n\xff end";

/// Redis: PING, a binary value with CR LF through SET/GET, a 100000-byte value, nil, an
/// error reply, and a pipeline of 1000 commands whose replies arrive many to a recv.
#[test]
fn redis_cli_talks_to_redis() {
    let redis = servers::redis();
    let out = run_example("redis_cli", &redis, &host_port(&redis));

    has_line(&out, "PING: +PONG");
    has_line(&out, "SET bin: +OK");
    has_line(
        &out,
        &format!(
            "GET bin: ${} {}",
            REDIS_BINARY.len(),
            redis_escape(REDIS_BINARY)
        ),
    );
    has_line(&out, "binary value: same bytes");
    has_line(&out, "big value: 100000 bytes, same bytes");
    has_line(&out, "GET missing: $-1");
    has_line(
        &out,
        "INCR bin: -ERR value is not an integer or out of range",
    );
    let pipeline_bytes: usize = (0..1000)
        .map(|i| {
            let key = format!("pipe:{}", i - i % 2);
            let args = if i % 2 == 0 {
                vec!["SET".to_string(), key, format!("value-{}", i)]
            } else {
                vec!["GET".to_string(), key]
            };
            let header = format!("*{}\r\n", args.len()).len();
            header
                + args
                    .iter()
                    .map(|a| format!("${}\r\n{}\r\n", a.len(), a).len())
                    .sum::<usize>()
        })
        .sum();
    has_line(
        &out,
        &format!(
            "pipeline: 1000 commands, {} bytes in one write",
            pipeline_bytes
        ),
    );
    let pipe: Vec<&str> = out.lines().filter(|l| l.starts_with("pipe ")).collect();
    assert_eq!(pipe.len(), 1000, "{}", tail(&out, 4000));
    for (i, line) in pipe.iter().enumerate() {
        let want = if i % 2 == 0 {
            format!("pipe {}: +OK", i)
        } else {
            let v = format!("value-{}", i - 1);
            format!("pipe {}: ${} {}", i, v.len(), v)
        };
        assert_eq!(*line, want);
    }

    // An independent client: the server holds exactly the bytes the example sent.
    let mut c = TcpStream::connect(("127.0.0.1", redis.port)).expect("connect to redis");
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"*2\r\n$3\r\nGET\r\n$3\r\nbin\r\n").unwrap();
    let mut want = format!("${}\r\n", REDIS_BINARY.len()).into_bytes();
    want.extend_from_slice(REDIS_BINARY);
    want.extend_from_slice(b"\r\n");
    let mut got = vec![0u8; want.len()];
    c.read_exact(&mut got).expect("the GET reply");
    assert_eq!(got, want);
}

/// The payload byte mqtt_pubsub puts at `i` in a message of `size` bytes.
fn mqtt_payload(size: usize) -> String {
    (0..size)
        .map(|i| format!("{:02x}", (i * 31 + size) as u8))
        .collect()
}

/// MQTT: CONNECT, SUBSCRIBE, three QoS 1 PUBLISHes whose remaining lengths take 1, 2 and 3
/// varint bytes, their PUBACKs, and the three messages delivered back, byte for byte.
#[test]
fn mqtt_pubsub_talks_to_mosquitto() {
    let broker = servers::mosquitto();
    let out = run_example("mqtt_pubsub", &broker, &host_port(&broker));

    has_line(&out, "connack: accepted");
    has_line(&out, "suback: granted qos 1");
    has_line(
        &out,
        "publish 2: 10-byte payload, remaining length 27 in 1 varint byte(s)",
    );
    has_line(
        &out,
        "publish 3: 200-byte payload, remaining length 217 in 2 varint byte(s)",
    );
    has_line(
        &out,
        "publish 4: 20000-byte payload, remaining length 20017 in 3 varint byte(s)",
    );
    for id in 2..=4 {
        has_line(&out, &format!("puback: packet {}", id));
    }
    let messages: Vec<&str> = out.lines().filter(|l| l.starts_with("message: ")).collect();
    assert_eq!(messages.len(), 3, "{}", tail(&out, 2000));
    for (line, size) in messages.iter().zip([10usize, 200, 20000]) {
        let want = format!("message: qos 1, {} bytes: {}", size, mqtt_payload(size));
        assert!(
            *line == want,
            "message of {} bytes differs:\n got {}\nwant {}",
            size,
            tail(line, 200),
            tail(&want, 200)
        );
    }
    has_line(&out, "disconnected");
}

/// Test content no SSI command can hide in: random bytes for the Content-Length file, and
/// text lines for the chunked one (the SSI filter looks for `<!--#`).
fn pseudo_random(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// HTTP/1.1: three GETs on one keep-alive connection to nginx: a Content-Length body, a
/// chunked body (several chunks), and a Content-Length body again after the chunked one.
#[test]
fn http_get_talks_to_nginx() {
    let binary = pseudo_random(70000, 0x9e37_79b9_7f4a_7c15);
    let page: String = (0..5000)
        .map(|i| format!("line {} of the page, with a tab\there\r\n", i))
        .collect();
    let web = servers::nginx(&[("file.bin", &binary), ("page.html", page.as_bytes())]);

    // First, raw: the chunked location really answers chunked, in more than one chunk.
    let mut c = TcpStream::connect(("127.0.0.1", web.port)).expect("connect to nginx");
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"GET /chunked/page.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    c.read_to_end(&mut raw).expect("nginx's response");
    let raw = String::from_utf8_lossy(&raw);
    assert!(
        raw.contains("\r\nTransfer-Encoding: chunked\r\n") && !raw.contains("Content-Length"),
        "nginx did not answer chunked:\n{}",
        tail(&raw, 1000)
    );

    let dir = web.dir().to_path_buf();
    let outs: Vec<PathBuf> = (1..=3).map(|i| dir.join(format!("out{}", i))).collect();
    let mut args = host_port(&web);
    for (path, out) in ["/file.bin", "/chunked/page.html", "/file.bin"]
        .iter()
        .zip(&outs)
    {
        args.push(path.to_string());
        args.push(out.display().to_string());
    }
    let out = run_example("http_get", &web, &args);

    has_line(
        &out,
        &format!(
            "GET /file.bin: 200, Content-Length 70000, 70000 bytes -> {}",
            outs[0].display()
        ),
    );
    let chunked = out
        .lines()
        .find(|l| l.starts_with("GET /chunked/page.html: 200, chunked ("))
        .unwrap_or_else(|| panic!("no chunked response:\n{}", out));
    let chunks: usize = chunked["GET /chunked/page.html: 200, chunked (".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(chunks > 1, "one chunk only: {}", chunked);
    assert!(
        chunked.ends_with(&format!("{} bytes -> {}", page.len(), outs[1].display())),
        "{}",
        chunked
    );
    has_line(&out, "3 responses on one connection");
    for (file, want) in outs.iter().zip([&binary[..], page.as_bytes(), &binary[..]]) {
        let got = std::fs::read(file).expect("the example wrote the body");
        assert!(
            got == want,
            "{} differs from the served file",
            file.display()
        );
    }
}

/// The examples' promise (issue "Real protocols"): no C code finds where a frame ends. No
/// byte-order call decodes a header, no search function looks for a delimiter; sockhelp's
/// framing and reader do both. (Numbers a protocol writes as text inside a line are parsed
/// with strtoll/strtoull: the program's job.)
#[test]
fn protocol_examples_leave_frame_ends_to_sockhelp() {
    let banned = [
        "ntohl", "ntohs", "htonl", "htons", "be16toh", "be32toh", "be64toh", "memchr", "memmem",
        "strstr", "strchr", "strrchr", "strtok", "strpbrk", "strcspn", "strspn", "sscanf",
    ];
    for name in ["pg_query", "redis_cli", "mqtt_pubsub", "http_get"] {
        let path = common::root().join(format!("c_examples/{}.c", name));
        let src = std::fs::read_to_string(&path).expect("the example's source");
        let code = strip_c_comments(&src);
        for word in banned {
            let ident = |c: Option<char>| c.map_or(false, |c| c.is_alphanumeric() || c == '_');
            let found = code.match_indices(word).any(|(at, _)| {
                !ident(code[..at].chars().last()) && !ident(code[at + word.len()..].chars().next())
            });
            assert!(!found, "{} calls {}", path.display(), word);
        }
        assert!(
            code.contains("sockhelp_recv_frame(") || code.contains("sockhelp_stream_recv_frame("),
            "{} does not receive through a reader",
            name
        );
    }
}

/// The C source without its comments (string literals are kept as they are; none of the
/// examples has a comment opener inside a string).
fn strip_c_comments(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(at) = rest.find("/*") {
        out.push_str(&rest[..at]);
        match rest[at + 2..].find("*/") {
            Some(end) => rest = &rest[at + 2 + end + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}
