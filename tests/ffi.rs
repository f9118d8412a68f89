//! The C ABI called from Rust (`common::cabi`: the very functions C links against),
//! over loopback TCP, on every platform: Linux here, Windows under Wine via
//! `scripts/windows-test.sh` (where `sockhelp_socket` is a `SOCKET`, pointer-sized and
//! unsigned, and `sockhelp_init` is `WSAStartup`).

mod common;

use std::ffi::{c_void, CStr, CString};
use std::ptr;
use std::thread;
use std::time::Instant;

use common::cabi::*;
use common::sock::*;

const INVALID: sockhelp_socket = !0 as sockhelp_socket;

fn localhost() -> CString {
    CString::new("127.0.0.1").unwrap()
}

/// A connected pair made through the C API: (client, server side).
fn c_pair() -> (sockhelp_socket, sockhelp_socket) {
    assert_eq!(sockhelp_init(), SOCKHELP_OK);
    let host = localhost();
    let mut l = INVALID;
    assert_eq!(sockhelp_listen(host.as_ptr(), 0, 8, &mut l), SOCKHELP_OK);
    let mut port = 0u16;
    assert_eq!(sockhelp_local_port(l, &mut port), SOCKHELP_OK);
    let mut c = INVALID;
    assert_eq!(
        sockhelp_connect(host.as_ptr(), port, 5000, &mut c),
        SOCKHELP_OK
    );
    let mut a = INVALID;
    assert_eq!(sockhelp_accept(l, 5000, &mut a), SOCKHELP_OK);
    assert_eq!(sockhelp_close(l), SOCKHELP_OK);
    (c, a)
}

/// init / cleanup are reference counted and may be called many times; the version and
/// every code's text are static strings.
#[test]
fn init_cleanup_version_and_strerror() {
    for _ in 0..3 {
        assert_eq!(sockhelp_init(), SOCKHELP_OK);
    }
    for _ in 0..3 {
        sockhelp_cleanup();
    }
    // SAFETY: the version is a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(sockhelp_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    for code in -14..=0 {
        // SAFETY: strerror returns a static NUL-terminated string for every code.
        let s = unsafe { CStr::from_ptr(sockhelp_strerror(code)) };
        assert!(!s.to_bytes().is_empty());
    }
}

/// sendall / recvall through the C ABI: counts in out-parameters on every return, a
/// peer's close is ECLOSED with the count, timeout 0 is EWOULDBLOCK, an invalid socket is
/// EINVAL.
#[test]
fn sendall_recvall_codes_and_counts() {
    let (c, a) = c_pair();
    let data = pattern(1 << 20);
    let writer = thread::spawn(move || {
        let mut sent = 0usize;
        let rc = sockhelp_sendall(c, data.as_ptr() as *const c_void, data.len(), -1, &mut sent);
        (rc, sent, c)
    });
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0usize;
    let rc = sockhelp_recvall(
        a,
        buf.as_mut_ptr() as *mut c_void,
        buf.len(),
        10_000,
        &mut got,
    );
    assert_eq!((rc, got), (SOCKHELP_OK, 1 << 20));
    assert!(buf == pattern(1 << 20));
    let (rc, sent, c) = writer.join().unwrap();
    assert_eq!((rc, sent), (SOCKHELP_OK, 1 << 20));

    let rc = sockhelp_recvall(a, buf.as_mut_ptr() as *mut c_void, 10, 0, &mut got);
    assert_eq!((rc, got), (SOCKHELP_EWOULDBLOCK, 0));
    let t0 = Instant::now();
    let rc = sockhelp_recvall(a, buf.as_mut_ptr() as *mut c_void, 10, 200, &mut got);
    assert_eq!((rc, got), (SOCKHELP_ETIMEDOUT, 0));
    assert_elapsed("recvall(200)", t0, 190, 2000);

    let mut sent = 0usize;
    assert_eq!(
        sockhelp_sendall(c, b"tail".as_ptr() as *const c_void, 4, 1000, &mut sent),
        SOCKHELP_OK
    );
    assert_eq!(sockhelp_shutdown(c, SOCKHELP_SHUT_WR), SOCKHELP_OK);
    let rc = sockhelp_recvall(a, buf.as_mut_ptr() as *mut c_void, 10, 5000, &mut got);
    assert_eq!((rc, got), (SOCKHELP_ECLOSED, 4));
    assert_eq!(&buf[..4], b"tail");

    let rc = sockhelp_recvall(INVALID, buf.as_mut_ptr() as *mut c_void, 10, 0, &mut got);
    assert_eq!((rc, got), (SOCKHELP_EINVAL, 0));
    let rc = sockhelp_sendall(INVALID, b"x".as_ptr() as *const c_void, 1, 0, &mut sent);
    assert_eq!((rc, sent), (SOCKHELP_EINVAL, 0));
    assert_eq!(sockhelp_shutdown(c, 99), SOCKHELP_EINVAL);
    assert_eq!(sockhelp_close(c), SOCKHELP_OK);
    assert_eq!(sockhelp_close(a), SOCKHELP_OK);
}

