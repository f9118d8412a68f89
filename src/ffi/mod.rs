//! The C shell: every `extern "C"` function lives in this module's files, one file per
//! object or area. Each body checks pointers, converts, calls the safe core and maps the
//! result to a code, inside the panic boundary so no panic reaches C. The helpers every file
//! uses:
//!
//! - `boundary.rs`: [`boundary`] (panic guard; the value a panic returns is chosen by the
//!   return type through `OnPanic`), [`call`] (a `Result<()>` body as a code), [`call_count`]
//!   (a `Result<usize>` body as a count or a code), [`call_with_count`] (a body that reports a
//!   count through an out-parameter: zeroed first, written on every return), [`code`], the
//!   last OS error.
//! - `cast.rs`: [`Castable`] (the opaque types handed to C as boxed pointers) with
//!   [`try_ref`], [`try_mut`], [`to_c`], [`new_boxed`], [`free_boxed`]; [`out_param`] (an
//!   out-pointer that must not be NULL), [`put`] (one that may be), [`array`] / [`array_mut`]
//!   (a C array and its length), [`bytes`], [`bytes_mut`], [`c_str`].
//!
//! **The header's groups.** `include/sockhelp.h` is grouped by file, in the order of this
//! list, each group under a heading comment that is its entry's text (build.rs reads the
//! list; it refuses a header item from a file that is not in it). Within a group: its
//! constants, its types, then its functions, in source order.
//!
//! - `basics`: Basics and errors: init / cleanup, versions, result codes and their text, the
//!   last OS error.
//! - `net`: Sockets: connect, listen, accept, socket options, shutdown and close, addresses,
//!   Unix-domain sockets, non-blocking connect.
//! - `bytes`: Bytes: send all, receive exactly, and `sockhelp_slice`, the view of bytes the
//!   batch calls take.
//! - `framing`: Framing: wire formats (fixed, delimited, length-prefixed, varint, ASCII
//!   length, typed, general length field) and encoding one frame into a buffer.
//! - `reader`: Readers: whole frames out of a stream, leftovers kept (blocking, non-blocking
//!   and sans-IO calls).
//! - `writer`: Writers: frames queued and flushed, for non-blocking sockets.
//! - `send`: Sending frames without a writer: one (`sockhelp_send_frame`) or many
//!   (`sockhelp_send_frames`), waiting up to the timeout.
//! - `select`: Select: readiness over three arrays of sockets.
//! - `poller`: Poller: a set of sockets watched together, its interest / event bits, waking a
//!   wait.
//! - `connect`: Connecting by name: the address race with options, resolving names, the
//!   connector for event loops, the user timeout.
//! - `server`: Servers at scale: accepting a socket already non-blocking / no-delay /
//!   close-on-exec, listeners sharing a port, deadlines in the poller, passing a socket to
//!   another process.
//! - `stream_io`: Streams: a connected byte stream (a plain socket or a TLS session) and the
//!   stream form of every byte and frame call.
//! - `tls`: TLS: whether this build has it, configurations (roots, certificates, ALPN), TLS
//!   streams made by connecting, upgrading or accepting, the non-blocking handshake, what was
//!   negotiated, why a handshake failed, graceful close.

#![allow(non_camel_case_types)]
// These functions are called from C, which has no `unsafe`: each one checks its
// pointers for NULL and documents what it requires of the rest.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod boundary;
mod cast;

use boundary::{boundary, call, call_count, call_with_count, code, last_os_error};
use cast::{
    array, array_mut, bytes, bytes_mut, c_str, free_boxed, new_boxed, out_param, put, to_c,
    try_mut, try_ref, Castable,
};

mod basics;
mod bytes;
mod connect;
mod framing;
mod net;
mod poller;
mod reader;
mod select;
mod send;
mod server;
mod stream_io;
mod tls;
mod writer;

/// The C socket handle: `sys::RawSocket`, a file descriptor on POSIX and a `SOCKET` on
/// Windows. The header spells it out (cbindgen.toml's `after_includes`), so that the only
/// `#[cfg]` on the OS stays in `sys/`.
pub type sockhelp_socket = crate::sys::RawSocket;

#[cfg(test)]
mod tests;
