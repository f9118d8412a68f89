//! Framed I/O in two layers.
//!
//! - [`buffer`]: the sans-IO [`FrameBuffer`]: bytes in, whole frames out, raw bytes out,
//!   leftovers kept, memory bounded by what arrived (never by what a header announced).
//! - [`reader`]: the [`Reader`], which drives a `FrameBuffer` over a socket (`fill`,
//!   `recv_frame`, `recv_all`).
//! - [`writer`]: `send_frame` / `send_frames` (gathered writes) and the [`Writer`] queue
//!   for non-blocking sockets.
//!
//! The wire formats are `framing`'s alone: these files call `Framing`'s methods and never
//! look inside a format.

pub mod buffer;
mod queue;
pub mod reader;
pub mod writer;

pub use buffer::{FrameBuffer, READ_CHUNK};
pub use reader::Reader;
pub use writer::{send_frame, send_frames, Writer};