/// connect refused, the socket mode calls (get_nonblocking is EUNSUPPORTED on Windows),
/// nodelay, keepalive (a probe count is EUNSUPPORTED on Windows), close_graceful.
#[test]
fn connect_options_and_close_through_the_c_abi() {
    assert_eq!(sockhelp_init(), SOCKHELP_OK);
    let host = localhost();
    let port = listener().1;
    let mut s: sockhelp_socket = 77;
    assert_eq!(
        sockhelp_connect(host.as_ptr(), port, 5000, &mut s),
        SOCKHELP_EREFUSED
    );
    assert_eq!(s, INVALID, "*out is SOCKHELP_INVALID_SOCKET on failure");
    assert!(sockhelp_last_os_error() != 0);

    let (c, a) = c_pair();
    assert_eq!(sockhelp_set_nonblocking(c, true), SOCKHELP_OK);
    let mut on = false;
    let rc = sockhelp_get_nonblocking(c, &mut on);
    if cfg!(windows) {
        assert_eq!(rc, SOCKHELP_EUNSUPPORTED);
    } else {
        assert_eq!((rc, on), (SOCKHELP_OK, true));
    }
    let mut got = 0usize;
    let mut b = [0u8; 1];
    assert_eq!(
        sockhelp_recvall(c, b.as_mut_ptr() as *mut c_void, 1, 0, &mut got),
        SOCKHELP_EWOULDBLOCK
    );
    assert_eq!(sockhelp_set_nonblocking(c, false), SOCKHELP_OK);
    assert_eq!(sockhelp_set_nodelay(c, true), SOCKHELP_OK);
    let rc = sockhelp_set_keepalive(c, true, 60, 10, 4);
    assert_eq!(
        rc,
        if cfg!(windows) {
            SOCKHELP_EUNSUPPORTED
        } else {
            SOCKHELP_OK
        }
    );
    assert_eq!(sockhelp_set_keepalive(c, true, 60, 10, 0), SOCKHELP_OK);

    // close_graceful with a peer that closes too: OK.
    let closer = thread::spawn(move || {
        let mut b = [0u8; 16];
        let mut got = 0usize;
        let rc = sockhelp_recvall(a, b.as_mut_ptr() as *mut c_void, 16, 5000, &mut got);
        assert_eq!((rc, got), (SOCKHELP_ECLOSED, 0));
        assert_eq!(sockhelp_close(a), SOCKHELP_OK);
    });
    assert_eq!(sockhelp_close_graceful(c, 5000), SOCKHELP_OK);
    closer.join().unwrap();
    assert_eq!(sockhelp_close(INVALID), SOCKHELP_EINVAL);
}

