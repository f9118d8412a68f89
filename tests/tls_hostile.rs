//! The hostile TLS cases against the library's Rust core (the `tls` feature), the same
//! peers as tests/tls.rs drives through the C API: real `openssl s_server`s with bad
//! certificates, and plain TCP threads answering with crafted bytes (tests/servers).
//! Each case asserts the exact error the library must answer, and for deadlines, the time.
#![cfg(all(feature = "tls", target_os = "linux"))]

mod servers;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use servers::certs::{self, Pair};
use servers::hostile::{self, hold, read_some};
use servers::SServerMode;
use sockhelp::any_stream::Stream;
use sockhelp::deadline::Deadline;
use sockhelp::frames::Reader;
use sockhelp::framing::Framing;
use sockhelp::io::{recv_all, send_all};
use sockhelp::net;
use sockhelp::tls::TlsConfig;
use sockhelp::Error;

fn ms(t: i32) -> Deadline {
    Deadline::from_timeout_ms(t).unwrap()
}

fn client(ca: &Pair) -> TlsConfig {
    let mut c = TlsConfig::client();
    c.add_ca_file(ca.cert.to_str().unwrap()).unwrap();
    c
}

/// tls_connect's error, its reason, and how long it took.
fn connect_err(cfg: &TlsConfig, host: &str, port: u16, t: i32) -> (Error, String, Duration) {
    let start = Instant::now();
    match Stream::tls_connect(cfg, host, port, ms(t)) {
        Ok(_) => panic!("connected to {}:{} where it must fail", host, port),
        Err(r) => (r.error, r.detail.unwrap_or_default(), start.elapsed()),
    }
}

fn refused(leaf: fn(&certs::Certs) -> &Pair, ca: fn(&certs::Certs) -> &Pair, what: &str) {
    let c = certs::make();
    let srv = servers::s_server(leaf(&c), 13, SServerMode::Www, None);
    let (e, detail, _) = connect_err(&client(ca(&c)), "127.0.0.1", srv.port, 10_000);
    assert_eq!(e, Error::Cert, "{}: {}", what, detail);
    assert!(!detail.is_empty(), "{}: no reason", what);
    println!("{}: {:?}: {}", what, e, detail);
}

#[test]
fn wrong_name() {
    refused(|c| &c.wrong_name, |c| &c.ca, "wrong name");
}

#[test]
fn unknown_ca() {
    refused(|c| &c.server, |c| &c.other_ca, "unknown CA");
}

#[test]
fn expired() {
    refused(|c| &c.expired, |c| &c.ca, "expired");
}

#[test]
fn self_signed() {
    refused(|c| &c.self_signed, |c| &c.ca, "self-signed");
}

#[test]
fn good_certificate_by_address_and_name() {
    let c = certs::make();
    let srv = servers::s_server(&c.server, 12, SServerMode::Rev, None);
    for host in ["127.0.0.1", "localhost"] {
        let mut st = Stream::tls_connect(&client(&c.ca), host, srv.port, ms(10_000))
            .unwrap_or_else(|r| panic!("{}: {:?} {:?}", host, r.error, r.detail));
        assert!(st.info().starts_with("TLSv1.2"), "{}", st.info());
        assert_eq!(send_all(&mut st, b"abc\n", ms(10_000)).1, Ok(()));
        let mut got = [0u8; 4];
        assert_eq!(recv_all(&mut st, &mut got, ms(10_000)).1, Ok(()));
        assert_eq!(&got, b"cba\n");
    }
}

fn on_time(took: Duration, deadline_ms: u64) {
    let t = took.as_millis() as u64;
    assert!(
        t + 50 >= deadline_ms && t < deadline_ms + 5000,
        "deadline {} ms, took {} ms",
        deadline_ms,
        t
    );
}

#[test]
fn silent_after_handshake() {
    let c = certs::make();
    let srv = servers::s_server(&c.server, 13, SServerMode::Rev, None);
    let mut st = Stream::tls_connect(&client(&c.ca), "127.0.0.1", srv.port, ms(10_000))
        .unwrap_or_else(|r| panic!("{:?} {:?}", r.error, r.detail));
    let start = Instant::now();
    let mut buf = [0u8; 10];
    let (n, r) = recv_all(&mut st, &mut buf, ms(1500));
    assert_eq!((n, r), (0, Err(Error::TimedOut)));
    on_time(start.elapsed(), 1500);
}

