//! The shape of `results/<experiment>/data.json`: what the suite writes after a run and the only thing the
//! charts and the report read.
//!
//! The suite (`feedlab run`) serializes [`ExperimentData`] once per experiment; `feedlab report` deserializes
//! it again later, possibly written by an older or newer build. So reading is tolerant: every field has a
//! default (`#[serde(default)]`) and unknown fields are ignored, so adding a field to the harness's
//! `BenchResult` never breaks re-rendering old results. What *is* required is `experiment` and `steps`, so a
//! file that is not a data file at all is still rejected with a clear message.
//!
//! ```json
//! {
//!   "experiment": "header-overhead",
//!   "title": "Header overhead: the Kaazing table",
//!   "machine": {"cpus": 2, "mem_gib": 3.8, "os": "Linux 6.8 x86_64", "commit": "717f7b3", "date": "2026-11-21T12:00:00Z"},
//!   "quick": false,
//!   "steps": [{
//!     "label": "poll 1000 minimal",
//!     "params": {"transport": "poll", "clients": 1000, "poll_interval_ms": 1000, "rate_per_s": 1.0,
//!                "headers": "minimal", "rtt_ms": 0},
//!     "bench": { "...": "feedlab bench --json output, verbatim" },
//!     "server": {"cpu_s": 3.2, "rss_mib_start": 11.0, "rss_mib_peak": 58.5, "rss_mib_end": 20.1},
//!     "timeline": [{"t_s": 1, "requests_per_s": 9000, "errors_per_s": 5600, "rejected_503_per_s": 5600,
//!                   "delivered_per_s": 1000, "p99_us": 65000}]
//!   }]
//! }
//! ```
//!
//! `params` keys are optional (the bench result's own `transport`, `clients`, `headers`, `rate_per_s`,
//! `poll_interval_ms`, `rtt_ms` are used when absent; other keys are kept in [`Params::extra`]); `server` and
//! `timeline` are optional (without a suite timeline, the harness's `bench.timeline` is used).
//!
//! [`BenchResult`] mirrors the harness's `--json` output (DESIGN 4) with only the fields the report uses; it is
//! defined here rather than imported so the report crate does not depend on the harness (and its async
//! network stack) just to draw charts.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::Error;

/// One experiment's results: the whole content of `results/<experiment>/data.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentData {
    /// Experiment name, also its directory under `results/` (e.g. `header-overhead`); chooses the charts.
    pub experiment: String,
    /// Human title for the report section; the experiment name is used when empty.
    #[serde(default)]
    pub title: String,
    /// Where and from which commit the run was made, printed at the top of the report.
    #[serde(default)]
    pub machine: Machine,
    /// `true` for a `--quick` (CI-sized) run: the report says so, since small runs prove less.
    #[serde(default)]
    pub quick: bool,
    /// One measured configuration per step, in the order they ran.
    pub steps: Vec<Step>,
}

/// The machine a run was made on and the code it ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Machine {
    /// Logical CPUs available to the run (`nproc`).
    pub cpus: u32,
    /// Total memory in GiB.
    pub mem_gib: f64,
    /// Operating system and kernel, e.g. `Linux 6.8.0 x86_64`.
    pub os: String,
    /// Git commit of the code that ran (`git rev-parse --short HEAD`, `-dirty` when modified).
    pub commit: String,
    /// When the run started, RFC 3339.
    pub date: String,
}

/// One measured configuration: what was asked (`params`), what the harness saw (`bench`), what the server
/// process cost (`server`) and optionally how it evolved second by second (`timeline`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Short label for tables, e.g. `poll 1000 clients minimal`.
    #[serde(default)]
    pub label: String,
    /// The knobs of this step, as the experiment file set them.
    #[serde(default)]
    pub params: Params,
    /// The harness result for this step.
    pub bench: BenchResult,
    /// Server process usage over the step, read from /proc by the suite; absent when the server was external.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerUsage>,
    /// Per-second samples (the overload experiment's timeline); empty for most steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<Sample>,
}

