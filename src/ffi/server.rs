//! Calls for servers at scale: accepting a socket already set up, listeners that share a
//! port, deadlines in the poller, passing a socket to another process.

use std::os::raw::{c_char, c_int};
use std::time::Duration;

use crate::deadline::Deadline;
use crate::error::Error;
use crate::ffi::net::{accept_addr_out, socket_out};
use crate::ffi::poller::sockhelp_poller;
use crate::ffi::{c_str, call, sockhelp_socket, try_mut};
use crate::net::{self, AcceptOptions, ListenOptions};

/// `sockhelp_accept_ex`: the new socket is non-blocking.
pub const SOCKHELP_ACCEPT_NONBLOCK: u32 = 1;
/// `sockhelp_accept_ex`: the new socket has `TCP_NODELAY` on (a TCP connection; nothing
/// for a Unix-domain one).
pub const SOCKHELP_ACCEPT_NODELAY: u32 = 2;
/// `sockhelp_accept_ex`: the new socket is close-on-exec.
pub const SOCKHELP_ACCEPT_CLOEXEC: u32 = 4;

const ACCEPT_FLAGS: u32 =
    SOCKHELP_ACCEPT_NONBLOCK | SOCKHELP_ACCEPT_NODELAY | SOCKHELP_ACCEPT_CLOEXEC;

/// `sockhelp_listen_ex`: several listeners may bind the same address and port, and the
/// system spreads new connections among them (`SO_REUSEPORT`).
pub const SOCKHELP_LISTEN_REUSEPORT: u32 = 1;

/// `sockhelp_accept_addr`, the new socket set up in the same step as `flags` asks: an
/// event-loop server's accept in one call. On a non-blocking listener a waiting connection
/// costs, on Linux, `fcntl(F_GETFD)` (the descriptor check), `fcntl(F_GETFL)` (the
/// listener's mode), `accept4`, and `setsockopt(TCP_NODELAY)` under
/// `SOCKHELP_ACCEPT_NODELAY`; an empty backlog the first three (`SOCKHELP_EWOULDBLOCK` at
/// `timeout_ms` 0). A blocking listener is also checked with `SO_ACCEPTCONN` and waited for
/// with `poll` before each `accept`.
///
/// - `flags`: any of `SOCKHELP_ACCEPT_NONBLOCK` (non-blocking; without it the socket is in
///   blocking mode whatever the listener's mode), `SOCKHELP_ACCEPT_NODELAY` (`TCP_NODELAY`
///   on; ignored for a Unix-domain connection), `SOCKHELP_ACCEPT_CLOEXEC` (close-on-exec).
///   Non-blocking and close-on-exec are set atomically by `accept4` on Linux, Android,
///   FreeBSD, NetBSD, OpenBSD, DragonFly and illumos, by `fcntl` right after `accept`
///   elsewhere (macOS), by `ioctlsocket(FIONBIO)` on Windows. **Without
///   `SOCKHELP_ACCEPT_CLOEXEC` the socket is inherited across `exec`** (unlike every other
///   socket sockhelp makes): pass it unless a program you exec is to get the connection.
///   On Windows `SOCKHELP_ACCEPT_CLOEXEC` makes the handle non-inheritable; without it the
///   handle is left as Winsock made it.
/// - `addr`, `cap`: as `sockhelp_accept_addr` (NULL, or `cap` >= `SOCKHELP_ADDR_MAX`,
///   checked before anything is accepted; the same escaping of Unix-domain names).
/// - `timeout_ms`: as `sockhelp_accept` (-1 forever, 0 only a connection already waiting,
///   a positive value a deadline), with the same care for a listener shared between processes: the
///   deadline holds however many accept on it, the listener's mode is never changed (see
///   `sockhelp_accept` for the `SO_RCVTIMEO` Linux gives a blocking listener, and for the
///   blocking listeners of macOS and the BSDs). Connections aborted before they were
///   accepted are skipped within the deadline.
/// - On success `*out` receives the new socket, owned by the caller; on failure
///   `SOCKHELP_INVALID_SOCKET`.
///
/// Returns what `sockhelp_accept_addr` returns (`SOCKHELP_OK`; `SOCKHELP_ETIMEDOUT`,
/// `SOCKHELP_EWOULDBLOCK` (`timeout_ms` 0, nothing waiting), `SOCKHELP_EINVAL` (invalid
/// listener, NULL `out`, `timeout_ms` < -1, a short `addr` buffer), `SOCKHELP_EOS` (`EINVAL`:
/// not listening; `EMFILE`; `ENOTSOCK`; `EBADF`; a failed `TCP_NODELAY`: the new socket is
/// then closed), `SOCKHELP_EINTERNAL`); `SOCKHELP_EINVAL` also for unknown `flags` bits.
#[no_mangle]
pub extern "C" fn sockhelp_accept_ex(
    listener: sockhelp_socket,
    flags: u32,
    timeout_ms: c_int,
    out: *mut sockhelp_socket,
    addr: *mut c_char,
    cap: usize,
) -> c_int {
    accept_addr_out(out, addr, cap, || {
        if flags & !ACCEPT_FLAGS != 0 {
            return Err(Error::Invalid);
        }
        let opts = AcceptOptions {
            nonblocking: flags & SOCKHELP_ACCEPT_NONBLOCK != 0,
            nodelay: flags & SOCKHELP_ACCEPT_NODELAY != 0,
            cloexec: flags & SOCKHELP_ACCEPT_CLOEXEC != 0,
        };
        net::accept_ex(listener, Deadline::from_timeout_ms(timeout_ms)?, opts)
    })
}

