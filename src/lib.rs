//! sockhelp: TCP sockets that are hard to misuse from C.
//!
//! The module map (see ARCHITECTURE.md):
//!
//! - [`error`]: the error enum (= the `SOCKHELP_E*` codes) and `strerror`.
//! - [`deadline`]: `timeout_ms` turned into a whole-call deadline.
//! - `sys`: the only place that knows the OS (a folder per house: unix/, windows/).
//! - [`stream`]: the byte-stream seam every byte and frame call runs over (a socket is one).
//! - [`any_stream`]: [`any_stream::Stream`], a plain socket or (feature `tls`) a TLS session
//!   over one: the handle of the `sockhelp_stream_*` calls.
//! - `tls` (feature `tls`): rustls configurations and the session as a byte stream.
//! - [`io`]: `send_all` / `recv_all`.
//! - [`net`]: connect, listen, accept, socket options, shutdown, close.
//! - [`resolve`]: name lookups within a deadline, on a small shared pool of threads.
//! - [`framing`]: sans-IO codecs, one file per wire format.
//! - [`frames`]: framed I/O in two layers: the sans-IO `FrameBuffer`, and the socket
//!   driver on top (`Reader`, `Writer`, `send_frame`, `send_frames`).
//! - [`select`]: `select` without `FD_SETSIZE` (poll/WSAPoll).
//! - [`poller`]: the `Poller`, level-triggered (epoll directly on Linux, `polling` elsewhere);
//!   its bits come from the table in `event_bits`; `timers`: its per-socket deadlines.
//! - `ffi`: the `extern "C"` shell that the header is generated from (C callers only;
//!   private: its functions are exported from the staticlib / cdylib by `#[no_mangle]`).

pub mod any_stream;
pub mod connect;
pub mod deadline;
pub mod error;
mod event_bits;
pub mod frames;
pub mod framing;
pub mod io;
pub mod net;
pub mod poller;
pub mod resolve;
pub mod select;
pub mod stream;
mod sys;
mod timers;
#[cfg(feature = "tls")]
pub mod tls;

mod ffi;

pub use error::{Error, Result};
pub use sys::{Interest, RawSocket};
