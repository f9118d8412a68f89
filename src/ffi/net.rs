//! Sockets and their flags.

use std::os::raw::{c_char, c_int};

use crate::deadline::Deadline;
use crate::error::Error;
use crate::ffi::{c_str, call, out_param, put, sockhelp_socket};
use crate::net::{self, Shutdown};
use crate::sys;

/// `sockhelp_shutdown`: stop receiving.
pub const SOCKHELP_SHUT_RD: c_int = 0;
/// `sockhelp_shutdown`: stop sending (the peer sees end of stream).
pub const SOCKHELP_SHUT_WR: c_int = 1;
/// `sockhelp_shutdown`: both directions.
pub const SOCKHELP_SHUT_RDWR: c_int = 2;

/// Opens a TCP connection to `host:port`, trying every address the name resolves to in
/// turn (IPv6 and IPv4) until one answers.
///
/// - `host`: a name or an address literal ("127.0.0.1", "::1"); literals never touch the
///   resolver. `port` > 0.
/// - `timeout_ms`: -1 forever; > 0 bounds the whole call, name resolution included (a
///   resolver that hangs is abandoned on a helper thread); 0 makes one attempt that succeeds
///   only if the connection completes at once (name resolution is then not bounded: pass a
///   literal).
/// - On success `*out` receives a new connected socket in blocking mode, close-on-exec,
///   owned by the caller (close it with `sockhelp_close`); on failure `*out` is
///   `SOCKHELP_INVALID_SOCKET`.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EREFUSED` (nothing listens there), `SOCKHELP_ETIMEDOUT`,
/// `SOCKHELP_EWOULDBLOCK` (`timeout_ms` 0 and not connected at once), `SOCKHELP_ENOTFOUND`
/// (the name does not resolve), `SOCKHELP_EINVAL` (NULL/empty `host`, `port` 0, NULL `out`,
/// `timeout_ms` < -1), `SOCKHELP_EOS` (e.g. network unreachable), `SOCKHELP_EINTERNAL`.
/// When several addresses fail, the last one's error is returned.
#[no_mangle]
pub extern "C" fn sockhelp_connect(
    host: *const c_char,
    port: u16,
    timeout_ms: c_int,
    out: *mut sockhelp_socket,
) -> c_int {
    put(out, sys::INVALID_SOCKET);
    call(|| {
        let host = c_str(host)?.ok_or(Error::Invalid)?;
        let out = out_param(out)?;
        out.set(net::connect(
            host,
            port,
            Deadline::from_timeout_ms(timeout_ms)?,
        )?);
        Ok(())
    })
}

/// Opens a listening TCP socket on `host:port`.
///
/// - `host`: NULL or "" listens on every interface (IPv6 and IPv4 together where the system
///   allows, else IPv4); otherwise a name or address literal ("127.0.0.1" for loopback only).
/// - `port`: 0 lets the system choose (read it back with `sockhelp_local_port`).
/// - `backlog`: the queue of connections not yet accepted; <= 0 means the system maximum.
/// - Sets `SO_REUSEADDR` on POSIX so a restarted server can rebind at once
///   (`SO_EXCLUSIVEADDRUSE` on Windows, where `SO_REUSEADDR` would let others steal the port).
/// - On success `*out` receives the listener (blocking mode, close-on-exec, owned by the
///   caller); on failure `SOCKHELP_INVALID_SOCKET`. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `out`, `host` not UTF-8),
/// `SOCKHELP_ENOTFOUND`, `SOCKHELP_EOS` (e.g. `EADDRINUSE`, `EACCES`), `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_listen(
    host: *const c_char,
    port: u16,
    backlog: c_int,
    out: *mut sockhelp_socket,
) -> c_int {
    put(out, sys::INVALID_SOCKET);
    call(|| {
        let host = c_str(host)?;
        out_param(out)?.set(net::listen(host, port, backlog)?);
        Ok(())
    })
}

/// Accepts one connection from `listener` (blocking or non-blocking).
///
/// - `timeout_ms`: -1 forever, 0 only a connection already waiting, > 0 a deadline.
/// - Connections the peer aborted before they were accepted are skipped.
/// - On success `*out` receives the new socket, in blocking mode whatever the listener's
///   mode, close-on-exec, owned by the caller; on failure `SOCKHELP_INVALID_SOCKET`.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK` (`timeout_ms` 0 and
/// no connection waiting), `SOCKHELP_EINVAL` (invalid listener, NULL `out`, `timeout_ms`
/// < -1), `SOCKHELP_EOS` (e.g. not listening, `EMFILE`), `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_accept(
    listener: sockhelp_socket,
    timeout_ms: c_int,
    out: *mut sockhelp_socket,
) -> c_int {
    put(out, sys::INVALID_SOCKET);
    call(|| {
        let out = out_param(out)?;
        out.set(net::accept(
            listener,
            Deadline::from_timeout_ms(timeout_ms)?,
        )?);
        Ok(())
    })
}

