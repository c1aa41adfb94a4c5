//! What one simulated client observed: plain records per observation, folded into a [`ClientRecord`].
//!
//! Each client owns its record (its own histograms, its own loss tracker), so clients never contend on a
//! shared lock while measuring; [`crate::run`] merges the records once the run is over.
//!
//! Loss is checked per client by [`Tracker`]: the client must receive every id after its start cursor
//! exactly once and in order. Ids skipped over are kept as "holes" (ranges, so a healthy run costs a few
//! bytes per client however long it runs); a later arrival filling a hole is *reordered*, a second
//! arrival of an id is *duplicated*, and whatever is still missing at the end is *lost*.
//!
//! A tracker belongs to one run of the server's feed (its *epoch*, DESIGN.md section 2: `GET /time` and
//! poll answers name it). Ids start again at 1 when the server restarts, so comparing ids across epochs
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

use hdrhistogram::Histogram;

use crate::counting::WireCounters;

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
    /// Distinct ids received in closed epochs.
    pub delivered: u64,
    /// Ids expected in closed epochs: up to the last id each one reached (its tail is unknowable).
    pub expected: u64,
    /// Holes left below the last id received in a closed epoch.
    pub lost: u64,
    /// Duplicates in closed epochs.
    pub duplicated: u64,
    /// Reordered receipts in closed epochs.
    pub reordered: u64,
    /// Gap ids announced in closed epochs.
    pub gap_ids: u64,
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
    /// Message JSON bytes received.
    pub body: u64,
    /// SSE comment bytes received (heartbeats).
    pub sse_comments: u64,
    /// In-order/loss bookkeeping.
    pub tracker: Tracker,
    /// Delivery latency (receive - ts - clock offset) of messages published during the window.
    pub latency: LatencyHistogram,
    /// Poll/long-poll: answer instant - intended send instant.
    pub request_latency: LatencyHistogram,
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
            closed: Closed::default(),
            requests: 0,
            empty_responses: 0,
            unanswered_requests: 0,
            unanswered_request_headers: 0,
            body: 0,
            sse_comments: 0,
            tracker: Tracker::new(start_cursor),
            latency: new_histogram(),
            request_latency: new_histogram(),
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
        let c = &mut self.closed;
        c.epochs += 1;
        c.delivered += old.delivered;
        c.expected += old.expected(old.cursor());
        c.lost += old.lost(old.cursor(), false);
        c.duplicated += old.duplicated;
        c.reordered += old.reordered;
        c.gap_ids += old.gap_ids;
    }

    /// Counts an error of `kind` (see [`crate::clients::ClientError::kind`]).
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
            record_latency(&mut self.latency, (server_now - d.ts_us as i64).max(0) as u64);
        }
        new
    }

    /// Records a request abandoned without an answer; `head_before` is the request-head counter read
    /// before it was sent.
    pub fn unanswered(&mut self, head_before: u64) {
        self.unanswered_requests += 1;
        self.unanswered_request_headers += WireCounters::get(&self.wire.request_head) - head_before;
    }

    /// Records one poll/long-poll exchange.
    pub fn exchange(&mut self, e: &Exchange) {
        if e.messages == 0 {
            self.empty_responses += 1;
        }
        let us = e.answered.saturating_duration_since(e.intended).as_micros() as u64;
        record_latency(&mut self.request_latency, us);
    }
}

/// Where a client is in the feed: which run of it (epoch, when the server names one) and the highest id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The feed's epoch the cursor belongs to.
    pub epoch: Option<u64>,
    /// Highest id received (or the start cursor).
    pub cursor: u64,
}

/// Checks that ids after the start cursor arrive exactly once and in order. See the module docs.
#[derive(Debug, Clone)]
pub struct Tracker {
    /// The feed epoch these ids belong to (None: the server does not say).
    epoch: Option<u64>,
    /// The start cursor: ids after it are expected.
    start: u64,
    /// Highest id received (or `start`).
    max_seen: u64,
    /// Missing ids below `max_seen`: range start -> range end (inclusive).
    holes: BTreeMap<u64, u64>,
    /// Distinct ids received.
    pub delivered: u64,
    /// Repeated receipts (and ids at or before the start cursor, which were never asked for).
    pub duplicated: u64,
    /// Receipts that filled a hole.
    pub reordered: u64,
    /// Ids the server declared undeliverable in a `gap`.
    pub gap_ids: u64,
}

impl Tracker {
    /// A tracker expecting every id after `start`.
    pub fn new(start: u64) -> Self {
        Self::in_epoch(None, start)
    }

