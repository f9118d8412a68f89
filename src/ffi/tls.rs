//! TLS: configurations, connecting / upgrading / accepting, the handshake, what was
//! agreed, the reason of a failure, the graceful close. Built with the cargo feature
//! `tls`; without it every call that needs TLS returns `SOCKHELP_EUNSUPPORTED` (same header,
//! same symbols), and the stream calls work on plain streams.

use std::cell::RefCell;
use std::os::raw::{c_char, c_int, c_uint};
use std::ptr;

use crate::any_stream::{Stream, HAS_TLS};
use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::ffi::cast::castable;
use crate::ffi::reader::sockhelp_reader;
#[cfg(feature = "tls")]
use crate::ffi::stream_io::stream_out;
use crate::ffi::stream_io::{sockhelp_stream, take_stream};
use crate::ffi::{
    boundary, call, free_boxed, out_param, put, sockhelp_socket, to_c, try_mut, try_ref,
};
#[cfg(feature = "tls")]
use crate::ffi::{bytes, c_str};

#[cfg(feature = "tls")]
type ConfigInner = crate::tls::TlsConfig;
#[cfg(not(feature = "tls"))]
type ConfigInner = ();

/// A TLS configuration: for clients, what to trust (the system's roots unless CAs are
/// added), the ALPN protocols, a client certificate; for servers, the certificate chain and
/// key, the ALPN protocols, the CAs of client certificates it requires. TLS 1.2 and 1.3
/// only. Opaque. Set it up from one thread, then share it between any number of
/// connections and threads: it is immutable once a stream used it (the setters then return
/// `SOCKHELP_EINVAL`). Free it with `sockhelp_tls_config_free` (streams keep what they need:
/// it may be freed while they live).
pub struct sockhelp_tls_config {
    inner: ConfigInner,
}

castable!(sockhelp_tls_config => ConfigInner);

