//! The last step of a run: folding the client records of one group into its [`BenchResult`].
//!
//! Each client measured alone ([`crate::record`]); here their figures are summed into [`Totals`] (delivery
//! integrity, bytes by category, connections, errors by kind, histograms merged), the totals of every
//! `--procs` worker added up, and [`finish`] derives the per-message figures. Which bytes are transport overhead and which are connection setup follows from the transport's
//! row in the contract's table: a transport that sends a request per answer pays its heads on every
//! answer (overhead); a streaming one pays them once (setup, like WebSocket's handshake).

use std::collections::BTreeMap;

use feedlab_contract::bench::{
    BenchResult, ChaosStats, FirstExchange, Integrity, Latency, Publish, SCHEMA_VERSION, WireBytes,
};
use serde::{Deserialize, Serialize};

use crate::config::{BenchConfig, HttpVersion, Transport};
use crate::record::{ClientRecord, LatencyHistogram, new_histogram};

/// Run-level facts that are not in the client records.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Measured window, seconds.
    pub duration_s: f64,
    /// Drain, seconds.
    pub drain_s: f64,
    /// Wall-clock start of the window.
    pub started_unix_ms: u64,
    /// The run was cut short.
    pub cancelled: bool,
    /// Server clock minus harness clock.
    pub clock_offset_us: i64,
    /// Messages the harness published.
    pub published: u64,
    /// The feed's epoch when the run began (the probe's): a client still on it after the publisher moved
    /// on missed the new feed; one on neither went to another feed ([`ClientRecord::integrity`]).
    pub start_epoch: Option<u64>,
    /// Processes the clients ran in (`--procs`).
    pub procs: usize,
    /// Source addresses client sockets were bound to, over every process (empty: the kernel picked).
    pub source_addrs: Vec<std::net::IpAddr>,
}

/// What a group's clients measured, summed: the client records folded ([`Totals::add_record`]), and
/// what a `--procs` worker sends back to the coordinator, which adds the workers' totals together
/// ([`Totals::add`]) before [`finish`] derives the result, so a run over several processes is merged by
/// the same code as one over one. The latency histograms travel whole (hdrhistogram's V2 format, base64),
/// never as percentiles: percentiles do not add up.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Totals {
    /// Delivery integrity, summed over clients.
    pub integrity: Integrity,
    /// Bytes by category.
    pub bytes: WireBytes,
    /// Delivery latencies.
    #[serde(with = "histogram_v2")]
    pub latency: LatencyHistogram,
    /// Poll/long-poll request latencies.
    #[serde(with = "histogram_v2")]
    pub request_latency: LatencyHistogram,
    /// Errors by kind.
    pub errors: BTreeMap<String, u64>,
    /// Requests sent.
    pub requests: u64,
    /// Answers without messages.
    pub empty_responses: u64,
    /// Connections opened.
    pub connections: u64,
    /// Reconnects.
    pub reconnects: u64,
    /// Connections `--chaos` dropped.
    pub chaos_drops: u64,
    /// Reconnects after a `--chaos` drop.
    pub chaos_reconnects: u64,
    /// Requests abandoned without an answer.
    pub unanswered_requests: u64,
    /// Their request head bytes.
    pub unanswered_request_headers: u64,
    /// Each client's first exchange, summed.
    pub first_exchange: FirstExchange,
}

impl Default for Totals {
    fn default() -> Self {
        Totals {
            integrity: Integrity::default(),
            bytes: WireBytes::default(),
            latency: new_histogram(),
            request_latency: new_histogram(),
            errors: BTreeMap::new(),
            requests: 0,
            empty_responses: 0,
            connections: 0,
            reconnects: 0,
            chaos_drops: 0,
            chaos_reconnects: 0,
            unanswered_requests: 0,
            unanswered_request_headers: 0,
            first_exchange: FirstExchange::default(),
        }
    }
}

impl Totals {
    /// Adds one client's record; its integrity is judged against what the publisher did (`publish`) in a
    /// run that began on the feed of `start_epoch`.
    pub fn add_record(&mut self, mut rec: ClientRecord, publish: &Publish, start_epoch: Option<u64>, cancelled: bool) {
        self.first_exchange.add(rec.first_exchange);
        self.integrity += rec.integrity(publish, start_epoch, cancelled);
        self.bytes += rec.bytes();
        self.reconnects += rec.reconnects;
        self.chaos_drops += rec.chaos_drops;
        self.chaos_reconnects += rec.chaos_reconnects;
        self.requests += rec.requests;
        self.empty_responses += rec.empty_responses;
        self.unanswered_requests += rec.unanswered_requests;
        self.unanswered_request_headers += rec.unanswered_request_headers;
        self.connections += rec.connections;
        add_errors(&mut self.errors, std::mem::take(&mut rec.errors));
        rec.latency.add_to(&mut self.latency);
        rec.request_latency.add_to(&mut self.request_latency);
    }

    /// Adds another process's totals (a `--procs` worker's).
    pub fn add(&mut self, o: Totals) {
        self.first_exchange.add(o.first_exchange);
        self.integrity += o.integrity;
        self.bytes += o.bytes;
        self.reconnects += o.reconnects;
        self.chaos_drops += o.chaos_drops;
        self.chaos_reconnects += o.chaos_reconnects;
        self.requests += o.requests;
        self.empty_responses += o.empty_responses;
        self.unanswered_requests += o.unanswered_requests;
        self.unanswered_request_headers += o.unanswered_request_headers;
        self.connections += o.connections;
        add_errors(&mut self.errors, o.errors);
        // unwrap-free: histograms of identical bounds always add; a failure would only drop samples.
        let _ = self.latency.add(&o.latency);
        let _ = self.request_latency.add(&o.request_latency);
    }
}

