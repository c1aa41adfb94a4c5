//! What one simulated client observed: plain records per observation, folded into a [`ClientRecord`].
//!
//! Each client owns its record (its own histograms, its own loss tracker), so clients never contend on a
//! shared lock while measuring; [`crate::run`] merges the records once the run is over.
//!
//! Loss is checked per client by its [`Tracker`] ([`crate::tracker`]). A tracker belongs to one run of
//! the server's feed (its *epoch*, DESIGN.md section 2: `GET /time` and poll answers name it). Ids start again at 1 when the server restarts, so comparing ids across epochs
//! would report nonsense losses and duplicates. When the server says a cursor belongs to an older epoch
//! (409 `{"field":"epoch"}`), the client closes its tracker ([`ClientRecord::restart`]: its figures are kept
//! in [`Closed`]) and starts a new one at the new feed's head. What the old feed still held for the client
//! when it went away is not counted as lost (the client cannot know it); the `epoch_changed` error says
//! that it happened.
//!
//! Connections: [`ClientRecord::connected`] counts each one opened, and one opened after an earlier
//! connection of the same client broke ([`ClientRecord::connection_lost`]: a `--chaos` drop, a server
//! close such as WebSocket 1013 or the end of an SSE stream, an error) is a *reconnect*. A poller that
//! closes its connection on purpose (keep-alive off) does not reconnect, it just connects again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use feedlab_contract::bench::{FirstExchange, Integrity, Publish, WireBytes};
use hdrhistogram::Histogram;

use crate::counting::WireCounters;
use crate::tracker::Tracker;

/// Latency histogram range: 1 us .. 60 s at 3 significant figures (DESIGN.md section 4).
pub const LATENCY_MAX_US: u64 = 60_000_000;

/// The histogram every client keeps: 3 significant figures, u32 counts (over 4 billion per bucket).
pub type LatencyHistogram = Histogram<u32>;

/// A new, empty latency histogram that grows with the largest latency recorded, up to [`LATENCY_MAX_US`].
///
/// Allocated for the full 1 us .. 60 s range with u64 counts, two histograms cost each client about 280 KB:
/// 2.8 GB for a 10,000-client step, most of it for seconds no latency reaches. Starting small and resizing
/// keeps the same range and precision at the size the run actually needs.
pub fn new_histogram() -> LatencyHistogram {
    // unwrap: constant bounds that hdrhistogram accepts (low >= 1, high >= 2 * low, sigfig <= 5).
    let mut histogram = Histogram::new_with_bounds(1, 2, 3).unwrap();
    histogram.auto(true);
    histogram
}

/// Records `us`, capped at [`LATENCY_MAX_US`] (the contract's range).
pub fn record_latency(histogram: &mut LatencyHistogram, us: u64) {
    // `record`, not `saturating_record`: the latter clamps to the current size instead of growing.
    // unwrap-free: with auto-resize on, recording a value within u64 range does not fail.
    let _ = histogram.record(us.min(LATENCY_MAX_US));
}

/// Latencies recorded a batch at a time, sorted: what a client's latencies go through.
///
/// A client's histogram spans tens of kilobytes (3 significant figures up to its largest latency) and a
/// thousand clients take turns, so recording each message at once touched a cold cache line almost every
/// time: 14% of the harness's CPU at 200,000 messages a second. Kept [`LATENCY_BATCH`] at a time and
/// recorded in ascending order, neighbouring values share lines and the array is walked one way.
#[derive(Debug)]
pub struct Latencies {
    histogram: LatencyHistogram,
    batch: Vec<u64>,
}

/// Latencies kept before they are recorded (at most 2 KiB per client).
pub const LATENCY_BATCH: usize = 256;

impl Default for Latencies {
    fn default() -> Self {
        Latencies { histogram: new_histogram(), batch: Vec::new() }
    }
}

impl Latencies {
    /// Records `us` (capped as [`record_latency`] does) with the next batch.
    pub fn record(&mut self, us: u64) {
        self.batch.push(us);
        if self.batch.len() == LATENCY_BATCH {
            self.flush();
        }
    }

    /// Records the batch in the histogram.
    fn flush(&mut self) {
        self.batch.sort_unstable();
        for us in self.batch.drain(..) {
            record_latency(&mut self.histogram, us);
        }
    }

    /// Everything recorded so far.
    pub fn histogram(&mut self) -> &LatencyHistogram {
        self.flush();
        &self.histogram
    }

