//! What the server counts: per transport and per `client=` id, the traffic each exchange put on the wire.
//!
//! Counters are plain atomics, bumped by the metering middleware (`routes/meter.rs`, one place for request
//! and response heads) and by the streaming sessions (frames and event bytes as they are sent). Header bytes
//! are reconstructed from the parsed request and the response actix will encode (`wire.rs`); the harness
//! counts the same bytes on the socket, and a test keeps the two within 1%.

mod prometheus;
pub mod wire;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde::ser::SerializeMap;

pub use prometheus::render as render_prometheus;

/// How many distinct `client=` ids get their own counters. The page uses a handful; a harness run may tag
/// thousands. Past this, requests still count in the per-transport totals, and `untracked_clients` grows.
pub const MAX_TRACKED_CLIENTS: usize = 20_000;

/// The ways traffic reaches the server, each counted apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// `GET /poll`: ajax polling.
    Poll,
    /// `GET /longpoll`.
    Longpoll,
    /// `GET /sse`: Server-Sent Events.
    Sse,
    /// `GET /ws`: the feed over WebSocket.
    Ws,
    /// `GET /echo`: the echo WebSocket.
    Echo,
    /// `POST /messages`: publish traffic, kept apart from delivery.
    Publish,
}

impl Channel {
    /// Every channel, in display order.
    pub const ALL: [Channel; 6] =
        [Channel::Poll, Channel::Longpoll, Channel::Sse, Channel::Ws, Channel::Echo, Channel::Publish];

    /// The four delivery transports.
    pub const TRANSPORTS: [Channel; 4] = [Channel::Poll, Channel::Longpoll, Channel::Sse, Channel::Ws];

    /// The lowercase name used in JSON, metrics and `--disable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Poll => "poll",
            Channel::Longpoll => "longpoll",
            Channel::Sse => "sse",
            Channel::Ws => "ws",
            Channel::Echo => "echo",
            Channel::Publish => "publish",
        }
    }

    /// Parses a transport name as given to `--disable`.
    pub fn parse_transport(name: &str) -> Option<Channel> {
        Channel::TRANSPORTS.into_iter().find(|c| c.as_str() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The counters of one channel (for the server as a whole, or for one client).
#[derive(Debug, Default)]
pub struct Counters {
    /// HTTP requests answered (a WebSocket or SSE connection is one request).
    pub requests: AtomicU64,
    /// Poll/long-poll answers that carried no message: the cost of asking when nothing is new.
    pub empty_responses: AtomicU64,
    /// Request line + headers + blank line, as received.
    pub request_header_bytes: AtomicU64,
    /// Status line + headers + blank line, as sent.
    pub response_header_bytes: AtomicU64,
    /// Message payload bytes (poll JSON answers, SSE `data` JSON, WebSocket frame payloads), both directions.
    pub body_bytes: AtomicU64,
    /// Bytes around payloads: SSE field names and newlines plus HTTP chunk framing, WebSocket frame headers.
    pub framing_bytes: AtomicU64,
    /// WebSocket frames (both directions, control frames included) or SSE events sent.
    pub frames: AtomicU64,
    /// Connections open now on this channel (streams, held long-polls).
    pub open_connections: AtomicI64,
    /// Feed messages handed to clients.
    pub messages_delivered: AtomicU64,
    /// Answers with status 4xx or 5xx.
    pub errors: AtomicU64,
    /// 503 answers: refused because over capacity.
    pub rejected: AtomicU64,
    /// Streams cut off because the client stopped reading (WebSocket 1013, SSE end).
    pub slow_reader_closes: AtomicU64,
}

/// A snapshot of [`Counters`] as JSON numbers.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct CountersSnapshot {
    /// See [`Counters::requests`].
    pub requests: u64,
    /// See [`Counters::empty_responses`].
    pub empty_responses: u64,
    /// See [`Counters::request_header_bytes`].
    pub request_header_bytes: u64,
    /// See [`Counters::response_header_bytes`].
    pub response_header_bytes: u64,
    /// See [`Counters::body_bytes`].
    pub body_bytes: u64,
    /// See [`Counters::framing_bytes`].
    pub framing_bytes: u64,
    /// See [`Counters::frames`].
    pub frames: u64,
    /// See [`Counters::open_connections`].
    pub open_connections: i64,
    /// See [`Counters::messages_delivered`].
    pub messages_delivered: u64,
    /// See [`Counters::errors`].
    pub errors: u64,
    /// See [`Counters::rejected`].
    pub rejected: u64,
    /// See [`Counters::slow_reader_closes`].
    pub slow_reader_closes: u64,
}

impl Counters {
    fn snapshot(&self) -> CountersSnapshot {
        CountersSnapshot {
            requests: self.requests.load(Relaxed),
            empty_responses: self.empty_responses.load(Relaxed),
            request_header_bytes: self.request_header_bytes.load(Relaxed),
            response_header_bytes: self.response_header_bytes.load(Relaxed),
            body_bytes: self.body_bytes.load(Relaxed),
            framing_bytes: self.framing_bytes.load(Relaxed),
            frames: self.frames.load(Relaxed),
            open_connections: self.open_connections.load(Relaxed),
            messages_delivered: self.messages_delivered.load(Relaxed),
            errors: self.errors.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            slow_reader_closes: self.slow_reader_closes.load(Relaxed),
        }
    }

    fn reset(&self) {
        // Open connections are a gauge of live state, not history: resetting it would make it go negative.
        for counter in [
            &self.requests,
            &self.empty_responses,
            &self.request_header_bytes,
            &self.response_header_bytes,
            &self.body_bytes,
            &self.framing_bytes,
            &self.frames,
            &self.messages_delivered,
            &self.errors,
            &self.rejected,
            &self.slow_reader_closes,
        ] {
            counter.store(0, Relaxed);
        }
    }
}

/// The last exchange the server saw for one client on one channel, for the page's protocol inspector.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// Request line and headers as received (reconstructed from the parsed request).
    pub request: String,
    /// Status line and headers as sent.
    pub response: String,
    /// When it happened, microseconds since the Unix epoch.
    pub at_us: u64,
}