    /// A tracker expecting every id after `start` of the feed run `epoch`.
    pub fn in_epoch(epoch: Option<u64>, start: u64) -> Self {
        Tracker {
            epoch,
            start,
            max_seen: start,
            holes: BTreeMap::new(),
            delivered: 0,
            duplicated: 0,
            reordered: 0,
            gap_ids: 0,
        }
    }

    /// The client's cursor: the highest id received so far (what to ask `after=` next).
    pub fn cursor(&self) -> u64 {
        self.max_seen
    }

    /// The start cursor.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// The feed epoch the ids belong to.
    pub fn epoch(&self) -> Option<u64> {
        self.epoch
    }

    /// Epoch and cursor.
    pub fn position(&self) -> Position {
        Position { epoch: self.epoch, cursor: self.max_seen }
    }

    /// Records a receipt of `id`; true if it was new.
    pub fn receive(&mut self, id: u64) -> bool {
        if id > self.max_seen {
            if id > self.max_seen + 1 {
                self.holes.insert(self.max_seen + 1, id - 1);
            }
            self.max_seen = id;
            self.delivered += 1;
            return true;
        }
        if id <= self.start {
            self.duplicated += 1;
            return false;
        }
        // Below the highest id: either it fills a hole (reordered) or it was already received.
        match self.holes.range(..=id).next_back().map(|(&s, &e)| (s, e)) {
            Some((s, e)) if id <= e => {
                self.holes.remove(&s);
                if s < id {
                    self.holes.insert(s, id - 1);
                }
                if id < e {
                    self.holes.insert(id + 1, e);
                }
                self.reordered += 1;
                self.delivered += 1;
                true
            }
            _ => {
                self.duplicated += 1;
                false
            }
        }
    }

    /// The server declared ids `from..=to` undeliverable; they stay missing (lost) but are counted apart.
    pub fn gap(&mut self, from: u64, to: u64) {
        let from = from.max(self.start + 1);
        if to >= from {
            self.gap_ids += to - from + 1;
        }
    }

    /// Ids expected up to `upto`: every id after the start cursor.
    pub fn expected(&self, upto: u64) -> u64 {
        upto.saturating_sub(self.start)
    }

    /// Ids after the start cursor up to `upto` that never arrived. With `tail` false, ids after the highest
    /// received one are not counted (a cancelled run did not give them time to arrive).
    pub fn lost(&self, upto: u64, tail: bool) -> u64 {
        let holes: u64 = self.holes.iter().filter(|&(&s, _)| s <= upto).map(|(&s, &e)| e.min(upto) - s + 1).sum();
        let missing_tail = if tail { upto.saturating_sub(self.max_seen) } else { 0 };
        holes + missing_tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn in_order_delivery_is_clean() {
        let mut t = Tracker::new(10);
        for id in 11..=20 {
            assert!(t.receive(id));
        }
        assert_eq!((t.delivered, t.duplicated, t.reordered, t.lost(20, true)), (10, 0, 0, 0));
        assert_eq!(t.expected(20), 10);
        assert_eq!(t.cursor(), 20);
    }

    #[test]
    fn counts_loss_duplicates_and_reordering() {
        let mut t = Tracker::new(0);
        for id in [1, 2, 5, 3, 3, 2, 7] {
            t.receive(id);
        }
        // 4 and 6 never came; 3 came late; 3 and 2 came twice.
        assert_eq!(t.delivered, 5);
        assert_eq!(t.reordered, 1);
        assert_eq!(t.duplicated, 2);
        assert_eq!(t.lost(7, true), 2);
        // 8..=9 were published but not received: lost unless the run was cancelled.
        assert_eq!(t.lost(9, true), 4);
        assert_eq!(t.lost(9, false), 2);
        // Only holes up to `upto` count.
        assert_eq!(t.lost(5, true), 1);
    }

    #[test]
    fn ids_before_the_start_were_never_asked_for() {
        let mut t = Tracker::new(5);
        assert!(!t.receive(5));
        assert_eq!(t.duplicated, 1);
        assert_eq!(t.delivered, 0);
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
        assert_eq!((r.tracker.duplicated, r.tracker.delivered), (0, 1));
        // The old feed's hole (13) is lost; its unknowable tail is not counted.
        assert_eq!(r.closed, Closed { epochs: 1, delivered: 3, expected: 4, lost: 1, ..Closed::default() });
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
        assert_eq!(r.latency.len(), 1);
        assert_eq!(r.latency.max(), 500);
        assert_eq!(r.body, 20);
    }
}
