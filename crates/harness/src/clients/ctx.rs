//! The run context every client reads ([`Ctx`]): the configuration, where to connect, the window and the
//! end of publishing, the live counters, `--chaos`; and the one recovery path after a failure
//! ([`Ctx::retry`]).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::ClientError;
use super::message::MessageHead;
use crate::chaos::Chaos;
use crate::config::BenchConfig;
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
    /// Connections clients opened (reconnects included): the ramp-up's count divides its server CPU.
    pub connections: AtomicU64,
    /// [`Window::start_us`] once the window is open: messages published before it are backlog.
    pub window_start_us: OnceLock<u64>,
    /// Clients that are done ([`Ctx::finished`]; pollers then linger, [`Ctx::linger`]).
    pub done: AtomicU64,
}

/// What a client waits on, besides its own work, to know it should stop: [`Ctx::stopped`], made cheap to
/// wait on again and again.
///
/// The clients' loops wait for "stop, or the next message / poll slot / answer" thousands of times a
/// second across a run. [`Ctx::stopped`] registers afresh on the run's shared channels each time it is
/// waited on (cloning the end-of-publishing receiver, joining the waiter lists every client shares, and
/// leaving them again when the other branch wins): at 10,000 pollers that was the largest item of the
/// harness's profile. Until publishing ends nothing but cancellation can stop a client, so an `Until`
/// waits for that with one future registered once per client; only in the drain does it ask
/// [`Ctx::stopped`] for the client's position.
pub struct Until<'a> {
    publishing_over: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>,
    draining: bool,
}

impl std::fmt::Debug for Until<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Until").field("draining", &self.draining).finish_non_exhaustive()
    }
}

impl Until<'_> {
    /// Resolves when a client at `at` should stop (as [`Ctx::stopped`]). Cancel-safe: dropped before it
    /// resolves, it keeps its registration for the next call.
    pub async fn stopped(&mut self, ctx: &Ctx, at: Position) {
        if !self.draining {
            self.publishing_over.as_mut().await;
            self.draining = true;
        }
        ctx.stopped(at).await;
    }
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
    /// Where client sockets connect, one per target (the server, or the `--rtt` relay in front of it):
    /// see [`Ctx::connector`].
    pub connectors: Arc<[Connector]>,
    /// This process's first client's number in the whole run (a `--procs` worker runs a slice of the
    /// clients): targets are assigned round-robin over the run's clients, not each worker's.
    pub first_client: usize,
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
    /// Cancelled by the run once every client is done: lingering pollers then close ([`Ctx::linger`]).
    pub release: CancellationToken,
    /// Live counters.
    pub live: Arc<Live>,
    /// Limits connection attempts in flight ([`CONCURRENT_CONNECTS`]).
    pub connect_gate: Arc<Semaphore>,
    /// Seed of the pollers' random phases.
    pub seed: u64,
}

impl Ctx {
    /// Which target client `idx` connects to now (an index into [`BenchConfig::targets`]): `(client
    /// number + hops) mod targets`, its hops counted only with `--hop` ([`ClientRecord::hops`]).
    pub fn target(&self, idx: usize, rec: &ClientRecord) -> usize {
        let hops = if self.cfg.hop { rec.hops as usize } else { 0 };
        (self.first_client + idx + hops) % self.connectors.len()
    }

    /// Where client `idx` connects now ([`Ctx::target`]).
    pub fn connector(&self, idx: usize, rec: &ClientRecord) -> &Connector {
        &self.connectors[self.target(idx, rec)]
    }

    /// The request headers of the run's profile for each target, in [`BenchConfig::targets`] order (`Host`,
    /// and a browser's `Origin` and `Referer`, name the server the request goes to).
    pub fn request_headers(&self, keep_alive: bool) -> Vec<Vec<(String, String)>> {
        let cfg = &self.cfg;
        cfg.targets().map(|t| cfg.headers.request_headers(cfg.transport, &t.authority, keep_alive)).collect()
    }

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

    /// Resolves when publishing has ended (or the run is cancelled): from then on a client may be done.
    pub async fn publishing_over(&self) {
        let mut end = self.end.clone();
        tokio::select! {
            _ = self.cancel.cancelled() => {}
            // An error means the run dropped its sender: nothing more will come.
            _ = end.wait_for(Option::is_some) => {}
        }
    }

    /// A poller that is done waits here, its kept-alive connection still open, until every client of the
    /// run is done (or the run is cancelled), and only then closes it. Pollers finish within moments of each
    /// other at the end of a run, and thousands of connections closing at once kept the server and the
    /// harness busy just when the last pollers were still asking for the last message: at 10,000 pollers
    /// their polls in the drain took hundreds of milliseconds more. Lingering, the closing happens after
    /// the last measurement. (A stream or a held long-poll occupies one of the server's slots that another
    /// client may be waiting for, so those clients close at once: [`Ctx::finished`].)
    pub async fn linger(&self) {
        self.finished();
        tokio::select! {
            _ = self.release.cancelled() => {}
            _ = self.cancel.cancelled() => {}
        }
    }

    /// Counts the client as done (what the run waits for before it releases lingering clients).
    pub fn finished(&self) {
        self.live.done.fetch_add(1, Relaxed);
    }

    /// A client's [`Until`]: its way to wait for its end, registered once.
    pub fn until(&self) -> Until<'_> {
        Until { publishing_over: Box::pin(self.publishing_over()), draining: false }
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
        self.live.connections.fetch_add(1, Relaxed);
        self.chaos.disarm(idx);
    }

    /// Counts a request sent (in `rec` and the live counters).
    pub fn request_sent(&self, rec: &mut ClientRecord) {
        rec.requests += 1;
        self.live.requests.fetch_add(1, Relaxed);
    }

    /// Counts a client as ready: connected (streaming), or started (pollers). The ramp-up waits for these.
    pub fn ready(&self) {
        self.live.ready.fetch_add(1, Relaxed);
    }

    /// `--chaos` struck: the caller has dropped the connection (no goodbye); the client reconnects at once.
    pub fn chaos_drop(&self, rec: &mut ClientRecord) {
        tracing::trace!("chaos: connection dropped");
        rec.chaos_drop();
        rec.hops += 1;
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
        // A reconnect moves on (`--hop`); an epoch change does not, or two nodes of different feeds would
        // send the client back and forth with a 409 each way.
        rec.hops += 1;
        self.backoff(&err, rec.tracker.position()).await
    }

    /// `limit=` query suffix, when configured.
    pub fn limit_query(&self) -> String {
        self.cfg.limit.map(|l| format!("&limit={l}")).unwrap_or_default()
    }

    /// Records a received message in `rec` and the live counters.
    pub fn deliver(&self, rec: &mut ClientRecord, msg: MessageHead, json_bytes: usize) {
        // An atomic load, not the window channel's lock: this runs for every message of every client.
        let since = self.live.window_start_us.get().copied().unwrap_or(u64::MAX);
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
