//! The simulated clients, one file per transport (mirroring the server's `routes/`):
//! [`poll`], [`longpoll`], [`sse`], [`ws`]. This module holds what they share: the run context every
//! client reads ([`Ctx`]), client-side errors ([`ClientError`]), message parsing, and [`run_client`],
//! which dispatches on the transport.
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

pub mod http;
pub mod longpoll;
pub mod poll;
pub mod sse;
pub mod ws;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::chaos::Chaos;
use crate::config::{BenchConfig, Transport};
use crate::counting::LiveBytes;
use crate::net::Connector;
use crate::record::{ClientRecord, Delivery, Lost, now_us};
use crate::tracker::{Position, Tracker};

/// Wait after an error before trying again, when the server gave no `Retry-After`: long enough not to
/// hammer a struggling server, short enough that a 30 s run still measures recovery.
pub const ERROR_BACKOFF: Duration = Duration::from_secs(1);

/// Longest `Retry-After` honoured: a server asking for more would stall the run past its end.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Connection attempts in flight at once. Thousands of simultaneous SYNs overflow the server's accept
/// backlog and the kernel retries them after a full second, which would measure the harness's burst,
/// not the server; 256 keeps the backlog busy without overflowing it.
pub const CONCURRENT_CONNECTS: usize = 256;

/// Counters every client bumps as it goes, read by the progress bar and the per-second timeline.
#[derive(Debug, Default)]
pub struct Live {
    /// Wire bytes of all client sockets.
    pub bytes: Arc<LiveBytes>,
    /// New messages received.
    pub delivered: AtomicU64,
    /// Requests sent.
    pub requests: AtomicU64,
    /// Errors counted.
    pub errors: AtomicU64,
    /// Messages published.
    pub published: AtomicU64,
    /// Clients that have connected (streaming) or started (pollers) at least once: the ramp-up gauge.
    pub ready: AtomicU64,
}

/// The measured window, once it is open.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// When it opened (the pollers' schedule starts here).
    pub start: Instant,
    /// The same instant on the wall clock, us since the epoch: messages older than this are backlog.
    pub start_us: u64,
}

/// Publishing is over: what clients still wait for.
#[derive(Debug, Clone, Copy)]
pub struct End {
    /// Last id the harness published; a client that has it is done.
    pub last_id: Option<u64>,
    /// The feed epoch `last_id` belongs to (the server may have restarted during the run).
    pub epoch: Option<u64>,
    /// Clients stop at this instant even if they have not caught up.
    pub deadline: Instant,
}

/// What every client of a run shares (read-only but for the atomics).
#[derive(Debug)]
pub struct Ctx {
    /// The run's configuration.
    pub cfg: Arc<BenchConfig>,
    /// Where client sockets connect (the server, or the `--rtt` relay).
    pub connector: Connector,
    /// The feed head when the run began: every client expects every id after it.
    pub start_cursor: u64,
    /// The feed's epoch when the run began (`GET /time`), sent back as `epoch=` with every cursor.
    pub epoch: Option<u64>,
    /// `--chaos` strikes (shared by every client group of the run).
    pub chaos: Arc<Chaos>,
    /// Server clock minus harness clock, added to receive instants before subtracting `ts`.
    pub clock_offset_us: i64,
    /// Opens when the harness starts publishing.
    pub window: watch::Receiver<Option<Window>>,
    /// Set when publishing stops.
    pub end: watch::Receiver<Option<End>>,
    /// Stops every client at once (Ctrl-C, or the drain grace ran out).
    pub cancel: CancellationToken,
    /// Live counters.
    pub live: Arc<Live>,
    /// Limits connection attempts in flight ([`CONCURRENT_CONNECTS`]).
    pub connect_gate: Arc<Semaphore>,
    /// Seed of the pollers' random phases.
    pub seed: u64,
}

impl Ctx {
    /// True when a client at `at` should stop: it has the last published id of the feed's current epoch,
    /// or the drain deadline passed, or the run was cancelled.
    pub fn done(&self, at: Position) -> bool {
        if self.cancel.is_cancelled() {
            return true;
        }
        match *self.end.borrow() {
            None => false,
            Some(end) => {
                Instant::now() >= end.deadline
                    || end.last_id.is_none_or(|last| at.epoch == end.epoch && at.cursor >= last)
            }
        }
    }