thread_local! {
    /// rustls' reason for the last stream that could not be made on this thread.
    static LAST_DETAIL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The body of a call that needs TLS: run with the feature, `Unsupported` without (the
/// listed arguments are then unused).
macro_rules! tls_only {
    ($($arg:ident),* => $body:block) => {{
        #[cfg(feature = "tls")]
        {
            $body
        }
        #[cfg(not(feature = "tls"))]
        {
            let _ = ($(&$arg,)*);
            Err(Error::Unsupported)
        }
    }};
}

/// 1 when this library was built with TLS (the cargo feature `tls`), 0 when every TLS call
/// returns `SOCKHELP_EUNSUPPORTED`. Never fails.
#[no_mangle]
pub extern "C" fn sockhelp_has_tls() -> c_int {
    c_int::from(HAS_TLS)
}

/// A config made by `make`, handed to C through `out` (NULL on every error).
fn config_out(
    out: *mut *mut sockhelp_tls_config,
    make: impl FnOnce() -> Result<ConfigInner>,
) -> c_int {
    put(out, ptr::null_mut());
    call(|| {
        let out = out_param(out)?;
        out.set(to_c::<sockhelp_tls_config>(make()?));
        Ok(())
    })
}

/// A required C string argument.
#[cfg(feature = "tls")]
fn text<'a>(p: *const c_char) -> Result<&'a str> {
    c_str(p)?.ok_or(Error::Invalid)
}

/// Makes a client configuration: the server's certificate chain and its name always
/// verified (against the system's roots: the Linux CA files, the macOS keychain, the
/// Windows store, until `sockhelp_tls_config_add_ca_file` / `_pem` names others), TLS 1.2
/// and 1.3, no ALPN, no client certificate. The system's roots are loaded when a stream
/// first uses the config. Never waits.
///
/// Returns `SOCKHELP_OK` (`*out` is the new config); `SOCKHELP_EINVAL` (NULL `out`);
/// `SOCKHELP_EUNSUPPORTED` (built without TLS); `SOCKHELP_EINTERNAL`. `*out` is NULL on
/// every error.
#[no_mangle]
pub extern "C" fn sockhelp_tls_config_client(out: *mut *mut sockhelp_tls_config) -> c_int {
    config_out(
        out,
        || tls_only!(=> { Ok(crate::tls::TlsConfig::client()) }),
    )
}

/// Makes a server configuration presenting the certificate chain of PEM file
/// `cert_chain_pem_file` (the leaf first, then intermediates) with the private key of PEM
/// file `key_pem_file` (PKCS#8, PKCS#1 RSA or SEC1 EC). The key is checked against the
/// certificate now. No client certificate asked for (see
/// `sockhelp_tls_config_require_client_cert`). Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ENOTFOUND` (a file does not exist); `SOCKHELP_EOS` (a
/// file cannot be read: `sockhelp_last_os_error`); `SOCKHELP_EINVAL` (NULL argument, no
/// certificate or no key in the PEM, a key that does not match or is not supported);
/// `SOCKHELP_EUNSUPPORTED` (built without TLS); `SOCKHELP_EINTERNAL`. `*out` is NULL on every
/// error.
#[no_mangle]
pub extern "C" fn sockhelp_tls_config_server(
    cert_chain_pem_file: *const c_char,
    key_pem_file: *const c_char,
    out: *mut *mut sockhelp_tls_config,
) -> c_int {
    config_out(out, || {
        tls_only!(cert_chain_pem_file, key_pem_file => {
            crate::tls::TlsConfig::server_files(text(cert_chain_pem_file)?, text(key_pem_file)?)
        })
    })
}

/// `sockhelp_tls_config_server` from PEM text in memory: `cert_len` bytes at
/// `cert_chain_pem`, `key_len` bytes at `key_pem` (copied: free them when you like).
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL argument, no certificate or key, a key
/// that does not match); `SOCKHELP_EUNSUPPORTED`; `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_tls_config_server_pem(
    cert_chain_pem: *const c_char,
    cert_len: usize,
    key_pem: *const c_char,
    key_len: usize,
    out: *mut *mut sockhelp_tls_config,
) -> c_int {
    config_out(out, || {
        tls_only!(cert_chain_pem, cert_len, key_pem, key_len => {
            let chain = bytes(cert_chain_pem.cast(), cert_len)?;
            let key = bytes(key_pem.cast(), key_len)?;
            crate::tls::TlsConfig::server_pem(chain, key)
        })
    })
}

/// Trusts the CA certificates of PEM file `pem_file`: a client then verifies servers
/// against the CAs added this way only (the system's roots are no longer used); on a
/// server config they are CAs of client certificates (see
/// `sockhelp_tls_config_require_client_cert`). May be called more than once. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ENOTFOUND` (no such file); `SOCKHELP_EOS` (unreadable);
/// `SOCKHELP_EINVAL` (NULL argument, no certificate or a malformed one in the file: nothing
/// added; the config was already used by a stream); `SOCKHELP_EUNSUPPORTED`;
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_tls_config_add_ca_file(
    c: *mut sockhelp_tls_config,
    pem_file: *const c_char,
) -> c_int {
    call(|| tls_only!(c, pem_file => { try_mut(c)?.add_ca_file(text(pem_file)?) }))
}

/// `sockhelp_tls_config_add_ca_file` from `len` bytes of PEM text at `pem` (copied).
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `c`, NULL `pem` with `len` > 0, no
/// certificate or a malformed one: nothing added; the config was already used);
/// `SOCKHELP_EUNSUPPORTED`; `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_tls_config_add_ca_pem(
    c: *mut sockhelp_tls_config,
    pem: *const c_char,
    len: usize,
) -> c_int {
    call(|| tls_only!(c, pem, len => { try_mut(c)?.add_ca_pem(bytes(pem.cast(), len)?) }))
}

/// A client config presents the certificate chain of PEM file `cert_chain_pem_file` with
/// the key of PEM file `key_pem_file` when a server asks for a client certificate. The key
/// is checked against the certificate now. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ENOTFOUND`, `SOCKHELP_EOS` (a file); `SOCKHELP_EINVAL`
/// (NULL argument, a server config, no certificate or key, a key that does not match, the
/// config already used); `SOCKHELP_EUNSUPPORTED`; `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_tls_config_client_cert(
    c: *mut sockhelp_tls_config,
    cert_chain_pem_file: *const c_char,
    key_pem_file: *const c_char,
) -> c_int {
    call(|| {
        tls_only!(c, cert_chain_pem_file, key_pem_file => {
            try_mut(c)?.client_cert_files(text(cert_chain_pem_file)?, text(key_pem_file)?)
        })
    })
}

/// A server config requires every client to present a certificate issued by a CA of PEM
/// file `ca_pem_file` (a client without one, or with another, fails its handshake with
/// `SOCKHELP_ECERT`). Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ENOTFOUND`, `SOCKHELP_EOS` (the file); `SOCKHELP_EINVAL`
/// (NULL argument, a client config, no certificate in the file, the config already used);
/// `SOCKHELP_EUNSUPPORTED`; `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_tls_config_require_client_cert(
    c: *mut sockhelp_tls_config,
    ca_pem_file: *const c_char,
) -> c_int {
    call(
        || tls_only!(c, ca_pem_file => { try_mut(c)?.require_client_cert_file(text(ca_pem_file)?) }),
    )
}

