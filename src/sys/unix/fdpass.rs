//! Passing a socket to another process over a Unix-domain socket: one byte carrying an
//! `SCM_RIGHTS` message (a stream socket cannot carry ancillary data without a byte).

use std::io;
use std::mem::{size_of, zeroed};
use std::os::raw::{c_int, c_uint};

use super::check;
use crate::sys::{Passed, RawSocket};

/// Sockets pass between processes here.
pub(crate) const PASSES_SOCKETS: bool = true;

/// No `SIGPIPE` from a send to a closed peer (macOS: `SO_NOSIGPIPE`, set by `before_send`).
#[cfg(not(any(target_os = "macos", target_os = "ios")))]
const NOSIGNAL: c_int = libc::MSG_NOSIGNAL;
#[cfg(any(target_os = "macos", target_os = "ios"))]
const NOSIGNAL: c_int = 0;

/// The received descriptors close-on-exec in the same step, where the system can.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "illumos",
))]
const CMSG_CLOEXEC: c_int = libc::MSG_CMSG_CLOEXEC;
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "illumos",
)))]
const CMSG_CLOEXEC: c_int = 0;

/// The byte that carries the descriptor.
const TOKEN: u8 = b'S';

/// The control buffer, aligned for `cmsghdr`: room for a few dozen descriptors, so that a
/// sender passing more than one gets its extras closed here, not lost in a truncation.
#[repr(C, align(8))]
struct Control([u8; 256]);

fn dontwait_flag(dontwait: bool) -> c_int {
    if dontwait {
        libc::MSG_DONTWAIT
    } else {
        0
    }
}

/// One `sendmsg` of the token byte with `s` attached (`SCM_RIGHTS`).
pub fn send_socket(unix_sock: RawSocket, s: RawSocket, dontwait: bool) -> io::Result<()> {
    let mut token = [TOKEN];
    let mut iov = libc::iovec {
        iov_base: token.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control = Control([0; 256]);
    // SAFETY: CMSG_SPACE / CMSG_LEN only compute sizes.
    let (space, len) = unsafe {
        (
            libc::CMSG_SPACE(size_of::<c_int>() as c_uint) as usize,
            libc::CMSG_LEN(size_of::<c_int>() as c_uint) as usize,
        )
    };
    // SAFETY: an all-zero msghdr is a valid empty message.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: the control buffer holds `space` bytes, aligned for cmsghdr, so its first
    // header and that header's data (one int) lie inside it.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = len as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<c_int>(), s);
    }
    // SAFETY: `msg` points at the token and the control buffer, both alive for the call.
    check(unsafe { libc::sendmsg(unix_sock, &msg, NOSIGNAL | dontwait_flag(dontwait)) })?;
    Ok(())
}

/// One `recvmsg` of one byte and its descriptors: the first descriptor that is a socket is
/// kept, every other one is closed (more than one sent, or not a socket), so none leaks.
pub fn recv_socket(unix_sock: RawSocket, dontwait: bool) -> io::Result<Passed> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control = Control([0; 256]);
    // SAFETY: an all-zero msghdr is a valid empty message.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr().cast();
    msg.msg_controllen = control.0.len() as _;
    let flags = CMSG_CLOEXEC | dontwait_flag(dontwait);
    // SAFETY: `msg` points at the byte and the control buffer, both alive for the call.
    let n = check(unsafe { libc::recvmsg(unix_sock, &mut msg, flags) })?;
    let mut kept: Option<RawSocket> = None;
    // SAFETY: the kernel wrote `msg_controllen` bytes of well-formed control messages into
    // the buffer; CMSG_FIRSTHDR / CMSG_NXTHDR stay inside it, and each SCM_RIGHTS message's
    // data holds (cmsg_len - CMSG_LEN(0)) / sizeof(int) descriptors, read unaligned.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg).cast::<c_int>();
                let bytes = (*cmsg).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                for i in 0..bytes / size_of::<c_int>() {
                    let fd = std::ptr::read_unaligned(data.add(i));
                    if kept.is_none() && is_socket(fd) {
                        kept = Some(fd);
                    } else {
                        libc::close(fd);
                    }
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    match kept {
        Some(fd) => {
            if CMSG_CLOEXEC == 0 {
                if let Err(e) = set_cloexec(fd) {
                    // SAFETY: `fd` was received here and is owned by no one else.
                    unsafe { libc::close(fd) };
                    return Err(e);
                }
            }
            Ok(Passed::Socket(fd))
        }
        None if n == 0 => Ok(Passed::Closed),
        None => Ok(Passed::Nothing),
    }
}

/// Whether `fd` is a socket (`SO_TYPE` answers only for one).
fn is_socket(fd: c_int) -> bool {
    let mut v: c_int = 0;
    let mut len = size_of::<c_int>() as libc::socklen_t;
    // SAFETY: SO_TYPE writes one int into `v`; `len` holds its size.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&mut v as *mut c_int).cast(),
            &mut len,
        )
    };
    rc == 0
}

/// `FD_CLOEXEC` on `fd`, where the receive could not set it.
fn set_cloexec(fd: c_int) -> io::Result<()> {
    // SAFETY: F_GETFD / F_SETFD read and write the descriptor's flags.
    let flags = check(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    // SAFETY: as above.
    check(unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) })?;
    Ok(())
}