    /// Resolves when a client at `at` should stop (see [`Ctx::done`]).
    pub async fn stopped(&self, at: Position) {
        let mut end = self.end.clone();
        loop {
            if self.done(at) {
                return;
            }
            let deadline = end.borrow().map(|e| e.deadline);
            tokio::select! {
                _ = self.cancel.cancelled() => return,
                changed = end.changed() => if changed.is_err() { self.cancel.cancelled().await; return },
                _ = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } } => {}
            }
        }
    }

    /// Waits for the measured window to open; None if the run was cancelled first.
    pub async fn window(&self) -> Option<Window> {
        let mut w = self.window.clone();
        tokio::select! {
            _ = self.cancel.cancelled() => None,
            r = w.wait_for(Option::is_some) => r.ok().and_then(|w| *w),
        }
    }

    /// `&epoch=<E>` for the tracker's feed epoch, when the server named one.
    pub fn epoch_query(&self, tracker: &Tracker) -> String {
        tracker.epoch().map(|e| format!("&epoch={e}")).unwrap_or_default()
    }

    /// Counts a connection client `idx` opened (a reconnect if its last one broke); a `--chaos` strike
    /// aimed while it had none is forgotten.
    pub fn connected(&self, idx: usize, rec: &mut ClientRecord) {
        rec.connected();
        self.chaos.disarm(idx);
    }

    /// `--chaos` struck: the caller has dropped the connection (no goodbye); the client reconnects at once.
    pub fn chaos_drop(&self, rec: &mut ClientRecord) {
        tracing::trace!("chaos: connection dropped");
        rec.chaos_drop();
    }

    /// The one recovery path after a failed connection or request: counts `err`, marks the connection
    /// lost (the next one is a reconnect), then waits before trying again: the server's `Retry-After`, or
    /// [`ERROR_BACKOFF`]; after an epoch change (or a cursor ahead of the head, from a restarted server
    /// that names no epoch) not at all: the client restarts at the new feed's head.
    /// False if the client should stop instead.
    pub async fn retry(&self, rec: &mut ClientRecord, err: ClientError) -> bool {
        self.error(rec, &err);
        rec.connection_lost(Lost::Other);
        // The server restarted: the old cursor means nothing in the new feed. Start at its head, at once.
        let restart = match err {
            ClientError::EpochChanged { epoch, head } => Some((Some(epoch), head)),
            ClientError::CursorAhead { head } => Some((rec.tracker.epoch(), head)),
            _ => None,
        };
        if let Some((epoch, head)) = restart {
            rec.restart(epoch, head);
            return !self.done(rec.tracker.position());
        }
        self.backoff(&err, rec.tracker.position()).await
    }

    /// `limit=` query suffix, when configured.
    pub fn limit_query(&self) -> String {
        self.cfg.limit.map(|l| format!("&limit={l}")).unwrap_or_default()
    }

    /// Records a received message in `rec` and the live counters.
    pub fn deliver(&self, rec: &mut ClientRecord, msg: MessageHead, json_bytes: usize) {
        let since = self.window.borrow().map_or(u64::MAX, |w| w.start_us);
        let d = Delivery { id: msg.id, ts_us: msg.ts, received_us: now_us(), json_bytes };
        if rec.delivery(&d, since, self.clock_offset_us) {
            self.live.delivered.fetch_add(1, Relaxed);
        }
    }

    /// Counts an error in `rec` and the live counters.
    pub fn error(&self, rec: &mut ClientRecord, err: &ClientError) {
        tracing::debug!(kind = %err.kind(), error = %err, "client error");
        rec.error(err.kind(), &self.live.errors);
    }

    /// Sleeps after an error (its `Retry-After`, or [`ERROR_BACKOFF`]); false if the client should stop.
    pub async fn backoff(&self, err: &ClientError, at: Position) -> bool {
        let wait = err.retry_after().unwrap_or(ERROR_BACKOFF).min(MAX_RETRY_AFTER);
        tokio::select! {
            _ = tokio::time::sleep(wait) => !self.done(at),
            _ = self.stopped(at) => false,
        }
    }
}