/// The ALPN protocols (`n` NUL-terminated strings, such as "h2", "http/1.1") a client
/// offers or a server accepts, in preference order; `n` 0 clears them. A server with ALPN
/// protocols refuses a client that offers only others (`SOCKHELP_ETLS`). The strings are
/// copied. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `c`, NULL `protocols` with `n` > 0, a NULL,
/// empty or longer than 255 bytes protocol, the config already used);
/// `SOCKHELP_EUNSUPPORTED`; `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_tls_config_alpn(
    c: *mut sockhelp_tls_config,
    protocols: *const *const c_char,
    n: usize,
) -> c_int {
    call(|| {
        tls_only!(c, protocols, n => {
            let config = try_mut(c)?;
            let mut list = Vec::with_capacity(n.min(64));
            if n > 0 {
                if protocols.is_null() || n > isize::MAX as usize / std::mem::size_of::<usize>() {
                    return Err(Error::Invalid);
                }
                // SAFETY: the C caller promises `n` readable pointers at `protocols`, alive
                // for the call (checked non-NULL above).
                let ptrs = unsafe { std::slice::from_raw_parts(protocols, n) };
                for p in ptrs {
                    list.push(text(*p)?.as_bytes().to_vec());
                }
            }
            config.set_alpn(list)
        })
    })
}

/// DANGEROUS, for tests only: a client config stops verifying the server's certificate
/// (chain, name, dates). The session is still encrypted, but anyone on the path can
/// impersonate the server. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EINVAL` (NULL `c`, a server config, the config already
/// used); `SOCKHELP_EUNSUPPORTED`; `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_tls_config_dangerous_no_verify(c: *mut sockhelp_tls_config) -> c_int {
    call(|| tls_only!(c => { try_mut(c)?.dangerous_no_verify() }))
}

/// Frees a configuration (streams made from it keep what they need). NULL is fine.
#[no_mangle]
pub extern "C" fn sockhelp_tls_config_free(c: *mut sockhelp_tls_config) {
    free_boxed(c)
}

/// A made stream handed to C; for one not made, the reason remembered (for
/// `sockhelp_stream_error_detail(NULL, ...)`) and a stream in progress handed out.
#[cfg(feature = "tls")]
fn made(
    r: std::result::Result<Stream, crate::any_stream::Refused>,
    out: &crate::ffi::cast::Out<*mut sockhelp_stream>,
) -> Result<()> {
    let f = match r {
        Ok(st) => {
            stream_out(out, st);
            return Ok(());
        }
        Err(f) => f,
    };
    LAST_DETAIL.with(|d| *d.borrow_mut() = f.detail);
    if let Some(st) = f.in_progress {
        stream_out(out, st);
    }
    Err(f.error)
}

/// The shape of the calls that make a TLS stream: `*out` NULL unless `make` gives one.
fn tls_stream_out(
    out: *mut *mut sockhelp_stream,
    make: impl FnOnce(&crate::ffi::cast::Out<*mut sockhelp_stream>) -> Result<()>,
) -> c_int {
    put(out, ptr::null_mut());
    call(|| {
        let out = out_param(out)?;
        LAST_DETAIL.with(|d| *d.borrow_mut() = None);
        make(&out)
    })
}

/// Resolves `host`, connects to `host:port` (every address in turn, as `sockhelp_connect`)
/// and runs the TLS handshake, verifying the server's certificate chain and that it is
/// valid for `host` (a name, sent as SNI, or an address literal, matched against the
/// certificate's IP addresses), all within one deadline.
///
/// - `timeout_ms`: -1 forever, > 0 for the whole call (resolution, connect, handshake);
///   0 is `SOCKHELP_EINVAL` here (use `sockhelp_connect_start` and `sockhelp_tls_client`
///   with 0 for a non-blocking start).
/// - On success `*out` is a new stream that owns its socket; NULL on every error (the
///   socket is closed). `sockhelp_stream_error_detail(NULL, ...)` then gives rustls' reason.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ECERT` (the certificate was refused: name, chain,
/// dates; or the client certificate the server asked for); `SOCKHELP_ETLS` (no common
/// version, cipher suite or ALPN protocol, an alert, not TLS at all); what
/// `sockhelp_connect` returns (`SOCKHELP_EREFUSED`, `SOCKHELP_ENOTFOUND`,
/// `SOCKHELP_ETIMEDOUT`, `SOCKHELP_ERESET`, `SOCKHELP_EOS`); `SOCKHELP_EINVAL` (NULL `c`,
/// `host` or `out`, a server config, a host that is no valid server name, `port` 0,
/// `timeout_ms` 0 or < -1); `SOCKHELP_EUNSUPPORTED` (built without TLS);
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_tls_connect(
    c: *const sockhelp_tls_config,
    host: *const c_char,
    port: u16,
    timeout_ms: c_int,
    out: *mut *mut sockhelp_stream,
) -> c_int {
    tls_stream_out(out, |o| {
        tls_only!(c, host, port, timeout_ms, o => {
            let config = try_ref(c)?;
            let host = text(host)?;
            if timeout_ms == 0 || port == 0 {
                return Err(Error::Invalid);
            }
            let deadline = Deadline::from_timeout_ms(timeout_ms)?;
            made(Stream::tls_connect(config, host, port, deadline), o)
        })
    })
}

