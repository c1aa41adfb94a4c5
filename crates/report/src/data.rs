//! The shape of `results/<experiment>/data.json`: what the suite writes after a run and the only thing the
//! charts and the report read.
//!
//! The suite (`feedlab run`) serializes [`ExperimentData`] once per experiment; `feedlab report` deserializes
//! it again later, possibly written by an older or newer build. So reading is tolerant: every field has a
//! default (`#[serde(default)]`) and unknown fields are ignored, so adding a field to the harness's
//! `BenchResult` never breaks re-rendering old results. What *is* required is `experiment` and `steps`, so a
//! file that is not a data file at all is still rejected with a clear message.
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// The parameters of one step. Missing values take the harness defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Params {
    /// Transport under test; when absent the bench result's `transport` is used.
    pub transport: Option<Transport>,
    /// Number of simulated clients.
    pub clients: u64,
    /// Polling interval in ms (polling only; other transports ignore it).
    pub poll_interval_ms: Option<f64>,
    /// Publish rate in messages per second (0 for a quiet feed).
    pub rate_per_s: f64,
    /// Header profile the clients sent.
    pub headers: HeaderProfile,
    /// Simulated round-trip time in ms (0 = direct).
    pub rtt_ms: f64,
    /// Long-poll / poll batch limit (`limit=`), when set.
    pub limit: Option<u64>,
    /// Any other parameter the experiment file set, kept so tables and future charts can show it.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            transport: None,
            clients: 0,
            poll_interval_ms: None,
            rate_per_s: 1.0,
            headers: HeaderProfile::Minimal,
            rtt_ms: 0.0,
            limit: None,
            extra: BTreeMap::new(),
        }
    }
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
}

impl HeaderProfile {
    /// Name as in the data files.
    pub fn name(self) -> &'static str {
        match self {
            HeaderProfile::Minimal => "minimal",
            HeaderProfile::Browser => "browser",
        }
    }
}

/// The harness's result for one run (the fields of its `--json` output the report reads).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BenchResult {
    /// Transport the clients used.
    pub transport: Option<Transport>,
    /// Number of simulated clients.
    pub clients: u64,
    /// Measured (steady-state) duration in seconds; rates are per this duration.
    pub duration_s: f64,
    /// Messages the harness published.
    pub published: u64,
    /// Messages delivered, summed over clients.
    pub delivered: u64,
    /// Published ids a client never got (must be 0).
    pub lost: u64,
    /// Ids a client got more than once (must be 0).
    pub duplicated: u64,
    /// Ids a client got out of order (must be 0).
    pub reordered: u64,
    /// HTTP requests sent by all clients (a WebSocket or SSE connection counts one).
    pub requests: u64,
    /// Answers that carried no message (polling's wasted requests).
    pub empty_responses: u64,
    /// TCP connections opened.
    pub connections: u64,
    /// Wire bytes by category, summed over clients.
    pub bytes: Bytes,
    /// (request + response header bytes + SSE/WS framing) / delivered, handshakes excluded: the Kaazing figure.
    pub overhead_bytes_per_message: f64,
    /// Connection-setup bytes (WS handshake, SSE response head) / delivered.
    pub setup_bytes_per_message: f64,
    /// Delivery latency (receive instant - publish `ts`), merged over clients, in microseconds.
    pub latency_us: Latency,
    /// Error counts by kind (e.g. `{"http_503": 12, "connect": 0}`); see [`Errors`].
    pub errors: Errors,
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
    /// WebSocket upgrade exchange and SSE response head.
    pub handshake: u64,
}

impl Bytes {
    /// Every byte on the wire for delivery, all categories together.
    pub fn total(&self) -> u64 {
        self.request_headers + self.response_headers + self.body + self.framing + self.handshake
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
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
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
                serde_json::Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)).unwrap_or(0),
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

/// One per-second sample of a step's timeline (the overload experiment).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sample {
    /// Seconds since the step started (end of the sampled second).
    pub t_s: f64,
    /// Requests answered in that second (any status).
    pub requests_per_s: f64,
    /// Answers that were 503 (over capacity) in that second.
    pub rejected_503_per_s: f64,
    /// Other failures (connect errors, resets, timeouts, 5xx other than 503) in that second.
    pub errors_per_s: f64,
    /// Messages delivered in that second.
    pub delivered_per_s: f64,
    /// 99th percentile latency of the answers in that second, microseconds (0 when none).
    pub p99_us: f64,
}

impl Step {
    /// The step's transport: the parameter when given, else what the harness reported.
    pub fn transport(&self) -> Option<Transport> {
        self.params.transport.or(self.bench.transport)
    }

    /// Number of clients: the parameter when given, else what the harness reported.
    pub fn clients(&self) -> u64 {
        if self.params.clients > 0 { self.params.clients } else { self.bench.clients }
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
        assert_eq!(d.steps[0].params.rate_per_s, 1.0);
        assert_eq!(d.steps[0].params.headers, HeaderProfile::Minimal);
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
    fn round_trips() {
        let d = ExperimentData::from_json(
            r#"{"experiment":"x","steps":[{"params":{"transport":"sse"},"bench":{"errors":{"http_503":1}},
                "server":{"cpu_s":1.5},"timeline":[{"t_s":1,"requests_per_s":3}]}]}"#,
        )
        .unwrap();
        let back = ExperimentData::from_json(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(d, back);
    }
}
