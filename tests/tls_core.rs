//! TLS streams over loopback, both ends sockhelp (rustls on each side): handshake and
//! verification, every byte and frame call over a session, truncation, the non-blocking
//! handshake, the STARTTLS refusal, configs frozen once used, client certificates, the
//! whole-call deadline. Certificates: tests/tls_certs (README there).

#![cfg(feature = "tls")]

#[cfg(target_os = "linux")]
mod servers;

use std::thread;
use std::time::{Duration, Instant};

use sockhelp::any_stream::Stream;
use sockhelp::deadline::Deadline;
use sockhelp::frames::{send_frames, Reader};
use sockhelp::framing::Framing;
use sockhelp::io::{recv_all, send_all};
use sockhelp::net;
use sockhelp::tls::TlsConfig;
use sockhelp::{Error, RawSocket};

const CERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls_certs/");

fn cert(name: &str) -> String {
    format!("{}{}", CERTS, name)
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(cert(name)).unwrap()
}

/// Closes a socket (a plain stream owns it and closes it when dropped).
fn close(s: RawSocket) {
    drop(Stream::plain(s).unwrap());
}

fn ms(t: i32) -> Deadline {
    Deadline::from_timeout_ms(t).unwrap()
}

fn server_config(leaf: &str) -> TlsConfig {
    TlsConfig::server_pem(
        &pem(&format!("{}.pem", leaf)),
        &pem(&format!("{}.key", leaf)),
    )
    .unwrap()
}

fn client_config() -> TlsConfig {
    let mut c = TlsConfig::client();
    c.add_ca_file(&cert("ca.pem")).unwrap();
    c
}

/// A listener on a free loopback port: (listener, port).
fn listener() -> (RawSocket, u16) {
    let l = net::listen(Some("127.0.0.1"), 0, 16).unwrap();
    (l, net::local_port(l).unwrap())
}

/// Accepts one connection and runs `serve` on it in a thread with a TLS server stream made
/// from `config` (the handshake's result goes to `serve`).
fn serve_one<T: Send + 'static>(
    config: TlsConfig,
    serve: impl FnOnce(Result<Stream, Error>) -> T + Send + 'static,
) -> (u16, thread::JoinHandle<T>) {
    let (l, port) = listener();
    let h = thread::spawn(move || {
        let s = net::accept(l, ms(10_000)).unwrap();
        close(l);
        let r = Stream::tls_server(&config, s, ms(10_000)).map_err(|f| {
            close(s);
            f.error
        });
        serve(r)
    });
    (port, h)
}

#[test]
fn a_verified_session_carries_bytes_both_ways_and_reports_what_was_agreed() {
    let mut sc = server_config("server");
    sc.set_alpn(vec![b"h2".to_vec(), b"x-test".to_vec()])
        .unwrap();
    let (port, h) = serve_one(sc, |st| {
        let mut st = st.unwrap();
        let mut buf = vec![0u8; 5];
        assert_eq!(recv_all(&mut st, &mut buf, ms(10_000)), (5, Ok(())));
        assert_eq!(&buf, b"hello");
        let info = st.info();
        let (n, r) = send_all(&mut st, b"world", ms(10_000));
        assert_eq!((n, r), (5, Ok(())));
        st.flush(ms(10_000)).unwrap();
        st.close(ms(10_000)).unwrap();
        info
    });
    let mut cc = client_config();
    cc.set_alpn(vec![b"x-test".to_vec()]).unwrap();
    let mut st = Stream::tls_connect(&cc, "localhost", port, ms(10_000)).unwrap();
    assert!(st.is_tls());
    assert_eq!(st.info(), "TLSv1.3 TLS13_AES_256_GCM_SHA384 x-test");
    assert_eq!(send_all(&mut st, b"hello", ms(10_000)), (5, Ok(())));
    st.flush(ms(10_000)).unwrap();
    let mut buf = [0u8; 5];
    assert_eq!(recv_all(&mut st, &mut buf, ms(10_000)), (5, Ok(())));
    assert_eq!(&buf, b"world");
    // The server's close_notify: an orderly close.
    let mut more = [0u8; 1];
    assert_eq!(
        recv_all(&mut st, &mut more, ms(10_000)),
        (0, Err(Error::Closed))
    );
    st.close(ms(10_000)).unwrap();
    assert_eq!(h.join().unwrap(), "TLSv1.3 TLS13_AES_256_GCM_SHA384 x-test");
}