/// Counters and inspector records of one `client=` id.
#[derive(Debug, Default)]
pub struct ClientStats {
    counters: [Counters; 6],
    last: Mutex<[Option<Exchange>; 6]>,
}

impl ClientStats {
    /// This client's counters for `channel`.
    pub fn counters(&self, channel: Channel) -> &Counters {
        &self.counters[channel.index()]
    }

    /// Keeps `exchange` as the last one seen on `channel`.
    pub fn record(&self, channel: Channel, exchange: Exchange) {
        // unwrap: poisoned only if a holder panicked; the holders below only assign.
        self.last.lock().unwrap()[channel.index()] = Some(exchange);
    }

    fn inspect(&self) -> HashMap<Channel, Exchange> {
        // unwrap: see `record`.
        let last = self.last.lock().unwrap();
        Channel::ALL.into_iter().filter_map(|c| last[c.index()].clone().map(|e| (c, e))).collect()
    }
}

/// All counters of a server.
#[derive(Debug, Default)]
pub struct Stats {
    totals: [Counters; 6],
    clients: Mutex<HashMap<String, Arc<ClientStats>>>,
    untracked_clients: AtomicU64,
}

/// The counters one request or stream bumps: the channel's totals and, when tagged, its client's.
#[derive(Debug, Clone)]
pub struct Meter {
    stats: Arc<Stats>,
    /// The channel being metered.
    pub channel: Channel,
    /// The client's own stats when the request carried a valid `client=` id.
    pub client: Option<Arc<ClientStats>>,
}

impl Meter {
    /// Adds `n` to the counter `field` picks, in the totals and in the client's counters.
    pub fn add(&self, field: fn(&Counters) -> &AtomicU64, n: u64) {
        field(&self.stats.totals[self.channel.index()]).fetch_add(n, Relaxed);
        if let Some(client) = &self.client {
            field(client.counters(self.channel)).fetch_add(n, Relaxed);
        }
    }

    /// The same client's meter for another channel: a WebSocket's uploaded chat frames count as publish
    /// traffic, apart from delivery, as DESIGN.md asks.
    pub fn for_channel(&self, channel: Channel) -> Meter {
        Meter { channel, ..self.clone() }
    }

    /// Marks a connection open until the returned guard is dropped, however the task ends.
    pub fn open(&self) -> OpenGuard {
        self.gauge(1);
        OpenGuard(self.clone())
    }

    fn gauge(&self, delta: i64) {
        self.stats.totals[self.channel.index()].open_connections.fetch_add(delta, Relaxed);
        if let Some(client) = &self.client {
            client.counters(self.channel).open_connections.fetch_add(delta, Relaxed);
        }
    }

    /// Counts one frame or event: `payload` bytes of message and `framing` bytes around it.
    pub fn frame(&self, payload: usize, framing: usize) {
        self.add(|c| &c.frames, 1);
        self.add(|c| &c.body_bytes, payload as u64);
        self.add(|c| &c.framing_bytes, framing as u64);
    }
}

/// Decrements the open-connection gauge when dropped (see [`Meter::open`]).
#[derive(Debug)]
pub struct OpenGuard(Meter);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.gauge(-1);
    }
}

impl Stats {
    /// A meter for `channel`, attributed to `client` when given.
    pub fn meter(self: &Arc<Self>, channel: Channel, client: Option<&str>) -> Meter {
        Meter { stats: Arc::clone(self), channel, client: client.and_then(|id| self.client(id)) }
    }

    /// The stats of `id`, created on first use while under [`MAX_TRACKED_CLIENTS`].
    pub fn client(&self, id: &str) -> Option<Arc<ClientStats>> {
        // unwrap: poisoned only if a holder panicked; map operations do not.
        let mut clients = self.clients.lock().unwrap();
        if let Some(stats) = clients.get(id) {
            return Some(Arc::clone(stats));
        }
        if clients.len() >= MAX_TRACKED_CLIENTS {
            self.untracked_clients.fetch_add(1, Relaxed);
            return None;
        }
        let stats = Arc::new(ClientStats::default());
        clients.insert(id.to_owned(), Arc::clone(&stats));
        Some(stats)
    }

