//! Connecting the Happy Eyeballs way through C: `sockhelp_connect_ex`, `sockhelp_resolve`,
//! the non-blocking connector (`sockhelp_connector_*`).

use std::os::raw::{c_char, c_int};
use std::ptr;
use std::time::Duration;

use crate::connect::{self, Connector, Family, Options};
use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::ffi::cast::castable;
use crate::ffi::net::socket_out;
use crate::ffi::poller::sockhelp_poller;
use crate::ffi::{
    boundary, bytes_mut, c_str, call, free_boxed, out_param, put, sockhelp_socket, to_c, try_mut,
};
use crate::net;
use crate::sys;

/// What a client may ask of a connection besides its destination
/// (`sockhelp_connect_ex`, `sockhelp_connector_start`). Zero everywhere (`{0}`) is the
/// default: any local address, any family, a 250 ms stagger.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sockhelp_connect_opts {
    /// NULL or "": the system chooses the local address. Otherwise a local name or literal
    /// ("192.0.2.7", "::1") each attempt is bound to (port 0) before it connects; only the
    /// destination addresses of a family it has are tried. A name is resolved within 2 s
    /// (`SOCKHELP_LISTEN_RESOLVE_MS`).
    pub bind_host: *const c_char,
    /// 0: any family; 4: IPv4 only; 6: IPv6 only.
    pub family: c_int,
    /// Milliseconds between two attempt starts while earlier ones are in flight; 0: 250
    /// (RFC 8305's Connection Attempt Delay).
    pub stagger_ms: c_int,
}

/// The core's options for `o` (NULL: the defaults).
fn options(o: *const sockhelp_connect_opts) -> Result<Options> {
    let mut opts = Options::default();
    if o.is_null() {
        return Ok(opts);
    }
    // SAFETY: a non-NULL `o` points to a readable sockhelp_connect_opts (the contract).
    let o = unsafe { ptr::read(o) };
    opts.family = match o.family {
        0 => Family::Any,
        4 => Family::V4,
        6 => Family::V6,
        _ => return Err(Error::Invalid),
    };
    opts.stagger = match o.stagger_ms {
        0 => connect::STAGGER,
        ms if ms > 0 => Duration::from_millis(ms as u64),
        _ => return Err(Error::Invalid),
    };
    opts.bind_host = c_str(o.bind_host)?.map(str::to_owned);
    Ok(opts)
}

/// `sockhelp_connect` with options (`o`: NULL or a `sockhelp_connect_opts`, see there):
/// a local address to bind to, one family only, another stagger delay. Every other rule,
/// the order, the deadline and the error returned, is `sockhelp_connect`'s.
///
/// Returns what `sockhelp_connect` returns; `SOCKHELP_EINVAL` also for `o->family` not 0,
/// 4 or 6, `o->stagger_ms` < 0, a `bind_host` that is not UTF-8 or has no address of a
/// family the destination has; `SOCKHELP_ENOTFOUND` also when no address of the family
/// asked for exists; a `bind_host` that does not resolve fails as a name does
/// (`SOCKHELP_ENOTFOUND`, `SOCKHELP_ETRYAGAIN`, `SOCKHELP_ETIMEDOUT`), one that is not a
/// local address with `SOCKHELP_EOS` (`EADDRNOTAVAIL`) from its attempts.
#[no_mangle]
pub extern "C" fn sockhelp_connect_ex(
    host: *const c_char,
    port: u16,
    o: *const sockhelp_connect_opts,
    timeout_ms: c_int,
    out: *mut sockhelp_socket,
) -> c_int {
    socket_out(out, || {
        let host = c_str(host)?.ok_or(Error::Invalid)?;
        let opts = options(o)?;
        let w = connect::connect(host, port, &opts, Deadline::from_timeout_ms(timeout_ms)?)?;
        Ok(sys::into_raw(w.sock))
    })
}