/// `sockhelp_listen` with `flags`: 0, or `SOCKHELP_LISTEN_REUSEPORT`, which lets several
/// listeners (in this process or others, e.g. one per worker process or thread) bind the
/// same address and port, each with its own queue: the system spreads new connections
/// among them. `SO_REUSEPORT` on Linux (3.9+), Android, NetBSD, OpenBSD, DragonFly and
/// macOS; `SO_REUSEPORT_LB` on FreeBSD (its plain `SO_REUSEPORT` does not spread). Only
/// Linux, DragonFly and FreeBSD balance connections among the listeners; on the others
/// the port is shared but one listener may get them all. Linux lets only listeners of the
/// same user share a port. Every listener of the port must set the flag.
///
/// `host`, `port`, `backlog`, `*out`, the name resolution bound and every other rule: as
/// `sockhelp_listen`.
///
/// Returns what `sockhelp_listen` returns; `SOCKHELP_EUNSUPPORTED` with
/// `SOCKHELP_LISTEN_REUSEPORT` where the system has no such option (Windows, illumos,
/// Solaris); `SOCKHELP_EINVAL` also for unknown `flags` bits.
#[no_mangle]
pub extern "C" fn sockhelp_listen_ex(
    host: *const c_char,
    port: u16,
    backlog: c_int,
    flags: u32,
    out: *mut sockhelp_socket,
) -> c_int {
    socket_out(out, || {
        if flags & !SOCKHELP_LISTEN_REUSEPORT != 0 {
            return Err(Error::Invalid);
        }
        let opts = ListenOptions {
            reuse_port: flags & SOCKHELP_LISTEN_REUSEPORT != 0,
        };
        net::listen_ex(c_str(host)?, port, backlog, opts)
    })
}

/// Sets the deadline of socket `s`, already added to poller `p`: `ms_from_now`
/// milliseconds from now (0: the next wait), replacing the deadline it had; -1 clears it.
/// Never waits.
///
/// - When the deadline passes, `sockhelp_poller_wait` reports `s` once with
///   `SOCKHELP_TIMEDOUT_EVENT` (whatever its interest; in the same event as the readiness
///   bits that hold too, never in two events of one wait), and the deadline is cleared: it
///   is one-shot, so set it again to re-arm (e.g. after each request, for an idle timeout).
/// - A wait returns by the nearest deadline of its sockets (or its own timeout, if sooner).
///   A deadline that passed while no one waited is reported by the next wait at once.
/// - `sockhelp_poller_modify` keeps the deadline; `sockhelp_poller_remove` clears it.
/// - Cost: O(log n) to set (n: the deadlines set), O(1) to clear or replace, O(log n)
///   amortized for each one that passes (a binary heap; replaced entries are dropped
///   lazily and never outnumber live ones by more than 2 to 1 plus 64).
/// - A deadline further away than the system's clock can count never passes.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `p`, `s` not added, `ms_from_now` <
/// -1), `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_poller_set_deadline(
    p: *mut sockhelp_poller,
    s: sockhelp_socket,
    ms_from_now: i64,
) -> c_int {
    call(|| {
        let poller = try_mut(p)?;
        let after = match ms_from_now {
            -1 => None,
            ms if ms >= 0 => Some(Duration::from_millis(ms as u64)),
            _ => return Err(Error::Invalid),
        };
        poller.set_deadline(s, after)
    })
}

