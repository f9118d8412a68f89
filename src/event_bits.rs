//! The poller's interest / event bits: one table, from which the core's constants
//! ([`READABLE`]...) and the header's `SOCKHELP_READABLE`... block both come. Like
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