/// The parameters of one step, as the experiment file set them. Every field is optional: when absent, the
/// value the harness recorded in its result is used (see the accessors on [`Step`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Params {
    /// Transport under test.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// Number of simulated clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients: Option<u64>,
    /// Polling interval in ms (polling only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poll_interval_ms: Option<f64>,
    /// Publish rate in messages per second (0 for a quiet feed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_per_s: Option<f64>,
    /// Header profile the clients sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<HeaderProfile>,
    /// Simulated round-trip time in ms (0 = direct).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    /// Poll / long-poll batch limit (`limit=`), when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Any other parameter the experiment file set, kept so tables and future charts can show it.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// The four transports, in the order every chart and table lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Ajax polling: `GET /poll` on a fixed interval.
    #[serde(alias = "polling", alias = "ajax")]
    Poll,
    /// Long-polling: `GET /longpoll`, held until a message arrives.
    #[serde(alias = "long-poll", alias = "long_poll", alias = "longpolling")]
    Longpoll,
    /// Server-Sent Events: `GET /sse`, one `text/event-stream` response.
    #[serde(alias = "eventsource", alias = "server-sent-events")]
    Sse,
    /// WebSocket: `GET /ws`, one RFC 6455 connection.
    #[serde(alias = "websocket")]
    Ws,
}

impl Transport {
    /// All transports in display order.
    pub const ALL: [Transport; 4] = [Transport::Poll, Transport::Longpoll, Transport::Sse, Transport::Ws];

    /// The short name used in the data files, charts and tables.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Poll => "poll",
            Transport::Longpoll => "longpoll",
            Transport::Sse => "sse",
            Transport::Ws => "ws",
        }
    }

    /// `true` for the transports that keep a connection open and push (long-poll counts: it holds).
    pub fn is_push(self) -> bool {
        self != Transport::Poll
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which request header set the simulated clients sent (DESIGN 4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeaderProfile {
    /// What a bare client must send.
    #[default]
    Minimal,
    /// The header set a current Chromium sends for a same-origin `fetch()`.
    Browser,
    /// A profile this report does not know (a newer harness); shown as "other".
    #[serde(other)]
    Other,
}

impl HeaderProfile {
    /// Name as in the data files.
    pub fn name(self) -> &'static str {
        match self {
            HeaderProfile::Minimal => "minimal",
            HeaderProfile::Browser => "browser",
            HeaderProfile::Other => "other",
        }
    }
}

/// The harness's result for one run: the fields of `feedlab bench --json` (`crates/harness/src/result.rs`,
/// schema version 1) that the report reads. Unknown fields are ignored, missing ones take defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BenchResult {
    /// Transport the clients used.
    pub transport: Option<Transport>,
    /// Header profile the clients sent.
    pub headers: Option<HeaderProfile>,
    /// Number of simulated clients.
    pub clients: u64,
    /// Measured window in seconds (publishing time); rates are per this duration.
    pub duration_s: f64,
    /// Publish rate asked for, msg/s.
    pub rate_per_s: Option<f64>,
    /// Polling interval, ms (poll only).
    pub poll_interval_ms: Option<f64>,
    /// Simulated round trip, ms.
    pub rtt_ms: Option<f64>,
    /// The run was interrupted: figures cover only what was measured until then.
    pub cancelled: bool,
    /// Messages the harness published.
    pub published: u64,
    /// Distinct messages delivered, summed over clients.
    pub delivered: u64,
    /// Messages clients should have received, summed over clients.
    pub expected: u64,
    /// Expected ids a client never got (must be 0).
    pub lost: u64,
    /// Ids a client got more than once (must be 0).
    pub duplicated: u64,
    /// Ids a client got out of order (must be 0).
    pub reordered: u64,
    /// HTTP requests sent by all clients (polls, long-polls, SSE requests, WebSocket upgrades).
    pub requests: u64,
    /// Poll/long-poll answers that carried no message (polling's wasted requests).
    pub empty_responses: u64,
    /// TCP connections opened.
    pub connections: u64,
    /// Wire bytes by category, summed over clients.
    pub bytes: Bytes,
    /// (request + response header bytes + framing) / delivered, handshakes excluded: the Kaazing figure.
    /// `None` when nothing was delivered.
    pub overhead_bytes_per_message: Option<f64>,
    /// Connection-setup bytes (WS handshake, SSE request and response head) / delivered.
    pub setup_bytes_per_message: Option<f64>,
    /// Delivery latency (receive instant - publish `ts`), merged over clients, in microseconds.
    pub latency_us: Latency,
    /// Poll and long-poll: answer instant minus intended send time, microseconds.
    pub request_latency_us: Option<Latency>,
    /// Error counts by kind (`http_503`, `connect`, ...); see [`Errors`].
    pub errors: Errors,
    /// The harness's per-second deltas.
    pub timeline: Vec<HarnessPoint>,
}

