//! TLS with rustls (the `ring` provider), compiled only with the cargo feature `tls`.
//!
//! - [`config`]: [`TlsConfig`], client and server configurations, built into rustls'
//!   configs on first use and shared (immutable) from then on.
//! - [`session`]: [`TlsSession`], a rustls connection driven over a socket as a
//!   `ByteStream`, so every byte and frame call runs over TLS unchanged.
//!
//! The handle C callers hold is `any_stream::Stream`, a plain socket or a session.

pub mod config;
pub mod session;

pub use config::TlsConfig;
pub use session::TlsSession;