#[test]
fn frames_go_over_tls_unchanged_with_exact_counts() {
    let f = Framing::length_prefixed(4, false, 1 << 20).unwrap();
    let f2 = f.clone();
    let (port, h) = serve_one(server_config("server"), move |st| {
        let mut st = st.unwrap();
        let mut r = Reader::new(f2);
        let mut got = Vec::new();
        let mut buf = vec![0u8; 1 << 20];
        for _ in 0..1002 {
            let (n, res) = r.recv_frame(&mut st, &mut buf, ms(20_000));
            res.unwrap();
            got.push(buf[..n].to_vec());
        }
        got
    });
    let mut st = Stream::tls_connect(&client_config(), "127.0.0.1", port, ms(10_000)).unwrap();
    let mut payloads: Vec<Vec<u8>> = (0..1000).map(|i| vec![i as u8; i % 97]).collect();
    let (frames, bytes, r) = send_frames(&mut st, &f, &payloads, ms(20_000));
    r.unwrap();
    assert_eq!(frames, 1000);
    assert_eq!(bytes, payloads.iter().map(|p| p.len() + 4).sum::<usize>());
    let big: Vec<u8> = (0..(1 << 20) - 1).map(|i| (i * 7) as u8).collect();
    let (n, r) = sockhelp::frames::send_frame(&mut st, &f, &big, ms(20_000));
    r.unwrap();
    assert_eq!(n, big.len() + 4);
    let (n, r) = sockhelp::frames::send_frame(&mut st, &f, b"last", ms(20_000));
    assert_eq!((n, r), (8, Ok(())));
    st.flush(ms(20_000)).unwrap();
    payloads.push(big);
    payloads.push(b"last".to_vec());
    assert_eq!(h.join().unwrap(), payloads);
}

#[test]
fn a_peer_that_closes_without_close_notify_is_a_truncation_not_a_close() {
    let (port, h) = serve_one(server_config("server"), |st| {
        let mut st = st.unwrap();
        assert_eq!(send_all(&mut st, b"partial", ms(10_000)), (7, Ok(())));
        st.flush(ms(10_000)).unwrap();
        drop(st); // closes the socket, no close_notify
    });
    let mut st = Stream::tls_connect(&client_config(), "localhost", port, ms(10_000)).unwrap();
    h.join().unwrap();
    let mut buf = [0u8; 100];
    let (n, r) = recv_all(&mut st, &mut buf, ms(10_000));
    assert_eq!((n, r), (7, Err(Error::Truncated)));
    assert!(st.error_detail().unwrap().contains("close_notify"));
}

#[test]
fn a_wrong_name_an_unknown_ca_and_a_self_signed_certificate_are_refused() {
    for (leaf, host, why) in [
        ("other", "localhost", "not valid for name"),
        ("selfsigned", "localhost", "invalid peer certificate"),
        ("server", "127.0.0.2", "not valid for name"),
    ] {
        let (port, h) = serve_one(server_config(leaf), |st| st.map(|_| ()));
        let s = net::connect("127.0.0.1", port, ms(10_000)).unwrap();
        let f = Stream::tls_client(&client_config(), s, host, None, ms(10_000)).unwrap_err();
        assert_eq!(f.error, Error::Cert, "{} as {}", leaf, host);
        let detail = f.detail.unwrap().to_lowercase();
        assert!(detail.contains(why), "{}: {}", leaf, detail);
        // The socket is still the caller's.
        close(s);
        // The server heard the client's alert.
        assert!(matches!(h.join().unwrap(), Err(Error::Cert)), "{}", leaf);
    }
}