    /// Adds everything recorded to `total`. A client that never filled a batch (a poller at 1 msg/s has a
    /// few latencies) never grows a histogram of its own: its values go straight into `total`, so 10,000
    /// of them neither allocate 10,000 histograms nor make the merge walk them.
    pub fn add_to(&mut self, total: &mut LatencyHistogram) {
        if self.histogram.is_empty() {
            for us in self.batch.drain(..) {
                record_latency(total, us);
            }
        } else {
            self.flush();
            // unwrap-free: histograms of identical bounds always add; a failure would only drop samples.
            let _ = total.add(&self.histogram);
        }
    }
}

/// The harness's clock in microseconds since the Unix epoch: messages carry `ts` on the same scale.
pub fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

/// One message a client received.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    /// Message id.
    pub id: u64,
    /// Publish instant (server clock, us since the epoch).
    pub ts_us: u64,
    /// Receive instant (harness clock, us since the epoch).
    pub received_us: u64,
    /// Length of the message JSON on the wire.
    pub json_bytes: usize,
}

/// One HTTP request/answer exchange of a poller or long-poller.
#[derive(Debug, Clone, Copy)]
pub struct Exchange {
    /// When the request should have been sent (its schedule slot; for long-poll, when it was sent).
    pub intended: Instant,
    /// When the full answer had arrived.
    pub answered: Instant,
    /// Messages in the answer.
    pub messages: usize,
}

/// Why a client's connection ended without the client choosing to close it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lost {
    /// `--chaos` dropped it.
    Chaos,
    /// The server closed it, or it failed.
    Other,
}

/// Figures of trackers closed because the server's feed changed epoch (summed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Closed {
    /// Trackers closed (epoch changes this client went through).
    pub epochs: u64,
    /// Their figures, each up to the last id its epoch reached (the tail is unknowable): `lost` counts
    /// only the holes below it.
    pub integrity: Integrity,
}

/// What the client's transport reports, before the byte categories are derived from the wire counters.
#[derive(Debug)]
pub struct ClientRecord {
    /// Wire counters of all this client's connections.
    pub wire: Arc<WireCounters>,
    /// TCP connections opened.
    pub connections: u64,
    /// Connections opened after an earlier one broke (see the module docs).
    pub reconnects: u64,
    /// Connections `--chaos` dropped.
    pub chaos_drops: u64,
    /// Reconnects after a `--chaos` drop.
    pub chaos_reconnects: u64,
    /// Set while the client's last connection broke and no new one is open yet.
    pub broken: Option<Lost>,
    /// Times the client moved on to the next target (`--hop`: each reconnect but after an epoch change).
    pub hops: u64,
    /// Trackers of earlier feed epochs.
    pub closed: Closed,
    /// HTTP requests sent (WebSocket upgrade included).
    pub requests: u64,
    /// Poll/long-poll answers without messages.
    pub empty_responses: u64,
    /// Requests abandoned without an answer when the client stopped (a held long-poll at the end).
    pub unanswered_requests: u64,
    /// Request head bytes of those abandoned requests.
    pub unanswered_request_headers: u64,
    /// Head bytes up to and including the first answered request ([`ClientRecord::answered`]).
    pub first_exchange: FirstExchange,
    /// Message JSON bytes received.
    pub body: u64,
    /// Control bytes found inside HTTP bodies and WebSocket frames, which the stream alone cannot tell from
    /// framing: SSE comments (heartbeats), Engine.IO pings and pongs (with their frames) and Socket.IO's
    /// disconnect.
    pub in_band_control: u64,
    /// Connection-setup bytes found inside HTTP bodies and WebSocket frames: Engine.IO's open packet and
    /// upgrade probe, Socket.IO's namespace connect (with their frames).
    pub in_band_handshake: u64,
    /// In-order/loss bookkeeping.
    pub tracker: Tracker,
    /// Delivery latency (receive - ts - clock offset) of messages published during the window.
    pub latency: Latencies,
    /// Poll/long-poll: answer instant - intended send instant.
    pub request_latency: Latencies,
    /// Errors by kind.
    pub errors: BTreeMap<String, u64>,
}

impl ClientRecord {
    /// An empty record for a client starting at `start_cursor`.
    pub fn new(start_cursor: u64) -> Self {
        ClientRecord {
            wire: WireCounters::new(),
            connections: 0,
            reconnects: 0,
            chaos_drops: 0,
            chaos_reconnects: 0,
            broken: None,
            hops: 0,
            closed: Closed::default(),
            requests: 0,
            empty_responses: 0,
            unanswered_requests: 0,
            unanswered_request_headers: 0,
            first_exchange: FirstExchange::default(),
            body: 0,
            in_band_control: 0,
            in_band_handshake: 0,
            tracker: Tracker::new(start_cursor),
            latency: Latencies::default(),
            request_latency: Latencies::default(),
            errors: BTreeMap::new(),
        }
    }

