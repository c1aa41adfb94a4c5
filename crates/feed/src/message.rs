//! What travels: one message of the feed, and its bytes serialized once.
//!
//! Every transport sends the same JSON text for a message, so the feed serializes it exactly once, at publish,
//! and hands out cheap reference-counted copies of those bytes ([`Entry`]). A poll answer, an SSE event and a
//! WebSocket frame differ only in what they wrap around these bytes, which is what the project measures.

use std::time::{SystemTime, UNIX_EPOCH};

use bytestring::ByteString;
use serde::{Deserialize, Serialize};

/// Who produced a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Posted by a person (`POST /messages`, or a WebSocket `publish`).
    Chat,
    /// Produced by the server's built-in ticker, so a demo has traffic without anyone typing.
    Tick,
}

/// One message, as it appears on the wire (`{"id":42,"ts":...,"kind":"chat","from":"ana","body":"hi"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Position in the feed: starts at 1 and grows by exactly 1, so a client can tell a hole from a quiet feed.
    pub id: u64,
    /// Publish instant, microseconds since the Unix epoch on the server clock; latency is measured from here.
    pub ts: u64,
    /// Chat or tick.
    pub kind: Kind,
    /// Sender name as given by the publisher (may be empty).
    pub from: String,
    /// The text. Clients must treat it as text, never as HTML.
    pub body: String,
}

/// A published message: its id and timestamp, and its JSON serialized once for every reader.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The message id (also inside `json`; kept apart so readers need not parse).
    pub id: u64,
    /// The publish instant in microseconds (also inside `json`).
    pub ts: u64,
    /// The message's JSON text. Cloning is a reference-count bump, never a copy.
    pub json: ByteString,
}

impl Entry {
    /// Serializes `message` once.
    pub fn new(message: &Message) -> Self {
        // unwrap: a struct of integers and strings always serializes.
        let json = serde_json::to_string(message).unwrap();
        Self { id: message.id, ts: message.ts, json: ByteString::from(json) }
    }

    /// Parses the stored JSON back into a [`Message`] (tests and tools; the server never needs this).
    pub fn message(&self) -> Message {
        // unwrap: `json` was produced by `serde_json::to_string` of a `Message`.
        serde_json::from_str(&self.json).unwrap()
    }
}

/// The current instant in microseconds since the Unix epoch, the unit of `ts` everywhere in feedlab.
pub fn now_us() -> u64 {
    // A clock before 1970 is a broken machine, not an input: reporting 0 keeps the server serving.
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}