/// Framed I/O through the C ABI: send_frame, recv_frame (ENOSPACE keeps the frame),
/// the reader's fill / next and the writer's queue / flush.
#[test]
fn frames_through_the_c_abi() {
    let (c, a) = c_pair();
    let f = sockhelp_framing_length_prefixed(4, false, 1 << 20);
    assert!(!f.is_null());
    let d = sockhelp_framing_delimited(b"\n".as_ptr() as *const c_void, 1, 1000);
    assert!(!d.is_null());

    let mut sent = 0usize;
    let rc = sockhelp_send_frame(c, f, b"hello".as_ptr() as *const c_void, 5, 1000, &mut sent);
    assert_eq!((rc, sent), (SOCKHELP_OK, 9));
    let r = sockhelp_reader_new(f);
    let mut small = [0u8; 2];
    let mut len = 0usize;
    let rc = sockhelp_recv_frame(r, a, small.as_mut_ptr() as *mut c_void, 2, &mut len, 1000);
    assert_eq!((rc, len), (SOCKHELP_ENOSPACE, 5));
    let mut out = [0u8; 64];
    let rc = sockhelp_recv_frame(r, a, out.as_mut_ptr() as *mut c_void, 64, &mut len, 1000);
    assert_eq!((rc, len), (SOCKHELP_OK, 5));
    assert_eq!(&out[..5], b"hello");
    sockhelp_reader_free(r);

    // Writer: three lines in one flush; the reader takes them with fill + next.
    let w = sockhelp_writer_new(d);
    for line in [&b"one"[..], b"", b"three"] {
        assert_eq!(
            sockhelp_writer_queue(w, line.as_ptr() as *const c_void, line.len()),
            SOCKHELP_OK
        );
    }
    assert_eq!(sockhelp_writer_pending(w), 11);
    assert_eq!(
        sockhelp_writer_queue(w, b"a\nb".as_ptr() as *const c_void, 3),
        SOCKHELP_EINVAL
    );
    assert_eq!(sockhelp_writer_flush(w, c, 1000), SOCKHELP_OK);
    assert_eq!(sockhelp_writer_pending(w), 0);
    sockhelp_writer_free(w);

    assert_eq!(sockhelp_set_nonblocking(a, true), SOCKHELP_OK);
    let r = sockhelp_reader_new(d);
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let start = Instant::now();
    while lines.len() < 3 {
        assert!(start.elapsed().as_secs() < 10, "lines did not arrive");
        let mut frame: *const u8 = ptr::null();
        let mut n = 0usize;
        match sockhelp_reader_next(r, &mut frame, &mut n) {
            SOCKHELP_OK => {
                // SAFETY: next hands out `n` valid bytes until the next reader call.
                let bytes = if n == 0 {
                    &[][..]
                } else {
                    unsafe { std::slice::from_raw_parts(frame, n) }
                };
                lines.push(bytes.to_vec());
            }
            SOCKHELP_EWOULDBLOCK => {
                let rc = sockhelp_reader_fill(r, a);
                assert!(
                    rc == SOCKHELP_OK || rc == SOCKHELP_EWOULDBLOCK,
                    "fill: {}",
                    rc
                );
                if rc == SOCKHELP_EWOULDBLOCK {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
            rc => panic!("next: {}", rc),
        }
    }
    assert_eq!(lines, vec![b"one".to_vec(), Vec::new(), b"three".to_vec()]);
    assert_eq!(sockhelp_reader_buffered(r), 0);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
    sockhelp_framing_free(d);
    assert_eq!(sockhelp_close(c), SOCKHELP_OK);
    assert_eq!(sockhelp_close(a), SOCKHELP_OK);
}

/// `select` keeps in each array only its ready sockets, at the front, in their original
/// order, and returns the ready count; on a timeout every count becomes 0.
#[test]
fn select_keeps_only_the_ready_sockets_in_order_and_a_timeout_zeroes_the_counts() {
    let (c1, a1) = c_pair();
    let (c2, a2) = c_pair();
    let mut readers = [a1, a2, c1];
    let (mut nr, mut nw, mut ne) = (3usize, 0usize, 0usize);
    let rc = sockhelp_select(
        readers.as_mut_ptr(),
        &mut nr,
        ptr::null_mut(),
        &mut nw,
        ptr::null_mut(),
        &mut ne,
        50,
    );
    assert_eq!((rc, nr, nw, ne), (0, 0, 0, 0), "nothing is readable yet");

    let mut sent = 0usize;
    assert_eq!(
        sockhelp_sendall(c2, b"x".as_ptr() as *const c_void, 1, 1000, &mut sent),
        SOCKHELP_OK
    );
    let mut readers = [a1, a2, c1];
    let mut nr = 3usize;
    let rc = sockhelp_select(
        readers.as_mut_ptr(),
        &mut nr,
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
        5000,
    );
    assert_eq!((rc, nr, readers[0]), (1, 1, a2));

    // Several arrays ready: the count is over all three, the order is kept.
    let mut readers = [c1, a2, a1];
    let mut writers = [a1, c1];
    let (mut nr, mut nw, mut ne) = (3usize, 2usize, 0usize);
    let rc = sockhelp_select(
        readers.as_mut_ptr(),
        &mut nr,
        writers.as_mut_ptr(),
        &mut nw,
        ptr::null_mut(),
        &mut ne,
        5000,
    );
    assert_eq!((rc, nr, nw, ne), (3, 1, 2, 0));
    assert_eq!(readers[0], a2);
    assert_eq!(writers, [a1, c1]);

    // Timeout 0 with nothing ready: 0, every count 0.
    let mut readers = [a1, c1];
    let mut nr = 2usize;
    let rc = sockhelp_select(
        readers.as_mut_ptr(),
        &mut nr,
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
        0,
    );
    assert_eq!((rc, nr), (0, 0));
    for s in [c1, a1, c2, a2] {
        assert_eq!(sockhelp_close(s), SOCKHELP_OK);
    }
}

/// Arguments `select` must refuse (NULL array with a count, an invalid socket value, a
/// timeout below -1, too many entries, one array passed twice, nothing to wait for
/// forever, a number that is no open socket) leave the arrays and counts untouched.
#[test]
fn select_refuses_bad_arguments_and_leaves_the_arrays_untouched() {
    let (c, a) = c_pair();
    let null = ptr::null_mut::<sockhelp_socket>;
    let nulln = ptr::null_mut::<usize>;

    let mut n = 1usize;
    assert_eq!(
        sockhelp_select(null(), &mut n, null(), nulln(), null(), nulln(), 0),
        SOCKHELP_EINVAL
    );
    assert_eq!(n, 1);
    let mut r = [SOCKHELP_INVALID_SOCKET];
    assert_eq!(
        sockhelp_select(r.as_mut_ptr(), &mut n, null(), nulln(), null(), nulln(), 0),
        SOCKHELP_EINVAL
    );
    let mut r = [a];
    assert_eq!(
        sockhelp_select(r.as_mut_ptr(), &mut n, null(), nulln(), null(), nulln(), -2),
        SOCKHELP_EINVAL
    );
    let mut big = sockhelp::select::MAX_SELECT_ENTRIES + 1;
    assert_eq!(
        sockhelp_select(
            r.as_mut_ptr(),
            &mut big,
            null(),
            nulln(),
            null(),
            nulln(),
            0
        ),
        SOCKHELP_EINVAL
    );
    let (mut n1, mut n2) = (1usize, 1usize);
    assert_eq!(
        sockhelp_select(
            r.as_mut_ptr(),
            &mut n1,
            r.as_mut_ptr(),
            &mut n2,
            null(),
            nulln(),
            0
        ),
        SOCKHELP_EINVAL,
        "the same array twice: the results would overwrite each other"
    );
    // Nothing at all: a sleep, or EINVAL for forever (nothing could end the wait).
    assert_eq!(
        sockhelp_select(null(), nulln(), null(), nulln(), null(), nulln(), 1),
        0
    );
    assert_eq!(
        sockhelp_select(null(), nulln(), null(), nulln(), null(), nulln(), -1),
        SOCKHELP_EINVAL
    );
    // A number that is not an open socket: EOS (EBADF). POSIX only: poll() reports
    // POLLNVAL for it, while WSAPoll under Wine reports nothing at all for a handle that is
    // not a socket (there is no real Windows here to say what it does).
    #[cfg(unix)]
    {
        let closed = 19_500 as sockhelp_socket;
        let mut r = [a, closed];
        let mut nr = 2usize;
        assert_eq!(
            sockhelp_select(r.as_mut_ptr(), &mut nr, null(), nulln(), null(), nulln(), 0),
            SOCKHELP_EOS
        );
        assert_eq!(sockhelp_last_os_error(), libc::EBADF);
        assert_eq!((r, nr), ([a, closed], 2));
    }
    assert_eq!(sockhelp_close(c), SOCKHELP_OK);
    assert_eq!(sockhelp_close(a), SOCKHELP_OK);
}

/// The poller through C: full 64-bit tags, level-triggered (unread data is reported at
/// every wait), modify / remove and their mistakes, bad wait arguments, and a free that
/// unregisters sockets without closing them.
#[test]
fn the_poller_keeps_tags_reports_again_until_read_and_refuses_mistakes() {
    let (c, a) = c_pair();
    sockhelp_poller_free(ptr::null_mut());
    let p = sockhelp_poller_new();
    assert!(!p.is_null(), "poller_new: {}", sockhelp_last_os_error());
    let tag = 0xDEAD_BEEF_CAFE_F00D_u64;
    assert_eq!(
        sockhelp_poller_add(p, a, SOCKHELP_READABLE, tag),
        SOCKHELP_OK
    );
    assert_eq!(
        sockhelp_poller_add(p, a, SOCKHELP_READABLE, 1),
        SOCKHELP_EINVAL,
        "added twice"
    );
    assert_eq!(
        sockhelp_poller_add(ptr::null_mut(), a, SOCKHELP_READABLE, 0),
        SOCKHELP_EINVAL
    );
    let mut evs = [sockhelp_event::default(); 4];
    assert_eq!(
        sockhelp_poller_wait(p, ptr::null_mut(), 4, 0),
        SOCKHELP_EINVAL
    );
    assert_eq!(
        sockhelp_poller_wait(p, evs.as_mut_ptr(), 0, 0),
        SOCKHELP_EINVAL
    );
    assert_eq!(
        sockhelp_poller_wait(p, evs.as_mut_ptr(), 4, -2),
        SOCKHELP_EINVAL
    );
    assert_eq!(sockhelp_poller_wait(p, evs.as_mut_ptr(), 4, 0), 0);

    let mut sent = 0usize;
    assert_eq!(
        sockhelp_sendall(c, b"ping".as_ptr() as *const c_void, 4, 1000, &mut sent),
        SOCKHELP_OK
    );
    for _ in 0..2 {
        let n = sockhelp_poller_wait(p, evs.as_mut_ptr(), 4, 5000);
        assert_eq!(n, 1);
        assert_eq!(
            evs[0],
            sockhelp_event {
                tag,
                events: SOCKHELP_READABLE
            }
        );
    }
    assert_eq!(
        sockhelp_poller_modify(p, a, SOCKHELP_WRITABLE, 7),
        SOCKHELP_OK
    );
    let n = sockhelp_poller_wait(p, evs.as_mut_ptr(), 4, 5000);
    assert_eq!((n, evs[0].tag, evs[0].events), (1, 7, SOCKHELP_WRITABLE));
    assert_eq!(
        sockhelp_poller_modify(p, c, SOCKHELP_WRITABLE, 1),
        SOCKHELP_EINVAL,
        "modify of a socket never added"
    );
    assert_eq!(sockhelp_poller_remove(p, a), SOCKHELP_OK);
    assert_eq!(sockhelp_poller_remove(p, a), SOCKHELP_EINVAL);
    assert_eq!(sockhelp_poller_wait(p, evs.as_mut_ptr(), 4, 50), 0);

    // Freed with a socket still added: unregistered, not closed.
    assert_eq!(sockhelp_poller_add(p, a, SOCKHELP_READABLE, 1), SOCKHELP_OK);
    sockhelp_poller_free(p);
    assert_eq!(
        sockhelp_sendall(
            a,
            b"still open".as_ptr() as *const c_void,
            10,
            1000,
            &mut sent
        ),
        SOCKHELP_OK
    );
    assert_eq!(sockhelp_close(c), SOCKHELP_OK);
    assert_eq!(sockhelp_close(a), SOCKHELP_OK);
}