/// Starts TLS as the client on connected socket `s` (an upgrade: after STARTTLS, after
/// PostgreSQL's SSLRequest answer 'S'), verifying the certificate for `server_name` (sent
/// as SNI).
///
/// - `r`: NULL, or the reader that read the server's answer: if it holds any byte past
///   that answer, the upgrade is refused with `SOCKHELP_EPROTO` (bytes sent before the
///   handshake could be an attacker's, CVE-2021-23222). Free or reset it afterwards: frames
///   then come through the stream.
/// - `timeout_ms`: -1 forever, > 0 for the whole handshake, 0: the handshake is only
///   started: `SOCKHELP_EWOULDBLOCK` with `*out` set (the stream owns `s` from then on);
///   wait for `sockhelp_stream_wants`, then `sockhelp_stream_handshake`.
/// - On `SOCKHELP_OK` (and `SOCKHELP_EWOULDBLOCK`) the stream owns `s`. On every other
///   error `*out` is NULL and `s` is still yours (close it); `sockhelp_stream_error_detail
///   (NULL, ...)` gives rustls' reason.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EWOULDBLOCK` (timeout 0, in progress); `SOCKHELP_EPROTO`;
/// `SOCKHELP_ECERT`; `SOCKHELP_ETLS`; `SOCKHELP_ETIMEDOUT`; `SOCKHELP_ERESET`;
/// `SOCKHELP_EINVAL` (NULL `c`, `server_name` or `out`, a server config, an invalid name,
/// invalid socket, `timeout_ms` < -1); `SOCKHELP_EOS`; `SOCKHELP_EUNSUPPORTED`;
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_tls_client(
    c: *const sockhelp_tls_config,
    s: sockhelp_socket,
    server_name: *const c_char,
    r: *const sockhelp_reader,
    timeout_ms: c_int,
    out: *mut *mut sockhelp_stream,
) -> c_int {
    tls_stream_out(out, |o| {
        tls_only!(c, s, server_name, r, timeout_ms, o => {
            let config = try_ref(c)?;
            let name = text(server_name)?;
            let reader = if r.is_null() { None } else { Some(try_ref(r)?) };
            let deadline = Deadline::from_timeout_ms(timeout_ms)?;
            made(Stream::tls_client(config, s, name, reader, deadline), o)
        })
    })
}

/// Starts TLS as the server on accepted socket `s` and runs the handshake: `timeout_ms`,
/// ownership and `*out` as for `sockhelp_tls_client` (0: started only, for event loops:
/// `SOCKHELP_EWOULDBLOCK` with `*out` set). Even with timeout 0 the handshake can complete
/// in this call (`SOCKHELP_OK`) when the client's last flight is already there, and its
/// first data with it, decrypted: an event loop serves the stream at once
/// (`sockhelp_stream_fill`) rather than waiting for a readable event that will not come.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_EWOULDBLOCK`; `SOCKHELP_ECERT` (a client certificate was
/// required and missing or refused); `SOCKHELP_ETLS` (no common version or cipher suite, no
/// common ALPN protocol, not TLS); `SOCKHELP_ETIMEDOUT`; `SOCKHELP_ERESET`; `SOCKHELP_EINVAL`
/// (NULL `c` or `out`, a client config, invalid socket, `timeout_ms` < -1); `SOCKHELP_EOS`;
/// `SOCKHELP_EUNSUPPORTED`; `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_tls_server(
    c: *const sockhelp_tls_config,
    s: sockhelp_socket,
    timeout_ms: c_int,
    out: *mut *mut sockhelp_stream,
) -> c_int {
    tls_stream_out(out, |o| {
        tls_only!(c, s, timeout_ms, o => {
            let config = try_ref(c)?;
            let deadline = Deadline::from_timeout_ms(timeout_ms)?;
            made(Stream::tls_server(config, s, deadline), o)
        })
    })
}