/// One second of the harness's own timeline (per-second deltas).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HarnessPoint {
    /// Seconds since the measured window started (end of the slot).
    pub t_s: f64,
    /// Messages delivered to clients in this second.
    pub delivered: u64,
    /// Client requests sent in this second.
    pub requests: u64,
    /// Client errors (any kind, 503s included) in this second.
    pub errors: u64,
    /// 503 answers in this second, when the harness breaks them out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_503: Option<u64>,
    /// p99 answer latency in this second, microseconds, when the harness records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_p99_us: Option<f64>,
    /// Client connections open at the end of this second.
    pub open_connections: u64,
}

/// Wire bytes by category, as counted by the harness's byte-counting stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Bytes {
    /// Request line + request headers.
    pub request_headers: u64,
    /// Status line + response headers.
    pub response_headers: u64,
    /// Payload bytes (JSON messages and the poll envelope).
    pub body: u64,
    /// SSE `id:`/`data:` lines and WebSocket frame headers.
    pub framing: u64,
    /// WebSocket upgrade exchange.
    pub handshake: u64,
    /// Keep-alive traffic: SSE comments, WebSocket ping/pong/close frames.
    pub control: u64,
    /// Every byte clients wrote.
    pub sent: u64,
    /// Every byte clients read.
    pub received: u64,
}

impl Bytes {
    /// Every byte on the wire for delivery: `sent + received` when recorded, else the categories summed.
    pub fn total(&self) -> u64 {
        let wire = self.sent + self.received;
        if wire > 0 {
            wire
        } else {
            self.request_headers + self.response_headers + self.body + self.framing + self.handshake + self.control
        }
    }

    /// Header and framing bytes only: what Kaazing's comparison counts.
    pub fn overhead(&self) -> u64 {
        self.request_headers + self.response_headers + self.framing
    }
}

/// Latency summary in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Latency {
    /// Number of samples.
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Maximum.
    pub max: f64,
}

/// Error counts by kind. Read tolerantly: an object of counts (`{"http_503": 3, "timeout": 1}`), a single
/// number (a total) or a list (one entry per error) are all accepted, so the report does not break when the
/// harness changes how it reports errors. Kinds whose name contains `503` count as over-capacity answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Errors(pub BTreeMap<String, u64>);

impl Errors {
    /// All errors of any kind.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Over-capacity answers (HTTP 503): kinds whose name contains `503`.
    pub fn rejected_503(&self) -> u64 {
        self.0.iter().filter(|(k, _)| k.contains("503")).map(|(_, v)| v).sum()
    }

    /// Errors other than 503 answers: these mean something broke rather than shed load.
    pub fn other(&self) -> u64 {
        self.total() - self.rejected_503()
    }
}

impl<'de> Deserialize<'de> for Errors {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        fn count(v: &serde_json::Value) -> u64 {
            match v {
                serde_json::Value::Number(n) => {
                    n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)).unwrap_or(0)
                }
                serde_json::Value::Array(a) => a.len() as u64,
                serde_json::Value::Object(o) => o.values().map(count).sum(),
                serde_json::Value::Bool(b) => u64::from(*b),
                _ => 0,
            }
        }
        let value = serde_json::Value::deserialize(deserializer)?;
        let mut map = BTreeMap::new();
        match &value {
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    map.insert(k.clone(), count(v));
                }
            }
            serde_json::Value::Null => {}
            other => {
                map.insert("total".to_owned(), count(other));
            }
        }
        Ok(Errors(map))
    }
}

/// Server process usage over one step, from /proc.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerUsage {
    /// CPU time (user + system) the server spent during the step, seconds.
    pub cpu_s: f64,
    /// Resident memory when the step started, MiB.
    pub rss_mib_start: f64,
    /// Highest resident memory seen during the step, MiB.
    pub rss_mib_peak: f64,
    /// Resident memory when the step ended, MiB.
    pub rss_mib_end: f64,
}

/// One per-second sample of a step's timeline (the overload experiment). The suite may record these itself
/// (`Step::timeline`); otherwise they come from the harness's own timeline ([`Step::samples`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sample {
    /// Seconds since the step started (end of the sampled second).
    pub t_s: f64,
    /// Requests sent in that second.
    pub requests_per_s: f64,
    /// Client errors of any kind in that second, 503 answers included.
    pub errors_per_s: f64,
    /// Of those, 503 answers (over capacity), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_503_per_s: Option<f64>,
    /// Messages delivered in that second.
    pub delivered_per_s: f64,
    /// 99th percentile answer latency in that second, microseconds, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99_us: Option<f64>,
}

