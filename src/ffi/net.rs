//! Sockets and their flags.

use std::os::raw::{c_char, c_int};

use crate::deadline::Deadline;
use crate::error::Error;
use crate::error::Result;
use crate::ffi::{bytes_mut, c_str, call, out_param, put, sockhelp_socket};
use crate::net::{self, Shutdown};
use crate::sys;

/// The shape of every call that makes a socket for the caller: `*out` is
/// `SOCKHELP_INVALID_SOCKET` unless `make` succeeds (a NULL `out` is `SOCKHELP_EINVAL`, and
/// nothing is made), then the new socket.
pub(super) fn socket_out(
    out: *mut sockhelp_socket,
    make: impl FnOnce() -> Result<sockhelp_socket>,
) -> c_int {
    put(out, sys::INVALID_SOCKET);
    call(|| {
        let out = out_param(out)?;
        out.set(make()?);
        Ok(())
    })
}

/// `sockhelp_shutdown`: stop receiving.
pub const SOCKHELP_SHUT_RD: c_int = 0;
/// `sockhelp_shutdown`: stop sending (the peer sees end of stream).
pub const SOCKHELP_SHUT_WR: c_int = 1;
/// `sockhelp_shutdown`: both directions.
pub const SOCKHELP_SHUT_RDWR: c_int = 2;

/// Opens a TCP connection to `host:port`, racing the addresses the name resolves to the
/// Happy Eyeballs way (RFC 8305), all under the one `timeout_ms`.
///
/// - `host`: a name or an address literal ("127.0.0.1", "::1"); literals never touch the
///   resolver. `port` > 0.
/// - **Order**: the resolver's addresses (IPv6 and IPv4, in the system's preference order)
///   interleaved by family, the first address's family first: v6, v4, v6, v4, ... when the
///   first is IPv6 (then the rest of whichever family has more).
/// - **Stagger**: the first attempt starts at once; while attempts are in flight the next
///   one starts 250 ms after the previous start (`sockhelp_connect_ex` sets another delay),
///   or at once when an attempt fails (refused, unreachable). Several attempts may thus be
///   in flight together; the first to connect wins and every other one is closed at once.
/// - `timeout_ms`: -1 forever; > 0 bounds the whole call, name resolution included (every
///   attempt shares the one deadline: an unanswered address costs the stagger, never the
///   whole deadline); 0 starts the first attempt and succeeds only if it connects at once
///   (with -1 and 0 a name is resolved on the calling thread, not bounded: pass a literal).
/// - Name lookups with `timeout_ms` > 0 run on resolver threads the process shares: at
///   most 4, started when needed, each ending after 10 s idle; lookups of the same
///   `host:port` in flight at the same time share one `getaddrinfo`. The system resolver
///   cannot be cancelled, so a lookup that times out keeps its thread until the resolver
///   answers; a lookup still queued when its call times out is dropped and never takes a
///   thread. During a DNS outage at most 4 threads wait in the resolver, however many
///   calls time out, and lookups queued behind them end in `SOCKHELP_ETIMEDOUT` at their
///   deadlines. A process forked while lookups ran starts with none.
/// - On success `*out` receives a new connected socket in blocking mode, close-on-exec,
///   owned by the caller (close it with `sockhelp_close`; `sockhelp_peer_addr` tells which
///   address won); on failure `*out` is `SOCKHELP_INVALID_SOCKET`.
///
/// When every address fails, the most informative error is returned, in this order:
/// `SOCKHELP_EREFUSED` (some address answered: nothing listens on that port), then
/// `SOCKHELP_ETIMEDOUT` (the deadline passed with attempts unanswered), then
/// `SOCKHELP_ERESET` with `sockhelp_last_os_error()` = `ETIMEDOUT` (the system gave up: no
/// answer to the SYNs, e.g. with `timeout_ms` -1), then `SOCKHELP_EOS` (e.g. network or host
/// unreachable, typical of a family without a route); of two of the same rank, the first.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EREFUSED`, `SOCKHELP_ETIMEDOUT`, `SOCKHELP_ERESET`,
/// `SOCKHELP_EOS` (as above); `SOCKHELP_EWOULDBLOCK` (`timeout_ms` 0 and not connected at
/// once); `SOCKHELP_ENOTFOUND` (the name does not exist); `SOCKHELP_ETRYAGAIN` (a temporary
/// resolver failure, `EAI_AGAIN`: try again later); `SOCKHELP_EINVAL` (NULL/empty `host`,
/// `port` 0, NULL `out`, `timeout_ms` < -1); `SOCKHELP_ENOMEM`; `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_connect(
    host: *const c_char,
    port: u16,
    timeout_ms: c_int,
    out: *mut sockhelp_socket,
) -> c_int {
    socket_out(out, || {
        let host = c_str(host)?.ok_or(Error::Invalid)?;
        net::connect(host, port, Deadline::from_timeout_ms(timeout_ms)?)
    })
}