/// How a streaming client's connection ended.
#[derive(Debug)]
pub enum Ended {
    /// The client is done (or cancelled): it closes politely.
    Done,
    /// `--chaos` struck: dropped without a goodbye, reconnect at once.
    Dropped,
    /// The server closed it or it failed: counted, then [`Ctx::retry`].
    Failed(ClientError),
}

/// What a message looks like to a client: only `id` and `ts` matter for measuring.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct MessageHead {
    /// Feed id.
    pub id: u64,
    /// Publish instant, server clock, us since the epoch.
    pub ts: u64,
}

/// Parses one message JSON object.
pub fn parse_message(json: &str) -> Result<MessageHead, ClientError> {
    serde_json::from_str(json).map_err(|e| ClientError::Protocol(format!("bad message JSON: {e}")))
}

/// A WebSocket text frame from the feed: a message, or a gap announcement.
#[derive(Debug, Clone, Copy)]
pub enum Item {
    /// A feed message.
    Message(MessageHead),
    /// `{"type":"gap","from":a,"to":b}`.
    Gap(http::Gap),
}

/// Parses a WebSocket text frame.
pub fn parse_item(json: &str) -> Result<Item, ClientError> {
    #[derive(Deserialize)]
    struct Tagged {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    let tagged: Tagged =
        serde_json::from_str(json).map_err(|e| ClientError::Protocol(format!("bad frame JSON: {e}")))?;
    match tagged.kind.as_deref() {
        Some("gap") => {
            serde_json::from_str(json).map(Item::Gap).map_err(|e| ClientError::Protocol(format!("bad gap frame: {e}")))
        }
        _ => parse_message(json).map(Item::Message),
    }
}

/// Why one client request or connection failed. Counted by [`ClientError::kind`]; never fatal.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// TCP connect failed (refused, no ports left, too many open files).
    #[error("connect: {0}")]
    Connect(std::io::Error),
    /// The HTTP exchange failed (reset, closed mid-answer).
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    /// The server answered with an unexpected status (503 = over capacity).
    #[error("HTTP status {status}")]
    Status {
        /// The status code.
        status: u16,
        /// The server's `Retry-After`, when it gave one in seconds.
        retry_after: Option<Duration>,
    },
    /// The WebSocket failed after the handshake, or the handshake failed for a non-HTTP reason.
    #[error("websocket: {0}")]
    Ws(Box<tokio_tungstenite::tungstenite::Error>),
    /// The server closed the WebSocket (1013 = overloaded, 1001 = going away).
    #[error("websocket closed by the server with code {0}")]
    WsClosed(u16),
    /// A kept-alive connection was closed by the server just as a request went out; retried once.
    #[error("kept-alive connection closed under the request: {0}")]
    StaleKeepAlive(hyper::Error),
    /// The client's cursor belongs to an earlier run of the server's feed (409 `{"field":"epoch"}`: the
    /// server restarted); the client starts again at the new feed's head.
    #[error("the server's feed is now epoch {epoch} at id {head} (it restarted)")]
    EpochChanged {
        /// The feed's new epoch.
        epoch: u64,
        /// The new feed's newest id.
        head: u64,
    },
    /// The client's cursor is ahead of the server's newest id (409 `{"field":"after"}`): a server that
    /// restarted without naming epochs; the client starts again at its head.
    #[error("the cursor is ahead of the server's newest id {head} (it restarted)")]
    CursorAhead {
        /// The server's newest id.
        head: u64,
    },
    /// The server closed a stream (SSE) that should have stayed open.
    #[error("stream ended by the server")]
    StreamEnded,
    /// The answer did not follow the contract.
    #[error("protocol: {0}")]
    Protocol(String),
}