#[test]
fn dangerous_no_verify_accepts_any_certificate() {
    let (port, h) = serve_one(server_config("selfsigned"), |st| st.map(|_| ()));
    let mut c = TlsConfig::client();
    c.dangerous_no_verify().unwrap();
    let st = Stream::tls_connect(&c, "localhost", port, ms(10_000)).unwrap();
    assert!(st.info().starts_with("TLSv1.3"));
    h.join().unwrap().unwrap();
}

#[test]
fn a_config_is_frozen_once_a_session_used_it() {
    let mut c = client_config();
    c.set_alpn(vec![b"a".to_vec()]).unwrap();
    let (port, h) = serve_one(server_config("server"), |st| st.map(|_| ()));
    let st = Stream::tls_connect(&c, "localhost", port, ms(10_000)).unwrap();
    h.join().unwrap().unwrap();
    assert_eq!(c.set_alpn(vec![b"b".to_vec()]), Err(Error::Invalid));
    assert_eq!(c.add_ca_pem(&pem("ca.pem")), Err(Error::Invalid));
    assert_eq!(c.dangerous_no_verify(), Err(Error::Invalid));
    drop(st);
    // Malformed inputs are refused at once.
    let mut fresh = TlsConfig::client();
    assert_eq!(fresh.add_ca_pem(b"not pem"), Err(Error::Invalid));
    assert_eq!(
        fresh.add_ca_file("/nonexistent/ca.pem"),
        Err(Error::NotFound)
    );
    assert_eq!(fresh.set_alpn(vec![Vec::new()]), Err(Error::Invalid));
    assert!(TlsConfig::server_pem(&pem("server.pem"), &pem("client.key")).is_err());
}

#[test]
fn a_server_that_requires_a_client_certificate_refuses_one_without() {
    let make = || {
        let mut sc = server_config("server");
        sc.require_client_cert_file(&cert("ca.pem")).unwrap();
        sc
    };
    // Without a certificate: the server refuses, the client hears it as a certificate error.
    let (port, h) = serve_one(make(), |st| st.map(|_| ()));
    let mut st = Stream::tls_connect(&client_config(), "localhost", port, ms(10_000));
    // TLS 1.3: the client finishes first and hears the refusal on its first read.
    if let Ok(s) = st.as_mut() {
        let mut b = [0u8; 1];
        assert_eq!(recv_all(s, &mut b, ms(10_000)).1, Err(Error::Cert));
    } else {
        assert_eq!(st.unwrap_err().error, Error::Cert);
    }
    assert_eq!(h.join().unwrap(), Err(Error::Cert));
    // With one: accepted.
    let (port, h) = serve_one(make(), |st| {
        let mut st = st.unwrap();
        assert_eq!(send_all(&mut st, b"ok", ms(10_000)), (2, Ok(())));
        st.close(ms(10_000))
    });
    let mut c = client_config();
    c.client_cert_files(&cert("client.pem"), &cert("client.key"))
        .unwrap();
    let mut st = Stream::tls_connect(&c, "localhost", port, ms(10_000)).unwrap();
    let mut b = [0u8; 2];
    assert_eq!(recv_all(&mut st, &mut b, ms(10_000)), (2, Ok(())));
    st.close(ms(10_000)).unwrap();
    h.join().unwrap().unwrap();
}