    /// Counts a connection opened; a reconnect if the previous one broke.
    pub fn connected(&mut self) {
        self.connections += 1;
        match self.broken.take() {
            Some(Lost::Chaos) => {
                self.reconnects += 1;
                self.chaos_reconnects += 1;
            }
            Some(Lost::Other) => self.reconnects += 1,
            None => {}
        }
    }

    /// The client's connection ended without the client choosing it (the first cause is kept until the
    /// client has a connection again). Before the first connection there is nothing to lose.
    pub fn connection_lost(&mut self, why: Lost) {
        if self.connections > 0 {
            self.broken.get_or_insert(why);
        }
    }

    /// `--chaos` dropped the client's connection.
    pub fn chaos_drop(&mut self) {
        self.chaos_drops += 1;
        self.broken = Some(Lost::Chaos);
    }

    /// The server's feed is now `epoch` with newest id `head`: closes the tracker of the old feed and
    /// follows the new one from its head.
    pub fn restart(&mut self, epoch: Option<u64>, head: u64) {
        let old = std::mem::replace(&mut self.tracker, Tracker::in_epoch(epoch, head));
        self.closed.epochs += 1;
        self.closed.integrity += old.integrity(old.cursor(), false);
    }

    /// The client's figures at the end of the run, which began on the feed of epoch `start_epoch` and
    /// whose publisher left the feed as `publish` says; `cancelled`: the run was cut short, so ids after
    /// the last one received are not counted as lost.
    ///
    /// A client that ends on a feed the harness never published into (it hopped, `--hop` or several
    /// `--target`s, to a node with a feed of its own) is not owed the publisher's messages: its figures
    /// count like a closed tracker's, and its `epoch_changed` errors say what happened.
    pub fn integrity(&self, publish: &Publish, start_epoch: Option<u64>, cancelled: bool) -> Integrity {
        let t = &self.tracker;
        let mut total = self.closed.integrity;
        if t.epoch() == publish.epoch {
            total += t.integrity(publish.last_id.unwrap_or(t.cursor()), !cancelled);
        } else if t.epoch() != start_epoch {
            total += t.integrity(t.cursor(), false);
        } else {
            // Still on a feed the publisher left (the server restarted and this client never heard of
            // it): what it got of the old feed counts like a closed tracker, and everything published
            // into the new one was missed.
            total += t.integrity(t.cursor(), false);
            if let (Some(first), Some(last), false) = (publish.first_id, publish.last_id, cancelled) {
                total += Integrity { expected: last + 1 - first, lost: last + 1 - first, ..Integrity::default() };
            }
        }
        total
    }

    /// Counts an error of `kind` (`http_503`, `io`, ...: the clients' error kinds).
    pub fn error(&mut self, kind: impl Into<String>, live: &AtomicU64) {
        *self.errors.entry(kind.into()).or_default() += 1;
        live.fetch_add(1, Relaxed);
    }

    /// Records one received message; `since_us`/`offset_us` decide whether and how its latency counts.
    /// Returns whether the id was new.
    pub fn delivery(&mut self, d: &Delivery, since_us: u64, offset_us: i64) -> bool {
        self.body += d.json_bytes as u64;
        let new = self.tracker.receive(d.id);
        // Messages published before the window (a server ticker during ramp-up) are backlog, not latency.
        if new && d.ts_us >= since_us {
            let server_now = d.received_us as i64 + offset_us;
            self.latency.record((server_now - d.ts_us as i64).max(0) as u64);
        }
        new
    }

    /// Records a request abandoned without an answer; `head_before` is the request-head counter read
    /// before it was sent.
    pub fn unanswered(&mut self, head_before: u64) {
        self.unanswered_requests += 1;
        self.unanswered_request_headers += WireCounters::get(&self.wire.request_head) - head_before;
    }

    /// An answer's head arrived: the first one fixes [`ClientRecord::first_exchange`] at the head bytes
    /// counted so far (on HTTP/2, what filling HPACK's tables cost).
    pub fn answered(&mut self) {
        if self.first_exchange.requests == 0 {
            self.first_exchange = FirstExchange {
                requests: 1,
                request_headers: WireCounters::get(&self.wire.request_head),
                response_headers: WireCounters::get(&self.wire.response_head),
            };
        }
    }

