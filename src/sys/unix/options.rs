//! The socket options sockhelp sets: on every new stream, on listeners, before sends, and
//! the keepalive timing a caller asks for.

use std::io;
use std::time::Duration;

use socket2::{SockRef, Socket, TcpKeepalive};

use crate::error::Result;
use crate::sys::RawSocket;

/// Called once before a run of sends: macOS needs `SO_NOSIGPIPE` on the socket.
pub fn before_send(s: RawSocket) -> Result<()> {
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        super::with_socket(s, |sock| {
            sock.set_nosigpipe(true).map_err(crate::error::Error::from)
        })?;
    }
    let _ = s;
    Ok(())
}

/// Settings every socket that sockhelp creates or accepts gets.
pub fn prepare_stream(sock: &Socket) -> io::Result<()> {
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    sock.set_nosigpipe(true)?;
    let _ = sock;
    Ok(())
}

/// A listener may rebind a port whose old connections linger in TIME_WAIT.
pub fn prepare_listener(sock: &Socket) -> io::Result<()> {
    sock.set_reuse_address(true)
}

/// Keepalive timing; each value <= 0 keeps the OS default.
pub fn set_keepalive_params(
    sock: &SockRef<'_>,
    idle_s: i32,
    interval_s: i32,
    count: i32,
) -> Result<()> {
    let mut ka = TcpKeepalive::new();
    let mut any = false;
    if idle_s > 0 {
        ka = ka.with_time(Duration::from_secs(idle_s as u64));
        any = true;
    }
    if interval_s > 0 || count > 0 {
        ka = keepalive_probes(ka, interval_s, count)?;
        any = true;
    }
    if any {
        sock.set_tcp_keepalive(&ka)?;
    }
    Ok(())
}

/// Builds the first item where `$when` holds and the second everywhere else, so a list of
/// OSes is written once (the `cfg-if` idea).
macro_rules! cfg_either {
    (#[cfg($when:meta)] $yes:item else $no:item) => {
        #[cfg($when)]
        $yes
        #[cfg(not($when))]
        $no
    };
}

// The OSes where a socket sets its own keepalive probe interval and count
// (`TCP_KEEPINTVL`, `TCP_KEEPCNT`, which socket2 offers there).
cfg_either! {
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "dragonfly",
        target_os = "illumos",
        target_os = "fuchsia"
    ))]
    fn keepalive_probes(mut ka: TcpKeepalive, interval_s: i32, count: i32) -> Result<TcpKeepalive> {
        if interval_s > 0 {
            ka = ka.with_interval(Duration::from_secs(interval_s as u64));
        }
        if count > 0 {
            ka = ka.with_retries(count as u32);
        }
        Ok(ka)
    }
    else
    /// OpenBSD and others fix the probe interval and count system-wide.
    fn keepalive_probes(_ka: TcpKeepalive, _interval_s: i32, _count: i32) -> Result<TcpKeepalive> {
        Err(crate::error::Error::Unsupported)
    }
}

/// `SOCKHELP_LISTEN_REUSEPORT`: several listeners bound to one port, the system spreading
/// new connections among them. `SO_REUSEPORT_LB` on FreeBSD (its plain `SO_REUSEPORT`
/// does not spread them), `SO_REUSEPORT` on Linux, Android, the other BSDs and macOS;
/// `Unsupported` elsewhere (illumos, Solaris).
pub fn set_reuse_port(sock: &Socket) -> Result<()> {
    #[cfg(target_os = "freebsd")]
    sock.set_reuse_port_lb(true)?;
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly",
        target_os = "macos",
        target_os = "ios",
    ))]
    sock.set_reuse_port(true)?;
    #[cfg(not(any(
        target_os = "freebsd",
        target_os = "linux",
        target_os = "android",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly",
        target_os = "macos",
        target_os = "ios",
    )))]
    {
        let _ = sock;
        return Err(crate::error::Error::Unsupported);
    }
    #[allow(unreachable_code)]
    Ok(())
}
