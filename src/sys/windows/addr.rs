//! Unix-domain addresses: the raw name (`net::format_addr` prints it; Windows has no
//! abstract names).

use windows_sys::Win32::Networking::WinSock as ws;

use crate::sys::UnixName;

/// The raw name of an `AF_UNIX` address; `None` for another family.
pub fn unix_name(addr: &socket2::SockAddr) -> Option<UnixName<'_>> {
    if addr.family() != ws::AF_UNIX {
        return None;
    }
    let len = (addr.len() as usize).min(std::mem::size_of::<ws::SOCKADDR_STORAGE>());
    if len <= 2 {
        return Some(UnixName::Unnamed);
    }
    // SAFETY: `addr` holds `len` initialised bytes of a sockaddr_un: the family (2 bytes)
    // then the path; the slice borrows `addr`.
    let bytes = unsafe { std::slice::from_raw_parts(addr.as_ptr() as *const u8, len) };
    let path = &bytes[2..];
    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
    Some(match end {
        0 => UnixName::Unnamed,
        _ => UnixName::Path(&path[..end]),
    })
}