    /// This client's bytes by category ([`WireCounters::categorize`]).
    pub fn bytes(&self) -> WireBytes {
        self.wire.categorize(self.body, self.in_band_control, self.in_band_handshake)
    }

    /// Records one poll/long-poll exchange.
    pub fn exchange(&mut self, e: &Exchange) {
        if e.messages == 0 {
            self.empty_responses += 1;
        }
        let us = e.answered.saturating_duration_since(e.intended).as_micros() as u64;
        self.request_latency.record(us);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::Position;

    #[test]
    fn histograms_grow_to_the_largest_latency_and_cap_at_60_s() {
        let mut h = new_histogram();
        for us in [3, 1_500, 250_000, 59_000_000, 3_600_000_000] {
            record_latency(&mut h, us);
        }
        assert_eq!(h.len(), 5);
        assert_eq!(h.min(), 3);
        // 3 significant figures across the range, and nothing above the contract's 60 s.
        assert!(h.equivalent(h.value_at_quantile(0.6), 250_000), "{}", h.value_at_quantile(0.6));
        assert!(h.max() >= 59_000_000 && h.max() <= LATENCY_MAX_US + LATENCY_MAX_US / 1000, "{}", h.max());
        let mut merged = new_histogram();
        merged.add(&h).unwrap();
        assert_eq!((merged.len(), merged.max()), (h.len(), h.max()));
    }

    #[test]
    fn batched_latencies_are_all_recorded() {
        let mut batched = Latencies::default();
        let mut direct = new_histogram();
        for i in 0..(LATENCY_BATCH as u64 * 3 + 7) {
            let us = (i * 7919) % 100_000 + 1;
            batched.record(us);
            record_latency(&mut direct, us);
        }
        let h = batched.histogram();
        assert_eq!((h.len(), h.min(), h.max(), h.mean()), (direct.len(), direct.min(), direct.max(), direct.mean()));
        assert_eq!(h.value_at_quantile(0.99), direct.value_at_quantile(0.99));
        // Reading it again records nothing twice.
        assert_eq!(batched.histogram().len(), direct.len());
        // Added to a total, a filled batch and a few values alike.
        let mut few = Latencies::default();
        few.record(3);
        few.record(1_000);
        let mut total = new_histogram();
        batched.add_to(&mut total);
        few.add_to(&mut total);
        assert_eq!((total.len(), total.min(), total.max()), (direct.len() + 2, 1, direct.max()));
    }

    #[test]
    fn an_epoch_change_closes_the_old_tracker() {
        let mut r = ClientRecord::new(0);
        r.tracker = Tracker::in_epoch(Some(1), 10);
        for id in [11, 12, 14] {
            r.tracker.receive(id);
        }
        // The server restarted: its new feed is at 3. Ids 1..=3 of the new feed are not duplicates of the old.
        r.restart(Some(2), 3);
        assert_eq!(r.tracker.position(), Position { epoch: Some(2), cursor: 3 });
        assert!(r.tracker.receive(4));
        assert_eq!((r.tracker.receipts.duplicated, r.tracker.receipts.delivered), (0, 1));
        // The old feed's hole (13) is lost; its unknowable tail is not counted.
        let closed = Integrity { delivered: 3, expected: 4, lost: 1, ..Integrity::default() };
        assert_eq!(r.closed, Closed { epochs: 1, integrity: closed });
    }

    #[test]
    fn reconnects_follow_broken_connections() {
        let mut r = ClientRecord::new(0);
        r.connection_lost(Lost::Other); // nothing to lose yet
        r.connected();
        r.chaos_drop();
        r.connection_lost(Lost::Other); // the first cause is kept
        r.connected();
        r.connected(); // a deliberate new connection (keep-alive off) is no reconnect
        r.connection_lost(Lost::Other);
        r.connected();
        assert_eq!((r.connections, r.reconnects, r.chaos_drops, r.chaos_reconnects), (4, 2, 1, 1));
    }

    #[test]
    fn latency_counts_only_window_messages() {
        let mut r = ClientRecord::new(0);
        let d = |id, ts_us| Delivery { id, ts_us, received_us: 1_000_500, json_bytes: 10 };
        r.delivery(&d(1, 900_000), 1_000_000, 0);
        r.delivery(&d(2, 1_000_000), 1_000_000, 0);
        assert_eq!(r.latency.histogram().len(), 1);
        assert_eq!(r.latency.histogram().max(), 500);
        assert_eq!(r.body, 20);
    }
}