    /// The stats of `id` if it has been seen, without creating them.
    pub fn existing_client(&self, id: &str) -> Option<Arc<ClientStats>> {
        // unwrap: see `client`.
        self.clients.lock().unwrap().get(id).cloned()
    }

    /// Totals of one channel.
    pub fn totals(&self, channel: Channel) -> CountersSnapshot {
        self.totals[channel.index()].snapshot()
    }

    /// Zeroes one client's counters (the page's "reset"), or every counter when `client` is `None`.
    pub fn reset(&self, client: Option<&str>) {
        match client {
            Some(id) => {
                if let Some(stats) = self.existing_client(id) {
                    stats.counters.iter().for_each(Counters::reset);
                }
            }
            None => {
                self.totals.iter().for_each(Counters::reset);
                // unwrap: see `client`.
                for stats in self.clients.lock().unwrap().values() {
                    stats.counters.iter().for_each(Counters::reset);
                }
            }
        }
    }

    /// How many `client=` ids were not tracked because [`MAX_TRACKED_CLIENTS`] was reached.
    pub fn untracked_clients(&self) -> u64 {
        self.untracked_clients.load(Relaxed)
    }

    /// The `/stats` answer.
    pub fn report(&self, client: Option<&str>) -> StatsReport {
        StatsReport {
            transports: PerChannel(Channel::ALL.map(|c| (c, self.totals(c)))),
            tracked_clients: self.clients.lock().map(|c| c.len()).unwrap_or(0),
            untracked_clients: self.untracked_clients(),
            client: client.map(|id| {
                // One lookup for all channels: the table's lock is shared with every tagged request.
                let stats = self.existing_client(id);
                ClientReport {
                    id: id.to_owned(),
                    transports: PerChannel(
                        Channel::ALL.map(|c| (c, stats.as_ref().map(|s| s.counters(c).snapshot()).unwrap_or_default())),
                    ),
                }
            }),
        }
    }

    /// The `/inspect` answer for one client: its last exchange per channel.
    pub fn inspect(&self, client: &str) -> HashMap<Channel, Exchange> {
        self.existing_client(client).map(|s| s.inspect()).unwrap_or_default()
    }
}

/// Counters keyed by channel name, in a fixed order.
#[derive(Debug, Clone)]
pub struct PerChannel(pub [(Channel, CountersSnapshot); 6]);

impl Serialize for PerChannel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (channel, counters) in &self.0 {
            map.serialize_entry(channel.as_str(), counters)?;
        }
        map.end()
    }
}

/// The JSON of `GET /stats`.
#[derive(Debug, Clone, Serialize)]
pub struct StatsReport {
    /// Server totals per channel.
    pub transports: PerChannel,
    /// Distinct `client=` ids with their own counters.
    pub tracked_clients: usize,
    /// Requests whose `client=` id was not tracked (over the cap).
    pub untracked_clients: u64,
    /// The asked-for client's counters (`/stats?client=ID`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientReport>,
}

/// One client's counters in `/stats?client=ID`.
#[derive(Debug, Clone, Serialize)]
pub struct ClientReport {
    /// The client id.
    pub id: String,
    /// Its counters per channel (zeros when never seen).
    pub transports: PerChannel,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_counts_totals_and_client() {
        let stats = Arc::new(Stats::default());
        let meter = stats.meter(Channel::Poll, Some("pane-1"));
        meter.add(|c| &c.requests, 1);
        stats.meter(Channel::Poll, None).add(|c| &c.requests, 1);
        assert_eq!(stats.totals(Channel::Poll).requests, 2);
        let report = stats.report(Some("pane-1"));
        assert_eq!(report.client.unwrap().transports.0[0].1.requests, 1);
    }

    #[test]
    fn open_guard_returns_gauge_to_zero() {
        let stats = Arc::new(Stats::default());
        let meter = stats.meter(Channel::Ws, Some("c"));
        let guards: Vec<_> = (0..3).map(|_| meter.open()).collect();
        assert_eq!(stats.totals(Channel::Ws).open_connections, 3);
        drop(guards);
        assert_eq!(stats.totals(Channel::Ws).open_connections, 0);
        assert_eq!(stats.existing_client("c").unwrap().counters(Channel::Ws).open_connections.load(Relaxed), 0);
    }

    #[test]
    fn reset_keeps_open_connections() {
        let stats = Arc::new(Stats::default());
        let meter = stats.meter(Channel::Sse, Some("c"));
        let _open = meter.open();
        meter.frame(10, 5);
        stats.reset(Some("c"));
        let counters = stats.existing_client("c").unwrap();
        assert_eq!(counters.counters(Channel::Sse).frames.load(Relaxed), 0);
        assert_eq!(counters.counters(Channel::Sse).open_connections.load(Relaxed), 1);
        assert_eq!(stats.totals(Channel::Sse).frames, 1, "a client reset leaves the totals alone");
    }
}
