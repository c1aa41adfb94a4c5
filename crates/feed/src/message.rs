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

/// A published message: its id and timestamp, its JSON serialized once for every reader, and whatever else
/// the server builds once per message for its transports (`wire`; nothing by default).
#[derive(Debug, Clone)]
pub struct Entry<W = ()> {
    /// The message id (also inside `json`; kept apart so readers need not parse).
    pub id: u64,
    /// The publish instant in microseconds (also inside `json`).
    pub ts: u64,
    /// The message's JSON text. Cloning is a reference-count bump, never a copy.
    pub json: ByteString,
    /// The message as the transports put it on the wire (a WebSocket frame, an SSE event, ...), built by the
    /// feed's [`Encode`] function once, at publish. The feed never looks inside.
    pub wire: W,
}

/// Builds the per-transport bytes of a message from its id and JSON, once per message at publish.
pub type Encode<W> = fn(id: u64, json: &str) -> W;

impl Entry {
    /// Serializes `message` once.
    pub fn new(message: &Message) -> Self {
        Self::encoded(message, |_, _| ())
    }
}

impl<W> Entry<W> {
    /// Serializes `message` once and builds its wire bytes with `encode`.
    pub fn encoded(message: &Message, encode: Encode<W>) -> Self {
        // unwrap: a struct of integers and strings always serializes.
        let json = serde_json::to_string(message).unwrap();
        let wire = encode(message.id, &json);
        Self { id: message.id, ts: message.ts, json: ByteString::from(json), wire }
    }

    /// Parses the stored JSON back into a [`Message`] (tests and tools; the server never needs this).
    pub fn message(&self) -> Message {
        // unwrap: `json` was produced by `serde_json::to_string` of a `Message`.
        serde_json::from_str(&self.json).unwrap()
    }
}

/// A deep copy: the same bytes in fresh allocations, sharing no reference count with the original.
///
/// A [`Mirror`](crate::Mirror) keeps such copies so that the threads reading it never touch the reference
/// counts the publisher's thread and the other mirrors touch: cloning a `Bytes` is an atomic increment, and
/// one shared by thousands of deliveries on several cores becomes a cache line bounced between them.
pub trait Unshared {
    /// The copy.
    fn unshared(&self) -> Self;
}

impl Unshared for () {
    fn unshared(&self) -> Self {}
}

impl Unshared for bytes::Bytes {
    fn unshared(&self) -> Self {
        bytes::Bytes::copy_from_slice(self)
    }
}

impl<W: Unshared> Unshared for Entry<W> {
    fn unshared(&self) -> Self {
        Self { id: self.id, ts: self.ts, json: ByteString::from(&*self.json), wire: self.wire.unshared() }
    }
}

/// The current instant in microseconds since the Unix epoch, the unit of `ts` everywhere in feedlab.
pub fn now_us() -> u64 {
    // A clock before 1970 is a broken machine, not an input: reporting 0 keeps the server serving.
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}
