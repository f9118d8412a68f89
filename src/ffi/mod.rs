//! The C shell: every `extern "C"` function lives in this module's files, one file per
//! area. Each body checks pointers, converts, calls the safe core and maps the result to a
//! code, inside the panic boundary so no panic reaches C. The helpers every file uses:
//!
//! - `boundary.rs`: [`boundary`] (panic guard; the value a panic returns is chosen by the
//!   return type through [`OnPanic`]), [`call`] (a `Result<()>` body as a code), [`call_count`]
//!   (a `Result<usize>` body as a count or a code), [`code`], the last OS error.
//! - `cast.rs`: [`Castable`] (the opaque types handed to C as boxed pointers) with
//!   [`try_ref`], [`try_mut`], [`to_c`], [`new_boxed`], [`free_boxed`]; [`out_param`] (an
//!   out-pointer that must not be NULL), [`put`] (one that may be), [`bytes`], [`bytes_mut`],
//!   [`c_str`].

#![allow(non_camel_case_types)]
// These functions are called from C, which has no `unsafe`: each one checks its
// pointers for NULL and documents what it requires of the rest.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod boundary;
mod cast;

pub(crate) use boundary::{boundary, call, call_count, code, last_os_error};
pub(crate) use cast::{
    bytes, bytes_mut, c_str, free_boxed, new_boxed, out_param, put, to_c, try_mut, try_ref,
    Castable,
};

mod basics;
mod bytes;
mod connect;
mod framing;
mod net;
mod poller;
mod select;
mod stream;

/// The C socket handle: `sys::RawSocket`, a file descriptor on POSIX and a `SOCKET` on
/// Windows. The header spells it out (cbindgen.toml's `after_includes`), so that the only
/// `#[cfg]` on the OS stays in `sys/`.
pub type sockhelp_socket = crate::sys::RawSocket;

#[cfg(test)]
mod tests;