#[test]
fn the_non_blocking_handshake_reports_what_it_waits_for() {
    let (port, h) = serve_one(server_config("server"), |st| {
        let mut st = st.unwrap();
        let mut b = [0u8; 4];
        assert_eq!(recv_all(&mut st, &mut b, ms(10_000)), (4, Ok(())));
        b
    });
    let s = net::connect("127.0.0.1", port, ms(10_000)).unwrap();
    let f = Stream::tls_client(&client_config(), s, "localhost", None, Deadline::Now).unwrap_err();
    assert_eq!(f.error, Error::WouldBlock);
    let mut st = f.in_progress.unwrap();
    let mut rounds = 0;
    loop {
        match st.handshake(Deadline::Now) {
            Ok(()) => break,
            Err(Error::WouldBlock) => {}
            Err(e) => panic!("{:?}", e),
        }
        let wants = st.wants();
        assert!(wants == 1 || wants == 2, "{}", wants);
        let interest = if wants == 1 {
            sockhelp::Interest::Readable
        } else {
            sockhelp::Interest::Writable
        };
        let mut raw = st.socket();
        sockhelp::stream::ByteStream::wait(&mut raw, interest, 10_000).unwrap();
        rounds += 1;
        assert!(rounds < 100);
    }
    assert!(rounds >= 1);
    assert_eq!(send_all(&mut st, b"ping", ms(10_000)), (4, Ok(())));
    st.flush(ms(10_000)).unwrap();
    assert_eq!(&h.join().unwrap(), b"ping");
}

#[test]
fn an_upgrade_is_refused_when_the_reader_holds_bytes_past_the_answer() {
    let (l, port) = listener();
    let s = net::connect("127.0.0.1", port, ms(10_000)).unwrap();
    let peer = net::accept(l, ms(10_000)).unwrap();
    // The server's one-byte answer to an SSLRequest, and bytes injected after it.
    assert_eq!(send_all(peer, b"Sinjected", ms(10_000)), (9, Ok(())));
    let mut r = Reader::new(Framing::fixed(1).unwrap());
    let mut answer = [0u8; 1];
    let (n, res) = r.recv_frame(s, &mut answer, ms(10_000));
    assert_eq!((n, res, answer), (1, Ok(()), *b"S"));
    thread::sleep(Duration::from_millis(50));
    let f = Stream::tls_client(&client_config(), s, "localhost", Some(&r), ms(10_000)).unwrap_err();
    assert_eq!(f.error, Error::Proto);
    for x in [s, peer, l] {
        close(x);
    }
}

#[test]
fn a_server_that_never_answers_the_handshake_runs_into_the_deadline() {
    let (l, port) = listener();
    let start = Instant::now();
    let f = Stream::tls_connect(&client_config(), "127.0.0.1", port, ms(300)).unwrap_err();
    assert_eq!(f.error, Error::TimedOut);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(5),
        "{:?}",
        took
    );
    close(l);
}

#[test]
fn garbage_instead_of_a_server_hello_is_a_tls_error() {
    let (l, port) = listener();
    let h = thread::spawn(move || {
        let s = net::accept(l, ms(10_000)).unwrap();
        let _ = send_all(s, b"HTTP/1.1 400 Bad Request\r\n\r\n", ms(10_000));
        thread::sleep(Duration::from_millis(200));
        close(s);
        close(l);
    });
    let f = Stream::tls_connect(&client_config(), "127.0.0.1", port, ms(10_000)).unwrap_err();
    assert_eq!(f.error, Error::Tls);
    assert!(!f.detail.unwrap().is_empty());
    h.join().unwrap();
}

#[test]
fn a_plain_stream_runs_the_same_calls() {
    let (l, port) = listener();
    let s = net::connect("127.0.0.1", port, ms(10_000)).unwrap();
    let peer = net::accept(l, ms(10_000)).unwrap();
    let mut a = Stream::plain(s).unwrap();
    let mut b = Stream::plain(peer).unwrap();
    assert!(!a.is_tls());
    assert_eq!(a.info(), "plain");
    a.handshake(Deadline::Now).unwrap();
    assert_eq!(send_all(&mut a, b"abc", ms(10_000)), (3, Ok(())));
    let mut r = Reader::new(Framing::fixed(3).unwrap());
    thread::sleep(Duration::from_millis(20));
    assert_eq!(b.fill(&mut r), Ok(3));
    assert_eq!(r.next_frame().unwrap(), b"abc");
    assert_eq!(b.fill(&mut r), Err(Error::WouldBlock));
    assert_eq!(b.wants(), 1);
    a.close(ms(1000)).unwrap_or(());
    b.close(ms(1000)).unwrap();
    close(l);
}