/// Sends socket `s` to the process at the other end of the connected Unix-domain stream
/// socket `unix_sock` (from `sockhelp_connect_unix`, `sockhelp_accept` on a Unix-domain
/// listener, or `socketpair` before a fork): a pre-forked server's parent accepts, a child
/// serves. The receiver calls `sockhelp_recv_socket`.
///
/// - `s` stays the caller's: the receiver gets its own descriptor of the same connection
///   (close yours when you are done with it; the connection lives while either is open).
/// - POSIX: what goes over `unix_sock` is one byte carrying the descriptor (`SCM_RIGHTS`): keep
///   `unix_sock` for passing sockets only, or the receiver may take your data for one.
/// - Windows (10 1803+, which has `AF_UNIX`): the receiver's process id comes from
///   `unix_sock` (`SIO_AF_UNIX_GETPEERPID`), `s` is duplicated for that process
///   (`WSADuplicateSocketW`) and one message of 632 bytes goes (a 4-byte tag, then the
///   `WSAPROTOCOL_INFOW`; keep `unix_sock` for passing sockets only). The call waits for `unix_sock` to be writable before it
///   duplicates, so a timeout leaves nothing behind; a send that fails after that leaves an
///   unused duplicate in the receiver's process until it exits (Winsock cannot take it back).
/// - `timeout_ms`: -1 forever, 0 only if it can be sent at once, > 0 a deadline. The socket
///   mode of `unix_sock` is never changed.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK` (`timeout_ms` 0),
/// `SOCKHELP_ERESET` (the receiver is gone, or `unix_sock` is not connected; on Windows
/// also a message Winsock took only part of and could not finish within 2 s:
/// `WSAECONNABORTED`, the stream is broken),
/// `SOCKHELP_EINVAL` (an invalid socket, `unix_sock` not a Unix-domain socket: checked
/// first, since a TCP socket would send the byte and drop the descriptor; `timeout_ms` <
/// -1), `SOCKHELP_EOS` (e.g. `EBADF`: `s` or `unix_sock` is not open; `ENOTSOCK`; on
/// Windows what `SIO_AF_UNIX_GETPEERPID` or `WSADuplicateSocketW` refused),
/// `SOCKHELP_EUNSUPPORTED` (a platform that cannot pass sockets: none of those built now;
/// Windows before 10 1803 has no `AF_UNIX` to make `unix_sock` with), `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_send_socket(
    unix_sock: sockhelp_socket,
    s: sockhelp_socket,
    timeout_ms: c_int,
) -> c_int {
    call(|| net::send_socket(unix_sock, s, Deadline::from_timeout_ms(timeout_ms)?))
}

/// Receives a socket `sockhelp_send_socket` sent over the Unix-domain stream socket
/// `unix_sock`: on success `*out` is a new socket of this process (the same connection the
/// sender holds), close-on-exec (atomically with `MSG_CMSG_CLOEXEC` on Linux, Android, the
/// BSDs and illumos; by `fcntl` right after elsewhere; Windows: see below), on POSIX in the
/// mode the sender's socket is in (the mode belongs to the connection, shared with the
/// sender), owned by the caller;
/// on failure `SOCKHELP_INVALID_SOCKET`.
///
/// - POSIX: one byte is read. A sender passing several descriptors at once gets the first that is
///   a socket through; every other one is closed here, none leaks (the control buffer
///   holds 256 bytes, about 60 descriptors: the system closes any beyond, as it truncates).
/// - `timeout_ms`: -1 forever, 0 only if one is there now, > 0 a deadline.
/// - Windows: the socket is made from the sender's message (`WSASocketW` with
///   `FROM_PROTOCOL_INFO`, overlapped, not inherited: `WSA_FLAG_NO_HANDLE_INHERIT`), taken
///   only once all 632 bytes are there, so a timeout consumes nothing. Data that does not
///   start with the tag is `SOCKHELP_EBADFRAME` and is left in place (the stream is out of
///   step: close `unix_sock`); a whole message Winsock refuses is `SOCKHELP_EBADFRAME` and is
///   consumed; a message cut short (the sender died mid-send) is waited for until the
///   deadline (`SOCKHELP_ETIMEDOUT`), or with `timeout_ms` -1 for 2 s, then
///   `SOCKHELP_EBADFRAME`, left in place. Whether the new socket is blocking is not
///   specified there (Windows cannot read the mode back): set the mode you need.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ECLOSED` (the sender closed `unix_sock`: nothing more
/// will come), `SOCKHELP_EBADFRAME` (a byte came without a socket: data that was not from
/// `sockhelp_send_socket`, or descriptors that were not sockets, now closed),
/// `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK` (`timeout_ms` 0), `SOCKHELP_EINVAL` (invalid
/// `unix_sock` or not a Unix-domain socket, NULL `out`, `timeout_ms` < -1), `SOCKHELP_EOS`
/// (e.g. `EMFILE`: the descriptors that came were closed; `EBADF`, `ENOTSOCK`; on Windows
/// `WSAEMFILE` / `WSAENOBUFS` from `WSASocketW`: the message was consumed),
/// `SOCKHELP_EUNSUPPORTED` (as for `sockhelp_send_socket`), `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_recv_socket(
    unix_sock: sockhelp_socket,
    timeout_ms: c_int,
    out: *mut sockhelp_socket,
) -> c_int {
    socket_out(out, || {
        net::recv_socket(unix_sock, Deadline::from_timeout_ms(timeout_ms)?)
    })
}
