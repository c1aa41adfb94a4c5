//! The feedlab feed model: messages, their one-time serialization, and the append-only feed with cursors.
//!
//! This crate has no web framework in it on purpose: the server wraps it in four transports, and a student can
//! read the whole data model here without knowing actix. See DESIGN.md section 1 for the contract.

#![warn(missing_docs)]

mod feed;
mod message;

pub use feed::{Batch, Cursor, CursorError, DEFAULT_RETENTION, Feed, Gap};
pub use message::{Entry, Kind, Message, now_us};
