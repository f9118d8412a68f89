//! Interop with code nobody here wrote, all of it Python (tests/interop/):
//!
//! - the wire: a Python 3 peer using only `struct` and `socket` (peer.py) sends frames of
//!   every format; sockhelp's reader must decode exactly the agreed payloads, and the
//!   frames sockhelp sends back must satisfy Python;
//! - the binding: Python's cffi, the way Python projects bind C libraries (Linux only,
//!   marked so): `ffi.cdef()` of the committed declarations (include/sockhelp_cffi.h,
//!   made from the header by scripts/gen-cffi.py), `ffi.dlopen()` of the release shared
//!   library, and real calls (cffi_calls.py): sockhelp_version, sockhelp_strerror,
//!   sockhelp_sendall / sockhelp_recvall over a socketpair, a frame through a reader, the
//!   peer's close. It needs python3 with cffi (scripts/test.sh installs python3-cffi when
//!   missing); without it the test fails saying what to install.
//!
//! POSIX only: the tests run the host's python3 (there is none inside Wine).

#![cfg(unix)]

mod common;

use std::process::{Command, Stdio};

use common::sock::close;
#[cfg(target_os = "linux")]
use common::{assert_success, root, wait_output};
use sockhelp::deadline::Deadline;
use sockhelp::frames::{send_frame, Reader};
use sockhelp::framing::{Framing, TypeBody};
use sockhelp::net;

/// Mirrors `LENGTHS` and `payloads()` in peer.py.
const LENGTHS: [usize; 10] = [0, 1, 5, 64, 300, 4096, 70000, 3, 0, 65535];

fn payloads(format: &str) -> Vec<Vec<u8>> {
    LENGTHS
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let n = if format.starts_with("fixed") {
                16
            } else if format == "lp1" {
                n.min(255)
            } else if format.starts_with("lp2") {
                n.min(65535)
            } else {
                n
            };
            let mut body: Vec<u8> = (0..n).map(|j| ((i * 7 + j) % 26) as u8 + 97).collect();
            if format == "typed" {
                let kind = b"PTMVA"[i % 5];
                if kind == b'P' {
                    body.clear();
                } else if kind == b'T' {
                    body.resize(8, b'z');
                }
                body.insert(0, kind);
            }
            body
        })
        .collect()
}

fn framing(format: &str) -> Framing {
    let max = 1 << 20;
    match format {
        "fixed16" => Framing::fixed(16),
        "nl" => Framing::delimited(b"\n", max),
        "crlf" => Framing::delimited(b"\r\n", max),
        "nul" => Framing::delimited(b"\0", max),
        "lp1" => Framing::length_prefixed(1, false, max),
        "lp2be" => Framing::length_prefixed(2, false, max),
        "lp2le" => Framing::length_prefixed(2, true, max),
        "lp4be" => Framing::length_prefixed(4, false, max),
        "lp4le" => Framing::length_prefixed(4, true, max),
        "lp8be" => Framing::length_prefixed(8, false, max),
        "lp8le" => Framing::length_prefixed(8, true, max),
        "varint" => Framing::varint(max),
        "ascii5" => Framing::ascii_length(5, 99_999),
        "typed" => Framing::typed(
            &[
                (b'P', TypeBody::Fixed(0)),
                (b'T', TypeBody::Fixed(8)),
                (
                    b'M',
                    TypeBody::Header(Framing::length_prefixed(2, false, 65535).unwrap()),
                ),
                (b'V', TypeBody::Header(Framing::varint(max).unwrap())),
                (
                    b'A',
                    TypeBody::Header(Framing::ascii_length(5, 99_999).unwrap()),
                ),
            ],
            max,
        ),
        other => panic!("unknown format {}", other),
    }
    .unwrap()
}

fn exchange_with_python(format: &str) {
    let listener = net::listen(Some("127.0.0.1"), 0, 4).unwrap();
    let port = net::local_port(listener).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/peer.py");
    let child = Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .arg(format)
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (install python3 to run this test)");
    let s = net::accept(listener, Deadline::from_timeout_ms(20_000).unwrap()).unwrap();
    close(listener);
    let f = framing(format);
    let expected = payloads(format);
    let mut reader = Reader::new(f.clone());
    let mut buf = vec![0u8; 1 << 20];
    for (i, want) in expected.iter().enumerate() {
        let (n, r) = reader.recv_frame(s, &mut buf, Deadline::from_timeout_ms(20_000).unwrap());
        assert_eq!(r, Ok(()), "{}: frame {}", format, i);
        assert!(buf[..n] == want[..], "{}: frame {} differs", format, i);
    }
    for p in &expected {
        let (_, r) = send_frame(s, &f, p, Deadline::from_timeout_ms(20_000).unwrap());
        assert_eq!(r, Ok(()));
    }
    let out = child.wait_with_output().unwrap();
    close(s);
    assert!(
        out.status.success(),
        "{}: the Python peer failed: {}",
        format,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_format_interoperates_with_a_python_peer() {
    for format in [
        "fixed16", "nl", "crlf", "nul", "lp1", "lp2be", "lp2le", "lp4be", "lp4le", "lp8be",
        "lp8le", "varint", "ascii5", "typed",
    ] {
        exchange_with_python(format);
    }
}

// ---------------------------------------------------------------------------
// Linux only: the library through Python's cffi

#[cfg(target_os = "linux")]
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

#[cfg(target_os = "linux")]
#[test]
fn python_cffi_calls_sendall_and_recvall_through_the_shared_library() {
    // Builds libsockhelp.a and libsockhelp.so (cargo build --release --lib); tests/packaging.rs
    // runs the same calls through the installed declarations and library.
    let lib = common::staticlib().with_file_name("libsockhelp.so");
    common::python_cffi_calls(&root().join("include/sockhelp_cffi.h"), &lib);
}