/// Resolves `host` and writes the addresses it names, printable, into `addrs`: each an IP
/// literal without port ("::1", "127.0.0.1", "fe80::1%2" with a scope), one per line, in
/// the resolver's order (the order `sockhelp_connect` starts from before interleaving the
/// families), the whole NUL-terminated: "::1\n127.0.0.1\0". Each can be passed back to
/// `sockhelp_connect` as `host`.
///
/// - `port` is not printed (any value; it does not change the answer).
/// - `timeout_ms`: as `sockhelp_connect`'s lookup (> 0 on the shared resolver threads,
///   bounded; -1 and 0 on the calling thread). A literal is its own answer, at once.
/// - `cap`: the size of `addrs` (NULL with `cap` 0 only asks the size); `needed` (NULL or)
///   receives the bytes needed, NUL included; `count` (NULL or) receives the number of
///   addresses. Both are written on `SOCKHELP_OK` and `SOCKHELP_ENOSPACE`, 0 otherwise.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ENOSPACE` (`cap` too small: `addrs` not touched);
/// `SOCKHELP_ENOTFOUND` (no such name); `SOCKHELP_ETRYAGAIN` (temporary failure: the name
/// server did not answer); `SOCKHELP_ETIMEDOUT`; `SOCKHELP_EINVAL` (NULL/empty `host`,
/// NULL `addrs` with `cap` > 0, `timeout_ms` < -1); `SOCKHELP_ENOMEM`; `SOCKHELP_EOS`;
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_resolve(
    host: *const c_char,
    port: u16,
    timeout_ms: c_int,
    addrs: *mut c_char,
    cap: usize,
    needed: *mut usize,
    count: *mut usize,
) -> c_int {
    put(needed, 0);
    put(count, 0);
    call(|| {
        let host = c_str(host)?.ok_or(Error::Invalid)?;
        if host.is_empty() || (addrs.is_null() && cap > 0) || cap > isize::MAX as usize {
            return Err(Error::Invalid);
        }
        let found = net::resolve(host, port, Deadline::from_timeout_ms(timeout_ms)?)?;
        let text: Vec<String> = found.iter().map(|a| a.ip().to_string()).collect();
        let text = text.join("\n");
        put(needed, text.len() + 1);
        put(count, found.len());
        if cap < text.len() + 1 {
            return Err(Error::NoSpace);
        }
        let buf = bytes_mut(addrs.cast(), cap)?;
        buf[..text.len()].copy_from_slice(text.as_bytes());
        buf[text.len()] = 0;
        Ok(())
    })
}

/// A Happy Eyeballs connection in progress, for event loops: `sockhelp_connector_start`
/// makes it, `sockhelp_connector_step` moves it on, `sockhelp_connector_free` frees it.
/// Used by one thread at a time.
pub struct sockhelp_connector {
    inner: ConnectorState,
}

/// The connector and the poller it keeps registered (NULL: none).
pub struct ConnectorState {
    conn: Connector,
    poller: *mut sockhelp_poller,
}

castable!(sockhelp_connector => ConnectorState);

/// The poller behind `p`, borrowed for one call (NULL: none).
fn poller_of<'a>(p: *mut sockhelp_poller) -> Result<Option<&'a mut crate::poller::Poller>> {
    if p.is_null() {
        return Ok(None);
    }
    try_mut(p).map(Some)
}

/// Starts connecting to `host:port` the way `sockhelp_connect` does (same order, stagger,
/// winner and error), without ever blocking the calling thread: a name is looked up on the
/// shared resolver threads (see `sockhelp_connect`), every attempt is a non-blocking
/// socket. Never waits.
///
/// Drive it so: `sockhelp_connector_poll_with(c, poller, tag)` once (or watch the sockets
/// yourself: see below), then whenever the poller reports `tag`, or when
/// `sockhelp_connector_timeout_ms(c)` milliseconds have passed, call
/// `sockhelp_connector_step`, until it returns anything but `SOCKHELP_EWOULDBLOCK`. The
/// connector has no deadline of its own: when yours passes, free it.
///
/// - `o`: NULL or options, as `sockhelp_connect_ex`.
/// - On success `*out` receives the connector, owned by the caller (free it with
///   `sockhelp_connector_free`, connected or not); on failure NULL.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL/empty `host`, `port` 0, NULL `out`, bad
/// `o`); `SOCKHELP_ENOTFOUND` / `SOCKHELP_ETRYAGAIN` / `SOCKHELP_ETIMEDOUT` (a `bind_host`
/// name that does not resolve in 2 s); `SOCKHELP_ENOMEM` (no resolver thread could be
/// started); `SOCKHELP_EOS` (e.g. `EMFILE`); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_connector_start(
    host: *const c_char,
    port: u16,
    o: *const sockhelp_connect_opts,
    out: *mut *mut sockhelp_connector,
) -> c_int {
    put(out, ptr::null_mut());
    call(|| {
        let host = c_str(host)?.ok_or(Error::Invalid)?;
        let out = out_param(out)?;
        let conn = Connector::start(host, port, options(o)?)?;
        out.set(to_c(ConnectorState {
            conn,
            poller: ptr::null_mut(),
        }));
        Ok(())
    })
}