/// How long `sockhelp_listen` waits for a host name to resolve (milliseconds).
// For the header (the core's `net::LISTEN_RESOLVE` is the one the code uses, asserted equal
// below); Rust 1.63 does not count that assertion as a use.
#[allow(dead_code)]
pub const SOCKHELP_LISTEN_RESOLVE_MS: c_int = 2000;

const _: () = assert!(net::LISTEN_RESOLVE.as_millis() == SOCKHELP_LISTEN_RESOLVE_MS as u128);

/// Opens a listening TCP socket on `host:port`.
///
/// - `host`: NULL or "" listens on every interface (IPv6 and IPv4 together where the system
///   allows, else IPv4); otherwise a name or address literal ("127.0.0.1" for loopback only).
/// - `port`: 0 lets the system choose (read it back with `sockhelp_local_port`).
/// - `backlog`: the queue of connections not yet accepted; <= 0 means the system maximum.
/// - Sets `SO_REUSEADDR` on POSIX so a restarted server can rebind at once
///   (`SO_EXCLUSIVEADDRUSE` on Windows, where `SO_REUSEADDR` would let others steal the port).
/// - On success `*out` receives the listener (blocking mode, close-on-exec, owned by the
///   caller); on failure `SOCKHELP_INVALID_SOCKET`.
/// - Never waits, except for a name (not a literal) to resolve: at most
///   `SOCKHELP_LISTEN_RESOLVE_MS` (2 s), then `SOCKHELP_ETIMEDOUT`, however long the
///   resolver hangs (the lookup runs on sockhelp's resolver threads, see
///   `sockhelp_connect`). A listen address is normally a literal or a name in the hosts
///   file, answered at once; for a name that may need a slow DNS, resolve it yourself
///   and pass the literal.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `out`, `host` not UTF-8),
/// `SOCKHELP_ENOTFOUND`, `SOCKHELP_ETIMEDOUT` (the name did not resolve within
/// `SOCKHELP_LISTEN_RESOLVE_MS`), `SOCKHELP_EOS` (e.g. `EADDRINUSE`, `EACCES`),
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_listen(
    host: *const c_char,
    port: u16,
    backlog: c_int,
    out: *mut sockhelp_socket,
) -> c_int {
    socket_out(out, || net::listen(c_str(host)?, port, backlog))
}