/// Stores the local port of bound socket `s` in `*port`. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (invalid socket, NULL `port`, not an IP
/// socket), `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_local_port(s: sockhelp_socket, port: *mut u16) -> c_int {
    call(|| {
        let port = out_param(port)?;
        port.set(net::local_port(s)?);
        Ok(())
    })
}

/// Puts `s` in non-blocking mode (`on`) or blocking mode: `fcntl(O_NONBLOCK)` on POSIX (never
/// `O_NDELAY`, whose empty reads look like end of stream), `ioctlsocket(FIONBIO)` on
/// Windows. Not to be confused with `sockhelp_set_nodelay` (Nagle). Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (invalid socket), `SOCKHELP_EOS`,
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_set_nonblocking(s: sockhelp_socket, on: bool) -> c_int {
    call(|| sys::set_nonblocking(s, on))
}

/// Stores in `*on` whether `s` is in non-blocking mode. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EUNSUPPORTED` on Windows, which cannot tell;
/// `SOCKHELP_EINVAL` (invalid socket, NULL `on`), `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_get_nonblocking(s: sockhelp_socket, on: *mut bool) -> c_int {
    call(|| {
        let on = out_param(on)?;
        on.set(sys::get_nonblocking(s)?);
        Ok(())
    })
}

/// Sets `TCP_NODELAY`: `on` turns Nagle's algorithm off so small writes leave at once.
/// This is not `O_NDELAY` (a non-blocking flag): see `sockhelp_set_nonblocking`. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (invalid socket), `SOCKHELP_EOS` (e.g. not a TCP
/// socket), `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_set_nodelay(s: sockhelp_socket, on: bool) -> c_int {
    call(|| net::set_nodelay(s, on))
}

/// Turns TCP keepalive on or off, so a peer that died without a word is noticed: a blocked
/// call then fails instead of hanging. When `on`, `idle_s` (seconds of silence before the
/// first probe), `interval_s` (seconds between probes) and `count` (unanswered probes before
/// the connection is dropped) are applied; each value <= 0 keeps the OS default. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EUNSUPPORTED` when the platform cannot set a value that
/// was asked for (Windows fixes `count` at 10; some BSDs fix interval and count);
/// `SOCKHELP_EINVAL` (invalid socket), `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_set_keepalive(
    s: sockhelp_socket,
    on: bool,
    idle_s: c_int,
    interval_s: c_int,
    count: c_int,
) -> c_int {
    call(|| net::set_keepalive(s, on, idle_s, interval_s, count))
}

/// Shuts down one or both directions of `s` (`SOCKHELP_SHUT_RD`, `SOCKHELP_SHUT_WR`,
/// `SOCKHELP_SHUT_RDWR`) without closing it. `SOCKHELP_SHUT_WR` is how a sender says "that
/// was all": the peer's receive then returns end of stream. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (invalid socket or `how`), `SOCKHELP_EOS` (e.g.
/// not connected), `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_shutdown(s: sockhelp_socket, how: c_int) -> c_int {
    call(|| {
        let how = match how {
            SOCKHELP_SHUT_RD => Shutdown::Read,
            SOCKHELP_SHUT_WR => Shutdown::Write,
            SOCKHELP_SHUT_RDWR => Shutdown::Both,
            _ => return Err(Error::Invalid),
        };
        net::shutdown(s, how)
    })
}

/// Closes `s` (`close`, or `closesocket` on Windows). `s` is gone after this call whatever
/// it returns; do not close it twice. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (`SOCKHELP_INVALID_SOCKET` or negative),
/// `SOCKHELP_EOS` (e.g. `EBADF` for a socket already closed), `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_close(s: sockhelp_socket) -> c_int {
    call(|| sys::close(s))
}

/// The HOWTO's polite goodbye: shuts down the sending side (the peer sees end of stream),
/// reads and discards whatever the peer still sends until it closes too or the deadline
/// passes, then closes `s`.
///
/// - `timeout_ms`: -1 waits for the peer's close as long as it takes, 0 drains only what is
///   already there, > 0 a deadline for the whole call.
/// - `s` is closed on every return except `SOCKHELP_EINVAL`.
///
/// Returns `SOCKHELP_OK` (the peer's end of stream was seen, or the connection was already
/// gone); `SOCKHELP_ETIMEDOUT` / `SOCKHELP_EWOULDBLOCK` (the peer had not closed in time);
/// `SOCKHELP_ERESET` (the peer reset); `SOCKHELP_EINVAL` (invalid socket, `timeout_ms`
/// < -1: `s` is not closed); `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_close_graceful(s: sockhelp_socket, timeout_ms: c_int) -> c_int {
    call(|| net::close_graceful(s, Deadline::from_timeout_ms(timeout_ms)?))
}
