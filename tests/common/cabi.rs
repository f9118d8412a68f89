//! The C ABI as a test sees it: the exported `sockhelp_*` functions declared `extern "C"`
//! (`src/ffi` is private to the crate; these resolve to the very symbols C links against,
//! in the rlib the test links), wrapped in safe functions of the same names so a test reads
//! like the C it stands for, plus the header's types and constants.
//!
//! Every wrapper passes its arguments through unchanged: the tests keep the C contract
//! (valid or NULL pointers, alive for the call) exactly as a C caller must.

#![allow(non_camel_case_types, dead_code, clippy::not_unsafe_ptr_arg_deref)]
// SAFETY (for every `unsafe` block below): each is a call of an exported sockhelp
// function with the caller's arguments; the tests pass what the header's contract asks.
#![allow(clippy::missing_safety_doc, clippy::too_many_arguments)]

use std::os::raw::{c_char, c_int, c_uint, c_void};

use sockhelp::Error;

/// `sockhelp_socket`: the platform's raw socket.
pub type sockhelp_socket = sockhelp::RawSocket;

/// `SOCKHELP_INVALID_SOCKET`: -1 on POSIX, `INVALID_SOCKET` (all bits set) on Windows.
pub const SOCKHELP_INVALID_SOCKET: sockhelp_socket = !0 as sockhelp_socket;

pub const SOCKHELP_OK: c_int = 0;
pub const SOCKHELP_ECLOSED: c_int = Error::Closed.code();
pub const SOCKHELP_ERESET: c_int = Error::Reset(0).code();
pub const SOCKHELP_ETIMEDOUT: c_int = Error::TimedOut.code();
pub const SOCKHELP_EWOULDBLOCK: c_int = Error::WouldBlock.code();
pub const SOCKHELP_EINVAL: c_int = Error::Invalid.code();
pub const SOCKHELP_ETOOBIG: c_int = Error::TooBig.code();
pub const SOCKHELP_ENOSPACE: c_int = Error::NoSpace.code();
pub const SOCKHELP_EBADFRAME: c_int = Error::BadFrame.code();
pub const SOCKHELP_ENOMEM: c_int = Error::NoMem.code();
pub const SOCKHELP_EUNSUPPORTED: c_int = Error::Unsupported.code();
pub const SOCKHELP_EOS: c_int = Error::Os(0).code();
pub const SOCKHELP_EINTERNAL: c_int = Error::Internal.code();
pub const SOCKHELP_EREFUSED: c_int = Error::Refused(0).code();
pub const SOCKHELP_ENOTFOUND: c_int = Error::NotFound.code();

pub const SOCKHELP_READABLE: u32 = sockhelp::poller::READABLE;
pub const SOCKHELP_WRITABLE: u32 = sockhelp::poller::WRITABLE;
pub const SOCKHELP_HANGUP: u32 = sockhelp::poller::HANGUP;
pub const SOCKHELP_ERROR: u32 = sockhelp::poller::ERROR;

pub const SOCKHELP_SHUT_RD: c_int = 0;
pub const SOCKHELP_SHUT_WR: c_int = 1;
pub const SOCKHELP_SHUT_RDWR: c_int = 2;

