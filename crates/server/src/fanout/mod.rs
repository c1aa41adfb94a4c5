//! The push path's machinery: one message in, thousands of sockets out, at close to what the kernel costs.
//!
//! What a delivery costs is decided here, so every step is built for fan-out (uWebSockets' `publish` and
//! gorilla/websocket's `PreparedMessage` are the models):
//! - **Encoded once.** At publish the feed builds each message's WebSocket frame and SSE event ([`Wire`]),
//!   so no connection ever encodes or formats a message.
//! - **One waiter per worker thread.** actix runs every connection on one worker thread for its whole life.
//!   Each worker has a [`Hub`]: the only task of that worker waiting on the feed, holding the worker's own
//!   copy of the newest messages (a [`Mirror`](feedlab_feed::Mirror)), and waking that worker's waiting
//!   connections itself. No connection subscribes to anything shared, no wake crosses threads, and reading
//!   the copy takes no lock.
//! - **Everything pending in one write.** A connection's response body ([`Subscription::next`]) yields, when
//!   polled, all it has not sent yet as one item. actix's HTTP/1 dispatcher keeps polling a body and copying
//!   what it yields into its write buffer until the body is pending, then writes the buffer with one call:
//!   a connection behind by ten messages gets one `send()`, not ten. A slow reader costs a cursor, not a
//!   queue: what it has not taken stays in the feed.
//! - **No timer per connection.** The hub sweeps its connections every [`hub::SWEEP_PERIOD`] at most:
//!   heartbeats due, clients silent past the timeout, readers that stopped taking data ([`Cutoff`]).
//! - **Counted per batch**, into the worker's own shard of the counters (`stats::counters`).
//!
//! The transports stay in `routes/`: `ws.rs` and `sse.rs` say what goes on the wire, through [`Framing`].

mod follower;
pub mod hub;

use bytes::Bytes;
use feedlab_feed::{Feed, Unshared};

pub use follower::{Cutoff, Framing, Subscription};
pub use hub::Hub;

/// The feed of this server: each entry carries its [`Wire`] bytes.
pub type ServerFeed = Feed<Wire>;

/// What the push transports send for one message, built once at publish and shared by every connection.
#[derive(Debug, Clone)]
pub struct Wire {
    /// The WebSocket text frame: header and JSON (`routes/ws.rs`).
    pub ws: Bytes,
    /// The SSE event: `id: N\ndata: JSON\n\n` (`routes/sse.rs`).
    pub sse: Bytes,
}

impl Wire {
    /// Builds both encodings of the message `id` whose JSON is `json` (the feed's [`Encode`] function).
    ///
    /// [`Encode`]: feedlab_feed::Encode
    pub fn encode(id: u64, json: &str) -> Self {
        Wire { ws: crate::routes::ws::text_frame(json), sse: crate::routes::sse::event(id, json) }
    }
}

impl Unshared for Wire {
    fn unshared(&self) -> Self {
        Wire { ws: self.ws.unshared(), sse: self.sse.unshared() }
    }
}

/// A new feed for this server, keeping `retention` messages.
pub fn feed(retention: usize) -> ServerFeed {
    Feed::with_encoding(retention, Wire::encode)
}
