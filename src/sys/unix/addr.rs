//! Unix-domain addresses: the raw name (`net::format_addr` prints it).

use std::os::unix::ffi::OsStrExt;

use crate::sys::UnixName;

/// The raw name of a Unix-domain address; `None` for another family.
pub fn unix_name(addr: &socket2::SockAddr) -> Option<UnixName<'_>> {
    if !addr.is_unix() {
        return None;
    }
    if let Some(p) = addr.as_pathname() {
        return Some(UnixName::Path(p.as_os_str().as_bytes()));
    }
    Some(match addr.as_abstract_namespace() {
        Some(name) => UnixName::Abstract(name),
        None => UnixName::Unnamed,
    })
}
