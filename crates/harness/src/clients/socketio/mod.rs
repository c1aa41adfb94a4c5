//! Socket.IO, measured beside feedlab's own transports: an Engine.IO v4 / Socket.IO v5 client of the peer
//! in `peers/socketio/` (Socket.IO 4.8), on both of its transports, over the same counted sockets.
//!
//! How a Socket.IO client follows the feed, as its official client does:
//! 1. **Engine.IO handshake.** `GET /socket.io/?EIO=4&transport=polling&t=<cache buster>` answers the open
//!    packet `0{"sid":..,"upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,..}`
//!    ([`polling`]); or, started directly on WebSocket, the upgrade of `/socket.io/?EIO=4&transport=websocket`
//!    and the same open packet as its first frame ([`ws`]).
//! 2. **Namespace connect.** The client sends `40` (a `POST` on polling; a frame on WebSocket); the server
//!    answers `40{"sid":..}`. From then on every message arrives as the event `42["message",{...}]`.
//! 3. **Heartbeat.** The server pings (`2`) every `pingInterval`; the client answers `3` within
//!    `pingTimeout` or the server drops the session. A client that hears no ping for `pingInterval +
//!    pingTimeout` considers the connection dead and reconnects.
//! 4. **Polling.** A `GET` with the `sid` is held until the server has packets, then answered with all of
//!    them separated by `\x1e`: Socket.IO batches what piled up while no `GET` was waiting. The client asks
//!    again at once. Its own packets (pongs) go in `POST`s on a second connection (the `GET` holds the
//!    first), batched the same way.
//! 5. **Upgrade** (`socketio-ws`, as browsers do by default): with the polling session open, the client
//!    opens a WebSocket with the same `sid` and sends `2probe`; on `3probe` it lets the held `GET` end (the
//!    server answers it with a noop `6`), sends `5` on the WebSocket, and the session moves there.
//!
//! **No cursor.** Socket.IO keeps no position in a feed: a client that reconnects gets a new session and
//! only what is emitted from then on, so whatever was sent while it was away is lost, and counted as lost.
//! With the server's connection-state recovery on, the connect answer carries a `pid`, every event carries
//! an offset as its last argument, and a reconnecting client sends `40{"pid":..,"offset":..}`; the server
//! then replays what the session missed, if it still has the session ([`Session`]).
//!
//! **Bytes.** HTTP heads are request and response headers, as for every transport; inside bodies and
//! frames, the message JSON is body; the open packet, the namespace connect both ways and the upgrade
//! (`2probe`, `3probe`, `5`, the noop) are handshake; pings and pongs are control (with their WebSocket
//! frame headers, like a WebSocket ping); a `POST`'s `ok` counts as what the `POST` carried; the rest
//! (packet type digits, `["message",`, the offset, `]`, record separators, data-frame headers) is framing.

mod polling;
pub mod protocol;
mod ws;

use std::time::Duration;

use tokio::time::Instant;

use super::ctx::Ctx;
use super::error::ClientError;
use super::message::parse_message;
use crate::record::ClientRecord;
use protocol::{Handshake, Packet};

pub use polling::run as run_polling;
pub use ws::run as run_ws;

/// What a client keeps across its connections: Socket.IO's recovery session, when the server has
/// connection-state recovery on. Without it both stay `None` and every reconnect is a new session.
#[derive(Debug, Default)]
struct Session {
    /// The private session id of the last connect answer.
    pid: Option<String>,
    /// The offset of the last event received.
    offset: Option<String>,
}

/// What a packet from the server asks of the client.
#[derive(Debug, PartialEq, Eq)]
enum Effect {
    /// Nothing more (a message was delivered, or a noop).
    Nothing,
    /// The server pinged: answer [`protocol::PONG`].
    Pong,
    /// The Engine.IO session opened.
    Opened(Handshake),
    /// The namespace connect was accepted.
    Connected,
    /// The upgrade probe was answered.
    ProbeAnswered,
}

/// The byte class a packet is counted in (either way) when it is neither a message nor framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Connection setup (connect, probe, upgrade).
    Handshake,
    /// Heartbeat (pong).
    Control,
}

impl Session {
    /// The namespace connect to send: resuming the last session when there is one.
    fn connect_packet(&self) -> String {
        protocol::connect(self.pid.as_deref(), self.offset.as_deref())
    }

    /// Takes one packet from the server: delivers a message, files the packet's bytes (and `frame`, the
    /// WebSocket frame header around it; 0 on polling) by class, and says what the client must do. The
    /// server closing the session or the socket is an error ([`ClientError::StreamEnded`]): the client
    /// reconnects.
    fn take(&mut self, ctx: &Ctx, rec: &mut ClientRecord, text: &str, frame: usize) -> Result<Effect, ClientError> {
        let bytes = text.len() + frame;
        let (effect, class) = match protocol::parse(text)? {
            // A message: its JSON is body, the rest framing (counted by subtraction).
            Packet::Event { json, offset } => {
                let head = parse_message(json)?;
                ctx.deliver(rec, head, json.len());
                // As Socket.IO's client does: the last argument, when a string, is the offset to resume at.
                if offset.is_some() {
                    self.offset = offset;
                }
                return Ok(Effect::Nothing);
            }
            Packet::Ping => (Effect::Pong, Class::Control),
            Packet::Close | Packet::Disconnected => {
                count(rec, Class::Control, bytes);
                return Err(ClientError::StreamEnded);
            }
            Packet::Open(handshake) => (Effect::Opened(handshake), Class::Handshake),
            Packet::Connected { pid } => {
                // Asked to resume and given another session: the server could not resume it.
                if self.pid.is_some() && pid != self.pid {
                    ctx.error(rec, &ClientError::NotResumed);
                }
                // A server without recovery answers no pid: the next reconnect starts afresh.
                self.pid = pid;
                (Effect::Connected, Class::Handshake)
            }
            Packet::ProbeAnswer => (Effect::ProbeAnswered, Class::Handshake),
            // Only ever sent to end a held poll during an upgrade.
            Packet::Noop => (Effect::Nothing, Class::Handshake),
        };
        count(rec, class, bytes);
        Ok(effect)
    }
}

/// Counts `bytes` the client sent (or their `ok` answer) in `class`.
fn count(rec: &mut ClientRecord, class: Class, bytes: usize) {
    match class {
        Class::Handshake => rec.in_band_handshake += bytes as u64,
        Class::Control => rec.in_band_control += bytes as u64,
    }
}

/// The client's side of Engine.IO's heartbeat: without a ping for `pingInterval + pingTimeout` the
/// connection is dead (Socket.IO's client closes it with "ping timeout" and reconnects).
#[derive(Debug, Clone, Copy)]
struct Heartbeat {
    window: Duration,
    deadline: Instant,
}

impl Heartbeat {
    /// The heartbeat a handshake announces, starting now.
    fn new(h: &Handshake) -> Self {
        let window = Duration::from_millis(h.ping_interval + h.ping_timeout);
        Heartbeat { window, deadline: Instant::now() + window }
    }

    /// A ping came: the connection lives for another window.
    fn beat(&mut self) {
        self.deadline = Instant::now() + self.window;
    }

    /// Resolves when the window passed without a ping.
    async fn lost(&self) -> ClientError {
        tokio::time::sleep_until(self.deadline).await;
        ClientError::Protocol(format!("no ping from the server within {:?} (pingInterval + pingTimeout)", self.window))
    }
}
