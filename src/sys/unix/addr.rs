//! Unix-domain addresses as text.

/// The printable path of a Unix-domain address: the path, `@name` for a Linux abstract
/// address, "" for an unnamed socket (the client side of a connection).
pub fn unix_path(addr: &socket2::SockAddr) -> Option<String> {
    if !addr.is_unix() {
        return None;
    }
    if let Some(p) = addr.as_pathname() {
        return Some(p.to_string_lossy().into_owned());
    }
    if let Some(name) = addr.as_abstract_namespace() {
        return Some(format!("@{}", String::from_utf8_lossy(name)));
    }
    Some(String::new())
}