/// Moves the connection on, without waiting: takes the resolver's answer if it came,
/// starts the attempts that are due, looks at the ones in flight. Call it when the poller
/// reported the connector's tag, or when `sockhelp_connector_timeout_ms` has passed
/// (calling it more often is harmless).
///
/// - `SOCKHELP_OK`: `*out` is the connected socket (blocking mode, close-on-exec, owned by
///   the caller, not in the poller: add it yourself); every other attempt was closed.
///   The connector is finished: free it.
/// - `SOCKHELP_EWOULDBLOCK`: still connecting; `*out` is `SOCKHELP_INVALID_SOCKET`. The
///   poller (if `sockhelp_connector_poll_with` registered one) now watches exactly what to
///   wait on.
/// - Any other code: the connection failed (the error `sockhelp_connect` would return,
///   with `SOCKHELP_ETIMEDOUT` never: the connector has no deadline); finished: free it.
///   A further step on a finished connector is `SOCKHELP_EINVAL`.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EWOULDBLOCK`; `SOCKHELP_EREFUSED`; `SOCKHELP_ERESET`
/// (`ETIMEDOUT`: no answer to the SYNs); `SOCKHELP_ENOTFOUND`; `SOCKHELP_ETRYAGAIN`;
/// `SOCKHELP_EOS` (e.g. network unreachable); `SOCKHELP_EINVAL` (NULL `c` or `out`,
/// finished connector); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_connector_step(
    c: *mut sockhelp_connector,
    out: *mut sockhelp_socket,
) -> c_int {
    put(out, sys::INVALID_SOCKET);
    call(|| {
        let out = out_param(out)?;
        let state = try_mut(c)?;
        match state.conn.step(poller_of(state.poller)?)? {
            Some(w) => {
                out.set(sys::into_raw(w.sock));
                Ok(())
            }
            None => Err(Error::WouldBlock),
        }
    })
}

/// Makes poller `p` watch what the connector waits on, every socket with `tag`: the
/// resolver's wake socket (readable once the name's answer came) while it resolves, then
/// the attempts in flight (writable once connected or failed). From then on every
/// `sockhelp_connector_step` keeps `p` up to date (adds new attempts, removes the closed
/// ones before closing them) and the winner leaves it. `p` NULL detaches: the poller
/// registered before stops watching the connector's sockets. Never waits.
///
/// `p` must outlive the connector's use of it: free the connector (or detach) before
/// freeing the poller. The sockets are the connector's: do not remove or close them.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `c`); what `sockhelp_poller_add` returns;
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_connector_poll_with(
    c: *mut sockhelp_connector,
    p: *mut sockhelp_poller,
    tag: u64,
) -> c_int {
    call(|| {
        let state = try_mut(c)?;
        if let Some(old) = poller_of(state.poller)? {
            state.conn.detach(old);
        }
        state.poller = p;
        match poller_of(state.poller)? {
            Some(poller) => state.conn.poll_with(poller, tag),
            None => Ok(()),
        }
    })
}

/// The longest the caller may wait (milliseconds) before calling
/// `sockhelp_connector_step` again when the poller reports nothing: until the next
/// attempt is due (the stagger); -1 when only readiness of the connector's sockets can
/// move it on (the lookup's wake socket, the attempts). Pass it (or less) to
/// `sockhelp_poller_wait`. Never waits.
///
/// Returns milliseconds (>= 0) or -1, never an error code: a NULL `c` is -1, not
/// `SOCKHELP_EINVAL`.
#[no_mangle]
pub extern "C" fn sockhelp_connector_timeout_ms(c: *mut sockhelp_connector) -> c_int {
    boundary(|| match try_mut(c) {
        Ok(state) => state.conn.timeout_ms(),
        Err(_) => -1,
    })
}

/// Frees connector `c`, closing every attempt still in flight (a socket `step` already
/// returned is the caller's and stays open) and removing its sockets from the poller
/// `sockhelp_connector_poll_with` registered (still alive: see there). A lookup in flight
/// is abandoned (it never holds a new thread). NULL is ignored.
#[no_mangle]
pub extern "C" fn sockhelp_connector_free(c: *mut sockhelp_connector) {
    boundary(|| {
        if let Ok(state) = try_mut(c) {
            if let Ok(Some(p)) = poller_of(state.poller) {
                state.conn.detach(p);
            }
        }
        free_boxed(c)
    })
}

/// Sets `TCP_USER_TIMEOUT` on connected TCP socket `s`: how long (`ms`) data it sent may
/// stay unacknowledged before the system declares the connection dead (later calls then
/// fail with `SOCKHELP_ERESET`, `sockhelp_last_os_error()` = `ETIMEDOUT`). It complements
/// keepalive (`sockhelp_set_keepalive`, which probes an idle connection): this one bounds
/// a connection with data in flight. `ms` 0 restores the system's default. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EUNSUPPORTED` where the system has no equivalent
/// (every system but Linux and Android: macOS, the BSDs, Windows); `SOCKHELP_EINVAL`
/// (invalid socket, `ms` < 0); `SOCKHELP_EOS` (e.g. not a TCP socket); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_set_user_timeout(s: sockhelp_socket, ms: c_int) -> c_int {
    call(|| {
        if ms < 0 {
            return Err(Error::Invalid);
        }
        net::set_user_timeout(s, ms as u32)
    })
}
