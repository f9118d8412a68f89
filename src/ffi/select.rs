//! `sockhelp_select`: readiness over three arrays of sockets.

use std::os::raw::c_int;

use crate::deadline::Deadline;
use crate::error::{Error, Result};
use crate::ffi::{array_mut, call_count, put, sockhelp_socket};
use crate::select::{self, MAX_SELECT_ENTRIES};

/// A C `(array, *count)` pair: the count (a NULL pointer means 0) and the array's address
/// range, checked but not yet turned into a slice.
struct SocketArray {
    ptr: *mut sockhelp_socket,
    count_ptr: *mut usize,
    len: usize,
}

impl SocketArray {
    fn new(ptr: *mut sockhelp_socket, count_ptr: *mut usize) -> Result<SocketArray> {
        let len = if count_ptr.is_null() {
            0
        } else {
            // SAFETY: the C caller passes NULL or a valid pointer to a size_t.
            unsafe { count_ptr.read() }
        };
        if len > MAX_SELECT_ENTRIES || (len > 0 && ptr.is_null()) {
            return Err(Error::Invalid);
        }
        Ok(SocketArray {
            ptr,
            count_ptr,
            len,
        })
    }

    fn range(&self) -> (usize, usize) {
        let start = self.ptr as usize;
        (
            start,
            start + self.len * std::mem::size_of::<sockhelp_socket>(),
        )
    }

    fn overlaps(&self, other: &SocketArray) -> bool {
        if self.len == 0 || other.len == 0 {
            return false;
        }
        let (a0, a1) = self.range();
        let (b0, b1) = other.range();
        a0 < b1 && b0 < a1
    }

    /// The array as a slice. Only called once the three arrays are known not to overlap
    /// (`array_mut` relies on the C caller for the rest: `len` sockets alive at `ptr`).
    fn slice<'a>(&self) -> Result<&'a mut [sockhelp_socket]> {
        array_mut(self.ptr, self.len)
    }

    fn store(&self, n: usize) {
        put(self.count_ptr, n);
    }
}

fn select_body(
    readers: SocketArray,
    writers: SocketArray,
    errors: SocketArray,
    timeout_ms: c_int,
) -> Result<usize> {
    let deadline = Deadline::from_timeout_ms(timeout_ms)?;
    if readers.overlaps(&writers) || readers.overlaps(&errors) || writers.overlaps(&errors) {
        return Err(Error::Invalid);
    }
    let counts = [readers.count_ptr, writers.count_ptr, errors.count_ptr];
    for i in 0..counts.len() {
        for j in i + 1..counts.len() {
            if !counts[i].is_null() && counts[i] == counts[j] {
                return Err(Error::Invalid);
            }
        }
    }
    let (r, w, e) = (readers.slice()?, writers.slice()?, errors.slice()?);
    let ready = select::select(r, w, e, deadline)?;
    readers.store(ready.readers);
    writers.store(ready.writers);
    errors.store(ready.errors);
    Ok(ready.total())
}

/// Python's `select.select` for C, without `FD_SETSIZE`: waits until at least one socket
/// in the three arrays is ready, then keeps in each array only its ready sockets.
///
/// - `readers` / `writers` / `errors`: arrays of `*n_readers` / `*n_writers` / `*n_errors`
///   sockets. An array may be NULL when its count is 0; a NULL count pointer means 0. A
///   socket may appear in several arrays (it is polled once). The arrays must not overlap.
/// - Ready means: in `readers`, a read (or an accept on a listener) will not block: data,
///   a pending connection, the peer's close, a hang-up or an error (`POLLIN|POLLHUP|POLLERR`);
///   in `writers`, a write will not block, or a non-blocking connect finished, successfully
///   or not (read `SO_ERROR` to know which) (`POLLOUT|POLLHUP|POLLERR`); in `errors`, the
///   exceptional condition: out-of-band data (`POLLPRI`; `POLLRDBAND` on Windows) or a pending
///   socket error (`POLLERR`, e.g. a refused connect). A socket that is only in `errors` and
///   merely hangs up is not reported there (as with Python's select).
/// - On return > 0 each array holds its ready sockets at its front, in their original
///   order, and each count is updated; on 0 (timeout) every count is set to 0. On an error
///   the arrays and counts are left untouched.
/// - Built on `poll()` (`WSAPoll` on Windows), never `select()`: any descriptor number
///   works, however large. At most 1,000,000 entries in all.
/// - `timeout_ms`: -1 waits forever, 0 polls once, > 0 is a deadline for the whole call;
///   an interrupted wait (`EINTR`) is resumed with the time left. With all counts 0 the call
///   just sleeps for `timeout_ms`.
///
/// Returns the number of ready entries over the three arrays (a socket ready in two arrays
/// counts twice), 0 on timeout, or `SOCKHELP_EINVAL` (an array NULL with a non-zero count,
/// a socket value `SOCKHELP_INVALID_SOCKET`, more than 1,000,000 entries, overlapping arrays
/// or shared count pointers, `timeout_ms` < -1, all counts 0 with `timeout_ms` -1),
/// `SOCKHELP_EOS` (an entry is not an open socket: `sockhelp_last_os_error()` is `EBADF`,
/// `WSAENOTSOCK` on Windows; or another system error), `SOCKHELP_ENOMEM`,
/// `SOCKHELP_EINTERNAL`.
#[no_mangle]
pub extern "C" fn sockhelp_select(
    readers: *mut sockhelp_socket,
    n_readers: *mut usize,
    writers: *mut sockhelp_socket,
    n_writers: *mut usize,
    errors: *mut sockhelp_socket,
    n_errors: *mut usize,
    timeout_ms: c_int,
) -> c_int {
    call_count(|| {
        let r = SocketArray::new(readers, n_readers)?;
        let w = SocketArray::new(writers, n_writers)?;
        let e = SocketArray::new(errors, n_errors)?;
        select_body(r, w, e, timeout_ms)
    })
}
