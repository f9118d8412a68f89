//! The bounds every format keeps, shared by mod.rs and the format files (which
//! import them from here, not from mod.rs). Internal to the crate; the tests see
//! them through [`internals`](super::internals).

/// Size of the scratch buffer [`Framing::encode_header`](super::Framing::encode_header)
/// writes a header into.
///
/// An upper bound on every format's header: the payload's head bytes (a typed
/// frame's type byte, a length field's head) plus the length field (at most 20
/// bytes); constructors refuse a framing whose header would not fit.
pub const HEADER_MAX: usize = 32;

/// Upper bound on [`Framing::max_overhead`](super::Framing::max_overhead): the
/// header and trailer bytes that encoding adds to a payload, for every framing.
pub const OVERHEAD_MAX: usize = 32;

/// Every `max_len` given to a constructor is clamped to this, so that the length
/// of any frame (payload + header + trailer) fits a `usize` without overflow.
pub const LEN_MAX: usize = usize::MAX - OVERHEAD_MAX;

/// The longest delimiter (a delimited framing's, a length line's terminator).
pub const MAX_DELIMITER_LEN: usize = 16;

/// The most decimal digits a length may have (10^20 - 1 exceeds every 64-bit length).
pub const MAX_DIGITS: usize = 20;