/// Opaque: made and freed by the library.
#[repr(C)]
pub struct sockhelp_framing {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct sockhelp_reader {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct sockhelp_writer {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct sockhelp_poller {
    _opaque: [u8; 0],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct sockhelp_event {
    pub tag: u64,
    pub events: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct sockhelp_type_entry {
    pub type_byte: u8,
    pub fixed_len: usize,
    pub length_format: *const sockhelp_framing,
}

mod raw {
    use super::*;

    extern "C" {
        pub fn sockhelp_init() -> c_int;
        pub fn sockhelp_cleanup();
        pub fn sockhelp_version() -> *const c_char;
        pub fn sockhelp_strerror(code: c_int) -> *const c_char;
        pub fn sockhelp_last_os_error() -> c_int;
        pub fn sockhelp_sendall(
            s: sockhelp_socket,
            buf: *const c_void,
            len: usize,
            timeout_ms: c_int,
            sent: *mut usize,
        ) -> c_int;
        pub fn sockhelp_recvall(
            s: sockhelp_socket,
            buf: *mut c_void,
            len: usize,
            timeout_ms: c_int,
            received: *mut usize,
        ) -> c_int;
        pub fn sockhelp_framing_fixed(len: usize) -> *mut sockhelp_framing;
        pub fn sockhelp_framing_delimited(
            delim: *const c_void,
            delim_len: usize,
            max_len: usize,
        ) -> *mut sockhelp_framing;
        pub fn sockhelp_framing_length_prefixed(
            width: c_uint,
            little_endian: bool,
            max_len: usize,
        ) -> *mut sockhelp_framing;
        pub fn sockhelp_framing_varint(max_len: usize) -> *mut sockhelp_framing;
        pub fn sockhelp_framing_ascii_length(
            digits: c_uint,
            max_len: usize,
        ) -> *mut sockhelp_framing;
        pub fn sockhelp_framing_typed(
            entries: *const sockhelp_type_entry,
            count: usize,
            max_len: usize,
        ) -> *mut sockhelp_framing;
        pub fn sockhelp_framing_free(f: *mut sockhelp_framing);
        pub fn sockhelp_framing_max_payload(f: *const sockhelp_framing) -> usize;
        pub fn sockhelp_frame_encode(
            f: *const sockhelp_framing,
            payload: *const c_void,
            len: usize,
            out: *mut c_void,
            cap: usize,
            written: *mut usize,
        ) -> c_int;
        pub fn sockhelp_send_frame(
            s: sockhelp_socket,
            f: *const sockhelp_framing,
            payload: *const c_void,
            len: usize,
            timeout_ms: c_int,
            sent: *mut usize,
        ) -> c_int;
        pub fn sockhelp_connect(
            host: *const c_char,
            port: u16,
            timeout_ms: c_int,
            out: *mut sockhelp_socket,
        ) -> c_int;
        pub fn sockhelp_listen(
            host: *const c_char,
            port: u16,
            backlog: c_int,
            out: *mut sockhelp_socket,
        ) -> c_int;
        pub fn sockhelp_accept(
            listener: sockhelp_socket,
            timeout_ms: c_int,
            out: *mut sockhelp_socket,
        ) -> c_int;
        pub fn sockhelp_local_port(s: sockhelp_socket, port: *mut u16) -> c_int;
        pub fn sockhelp_set_nonblocking(s: sockhelp_socket, on: bool) -> c_int;
        pub fn sockhelp_get_nonblocking(s: sockhelp_socket, on: *mut bool) -> c_int;
        pub fn sockhelp_set_nodelay(s: sockhelp_socket, on: bool) -> c_int;
        pub fn sockhelp_set_keepalive(
            s: sockhelp_socket,
            on: bool,
            idle_s: c_int,
            interval_s: c_int,
            count: c_int,
        ) -> c_int;
        pub fn sockhelp_shutdown(s: sockhelp_socket, how: c_int) -> c_int;
        pub fn sockhelp_close(s: sockhelp_socket) -> c_int;
        pub fn sockhelp_close_graceful(s: sockhelp_socket, timeout_ms: c_int) -> c_int;
        pub fn sockhelp_poller_new() -> *mut sockhelp_poller;
        pub fn sockhelp_poller_free(p: *mut sockhelp_poller);
        pub fn sockhelp_poller_add(
            p: *mut sockhelp_poller,
            s: sockhelp_socket,
            interest: u32,
            tag: u64,
        ) -> c_int;
        pub fn sockhelp_poller_modify(
            p: *mut sockhelp_poller,
            s: sockhelp_socket,
            interest: u32,
            tag: u64,
        ) -> c_int;
        pub fn sockhelp_poller_remove(p: *mut sockhelp_poller, s: sockhelp_socket) -> c_int;
        pub fn sockhelp_poller_wait(
            p: *mut sockhelp_poller,
            events: *mut sockhelp_event,
            cap: usize,
            timeout_ms: c_int,
        ) -> c_int;
        pub fn sockhelp_select(
            readers: *mut sockhelp_socket,
            n_readers: *mut usize,
            writers: *mut sockhelp_socket,
            n_writers: *mut usize,
            errors: *mut sockhelp_socket,
            n_errors: *mut usize,
            timeout_ms: c_int,
        ) -> c_int;
        pub fn sockhelp_reader_new(f: *const sockhelp_framing) -> *mut sockhelp_reader;
        pub fn sockhelp_reader_free(r: *mut sockhelp_reader);
        pub fn sockhelp_recv_frame(
            r: *mut sockhelp_reader,
            s: sockhelp_socket,
            buf: *mut c_void,
            cap: usize,
            len: *mut usize,
            timeout_ms: c_int,
        ) -> c_int;
        pub fn sockhelp_reader_feed(
            r: *mut sockhelp_reader,
            data: *const c_void,
            len: usize,
        ) -> c_int;
        pub fn sockhelp_reader_fill(r: *mut sockhelp_reader, s: sockhelp_socket) -> c_int;
        pub fn sockhelp_reader_next(
            r: *mut sockhelp_reader,
            frame: *mut *const u8,
            len: *mut usize,
        ) -> c_int;
        pub fn sockhelp_reader_buffered(r: *const sockhelp_reader) -> usize;
        pub fn sockhelp_writer_new(f: *const sockhelp_framing) -> *mut sockhelp_writer;
        pub fn sockhelp_writer_free(w: *mut sockhelp_writer);
        pub fn sockhelp_writer_queue(
            w: *mut sockhelp_writer,
            payload: *const c_void,
            len: usize,
        ) -> c_int;
        pub fn sockhelp_writer_flush(
            w: *mut sockhelp_writer,
            s: sockhelp_socket,
            timeout_ms: c_int,
        ) -> c_int;
        pub fn sockhelp_writer_pending(w: *const sockhelp_writer) -> usize;
    }
}

pub fn sockhelp_init() -> c_int {
    unsafe { raw::sockhelp_init() }
}

pub fn sockhelp_cleanup() {
    unsafe { raw::sockhelp_cleanup() }
}

pub fn sockhelp_version() -> *const c_char {
    unsafe { raw::sockhelp_version() }
}

pub fn sockhelp_strerror(code: c_int) -> *const c_char {
    unsafe { raw::sockhelp_strerror(code) }
}

pub fn sockhelp_last_os_error() -> c_int {
    unsafe { raw::sockhelp_last_os_error() }
}

pub fn sockhelp_sendall(
    s: sockhelp_socket,
    buf: *const c_void,
    len: usize,
    timeout_ms: c_int,
    sent: *mut usize,
) -> c_int {
    unsafe { raw::sockhelp_sendall(s, buf, len, timeout_ms, sent) }
}

pub fn sockhelp_recvall(
    s: sockhelp_socket,
    buf: *mut c_void,
    len: usize,
    timeout_ms: c_int,
    received: *mut usize,
) -> c_int {
    unsafe { raw::sockhelp_recvall(s, buf, len, timeout_ms, received) }
}

pub fn sockhelp_framing_fixed(len: usize) -> *mut sockhelp_framing {
    unsafe { raw::sockhelp_framing_fixed(len) }
}

pub fn sockhelp_framing_delimited(
    delim: *const c_void,
    delim_len: usize,
    max_len: usize,
) -> *mut sockhelp_framing {
    unsafe { raw::sockhelp_framing_delimited(delim, delim_len, max_len) }
}

pub fn sockhelp_framing_length_prefixed(
    width: c_uint,
    little_endian: bool,
    max_len: usize,
) -> *mut sockhelp_framing {
    unsafe { raw::sockhelp_framing_length_prefixed(width, little_endian, max_len) }
}

pub fn sockhelp_framing_varint(max_len: usize) -> *mut sockhelp_framing {
    unsafe { raw::sockhelp_framing_varint(max_len) }
}

pub fn sockhelp_framing_ascii_length(digits: c_uint, max_len: usize) -> *mut sockhelp_framing {
    unsafe { raw::sockhelp_framing_ascii_length(digits, max_len) }
}

pub fn sockhelp_framing_typed(
    entries: *const sockhelp_type_entry,
    count: usize,
    max_len: usize,
) -> *mut sockhelp_framing {
    unsafe { raw::sockhelp_framing_typed(entries, count, max_len) }
}

pub fn sockhelp_framing_free(f: *mut sockhelp_framing) {
    unsafe { raw::sockhelp_framing_free(f) }
}

pub fn sockhelp_framing_max_payload(f: *const sockhelp_framing) -> usize {
    unsafe { raw::sockhelp_framing_max_payload(f) }
}

pub fn sockhelp_frame_encode(
    f: *const sockhelp_framing,
    payload: *const c_void,
    len: usize,
    out: *mut c_void,
    cap: usize,
    written: *mut usize,
) -> c_int {
    unsafe { raw::sockhelp_frame_encode(f, payload, len, out, cap, written) }
}

pub fn sockhelp_send_frame(
    s: sockhelp_socket,
    f: *const sockhelp_framing,
    payload: *const c_void,
    len: usize,
    timeout_ms: c_int,
    sent: *mut usize,
) -> c_int {
    unsafe { raw::sockhelp_send_frame(s, f, payload, len, timeout_ms, sent) }
}

pub fn sockhelp_connect(
    host: *const c_char,
    port: u16,
    timeout_ms: c_int,
    out: *mut sockhelp_socket,
) -> c_int {
    unsafe { raw::sockhelp_connect(host, port, timeout_ms, out) }
}

pub fn sockhelp_listen(
    host: *const c_char,
    port: u16,
    backlog: c_int,
    out: *mut sockhelp_socket,
) -> c_int {
    unsafe { raw::sockhelp_listen(host, port, backlog, out) }
}

pub fn sockhelp_accept(
    listener: sockhelp_socket,
    timeout_ms: c_int,
    out: *mut sockhelp_socket,
) -> c_int {
    unsafe { raw::sockhelp_accept(listener, timeout_ms, out) }
}

pub fn sockhelp_local_port(s: sockhelp_socket, port: *mut u16) -> c_int {
    unsafe { raw::sockhelp_local_port(s, port) }
}

pub fn sockhelp_set_nonblocking(s: sockhelp_socket, on: bool) -> c_int {
    unsafe { raw::sockhelp_set_nonblocking(s, on) }
}

pub fn sockhelp_get_nonblocking(s: sockhelp_socket, on: *mut bool) -> c_int {
    unsafe { raw::sockhelp_get_nonblocking(s, on) }
}

pub fn sockhelp_set_nodelay(s: sockhelp_socket, on: bool) -> c_int {
    unsafe { raw::sockhelp_set_nodelay(s, on) }
}

pub fn sockhelp_set_keepalive(
    s: sockhelp_socket,
    on: bool,
    idle_s: c_int,
    interval_s: c_int,
    count: c_int,
) -> c_int {
    unsafe { raw::sockhelp_set_keepalive(s, on, idle_s, interval_s, count) }
}

pub fn sockhelp_shutdown(s: sockhelp_socket, how: c_int) -> c_int {
    unsafe { raw::sockhelp_shutdown(s, how) }
}

pub fn sockhelp_close(s: sockhelp_socket) -> c_int {
    unsafe { raw::sockhelp_close(s) }
}

pub fn sockhelp_close_graceful(s: sockhelp_socket, timeout_ms: c_int) -> c_int {
    unsafe { raw::sockhelp_close_graceful(s, timeout_ms) }
}

pub fn sockhelp_poller_new() -> *mut sockhelp_poller {
    unsafe { raw::sockhelp_poller_new() }
}

pub fn sockhelp_poller_free(p: *mut sockhelp_poller) {
    unsafe { raw::sockhelp_poller_free(p) }
}

pub fn sockhelp_poller_add(
    p: *mut sockhelp_poller,
    s: sockhelp_socket,
    interest: u32,
    tag: u64,
) -> c_int {
    unsafe { raw::sockhelp_poller_add(p, s, interest, tag) }
}

pub fn sockhelp_poller_modify(
    p: *mut sockhelp_poller,
    s: sockhelp_socket,
    interest: u32,
    tag: u64,
) -> c_int {
    unsafe { raw::sockhelp_poller_modify(p, s, interest, tag) }
}

pub fn sockhelp_poller_remove(p: *mut sockhelp_poller, s: sockhelp_socket) -> c_int {
    unsafe { raw::sockhelp_poller_remove(p, s) }
}

pub fn sockhelp_poller_wait(
    p: *mut sockhelp_poller,
    events: *mut sockhelp_event,
    cap: usize,
    timeout_ms: c_int,
) -> c_int {
    unsafe { raw::sockhelp_poller_wait(p, events, cap, timeout_ms) }
}

pub fn sockhelp_select(
    readers: *mut sockhelp_socket,
    n_readers: *mut usize,
    writers: *mut sockhelp_socket,
    n_writers: *mut usize,
    errors: *mut sockhelp_socket,
    n_errors: *mut usize,
    timeout_ms: c_int,
) -> c_int {
    unsafe {
        raw::sockhelp_select(
            readers, n_readers, writers, n_writers, errors, n_errors, timeout_ms,
        )
    }
}

pub fn sockhelp_reader_new(f: *const sockhelp_framing) -> *mut sockhelp_reader {
    unsafe { raw::sockhelp_reader_new(f) }
}

pub fn sockhelp_reader_free(r: *mut sockhelp_reader) {
    unsafe { raw::sockhelp_reader_free(r) }
}

pub fn sockhelp_recv_frame(
    r: *mut sockhelp_reader,
    s: sockhelp_socket,
    buf: *mut c_void,
    cap: usize,
    len: *mut usize,
    timeout_ms: c_int,
) -> c_int {
    unsafe { raw::sockhelp_recv_frame(r, s, buf, cap, len, timeout_ms) }
}

pub fn sockhelp_reader_feed(r: *mut sockhelp_reader, data: *const c_void, len: usize) -> c_int {
    unsafe { raw::sockhelp_reader_feed(r, data, len) }
}

pub fn sockhelp_reader_fill(r: *mut sockhelp_reader, s: sockhelp_socket) -> c_int {
    unsafe { raw::sockhelp_reader_fill(r, s) }
}

pub fn sockhelp_reader_next(
    r: *mut sockhelp_reader,
    frame: *mut *const u8,
    len: *mut usize,
) -> c_int {
    unsafe { raw::sockhelp_reader_next(r, frame, len) }
}

pub fn sockhelp_reader_buffered(r: *const sockhelp_reader) -> usize {
    unsafe { raw::sockhelp_reader_buffered(r) }
}

pub fn sockhelp_writer_new(f: *const sockhelp_framing) -> *mut sockhelp_writer {
    unsafe { raw::sockhelp_writer_new(f) }
}

pub fn sockhelp_writer_free(w: *mut sockhelp_writer) {
    unsafe { raw::sockhelp_writer_free(w) }
}

pub fn sockhelp_writer_queue(w: *mut sockhelp_writer, payload: *const c_void, len: usize) -> c_int {
    unsafe { raw::sockhelp_writer_queue(w, payload, len) }
}

pub fn sockhelp_writer_flush(
    w: *mut sockhelp_writer,
    s: sockhelp_socket,
    timeout_ms: c_int,
) -> c_int {
    unsafe { raw::sockhelp_writer_flush(w, s, timeout_ms) }
}

pub fn sockhelp_writer_pending(w: *const sockhelp_writer) -> usize {
    unsafe { raw::sockhelp_writer_pending(w) }
}