// ---------------------------------------------------------------------------
// The hostile TLS cases against the library's Rust core (the `tls` feature), the same
// peers as tests/tls.rs drives through the C API: real `openssl s_server`s with bad
// certificates, and plain TCP threads answering with crafted bytes (tests/servers).
// Each case asserts the exact error the library must answer, and for deadlines, the time.
#[cfg(target_os = "linux")]
mod hostile_peers {
    use super::servers;

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
}

/// A poller user fills once per readable event: plaintext the session decrypted but left
/// inside it would never be announced again. One record of many lines, bigger than the
/// reader's first receive (4 KiB): a single fill must take all of it, whole lines already
/// buffered or not.
#[test]
fn one_fill_takes_every_byte_the_session_decrypted() {
    const LINES: usize = 300;
    let line = b"a line of forty bytes, newline included\n";
    let (port, h) = serve_one(server_config("server"), move |st| {
        let mut st = st.unwrap();
        let mut r = Reader::new(Framing::delimited(b"\n", 1 << 16).unwrap());
        let mut rounds = 0;
        let got = loop {
            match st.fill(&mut r) {
                Ok(n) if n > 0 => break n,
                Ok(_) | Err(Error::WouldBlock) => {}
                Err(e) => panic!("fill: {:?}", e),
            }
            let mut raw = st.socket();
            sockhelp::stream::ByteStream::wait(&mut raw, sockhelp::Interest::Readable, 10_000)
                .unwrap();
            rounds += 1;
            assert!(rounds < 1000, "no bytes came");
        };
        (got, st.buffered(), r.buffered())
    });
    let mut st = Stream::tls_connect(&client_config(), "localhost", port, ms(10_000)).unwrap();
    let all: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(LINES * line.len())
        .collect();
    // 12,000 bytes in one send: one record (the session seals up to 16 KiB at once).
    assert_eq!(send_all(&mut st, &all, ms(10_000)), (all.len(), Ok(())));
    st.flush(ms(10_000)).unwrap();
    let (got, left_in_session, in_reader) = h.join().unwrap();
    assert_eq!(left_in_session, 0, "plaintext left hidden in the session");
    assert_eq!((got, in_reader), (all.len(), all.len()));
}

#[test]
fn a_writer_sends_its_queue_and_raw_bytes_over_tls_in_order() {
    let (port, h) = serve_one(server_config("server"), |st| {
        let mut st = st.unwrap();
        let mut got = vec![0u8; 8 + (1 << 20) + 6];
        let (n, r) = recv_all(&mut st, &mut got, ms(20_000));
        assert_eq!((n, r), (got.len(), Ok(())));
        got
    });
    let mut st = Stream::tls_connect(&client_config(), "127.0.0.1", port, ms(10_000)).unwrap();
    let mut w = sockhelp::frames::Writer::new(Framing::delimited(b"\r\n\r\n", 1024).unwrap());
    let body: Vec<u8> = (0..1 << 20).map(|i| (i * 13) as u8).collect();
    w.queue(b"HEAD").unwrap();
    w.send_raw(&mut st, &body).unwrap();
    w.queue(b"tail").unwrap();
    let t0 = Instant::now();
    loop {
        match w.flush(&mut st, ms(1000)) {
            Ok(()) | Err(Error::TimedOut) | Err(Error::WouldBlock) => {}
            Err(e) => panic!("flush: {:?}", e),
        }
        st.flush(ms(1000)).ok();
        if w.pending() == 0 || t0.elapsed() > Duration::from_secs(30) {
            break;
        }
    }
    assert_eq!(w.pending(), 0);
    st.flush(ms(20_000)).unwrap();
    let got = h.join().unwrap();
    assert_eq!(&got[..8], b"HEAD\r\n\r\n");
    assert!(got[8..8 + body.len()] == body[..], "the body in order");
    assert_eq!(&got[8 + body.len()..], b"tail\r\n");
}
