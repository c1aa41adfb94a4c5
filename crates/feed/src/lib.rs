//! The feedlab feed model: messages, their one-time serialization, the append-only feed with cursors, and
//! per-thread mirrors of its newest messages.
//!
//! This crate has no web framework in it on purpose: the server wraps it in four transports, and a student can
//! read the whole data model here without knowing actix. See DESIGN.md section 1 for the contract.

#![warn(missing_docs)]

mod feed;
mod message;
mod mirror;

pub use feed::{Batch, Cursor, CursorError, DEFAULT_RETENTION, Feed, Gap, View, new_epoch};
pub use message::{Encode, Entry, Kind, Message, Unshared, now_us};
pub use mirror::Mirror;
