//! The socket options sockhelp sets: on every new stream, on listeners, before sends, and
//! the keepalive timing a caller asks for.

use std::io;
use std::os::windows::io::AsRawSocket;
use std::time::Duration;

use socket2::{SockRef, Socket, TcpKeepalive};
use windows_sys::Win32::Networking::WinSock as ws;

use super::check;
use crate::error::{Error, Result};
use crate::sys::RawSocket;

/// `SO_EXCLUSIVEADDRUSE` is `~SO_REUSEADDR` in the Windows headers.
const SO_EXCLUSIVEADDRUSE: i32 = !ws::SO_REUSEADDR;

/// Windows has no `SIGPIPE`: nothing to do.
pub fn before_send(_s: RawSocket) -> Result<()> {
    Ok(())
}

/// Nothing to set on Windows for new streams.
pub fn prepare_stream(_sock: &Socket) -> io::Result<()> {
    Ok(())
}

/// On Windows `SO_REUSEADDR` lets another process steal the port;
/// `SO_EXCLUSIVEADDRUSE` is the safe choice (TIME_WAIT does not block rebinding there).
pub fn prepare_listener(sock: &Socket) -> io::Result<()> {
    let on: i32 = 1;
    let raw = sock.as_raw_socket() as ws::SOCKET;
    // SAFETY: setsockopt with a 4-byte int option value.
    check(unsafe {
        ws::setsockopt(
            raw,
            ws::SOL_SOCKET,
            SO_EXCLUSIVEADDRUSE,
            &on as *const i32 as *const u8,
            4,
        )
    })?;
    Ok(())
}

/// Keepalive timing (`SIO_KEEPALIVE_VALS`); Windows fixes the probe count (10),
/// so `count > 0` is `Unsupported`.
pub fn set_keepalive_params(
    sock: &SockRef<'_>,
    idle_s: i32,
    interval_s: i32,
    count: i32,
) -> Result<()> {
    if count > 0 {
        return Err(Error::Unsupported);
    }
    if idle_s <= 0 && interval_s <= 0 {
        return Ok(());
    }
    // SIO_KEEPALIVE_VALS sets both values at once: fill the unset one with Windows' default.
    let idle = if idle_s > 0 { idle_s as u64 } else { 7200 };
    let interval = if interval_s > 0 { interval_s as u64 } else { 1 };
    let ka = TcpKeepalive::new()
        .with_time(Duration::from_secs(idle))
        .with_interval(Duration::from_secs(interval));
    sock.set_tcp_keepalive(&ka)?;
    Ok(())
}

/// `SOCKHELP_LISTEN_REUSEPORT`: Windows has no `SO_REUSEPORT` (its `SO_REUSEADDR` lets a
/// port be taken over, not shared out): `Unsupported`.
pub fn set_reuse_port(_sock: &Socket) -> Result<()> {
    Err(Error::Unsupported)
}
