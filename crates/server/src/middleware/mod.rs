//! What stands between the socket and the handlers, on every exchange of a kind rather than in one route:
//!
//! - [`meter`]: the actix middleware that counts every request and response head of the metered endpoints
//!   and hands each handler its [`Meter`](crate::stats::Meter);
//! - [`frame_guard`]: the filter on a WebSocket client's bytes that refuses an oversized frame by its
//!   declared length, before actix-http's codec buffers it (`/ws` and `/echo`).

pub mod frame_guard;
pub mod meter;