impl Step {
    /// The step's transport: the parameter when given, else what the harness reported.
    pub fn transport(&self) -> Option<Transport> {
        self.params.transport.or(self.bench.transport)
    }

    /// Number of clients: the parameter when given, else what the harness reported.
    pub fn clients(&self) -> u64 {
        self.params.clients.filter(|c| *c > 0).unwrap_or(self.bench.clients)
    }

    /// Publish rate in msg/s, when known.
    pub fn rate_per_s(&self) -> Option<f64> {
        self.params.rate_per_s.or(self.bench.rate_per_s)
    }

    /// Polling interval in ms, when known.
    pub fn poll_interval_ms(&self) -> Option<f64> {
        self.params.poll_interval_ms.or(self.bench.poll_interval_ms)
    }

    /// Header profile (minimal when not recorded).
    pub fn headers(&self) -> HeaderProfile {
        self.params.headers.or(self.bench.headers).unwrap_or_default()
    }

    /// Simulated round trip in ms (0 when not recorded).
    pub fn rtt_ms(&self) -> f64 {
        self.params.rtt_ms.or(self.bench.rtt_ms).unwrap_or(0.0)
    }

    /// Per-second samples: the suite's own when it recorded them, else the harness's timeline.
    pub fn samples(&self) -> Vec<Sample> {
        if !self.timeline.is_empty() {
            return self.timeline.clone();
        }
        self.bench
            .timeline
            .iter()
            .map(|p| Sample {
                t_s: p.t_s,
                requests_per_s: p.requests as f64,
                errors_per_s: p.errors as f64,
                rejected_503_per_s: p.http_503.map(|v| v as f64),
                delivered_per_s: p.delivered as f64,
                p99_us: p.latency_p99_us,
            })
            .collect()
    }
}