#[test]
fn silent_during_handshake() {
    let (port, h) = hostile::peer(|mut c| {
        let _ = read_some(&mut c);
        hold(c);
    });
    let c = certs::make();
    let (e, _, took) = connect_err(&client(&c.ca), "127.0.0.1", port, 1500);
    assert_eq!(e, Error::TimedOut);
    on_time(took, 1500);
    h.join().unwrap();
}

#[test]
fn killed_server_is_truncated() {
    let c = certs::make();
    let srv = servers::s_server(&c.server, 13, SServerMode::Rev, None);
    let mut st = Stream::tls_connect(&client(&c.ca), "127.0.0.1", srv.port, ms(10_000))
        .unwrap_or_else(|r| panic!("{:?} {:?}", r.error, r.detail));
    assert_eq!(send_all(&mut st, b"abc\n", ms(10_000)).1, Ok(()));
    let mut got = [0u8; 4];
    assert_eq!(recv_all(&mut st, &mut got, ms(10_000)).1, Ok(()));
    drop(srv); // SIGTERM: the process ends, the kernel sends a FIN, no close_notify
    let (n, r) = recv_all(&mut st, &mut got, ms(15_000));
    assert_eq!((n, r), (0, Err(Error::Truncated)));
}

/// The answer to an upgrade request, then bytes after it in the same segment: the upgrade
/// is refused with Proto.
fn injected(request: &'static [u8], answer: &'static [u8], framing: Framing, want: &[u8]) {
    let (port, h) = hostile::peer(move |mut c| {
        let mut req = vec![0u8; request.len()];
        c.read_exact(&mut req).unwrap();
        assert_eq!(req, request);
        c.write_all(answer).unwrap();
        hold(c);
    });
    let c = certs::make();
    let s = net::connect("127.0.0.1", port, ms(10_000)).unwrap();
    assert_eq!(send_all(s, request, ms(10_000)).1, Ok(()));
    let mut r = Reader::new(framing);
    let mut buf = [0u8; 256];
    let (len, res) = r.recv_frame(s, &mut buf, ms(10_000));
    assert_eq!(res, Ok(()));
    assert_eq!(&buf[..len], want);
    let e = Stream::tls_client(&client(&c.ca), s, "localhost", Some(&r), ms(10_000))
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.error, Error::Proto);
    drop(Stream::plain(s).unwrap()); // the socket is ours again: close it
    h.join().unwrap();
}

#[test]
fn bytes_after_sslrequest_answer() {
    injected(
        &hostile::SSL_REQUEST,
        b"SE\x00\x00\x00\x08injected",
        Framing::fixed(1).unwrap(),
        b"S",
    );
}

#[test]
fn bytes_after_starttls_answer() {
    injected(
        b"STARTTLS\r\n",
        b"220 go ahead\r\n250 injected\r\n",
        Framing::delimited(b"\r\n", 1024).unwrap(),
        b"220 go ahead",
    );
}

fn crafted(answer: Vec<u8>) -> (Error, String, Duration) {
    let (port, h) = hostile::peer(move |mut c| {
        let _ = read_some(&mut c);
        c.write_all(&answer).unwrap();
        hold(c);
    });
    let c = certs::make();
    let r = connect_err(&client(&c.ca), "127.0.0.1", port, 10_000);
    h.join().unwrap();
    r
}

#[test]
fn garbage_instead_of_server_hello() {
    let (e, detail, took) = crafted(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec());
    assert_eq!(e, Error::Tls, "{}", detail);
    assert!(took < Duration::from_secs(5));
    println!("garbage: {:?}: {}", e, detail);
}

#[test]
fn oversized_record() {
    let (e, detail, took) = crafted(hostile::record_announcing((1 << 14) + 2048 + 1));
    assert_eq!(e, Error::Tls, "{}", detail);
    assert!(took < Duration::from_secs(5));
    println!("oversized: {:?}: {}", e, detail);
}