impl ClientError {
    /// The error's kind, as counted in results: `connect`, `io`, `http_503`, `keepalive_retry`, `ws`, `ws_close_1013`,
    /// `epoch_changed`, `cursor_ahead`, `stream_ended`, `protocol`.
    pub fn kind(&self) -> String {
        match self {
            ClientError::Connect(_) => "connect".into(),
            ClientError::Http(_) => "io".into(),
            ClientError::Status { status, .. } => format!("http_{status}"),
            ClientError::StaleKeepAlive(_) => "keepalive_retry".into(),
            ClientError::Ws(_) => "ws".into(),
            ClientError::WsClosed(code) => format!("ws_close_{code}"),
            ClientError::EpochChanged { .. } => "epoch_changed".into(),
            ClientError::CursorAhead { .. } => "cursor_ahead".into(),
            ClientError::StreamEnded => "stream_ended".into(),
            ClientError::Protocol(_) => "protocol".into(),
        }
    }

    /// How long the server asked to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ClientError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The error for a refused request (status not 200/101), from its status, headers and body: a 409 naming
/// the `epoch` field is [`ClientError::EpochChanged`]; anything else is [`ClientError::Status`].
pub fn refusal(status: u16, headers: &hyper::HeaderMap, body: &[u8]) -> ClientError {
    #[derive(Deserialize)]
    struct Conflict {
        field: Option<String>,
        epoch: Option<u64>,
        head: Option<u64>,
    }
    if status == 409
        && let Ok(Conflict { field: Some(field), epoch, head: Some(head) }) = serde_json::from_slice(body)
    {
        match (field.as_str(), epoch) {
            ("epoch", Some(epoch)) => return ClientError::EpochChanged { epoch, head },
            ("after", _) => return ClientError::CursorAhead { head },
            _ => {}
        }
    }
    ClientError::Status { status, retry_after: retry_after(headers) }
}

/// Reads `Retry-After` given in seconds (the HTTP-date form is not used by the contract).
pub fn retry_after(headers: &hyper::HeaderMap) -> Option<Duration> {
    let v = headers.get(hyper::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Runs client number `idx` until it is done; returns what it measured.
pub async fn run_client(ctx: Arc<Ctx>, idx: usize) -> ClientRecord {
    let mut rec = ClientRecord::new(ctx.start_cursor);
    rec.tracker = Tracker::in_epoch(ctx.epoch, ctx.start_cursor);
    match ctx.cfg.transport {
        Transport::Poll => poll::run(&ctx, idx, rec).await,
        Transport::Longpoll => longpoll::run(&ctx, idx, rec).await,
        Transport::Sse => sse::run(&ctx, idx, rec).await,
        Transport::Ws => ws::run(&ctx, idx, rec).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds() {
        let e = ClientError::Status { status: 503, retry_after: Some(Duration::from_secs(2)) };
        assert_eq!(e.kind(), "http_503");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(ClientError::WsClosed(1013).kind(), "ws_close_1013");
        let h = hyper::HeaderMap::new();
        let body = br#"{"error":"...","field":"epoch","head":7,"epoch":99}"#;
        assert!(matches!(refusal(409, &h, body), ClientError::EpochChanged { epoch: 99, head: 7 }));
        assert_eq!(refusal(409, &h, body).kind(), "epoch_changed");
        // A cursor ahead of the head: a restarted server that names no epoch.
        assert!(matches!(refusal(409, &h, br#"{"field":"after","head":7}"#), ClientError::CursorAhead { head: 7 }));
        assert_eq!(refusal(409, &h, br#"{"field":"other"}"#).kind(), "http_409");
    }

    #[test]
    fn parses_messages() {
        let m = parse_message(r#"{"id":42,"ts":1795263295090123,"kind":"chat","from":"ana","body":"hi"}"#).unwrap();
        assert_eq!((m.id, m.ts), (42, 1795263295090123));
        assert!(parse_message(r#"{"id":"x"}"#).is_err());
        assert!(matches!(parse_item(r#"{"type":"gap","from":1,"to":4}"#), Ok(Item::Gap(g)) if g.to == 4));
        assert!(matches!(parse_item(r#"{"id":1,"ts":2}"#), Ok(Item::Message(m)) if m.id == 1));
    }
}