/// Accepts one connection from `listener` (blocking or non-blocking).
///
/// - `timeout_ms`: -1 forever, 0 only a connection already waiting, > 0 a deadline. The
///   deadline holds whatever the listener's mode and however many processes or threads
///   accept on it (a pre-fork server): a caller that loses a connection to another
///   process returns by its deadline instead of blocking in `accept()`. The listener's
///   mode is never changed. **Linux:** to bound that race on a *blocking* listener, the
///   first call with `timeout_ms` >= 0 gives the listener the shortest `SO_RCVTIMEO` (one
///   clock tick) if it has none, and leaves it: `accept` is the only call that option
///   affects on a listener; sockhelp's own calls are unaffected, but a raw blocking
///   `accept()` on that listener then returns `EAGAIN` when no connection comes within a
///   tick (use `sockhelp_accept`, or give the listener your own `SO_RCVTIMEO` first, which
///   is kept). **Windows:** a timed accept is an overlapped `AcceptEx`, cancelled when
///   nothing is there: nothing on the listener changes. Other POSIX systems (macOS, the
///   BSDs) ignore `SO_RCVTIMEO` in `accept`: there a *blocking* listener shared between
///   processes can still hold a loser until the next connection; make shared listeners
///   non-blocking (`sockhelp_set_nonblocking`) to be exact everywhere.
/// - A socket that is not listening fails at once with `SOCKHELP_EOS` and
///   `sockhelp_last_os_error()` = `EINVAL` (`WSAEINVAL`), whatever the timeout.
/// - Connections the peer aborted before they were accepted are skipped, within the
///   deadline (checked after each one; timeout 0 skips at most 64).
/// - On success `*out` receives the new socket, in blocking mode whatever the listener's
///   mode, close-on-exec, owned by the caller; on failure `SOCKHELP_INVALID_SOCKET`.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK` (`timeout_ms` 0 and
/// no connection waiting), `SOCKHELP_EINVAL` (invalid listener, NULL `out`, `timeout_ms`
/// < -1), `SOCKHELP_EOS` (`EINVAL`: not listening; `EMFILE`; `ENOTSOCK`; `EBADF`),
/// `SOCKHELP_EINTERNAL`. To learn who connected, use `sockhelp_accept_addr`.
#[no_mangle]
pub extern "C" fn sockhelp_accept(
    listener: sockhelp_socket,
    timeout_ms: c_int,
    out: *mut sockhelp_socket,
) -> c_int {
    socket_out(out, || {
        net::accept(listener, Deadline::from_timeout_ms(timeout_ms)?)
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
///   already there (at most 64 receives of 4 KiB, so a peer that keeps sending cannot hold
///   it), > 0 a deadline for the whole call, kept even while the peer keeps sending: it is
///   checked between receives, so the call returns at most one 4 KiB receive past it.
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

/// A buffer of this many bytes holds every address `sockhelp_peer_addr`,
/// `sockhelp_local_addr` and `sockhelp_accept_addr` can write, with its NUL. The longest:
/// a Unix-domain name filling `sun_path` (108 bytes) with every byte escaped, 433 bytes
/// (the longest IP form, "[ffff:...%4294967295]:65535", is 55); 512 holds even a name as
/// long as a `sockaddr_storage` can carry.
pub const SOCKHELP_ADDR_MAX: usize = 512;

// Every text the core can print fits, NUL included.
const _: () = assert!(net::ADDR_TEXT_MAX < SOCKHELP_ADDR_MAX);

/// The checks every address call makes of its buffer before anything else: a NULL `buf`
/// with `cap` > 0, or a `cap` no object can have (> `PTRDIFF_MAX`), is `Invalid`.
fn check_addr_buf(buf: *mut c_char, cap: usize) -> Result<()> {
    if (buf.is_null() && cap > 0) || cap > isize::MAX as usize {
        return Err(Error::Invalid);
    }
    Ok(())
}

/// Copies `text` and a NUL into `buf` (`cap` bytes, already checked by `check_addr_buf`);
/// `*needed` (if not NULL) gets the size with the NUL on every return that got that far.
pub(crate) fn write_addr(
    text: &str,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> Result<()> {
    let size = text.len() + 1;
    put(needed, size);
    if cap < size {
        return Err(Error::NoSpace);
    }
    let out = bytes_mut(buf.cast(), cap)?;
    out[..text.len()].copy_from_slice(text.as_bytes());
    out[text.len()] = 0;
    Ok(())
}

/// `write_addr` of the address `get` finds, with `buf` checked before `get` runs.
fn addr_call(
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
    get: impl FnOnce() -> Result<String>,
) -> c_int {
    call(|| {
        check_addr_buf(buf, cap)?;
        write_addr(&get()?, buf, cap, needed)
    })
}

/// Writes the printable address of the peer of connected socket `s` into `buf`:
/// "127.0.0.1:5000", "[::1]:5000" (with "%scope" for a link-local address), or for a
/// Unix-domain socket the peer's name. NUL-terminated. Never waits.
///
/// - Unix-domain names are printed losslessly, so two different peers never print alike
///   (a peer chooses its own name, and may choose one to confuse a log): a path as it is,
///   except that each byte that is not printable ASCII (0x20..0x7e), and every `\` and
///   `:`, is written `\xNN` (two lowercase hex digits), and a leading '@' is written
///   `\x40`; a Linux abstract name is '@' then its bytes escaped the same way (a NUL inside
///   is `\x00`); "" for an unnamed socket. The text is printable ASCII and decodes back to
///   the bytes; a Unix name never holds a ':', which every IP form does.
/// - `cap`: the size of `buf`; `SOCKHELP_ADDR_MAX` is always enough (the longest
///   address, a 108-byte Unix name with every byte escaped, needs 433).
/// - `needed`: NULL, or receives the size the address needs, NUL included (on `SOCKHELP_OK`
///   and `SOCKHELP_ENOSPACE`).
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ENOSPACE` (`cap` too small: `buf` is not touched, see
/// `*needed`); `SOCKHELP_EINVAL` (invalid socket, NULL `buf` with `cap` > 0, `cap` >
/// `PTRDIFF_MAX`, as `SIZE_MAX`: checked before anything else); `SOCKHELP_EOS` (e.g.
/// `ENOTCONN`: not connected, `ENOTSOCK`, `EBADF`); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_peer_addr(
    s: sockhelp_socket,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> c_int {
    addr_call(buf, cap, needed, || net::peer_addr(s))
}

/// Writes the printable local address of socket `s` into `buf`, as `sockhelp_peer_addr`
/// does (the same escaping): "0.0.0.0:5000", "[::]:5000", "127.0.0.1:41234", a
/// Unix-domain listener's path, "" for the unnamed client side of a Unix-domain
/// connection. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ENOSPACE` (`cap` too small: `buf` is not touched, see
/// `*needed`); `SOCKHELP_EINVAL` (invalid socket, NULL `buf` with `cap` > 0, `cap` >
/// `PTRDIFF_MAX`);
/// `SOCKHELP_EOS` (e.g. `ENOTSOCK`, `EBADF`); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_local_addr(
    s: sockhelp_socket,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> c_int {
    addr_call(buf, cap, needed, || net::local_addr(s))
}

/// `sockhelp_accept`, also writing the new peer's printable address (as
/// `sockhelp_peer_addr` writes it) into `addr`, NUL-terminated, in the same call.
///
/// - `addr`: NULL (no address wanted, `cap` ignored) or a buffer of `cap` >=
///   `SOCKHELP_ADDR_MAX` bytes; a smaller `cap`, or one > `PTRDIFF_MAX` (as `SIZE_MAX`), is
///   `SOCKHELP_EINVAL` before anything is accepted, so no connection is ever lost to a
///   bad buffer. On `SOCKHELP_OK` the address is always written, NUL-terminated (every
///   address fits in `SOCKHELP_ADDR_MAX`); were it ever not, the new socket would be
///   closed and the call would fail: never `SOCKHELP_OK` with `addr` unwritten.
/// - `timeout_ms`, `*out` and every other rule: as `sockhelp_accept`.
///
/// Returns what `sockhelp_accept` returns; `SOCKHELP_EINVAL` also for `addr` with `cap` <
/// `SOCKHELP_ADDR_MAX` or > `PTRDIFF_MAX`.
#[no_mangle]
pub extern "C" fn sockhelp_accept_addr(
    listener: sockhelp_socket,
    timeout_ms: c_int,
    out: *mut sockhelp_socket,
    addr: *mut c_char,
    cap: usize,
) -> c_int {
    accept_addr_out(out, addr, cap, || {
        net::accept_with_addr(listener, Deadline::from_timeout_ms(timeout_ms)?)
    })
}

/// The shape of the accept calls that write the peer's address: `addr` NULL, or `cap` >=
/// `SOCKHELP_ADDR_MAX` (checked before `accept` runs, so no connection is lost to a bad
/// buffer); on success the address is written, or the new socket is closed and the call
/// fails (never OK with `addr` unwritten). `*out` as `socket_out` says.
pub(super) fn accept_addr_out(
    out: *mut sockhelp_socket,
    addr: *mut c_char,
    cap: usize,
    accept: impl FnOnce() -> Result<(sockhelp_socket, String)>,
) -> c_int {
    socket_out(out, || {
        if !addr.is_null() {
            check_addr_buf(addr, cap)?;
            if cap < SOCKHELP_ADDR_MAX {
                return Err(Error::Invalid);
            }
        }
        let (s, text) = accept()?;
        if !addr.is_null() {
            // Every address fits in SOCKHELP_ADDR_MAX (asserted above), so this cannot fail;
            // if it ever did, the caller must not get OK with an unwritten buffer.
            if let Err(e) = write_addr(&text, addr, cap, std::ptr::null_mut()) {
                let _ = sys::close(s);
                return Err(e);
            }
        }
        Ok(s)
    })
}

/// Listens on a Unix-domain stream socket at the file `path` (the HOWTO's IPC lesson: for
/// two processes on one machine, a local socket beats TCP). POSIX, and Windows 10 1803 and
/// later; `SOCKHELP_EUNSUPPORTED` where the system has no `AF_UNIX`. Never waits.
///
/// - `path`: the socket file (at most 107 bytes on Linux and Windows, 103 on macOS).
///   **An existing file at `path` is never removed**, whatever it is: the call fails with
///   `SOCKHELP_EOS` and `sockhelp_last_os_error()` = `EADDRINUSE` (`WSAEADDRINUSE`). That
///   includes the socket file of a server that died: remove it yourself (`unlink(path)`)
///   when you know it is yours and stale (telling a stale socket from a live one would take
///   a probe connection, which a live server would accept as a spurious client). The file
///   is not removed when the listener is closed either: `unlink` it when the server stops.
/// - `backlog`: as `sockhelp_listen` (<= 0: the system maximum).
/// - On success `*out` receives the listener (blocking mode, close-on-exec, owned by the
///   caller; accept with `sockhelp_accept`); on failure `SOCKHELP_INVALID_SOCKET`.
///
/// Every other call (sendall/recvall, framing, readers and writers, select, the poller,
/// `sockhelp_close_graceful`) works on Unix-domain sockets unchanged; TCP options
/// (`sockhelp_set_nodelay`, keepalive) fail with `SOCKHELP_EOS`.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL/empty `path`, `path` too long or not
/// UTF-8, NULL `out`); `SOCKHELP_EUNSUPPORTED` (no `AF_UNIX`); `SOCKHELP_EOS` (e.g.
/// `EADDRINUSE`, `EACCES`, `ENOENT` for a missing directory); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_listen_unix(
    path: *const c_char,
    backlog: c_int,
    out: *mut sockhelp_socket,
) -> c_int {
    socket_out(out, || {
        net::listen_unix(c_str(path)?.ok_or(Error::Invalid)?, backlog)
    })
}

/// Connects to the Unix-domain listener at the file `path`. POSIX, and Windows where the
/// system has `AF_UNIX` (`SOCKHELP_EUNSUPPORTED` elsewhere).
///
/// - `timeout_ms`: -1 forever, 0 one attempt, > 0 a deadline for the whole call (a
///   listener whose queue is full makes Linux say "try again": the call retries every few
///   milliseconds within the deadline).
/// - On success `*out` receives the connected socket (blocking mode, close-on-exec, owned
///   by the caller); on failure `SOCKHELP_INVALID_SOCKET`.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EREFUSED` (a socket file nobody listens on);
/// `SOCKHELP_ETIMEDOUT` / `SOCKHELP_EWOULDBLOCK` (the listener's queue stayed full);
/// `SOCKHELP_EINVAL` (NULL/empty/too long `path`, NULL `out`, `timeout_ms` < -1);
/// `SOCKHELP_EUNSUPPORTED`; `SOCKHELP_EOS` (e.g. `ENOENT`: no such file, `EACCES`);
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_connect_unix(
    path: *const c_char,
    timeout_ms: c_int,
    out: *mut sockhelp_socket,
) -> c_int {
    socket_out(out, || {
        let path = c_str(path)?.ok_or(Error::Invalid)?;
        net::connect_unix(path, Deadline::from_timeout_ms(timeout_ms)?)
    })
}

/// Starts a TCP connection to `host:port` without waiting: the HOWTO's way for event loops
/// ("put it in the potential_writers list; if it shows up writable, it has probably
/// connected"). Use `sockhelp_connect` when you can wait.
///
/// - `host`: an address literal, or a name: names are resolved first, without a deadline
///   (pass a literal in an event loop). Only the first address is tried: for every address
///   raced without blocking, use `sockhelp_connector_start`.
/// - Returns `SOCKHELP_OK` when connected at once (`*out` is a connected socket in blocking
///   mode), or `SOCKHELP_EWOULDBLOCK` when the connection is in progress: `*out` is then a
///   valid socket, in non-blocking mode, that the caller owns. Wait until it is writable
///   (`sockhelp_select`, or the poller with `SOCKHELP_WRITABLE`), then call
///   `sockhelp_connect_finish`. Close it with `sockhelp_close` if you give up.
/// - On any other return `*out` is `SOCKHELP_INVALID_SOCKET`.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EWOULDBLOCK` (in progress, `*out` valid);
/// `SOCKHELP_EREFUSED` (refused at once); `SOCKHELP_ENOTFOUND`; `SOCKHELP_EINVAL` (NULL/empty
/// `host`, `port` 0, NULL `out`); `SOCKHELP_EOS` (e.g. `ENETUNREACH`); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_connect_start(
    host: *const c_char,
    port: u16,
    out: *mut sockhelp_socket,
) -> c_int {
    put(out, sys::INVALID_SOCKET);
    call(|| {
        let host = c_str(host)?.ok_or(Error::Invalid)?;
        let out = out_param(out)?;
        let (s, connected) = net::connect_start(host, port)?;
        out.set(s);
        if connected {
            Ok(())
        } else {
            Err(Error::WouldBlock)
        }
    })
}

/// Finishes a connection `sockhelp_connect_start` left in progress, once the socket was
/// reported writable (`SO_ERROR` says how it went). Never waits.
///
/// The socket stays the caller's on every return: close it after a failure.
///
/// Returns `SOCKHELP_OK` (connected; the socket is now in blocking mode, like every socket
/// sockhelp connects); `SOCKHELP_EWOULDBLOCK` (still in progress: wait for writable again);
/// `SOCKHELP_EREFUSED` (nobody listens there); `SOCKHELP_ERESET` with
/// `sockhelp_last_os_error()` = `ETIMEDOUT` (`WSAETIMEDOUT`): the system gave up (no answer
/// to the SYNs); `SOCKHELP_EOS` (e.g. `EHOSTUNREACH`, `ENETUNREACH`, or `ENOTCONN` for a
/// socket that was never started or whose failure was already reported; at once,
/// without looking at writability, `ENOTCONN` for any socket that cannot be connecting: a
/// listener, a datagram socket, and `ENOTSOCK` for a pipe or a file);
/// `SOCKHELP_EINVAL` (invalid socket); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_connect_finish(s: sockhelp_socket) -> c_int {
    call(|| net::connect_finish(s))
}