fn add_errors(total: &mut BTreeMap<String, u64>, errors: BTreeMap<String, u64>) {
    for (kind, n) in errors {
        *total.entry(kind).or_insert(0) += n;
    }
}

/// The result of one group (configured by `cfg`) from its clients' [`Totals`] (summed over every process
/// that ran them). The timeline is left empty: it belongs to the run, not to a group.
pub fn finish(cfg: &BenchConfig, t: Totals, publish: Publish, s: &Summary) -> BenchResult {
    let Totals {
        integrity,
        bytes,
        latency,
        request_latency,
        errors,
        requests,
        empty_responses,
        connections,
        reconnects,
        chaos_drops,
        chaos_reconnects,
        unanswered_requests,
        unanswered_request_headers,
        first_exchange,
    } = t;
    let chaos = ChaosStats { rate_per_s: cfg.chaos, drops: chaos_drops, reconnects: chaos_reconnects };
    let delivered = integrity.delivered;
    let per_message = |b: u64| (delivered > 0).then(|| b as f64 / delivered as f64);
    let heads = bytes.request_headers + bytes.response_headers;
    let (overhead, setup) = if cfg.transport.request_per_answer() {
        (bytes.overhead(), bytes.handshake)
    } else {
        (bytes.framing, heads + bytes.handshake)
    };
    BenchResult {
        schema_version: SCHEMA_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        target: cfg.target.url.clone(),
        transport: cfg.transport,
        headers: cfg.headers.profile(),
        browser_fixture: cfg.headers.fixture_label(),
        // WebSocket (and Socket.IO) connections always start as HTTP/1.1, whatever was asked.
        http_version: if cfg.transport.speaks_h2() { cfg.http } else { HttpVersion::Http11 },
        clients: cfg.clients as u64,
        duration_s: s.duration_s,
        drain_s: s.drain_s,
        rate_per_s: cfg.rate,
        poll_interval_ms: (cfg.transport == Transport::Poll).then_some(cfg.poll_interval.as_millis() as u64),
        payload_bytes: cfg.payload as u64,
        keep_alive: cfg.keep_alive || !cfg.transport.request_per_answer(),
        rtt_ms: cfg.rtt.as_secs_f64() * 1000.0,
        source_addrs: s.source_addrs.len().max(1) as u64,
        source_addr_list: s.source_addrs.iter().map(ToString::to_string).collect(),
        procs: s.procs as u64,
        targets: cfg.targets().map(|t| t.url.clone()).collect(),
        hop: cfg.hop,
        started_unix_ms: s.started_unix_ms,
        cancelled: s.cancelled,
        published: s.published,
        integrity,
        requests,
        empty_responses,
        unanswered_requests,
        unanswered_request_headers,
        connections,
        reconnects,
        chaos,
        bytes,
        first_exchange,
        overhead_bytes_per_message: per_message(overhead),
        setup_bytes_per_message: per_message(setup),
        latency_us: summarize(&latency),
        request_latency_us: cfg.transport.request_per_answer().then(|| summarize(&request_latency)),
        clock_offset_us: s.clock_offset_us,
        errors,
        publish,
        timeline: Vec::new(),
        // Run-level figures, filled in by the run when it measured them.
        server_cpu: None,
        harness_cpu: None,
    }
}

/// The contract's latency summary of a histogram (all zero when it is empty).
fn summarize(h: &LatencyHistogram) -> Latency {
    if h.is_empty() {
        return Latency::default();
    }
    Latency {
        count: h.len(),
        mean: h.mean(),
        min: h.min(),
        p50: h.value_at_quantile(0.50),
        p90: h.value_at_quantile(0.90),
        p99: h.value_at_quantile(0.99),
        p999: h.value_at_quantile(0.999),
        max: h.max(),
    }
}

/// A histogram as a string in JSON: hdrhistogram's V2 serialization, base64.
mod histogram_v2 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use hdrhistogram::serialization::{Deserializer as V2Reader, Serializer as _, V2Serializer};
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _, ser::Error as _};

    use crate::record::LatencyHistogram;

    pub fn serialize<S: Serializer>(h: &LatencyHistogram, s: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::new();
        V2Serializer::new().serialize(h, &mut bytes).map_err(|e| S::Error::custom(format!("{e:?}")))?;
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<LatencyHistogram, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = STANDARD.decode(text).map_err(D::Error::custom)?;
        let mut h: LatencyHistogram =
            V2Reader::new().deserialize(&mut bytes.as_slice()).map_err(|e| D::Error::custom(format!("{e:?}")))?;
        // As every client's: it grows with what is added to it.
        h.auto(true);
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::record_latency;

    #[test]
    fn totals_travel_as_json_with_their_histograms() {
        let mut t = Totals::default();
        for us in [3, 1_500, 250_000] {
            record_latency(&mut t.latency, us);
        }
        t.integrity.delivered = 3;
        t.errors.insert("io".into(), 2);
        let back: Totals = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!((back.latency.len(), back.latency.max(), back.latency.min()), (3, t.latency.max(), 3));
        assert_eq!(back.integrity, t.integrity);
        // Merged with another process's, counts add and percentiles come from the union.
        let mut sum = back.clone();
        sum.add(back);
        assert_eq!(sum.latency.len(), 6);
        assert_eq!(sum.errors["io"], 4);
        assert_eq!(sum.latency.value_at_quantile(0.5), t.latency.value_at_quantile(0.5));
    }
}
