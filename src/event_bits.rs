//! The crate's one readiness vocabulary: a `u32` of these bits says what a wait is for and
//! what it found, in `select`, the poller and both `sys` backends. The poller's bits come
//! from one table, from which the core's constants ([`READABLE`]...) and the header's
//! `SOCKHELP_READABLE`... block both come; [`EXCEPTIONAL`] is `select`'s own. Like
//! `error.rs`, this file uses nothing but `std`: `build.rs` compiles it too.

use crate::error::CConst;

/// The bit table: the core's name, the value, the C name; the doc lines serve both.
macro_rules! event_bit_table {
    ($then:ident) => {
        $then! {
            /// Poller interest / event bit: a read (or an accept) will not block: data, a pending
            /// connection, the peer's close.
            READABLE = 1, SOCKHELP_READABLE;
            /// Poller interest / event bit: a write will not block, or a non-blocking connect finished
            /// (successfully or not: read `SO_ERROR`).
            WRITABLE = 2, SOCKHELP_WRITABLE;
            /// Poller event bit: the connection hung up (both directions closed, or reset); reported
            /// whatever the interest.
            HANGUP = 4, SOCKHELP_HANGUP;
            /// Poller event bit: an error is pending on the socket (read it with `SO_ERROR`); reported
            /// whatever the interest.
            ERROR = 8, SOCKHELP_ERROR;
            /// Poller event bit: the deadline set with `sockhelp_poller_set_deadline` passed (the
            /// deadline is then cleared); reported whatever the interest, alone or with the bits that
            /// hold too. Giving it in an interest changes nothing.
            TIMEDOUT = 32, SOCKHELP_TIMEDOUT_EVENT;
        }
    };
}

macro_rules! define_event_bits {
    ($( $(#[doc = $doc:literal])* $name:ident = $value:literal, $cname:ident; )*) => {
        $( $(#[doc = $doc])* pub const $name: u32 = $value; )*

        /// Every bit an interest may contain.
        pub const ALL_EVENTS: u32 = 0 $( | $name )*;

        /// Every bit as the header shows it, in table order.
        #[allow(dead_code)] // read by build.rs and the tests
        pub(crate) const C_EVENT_BITS: &[CConst] = &[
            $( CConst { name: stringify!($cname), value: $value, doc: &[$($doc),*] }, )*
        ];
    };
}

event_bit_table!(define_event_bits);

/// `select`'s exceptional condition: out-of-band data is waiting, or an error is pending
/// (`SO_ERROR`). A bit of the same set, kept off the header and out of [`ALL_EVENTS`]: the
/// poller neither takes nor reports it.
pub(crate) const EXCEPTIONAL: u32 = 16;
const _: () = assert!(EXCEPTIONAL & ALL_EVENTS == 0);

/// The direction of one wait (`sys::wait`, the I/O loops): a name for the [`READABLE`] or
/// the [`WRITABLE`] bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    Readable,
    Writable,
}

impl Interest {
    /// This direction's bit of the set.
    pub(crate) fn bits(self) -> u32 {
        match self {
            Interest::Readable => READABLE,
            Interest::Writable => WRITABLE,
        }
    }
}
