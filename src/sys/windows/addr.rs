//! Unix-domain addresses as text.

use windows_sys::Win32::Networking::WinSock as ws;

/// The printable path of an `AF_UNIX` address ("" for an unnamed socket).
pub fn unix_path(addr: &socket2::SockAddr) -> Option<String> {
    if addr.family() != ws::AF_UNIX {
        return None;
    }
    let len = (addr.len() as usize).min(std::mem::size_of::<ws::SOCKADDR_STORAGE>());
    if len <= 2 {
        return Some(String::new());
    }
    // SAFETY: `addr` holds `len` initialised bytes of a sockaddr_un: the family (2 bytes)
    // then the path.
    let bytes = unsafe { std::slice::from_raw_parts(addr.as_ptr() as *const u8, len) };
    let path = &bytes[2..];
    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
    Some(String::from_utf8_lossy(&path[..end]).into_owned())
}
