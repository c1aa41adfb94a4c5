//! The last step of a run: folding the client records of one group into its [`BenchResult`].
//!
//! Each client measured alone ([`crate::record`]); here their figures are summed (delivery integrity,
//! bytes by category, connections, errors by kind), their histograms merged, and the per-message figures
//! derived. Which bytes are transport overhead and which are connection setup follows from the transport's
//! row in the contract's table: a transport that sends a request per answer pays its heads on every
//! answer (overhead); a streaming one pays them once (setup, like WebSocket's handshake).

use feedlab_contract::bench::{
    BenchResult, ChaosStats, FirstExchange, Integrity, Latency, Publish, SCHEMA_VERSION, WireBytes,
};

use crate::config::{BenchConfig, HttpVersion, Transport};
use crate::record::{ClientRecord, LatencyHistogram, new_histogram};

/// Run-level facts that are not in the client records.
#[derive(Debug, Clone, Copy)]
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
}

/// Folds the client records of one group (configured by `cfg`) into its result. The timeline is left
/// empty: it belongs to the run, not to a group.
pub fn merge(cfg: &BenchConfig, records: Vec<ClientRecord>, publish: Publish, s: &Summary) -> BenchResult {
    let mut integrity = Integrity::default();
    let mut bytes = WireBytes::default();
    let mut latency = new_histogram();
    let mut request_latency = new_histogram();
    let mut errors = std::collections::BTreeMap::new();
    let (mut requests, mut empty_responses, mut connections, mut reconnects) = (0, 0, 0, 0);
    let mut chaos = ChaosStats { rate_per_s: cfg.chaos, ..ChaosStats::default() };
    let (mut unanswered_requests, mut unanswered_request_headers) = (0, 0);
    let mut first_exchange = FirstExchange::default();
    for mut rec in records {
        first_exchange.add(rec.first_exchange);
        integrity += rec.integrity(&publish, s.cancelled);
        bytes += rec.bytes();
        reconnects += rec.reconnects;
        chaos.drops += rec.chaos_drops;
        chaos.reconnects += rec.chaos_reconnects;
        requests += rec.requests;
        empty_responses += rec.empty_responses;
        unanswered_requests += rec.unanswered_requests;
        unanswered_request_headers += rec.unanswered_request_headers;
        connections += rec.connections;
        for (kind, n) in rec.errors {
            *errors.entry(kind).or_insert(0) += n;
        }
        rec.latency.add_to(&mut latency);
        rec.request_latency.add_to(&mut request_latency);
    }
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
        source_addrs: cfg.source_addrs.len().max(1) as u64,
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
