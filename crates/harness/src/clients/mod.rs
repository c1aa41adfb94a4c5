//! The simulated clients, one file per transport (mirroring the server's `routes/`):
//! [`poll`], [`longpoll`], [`sse`], [`ws`]; and [`socketio`], Socket.IO's two transports, measured against
//! the Socket.IO peer. Each holds what is particular to its protocol; what they share lives beside them, and
//! [`run_client`] here dispatches on the transport:
//! - `ctx`: the run context every client reads ([`Ctx`]) and the one recovery path ([`Ctx::retry`]);
//! - `error`: client-side errors ([`ClientError`]), counted by kind, never fatal;
//! - `message`: a message's `id` and `ts`, and gaps, as every transport carries them;
//! - [`http`]: HTTP/1.1, or HTTP/2 with prior knowledge (`--http 2`), over a counted socket (shared with the
//!   publisher, which always speaks HTTP/1.1);
//! - [`poller`]: one poll or long-poll request and its answer, the step both pollers repeat;
//! - [`stream`]: the connect, follow, reconnect loop SSE and WebSocket share.
//!
//! Adding a transport: its entry in the contract's list, a file here implementing its protocol (on
//! [`poller`] if it asks and gets answers, on [`stream`] if it holds a connection), its arm in
//! [`run_client`], and its headers in [`crate::headers`].
//!
//! Every client follows the same life: start at the run's start cursor (the feed head when the run
//! began), connect (streaming transports) or wait for the measured window (pollers), receive and check
//! messages, and stop once it has received the last id the harness published or the drain deadline
//! passes. A client never fails the run: errors are counted by kind in its record and it carries on.
//!
//! Every client recovers the same way from a lost connection, whoever ended it (a `--chaos` drop, the
//! server closing a WebSocket with 1013 or ending an SSE stream, a reset, a 503): it reconnects and
//! resumes from its cursor, counted as a reconnect ([`crate::record`]). [`Ctx::retry`] is that one path
//! for failures; [`Ctx::chaos_drop`] for injected drops. Every request carries `epoch=<E>`, the feed run
//! its cursor belongs to; a server that restarted answers 409 `{"field":"epoch"}` and the client counts
//! an `epoch_changed` error and starts again at the new feed's head, never silently.

mod ctx;
mod error;
pub mod http;
pub mod longpoll;
mod message;
pub mod poll;
pub mod poller;
pub mod socketio;
pub mod sse;
pub mod stream;
pub mod ws;

use std::sync::Arc;

pub use ctx::{CONCURRENT_CONNECTS, Ctx, ERROR_BACKOFF, End, Live, MAX_RETRY_AFTER, Until, Window};
pub use error::{ClientError, refusal, retry_after};
pub use message::{Gap, Item, MessageHead, parse_item, parse_message};

use crate::config::Transport;
use crate::record::ClientRecord;
use crate::tracker::Tracker;

/// Runs client number `idx` until it is done; returns what it measured.
pub async fn run_client(ctx: Arc<Ctx>, idx: usize) -> ClientRecord {
    let mut rec = ClientRecord::new(ctx.start_cursor);
    rec.tracker = Tracker::in_epoch(ctx.epoch, ctx.start_cursor);
    match ctx.cfg.transport {
        Transport::Poll => poll::run(&ctx, idx, rec).await,
        Transport::Longpoll => longpoll::run(&ctx, idx, rec).await,
        Transport::Sse => sse::run(&ctx, idx, rec).await,
        Transport::Ws => ws::run(&ctx, idx, rec).await,
        Transport::SocketioPolling => socketio::run_polling(&ctx, idx, rec).await,
        Transport::SocketioWs => socketio::run_ws(&ctx, idx, rec).await,
    }
}
