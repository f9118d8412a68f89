//! Unit tests of the boundary helpers (the exported functions are tested through C and
//! through `tests/`).

use std::ptr;

use super::framing::sockhelp_framing;
use super::poller::sockhelp_poller_remove;
use super::{out_param, try_mut, try_ref};
use crate::error::{Error, C_ERRORS, C_OK};
use crate::event_bits::C_EVENT_BITS;

#[cfg(unix)]
#[test]
fn a_panic_inside_an_exported_function_is_einternal_and_the_process_lives() {
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;

    use super::boundary::FORCE_PANIC;
    use super::bytes::sockhelp_sendall;
    use super::framing::{sockhelp_framing_fixed, sockhelp_framing_free};
    use super::writer::sockhelp_writer_pending;

    let (a, _b) = UnixStream::pair().unwrap();
    let mut sent = 99usize;
    FORCE_PANIC.with(|c| c.set(true));
    let rc = sockhelp_sendall(a.as_raw_fd(), b"x".as_ptr().cast(), 1, 100, &mut sent);
    assert_eq!(rc, Error::Internal.code());
    assert_eq!(sent, 0);
    // Functions returning pointers give NULL, sizes 0, `()` nothing.
    FORCE_PANIC.with(|c| c.set(true));
    assert!(sockhelp_framing_fixed(4).is_null());
    FORCE_PANIC.with(|c| c.set(true));
    assert_eq!(sockhelp_writer_pending(ptr::null()), 0);
    FORCE_PANIC.with(|c| c.set(true));
    sockhelp_framing_free(ptr::null_mut());
    // And the next calls work normally.
    let rc = sockhelp_sendall(a.as_raw_fd(), b"x".as_ptr().cast(), 1, 100, &mut sent);
    assert_eq!((rc, sent), (0, 1));
    let f = sockhelp_framing_fixed(4);
    assert!(!f.is_null());
    sockhelp_framing_free(f);
}

#[test]
fn null_pointers_are_einval_through_every_checked_helper() {
    assert_eq!(
        try_ref::<sockhelp_framing>(ptr::null()).err(),
        Some(Error::Invalid)
    );
    assert_eq!(
        try_mut::<sockhelp_framing>(ptr::null_mut()).err(),
        Some(Error::Invalid)
    );
    assert_eq!(
        out_param::<usize>(ptr::null_mut()).err().map(|e| e.code()),
        Some(-5)
    );
    assert_eq!(
        sockhelp_poller_remove(ptr::null_mut(), 0),
        Error::Invalid.code()
    );
}

/// The committed header carries every row of the two tables, negative values in
/// parentheses (tests/packaging.rs checks the header is what the sources make).
#[test]
fn the_header_holds_every_table_row() {
    let header = include_str!("../../include/sockhelp.h");
    let rows = std::iter::once(&C_OK)
        .chain(C_ERRORS.iter())
        .chain(C_EVENT_BITS.iter());
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        assert!(
            seen.insert(row.value) || row.value > 0,
            "{} repeats a value",
            row.name
        );
        let want = if row.value < 0 {
            format!("#define {} ({})\n", row.name, row.value)
        } else {
            format!("#define {} {}\n", row.name, row.value)
        };
        assert!(header.contains(&want), "header lacks {:?}", want);
    }
    assert_eq!(C_ERRORS.len(), 19);
}