/// Runs the stream's TLS handshake on (nothing to do for a plain stream or a finished
/// handshake), within `timeout_ms` (0: as far as the socket allows now, for event loops:
/// on `SOCKHELP_EWOULDBLOCK` wait for `sockhelp_stream_wants` and call again). The byte and
/// frame calls also finish a pending handshake themselves.
///
/// Returns `SOCKHELP_OK` (complete); `SOCKHELP_EWOULDBLOCK`; `SOCKHELP_ETIMEDOUT`;
/// `SOCKHELP_ECERT`, `SOCKHELP_ETLS` (see `sockhelp_stream_error_detail`; close the stream);
/// `SOCKHELP_ERESET`; `SOCKHELP_EINVAL` (NULL `st`, `timeout_ms` < -1); `SOCKHELP_EOS`,
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_handshake(st: *mut sockhelp_stream, timeout_ms: c_int) -> c_int {
    call(|| try_mut(st)?.handshake(Deadline::from_timeout_ms(timeout_ms)?))
}

/// What to wait for before calling again after a stream call answered
/// `SOCKHELP_EWOULDBLOCK`: `SOCKHELP_READABLE` and/or `SOCKHELP_WRITABLE` (the poller's
/// bits). A TLS session decides when it has records to write (WRITABLE, even for a
/// receive) or a handshake waits for the peer (READABLE); otherwise the direction of the
/// call that blocked. 0 for NULL or when nothing blocked. Never waits.
#[no_mangle]
pub extern "C" fn sockhelp_stream_wants(st: *const sockhelp_stream) -> c_uint {
    boundary(|| try_ref(st).map_or(0, Stream::wants) as usize) as c_uint
}

/// Writes what the TLS session agreed, NUL-terminated, into `buf` (`cap` bytes): the
/// version, the cipher suite and the ALPN protocol when one was agreed, separated by
/// spaces ("TLSv1.3 TLS13_AES_128_GCM_SHA256 h2"); "" while the handshake is not complete;
/// "plain" for a plain stream. `*needed` (may be NULL): the size with the NUL. Never
/// waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ENOSPACE` (`cap` too small: `buf` untouched, see
/// `*needed`); `SOCKHELP_EINVAL` (NULL `st`, NULL `buf` with `cap` > 0);
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_info(
    st: *const sockhelp_stream,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> c_int {
    put(needed, 0);
    call(|| crate::ffi::net::write_addr(&try_ref(st)?.info(), buf, cap, needed))
}

/// Writes rustls' reason for the failure that ended the stream's TLS session (a
/// `SOCKHELP_ETLS`, `SOCKHELP_ECERT` or `SOCKHELP_ETRUNCATED`), NUL-terminated, into `buf`:
/// for instance "invalid peer certificate: certificate not valid for name ...". With `st`
/// NULL: the reason why the last `sockhelp_tls_connect`, `sockhelp_tls_client` or
/// `sockhelp_tls_server` on this thread made no stream. "" when there is none. `*needed`
/// (may be NULL): the size with the NUL. Never waits.
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ENOSPACE` (`cap` too small: see `*needed`);
/// `SOCKHELP_EINVAL` (NULL `buf` with `cap` > 0); `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_error_detail(
    st: *const sockhelp_stream,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> c_int {
    put(needed, 0);
    call(|| {
        let text = if st.is_null() {
            LAST_DETAIL.with(|d| d.borrow().clone()).unwrap_or_default()
        } else {
            try_ref(st)?.error_detail().unwrap_or("").to_owned()
        };
        crate::ffi::net::write_addr(&text, buf, cap, needed)
    })
}

/// Ends the stream gracefully and frees it, within one deadline: for TLS, sends
/// close_notify, shuts down the write side, then reads (and discards) until the peer's
/// close_notify or its close; for a plain stream, `sockhelp_close_graceful`'s goodbye. The
/// socket is closed and `st` freed on every return (NULL is `SOCKHELP_EINVAL`).
///
/// Returns `SOCKHELP_OK`; `SOCKHELP_ETIMEDOUT`, `SOCKHELP_EWOULDBLOCK` (the peer did not
/// answer in time: closed anyway); `SOCKHELP_ERESET`; `SOCKHELP_ETLS` (a bad record while
/// draining); `SOCKHELP_EINVAL` (NULL `st`, `timeout_ms` < -1: then nothing is freed);
/// `SOCKHELP_EOS`, `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_stream_close(st: *mut sockhelp_stream, timeout_ms: c_int) -> c_int {
    call(|| {
        let deadline = Deadline::from_timeout_ms(timeout_ms)?;
        take_stream(st)?.close(deadline)
    })
}