impl ExperimentData {
    /// Reads and parses one data file. Errors name the file.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
        Self::from_json(&text).map_err(|source| Error::BadData { path: path.to_owned(), source })
    }

    /// Parses a data file's text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The title for the report: `title`, or the experiment name when empty.
    pub fn display_title(&self) -> &str {
        if self.title.is_empty() { &self.experiment } else { &self.title }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_file_parses_with_defaults() {
        let d = ExperimentData::from_json(r#"{"experiment":"idle-cost","steps":[{"bench":{}}]}"#).unwrap();
        assert_eq!(d.experiment, "idle-cost");
        assert_eq!(d.steps[0].rate_per_s(), None);
        assert_eq!(d.steps[0].headers(), HeaderProfile::Minimal);
        assert!(d.steps[0].server.is_none());
    }

    #[test]
    fn unknown_fields_are_kept_or_ignored() {
        let d = ExperimentData::from_json(
            r#"{"experiment":"x","future":1,"steps":[{"params":{"transport":"websocket","clients":5,"zz":"q"},
                "bench":{"transport":"ws","new_field":[1,2],"bytes":{"framing":10,"other":3}}}]}"#,
        )
        .unwrap();
        let s = &d.steps[0];
        assert_eq!(s.transport(), Some(Transport::Ws));
        assert_eq!(s.params.extra["zz"], "q");
        assert_eq!(s.bench.bytes.framing, 10);
    }

    #[test]
    fn errors_accept_several_shapes() {
        let e: Errors = serde_json::from_str(r#"{"http_503": 4, "connect": 1, "by_status": {"500": 2}}"#).unwrap();
        assert_eq!(e.total(), 7);
        assert_eq!(e.rejected_503(), 4);
        assert_eq!(e.other(), 3);
        let e: Errors = serde_json::from_str("5").unwrap();
        assert_eq!(e.total(), 5);
        let e: Errors = serde_json::from_str(r#"["a","b"]"#).unwrap();
        assert_eq!(e.total(), 2);
        let e: Errors = serde_json::from_str("null").unwrap();
        assert_eq!(e.total(), 0);
    }

    #[test]
    fn not_a_data_file_is_rejected() {
        assert!(ExperimentData::from_json(r#"{"steps":[]}"#).is_err());
        assert!(ExperimentData::from_json(r#"{"experiment":"x"}"#).is_err());
        assert!(ExperimentData::from_json("[1]").is_err());
    }

    #[test]
    fn params_fall_back_to_the_bench_result() {
        let d = ExperimentData::from_json(
            r#"{"experiment":"x","steps":[{"params":{"clients":5},"bench":{"transport":"poll","clients":7,
                "headers":"browser","rate_per_s":2,"poll_interval_ms":500,"rtt_ms":50,
                "overhead_bytes_per_message":null,"timeline":[{"t_s":1,"requests":10,"errors":2}]}}]}"#,
        )
        .unwrap();
        let s = &d.steps[0];
        assert_eq!(s.clients(), 5);
        assert_eq!(s.transport(), Some(Transport::Poll));
        assert_eq!(s.headers(), HeaderProfile::Browser);
        assert_eq!((s.rate_per_s(), s.poll_interval_ms(), s.rtt_ms()), (Some(2.0), Some(500.0), 50.0));
        assert_eq!(s.bench.overhead_bytes_per_message, None);
        let samples = s.samples();
        assert_eq!(
            (samples[0].requests_per_s, samples[0].errors_per_s, samples[0].rejected_503_per_s),
            (10.0, 2.0, None)
        );
    }

    #[test]
    fn unknown_header_profile_is_other() {
        let d = ExperimentData::from_json(r#"{"experiment":"x","steps":[{"bench":{"headers":"curl"}}]}"#).unwrap();
        assert_eq!(d.steps[0].headers(), HeaderProfile::Other);
    }

    /// A result exactly as `feedlab bench --json` writes it (crates/harness/src/result.rs, schema 1).
    const HARNESS_RESULT: &str = r#"{
      "schema_version": 1, "harness_version": "0.1.0", "target": "http://127.0.0.1:8080",
      "transport": "sse", "headers": "minimal", "browser_fixture": null, "clients": 100,
      "duration_s": 30.0, "drain_s": 0.5, "rate_per_s": 1.0, "poll_interval_ms": null, "payload_bytes": 20,
      "keep_alive": true, "rtt_ms": 0.0, "source_addrs": 1, "started_unix_ms": 1795263295090,
      "cancelled": false, "published": 30, "delivered": 3000, "expected": 3000, "lost": 0, "duplicated": 0,
      "reordered": 0, "gap_ids": 0, "requests": 100, "empty_responses": 0, "connections": 100,
      "bytes": {"request_headers": 9000, "response_headers": 15000, "body": 270000, "framing": 36000,
                "handshake": 0, "control": 400, "sent": 9000, "received": 321400},
      "overhead_bytes_per_message": 12.0, "setup_bytes_per_message": 8.0,
      "latency_us": {"count": 3000, "mean": 812.5, "min": 200, "p50": 700, "p90": 1200, "p99": 2500,
                     "p999": 4000, "max": 5000},
      "request_latency_us": null, "clock_offset_us": -12,
      "errors": {"http_503": 0, "connect": 0},
      "publish": {"requests": 30, "errors": 0, "sent_bytes": 5000, "received_bytes": 3000, "max_lag_us": 90,
                  "first_id": 1, "last_id": 30},
      "timeline": [{"t_s": 1.0, "published": 1, "delivered": 100, "requests": 0, "errors": 0,
                    "sent_bytes": 0, "received_bytes": 10000, "open_connections": 100}]
    }"#;

    #[test]
    fn reads_the_harness_result_as_written() {
        let b: BenchResult = serde_json::from_str(HARNESS_RESULT).unwrap();
        assert_eq!(b.transport, Some(Transport::Sse));
        assert_eq!(b.headers, Some(HeaderProfile::Minimal));
        assert_eq!(b.overhead_bytes_per_message, Some(12.0));
        assert_eq!(b.latency_us.p99, 2500.0);
        assert_eq!(b.bytes.total(), 330_400);
        assert_eq!(b.errors.total(), 0);
        assert_eq!(b.timeline[0].delivered, 100);
        let step = format!(r#"{{"experiment":"x","steps":[{{"bench":{HARNESS_RESULT}}}]}}"#);
        let d = ExperimentData::from_json(&step).unwrap();
        assert_eq!((d.steps[0].clients(), d.steps[0].rate_per_s()), (100, Some(1.0)));
    }

    #[test]
    fn round_trips() {
        let d = ExperimentData::from_json(
            r#"{"experiment":"x","steps":[{"params":{"transport":"sse"},"bench":{"errors":{"http_503":1}},
                "server":{"cpu_s":1.5},"timeline":[{"t_s":1,"requests_per_s":3,"p99_us":4}]}]}"#,
        )
        .unwrap();
        let back = ExperimentData::from_json(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(d, back);
    }
}
