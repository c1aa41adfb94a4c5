//! What the server counts: per channel and per `client=` id, the traffic each exchange put on the wire.
//!
//! The counters are the contract's list ([`Counter`]), kept as an array of atomics per channel and, for the
//! server's totals, per thread (`counters.rs`), bumped through a [`Meter`] by the metering middleware (`middleware/meter.rs`, one place
//! for request and response heads) and by the streaming sessions (frames and event bytes as they are sent).
//! By role:
//! - [`channel`]: what is counted apart (the contract's transports, `/echo`, publishing);
//! - `counters.rs`: the atomics, their per-thread shards, the [`Meter`] and the open-connection guard;
//! - `clients.rs`: the per-client table and the protocol inspector's records;
//! - `report.rs`: the `/stats` JSON; `prometheus.rs`: the `/metrics` text;
//! - [`wire`]: head bytes rebuilt from what actix parsed or will encode. The harness counts the same bytes
//!   on the socket, and a test keeps the two within 1%.

pub mod channel;
mod clients;
mod counters;
mod prometheus;
mod report;
pub mod wire;

pub use channel::Channel;
pub use clients::{ClientStats, Clients, Exchange, MAX_TRACKED_CLIENTS, WsFrames};
pub use counters::{ChannelCounters, Counters, Meter, OpenGuard, Shards};
pub use feedlab_contract::counters::{Counter, Counts};
pub use prometheus::render as render_prometheus;
pub use report::{ClientReport, H2_HEAD_BYTES, PerChannel, StatsReport};

/// All counters of a server: the totals per channel and the per-client table.
#[derive(Debug, Default)]
pub struct Stats {
    /// The totals, one shard per counting thread.
    totals: Shards,
    clients: Clients,
}

impl Stats {
    /// A meter for `channel`, attributed to `client` when given (and still tracked).
    pub fn meter(&self, channel: Channel, client: Option<&str>) -> Meter {
        Meter::new(self, channel, client.and_then(|id| self.clients.track(id)))
    }

    /// The per-client table.
    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// Totals of one channel.
    pub fn totals(&self, channel: Channel) -> Counts {
        let totals = self.totals.snapshot();
        totals[channel.index()].1
    }

    /// Zeroes one client's counters (the page's "reset"), or every counter when `client` is `None`.
    pub fn reset(&self, client: Option<&str>) {
        match client {
            Some(id) => self.clients.get(id).iter().for_each(|stats| stats.reset()),
            None => {
                self.totals.reset();
                self.clients.reset();
            }
        }
    }

    /// The `/inspect` answer for one client: its last exchange per channel, and its last WebSocket frames.
    pub fn inspect(&self, client: &str) -> (Vec<(Channel, Exchange)>, WsFrames) {
        self.clients.get(client).map(|stats| (stats.inspect(), stats.ws_frames())).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use feedlab_contract::Transport;

    use super::*;

    #[test]
    fn meter_counts_totals_and_client() {
        let stats = Arc::new(Stats::default());
        let poll = Channel::from(Transport::Poll);
        let meter = stats.meter(poll, Some("pane-1"));
        meter.add(Counter::Requests, 1);
        stats.meter(poll, None).add(Counter::Requests, 1);
        assert_eq!(stats.totals(poll)[Counter::Requests], 2);
        let report = stats.report(Some("pane-1"));
        assert_eq!(report.client.unwrap().transports.0[0].1[Counter::Requests], 1);
    }

    #[test]
    fn open_guard_returns_gauge_to_zero() {
        let stats = Arc::new(Stats::default());
        let ws = Channel::from(Transport::Ws);
        let meter = stats.meter(ws, Some("c"));
        let guards: Vec<_> = (0..3).map(|_| meter.open()).collect();
        assert_eq!(stats.totals(ws)[Counter::OpenConnections], 3);
        drop(guards);
        assert_eq!(stats.totals(ws)[Counter::OpenConnections], 0);
        assert_eq!(stats.clients().get("c").unwrap().counters(ws).get(Counter::OpenConnections), 0);
    }

    #[test]
    fn reset_keeps_open_connections() {
        let stats = Arc::new(Stats::default());
        let sse = Channel::from(Transport::Sse);
        let meter = stats.meter(sse, Some("c"));
        let _open = meter.open();
        meter.frame(10, 5);
        stats.reset(Some("c"));
        let counters = stats.clients().get("c").unwrap();
        assert_eq!(counters.counters(sse).get(Counter::Frames), 0);
        assert_eq!(counters.counters(sse).get(Counter::OpenConnections), 1);
        assert_eq!(stats.totals(sse)[Counter::Frames], 1, "a client reset leaves the totals alone");
        stats.reset(None);
        assert_eq!(stats.totals(sse)[Counter::Frames], 0);
        assert_eq!(stats.totals(sse)[Counter::OpenConnections], 1, "a full reset leaves the gauge too");
    }

    #[test]
    fn websocket_frames_count_their_rfc6455_headers() {
        let stats = Arc::new(Stats::default());
        let meter = stats.meter(Channel::Echo, None);
        meter.ws_received(5);
        meter.ws_sent(200);
        let echo = stats.totals(Channel::Echo);
        assert_eq!((echo[Counter::Frames], echo[Counter::BodyBytes], echo[Counter::FramingBytes]), (2, 205, 6 + 4));
    }
}
