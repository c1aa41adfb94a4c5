//! The result of one bench run: what `feedlab bench --json FILE` writes, what the suite embeds in its data
//! files as it is, and what the report reads.
//!
//! This is a contract. The committed JSON schema (`crates/contract/schema/bench.schema.json`) describes
//! exactly these structs, and `tests/schema.rs` checks it against them. Readers are strict ([`crate::read`]): a
//! document of another [`SCHEMA_VERSION`] or with a field missing is refused with the field's name.
//!
//! # What the byte categories mean
//! Every figure is counted on the wire by the harness's `CountingStream`, client sockets only (the
//! harness's own publisher is counted apart in [`Publish`]):
//! - `request_headers`: HTTP request heads (request line + headers + blank line) of poll, long-poll and SSE
//!   requests. The WebSocket upgrade request is `handshake`, not here.
//! - `response_headers`: HTTP response heads (status line + headers + blank line), the `101` excepted.
//! - `body`: the message JSON objects themselves, byte for byte as the server sent them. The same figure
//!   for every transport, so the other categories are pure transport cost.
//! - `framing`: everything else that carries messages: the poll answer envelope (`{"messages":[`, commas,
//!   `],"next":N,"gap":null}`), HTTP chunked-encoding lines, SSE `id:`/`data:` fields and line ends, and
//!   WebSocket data-frame headers (both directions).
//! - `handshake`: WebSocket upgrade request + `101` response head.
//! - `control`: keep-alive traffic that carries no message: SSE `:` comment lines and WebSocket
//!   ping/pong/close frames (header and payload, both directions).
//!
//! Over HTTP/2 (`http_version` `"2"`) the same categories follow h2 frames: HEADERS and CONTINUATION
//! frames (payload and 9-byte frame header) are `request_headers` / `response_headers`; DATA payload is body
//! or framing as above, and DATA frame headers are `framing`; the connection preface and the SETTINGS
//! exchange are `handshake`; WINDOW_UPDATE, PING, SETTINGS acks, RST_STREAM and GOAWAY are `control`.
//!
//! `overhead_bytes_per_message` = (request_headers + response_headers + framing) / delivered, except that
//! for SSE the request and response heads are connection setup and go to `setup_bytes_per_message`
//! instead, as WebSocket's `handshake` does (DESIGN.md section 4, the Kaazing comparison).
//!
//! # Reconnects, chaos and restarts
//! `reconnects` counts connections a client opened after its previous one broke, whatever broke it (the
//! server closing a WebSocket with 1013, ending an SSE stream, a reset, a refusal, a `--chaos` drop);
//! `chaos` says what fault injection did. When the server restarts during a run (its feed's epoch
//! changes), each client counts an `epoch_changed` error (`cursor_ahead` from a server that names no
//! epoch: its cursor is past the new feed's head) and starts again at the new feed's head; its
//! figures from the old feed stay in `delivered`, `expected`, `lost` (holes only: what the old feed still
//! held when it went away cannot be known) and the rest, and ids are never compared across feeds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::http::HttpVersion;
use crate::profile::HeaderProfile;
use crate::transport::Transport;

mod cpu;
mod integrity;

pub use cpu::{CpuPer, ServerCpu};
pub use integrity::{ChaosStats, Integrity};

/// Version of this JSON layout. Bumped when a field is removed, renamed, changes meaning, or a required
/// field is added, since readers are strict. An optional field (null when not measured) may be added
/// without a bump: older documents lack it and read it as null.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything one bench run measured. Serialized as the `--json` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    /// [`SCHEMA_VERSION`] of this document, so readers can refuse a layout they do not know.
    pub schema_version: u32,
    /// Version of the harness that measured, for reproducing a result.
    pub harness_version: String,
    /// The server measured, as given on the command line (`http://host:port`).
    pub target: String,
    /// Which transport the simulated clients used.
    pub transport: Transport,
    /// Request header profile.
    pub headers: HeaderProfile,
    /// Chromium version and capture date of the browser header fixture, when `headers` is `browser`.
    pub browser_fixture: Option<String>,
    /// HTTP version of the HTTP transports' connections (WebSocket always upgrades from HTTP/1.1).
    /// Absent from documents written before HTTP/2 existed here, all of which were HTTP/1.1.
    #[serde(default)]
    pub http_version: HttpVersion,
    /// Number of simulated clients.
    pub clients: u64,
    /// Length of the measured window in seconds (publishing time; shorter if the run was cancelled).
    pub duration_s: f64,
    /// Seconds spent after publishing stopped, waiting for clients to receive the last messages.
    pub drain_s: f64,
    /// Publish rate asked for, messages per second (0 = the harness published nothing).
    pub rate_per_s: f64,
    /// Polling interval in milliseconds (poll transport only).
    pub poll_interval_ms: Option<u64>,
    /// Size of each published message body in bytes.
    pub payload_bytes: u64,
    /// Whether pollers reused connections (HTTP keep-alive); streaming transports always keep theirs.
    pub keep_alive: bool,
    /// Simulated round-trip time added by the harness's delaying relay, in milliseconds (0 = direct).
    pub rtt_ms: f64,
    /// Source addresses the client sockets were bound to (more than one past the per-address port limit).
    pub source_addrs: u64,
    /// Those addresses, over every process (empty: the kernel picked one). Absent from documents written
    /// before it was recorded.
    #[serde(default)]
    pub source_addr_list: Vec<String>,
    /// Processes the clients ran in (`--procs`: worker processes of one run, each with a share of the
    /// clients and of the source addresses; 1 = the harness itself). Absent (read as 1) from documents
    /// written before it existed.
    #[serde(default = "one")]
    pub procs: u64,
    /// Every server the clients connected to (`--target` given more than once: nodes of one feed; clients
    /// assigned round-robin); `target` is the first, which the harness published to. Absent (read as
    /// empty: `target` alone) from documents written before it existed.
    #[serde(default)]
    pub targets: Vec<String>,
    /// `--hop`: each reconnect moved a client on to the next of `targets`. Absent (false) from older
    /// documents.
    #[serde(default)]
    pub hop: bool,
    /// Wall-clock start of the measured window, milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
    /// True when the run was interrupted (Ctrl-C): the figures are what was measured until then, and
    /// `lost` counts only holes before each client's last received id, not the undelivered tail.
    pub cancelled: bool,
    /// Messages the harness published (`POST /messages` answered 201).
    pub published: u64,
    /// Whether every client got every id once and in order (flattened: the fields sit at the top level).
    #[serde(flatten)]
    pub integrity: Integrity,
    /// HTTP requests sent by clients (polls, long-polls, SSE requests, WebSocket upgrades).
    pub requests: u64,
    /// Poll/long-poll answers with no message in them.
    pub empty_responses: u64,
    /// Requests sent but abandoned without an answer when clients stopped (typically the long-poll each
    /// client still had held at the end) or when `--chaos` dropped their connection. Included in `requests` and `bytes.request_headers`; a server
    /// that counts requests when it answers them will not have seen these.
    pub unanswered_requests: u64,
    /// Request head bytes of the unanswered requests.
    pub unanswered_request_headers: u64,
    /// TCP connections clients opened (reconnects and non-keep-alive polls included).
    pub connections: u64,
    /// Connections clients opened after their previous one broke: server closes (WebSocket 1013, end of
    /// an SSE stream), errors, refusals and `--chaos` drops. A poller closing on purpose (keep-alive off)
    /// does not count.
    pub reconnects: u64,
    /// Fault injection (`--chaos`): what was asked and what it did.
    pub chaos: ChaosStats,
    /// Bytes on the wire per category, summed over clients.
    pub bytes: WireBytes,
    /// Head bytes of each client's first answered request, summed over clients (included in `bytes`). On
    /// HTTP/2 the first request fills HPACK's tables and later ones refer to them, so the first and the
    /// steady-state cost differ. Zeros in documents written before it was recorded.
    #[serde(default)]
    pub first_exchange: FirstExchange,
    /// Transport cost per delivered message, handshakes excluded; null when nothing was delivered.
    pub overhead_bytes_per_message: Option<f64>,
    /// Connection-setup bytes (WebSocket handshake, SSE request and response head) per delivered message;
    /// null when nothing was delivered.
    pub setup_bytes_per_message: Option<f64>,
    /// Delivery latency: receive instant minus the message's `ts`, over messages published in the window.
    pub latency_us: Latency,
    /// Poll and long-poll only: answer instant minus the request's intended send time (no coordinated
    /// omission: a late request is measured from when it should have gone).
    pub request_latency_us: Option<Latency>,
    /// Estimated server clock minus harness clock (from `GET /time`), subtracted from latencies.
    pub clock_offset_us: i64,
    /// Client-side errors by kind (`http_503`, `http_4xx`, `connect`, `io`, `protocol`, `ws_close_1013`,
    /// `epoch_changed` and `cursor_ahead` after a server restart, ...).
    pub errors: BTreeMap<String, u64>,
    /// The harness's own publishing traffic, kept apart from delivery traffic.
    pub publish: Publish,
    /// One point per second of the run (cumulative counters turned into per-second deltas).
    pub timeline: Vec<TimelinePoint>,
    /// The server's CPU in the steady window and during connection setup, from `/proc/PID/stat`
    /// (`--server-pid`); null when not measured.
    #[serde(default)]
    pub server_cpu: Option<ServerCpu>,
    /// The harness's own CPU (this process, `/proc/self/stat`, and its `--procs` workers) in the steady
    /// window, per message its clients received in it: a harness that costs as much as the server shares the machine's cores with
    /// it and may be the bottleneck. Null when not measured (a soak: its groups share one process).
    #[serde(default)]
    pub harness_cpu: Option<CpuPer>,
}

/// `procs` of a document written before it existed: one process.
fn one() -> u64 {
    1
}

/// Bytes on the wire by category. See the module documentation for exactly what each one counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireBytes {
    /// HTTP request heads (WebSocket upgrade excepted).
    pub request_headers: u64,
    /// HTTP response heads (`101` excepted).
    pub response_headers: u64,
    /// Message JSON bytes.
    pub body: u64,
    /// Envelope, chunked encoding, SSE fields, WebSocket data-frame headers.
    pub framing: u64,
    /// WebSocket upgrade request + `101` response head.
    pub handshake: u64,
    /// SSE comments, WebSocket ping/pong/close frames.
    pub control: u64,
    /// Every byte clients wrote to their sockets.
    pub sent: u64,
    /// Every byte clients read from their sockets.
    pub received: u64,
}

/// The heads of each client's first answered request (see [`BenchResult::first_exchange`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstExchange {
    /// First requests answered (one per client that got an answer).
    pub requests: u64,
    /// Their request head bytes.
    pub request_headers: u64,
    /// Their response head bytes.
    pub response_headers: u64,
}

impl FirstExchange {
    /// Adds one client's first exchange.
    pub fn add(&mut self, o: FirstExchange) {
        self.requests += o.requests;
        self.request_headers += o.request_headers;
        self.response_headers += o.response_headers;
    }
}

/// Latency summary in microseconds, from an HdrHistogram (1 us .. 60 s, 3 significant figures).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Number of samples.
    pub count: u64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Smallest sample.
    pub min: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest sample.
    pub max: u64,
}

/// The harness's publisher: `POST /messages` traffic, counted apart from what clients receive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Publish {
    /// POST requests sent.
    pub requests: u64,
    /// POST requests that did not answer 201.
    pub errors: u64,
    /// Bytes the publisher wrote (request heads and JSON bodies; the probe's requests included).
    pub sent_bytes: u64,
    /// Bytes the publisher read (response heads and bodies; the probe's answers included).
    pub received_bytes: u64,
    /// Largest delay between a publish's scheduled instant and when it was sent, in microseconds (a
    /// large value means the server could not take the asked rate and latencies are measured from later).
    pub max_lag_us: u64,
    /// Request head bytes of the start-cursor probe (`GET /poll` without a cursor). A server counts it as
    /// a poll, so comparing with its counters means subtracting it.
    pub probe_request_headers: u64,
    /// Response head bytes of the start-cursor probe.
    pub probe_response_headers: u64,
    /// First id the harness published into the feed the run ended on (null if none).
    pub first_id: Option<u64>,
    /// Last id the harness published into the feed the run ended on (null if none).
    pub last_id: Option<u64>,
    /// Epoch of the feed the run ended on (`GET /time`; null if the server does not name one).
    pub epoch: Option<u64>,
    /// Times the publisher found the feed's epoch changed (the server restarted) during the run.
    pub epoch_changes: u64,
    /// Messages published (answered 201) per second of the window; null when no rate was asked.
    #[serde(default)]
    pub achieved_rate_per_s: Option<f64>,
    /// Whether the asked rate was kept ([`rate_kept`]); null when no rate was asked. When false the server
    /// was offered less load than the run says, and the summary says so.
    #[serde(default)]
    pub rate_kept: Option<bool>,
    /// Connections the publisher opened to keep its schedule (it publishes on as many at once as the
    /// server's answers need; null in documents written before it did).
    #[serde(default)]
    pub connections: Option<u64>,
}

/// The share of the asked publish rate a run must reach for the rate to count as kept.
pub const RATE_KEPT_SHARE: f64 = 0.95;

/// The longest a publish may go out after its scheduled instant for the rate to count as kept: a publisher
/// that falls this far behind and catches up in a burst offered a different load than asked.
pub const RATE_KEPT_MAX_LAG_US: u64 = 1_000_000;

/// The rule for [`Publish::rate_kept`]: at least [`RATE_KEPT_SHARE`] of the asked rate was published, and
/// no publish went out more than [`RATE_KEPT_MAX_LAG_US`] late.
pub fn rate_kept(asked_per_s: f64, achieved_per_s: f64, max_lag_us: u64) -> bool {
    achieved_per_s >= asked_per_s * RATE_KEPT_SHARE && max_lag_us <= RATE_KEPT_MAX_LAG_US
}

/// Per-second deltas, for charts over time (ramp, overload and recovery).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Seconds since the measured window started (end of this one-second slot).
    pub t_s: f64,
    /// Messages published in this second.
    pub published: u64,
    /// Messages received by clients in this second.
    pub delivered: u64,
    /// Client requests sent in this second.
    pub requests: u64,
    /// Client errors in this second.
    pub errors: u64,
    /// Bytes clients wrote in this second.
    pub sent_bytes: u64,
    /// Bytes clients read in this second.
    pub received_bytes: u64,
    /// Client connections open at the end of this second.
    pub open_connections: u64,
}

/// The error kind of an HTTP 503 answer (over capacity: load shed, not something broken).
pub const ERROR_HTTP_503: &str = "http_503";

impl BenchResult {
    /// Serializes as pretty JSON (the `--json` file format).
    pub fn to_json(&self) -> String {
        // unwrap: plain structs of numbers, strings and maps with string keys always serialize.
        serde_json::to_string_pretty(self).unwrap()
    }

    /// Client errors of every kind.
    pub fn errors_total(&self) -> u64 {
        self.errors.values().sum()
    }

    /// 503 answers: the server shedding load on purpose.
    pub fn rejected_503(&self) -> u64 {
        self.errors.get(ERROR_HTTP_503).copied().unwrap_or(0)
    }

    /// The line that warns when the asked publish rate was not kept (None when it was, or nothing was
    /// asked): the summary table and the suite's step log print it as it is.
    pub fn rate_warning(&self) -> Option<String> {
        let p = &self.publish;
        if p.rate_kept != Some(false) {
            return None;
        }
        let achieved = p.achieved_rate_per_s.unwrap_or(0.0);
        let share = if self.rate_per_s > 0.0 { achieved / self.rate_per_s * 100.0 } else { 0.0 };
        Some(format!(
            "WARNING: rate not kept: asked {} msg/s, published {achieved:.1} msg/s ({share:.0}%), max lag {:.3} s; \
             the server was offered less load than asked",
            self.rate_per_s,
            p.max_lag_us as f64 / 1e6,
        ))
    }
}

impl WireBytes {
    /// Header and framing bytes only: what the Kaazing comparison counts.
    pub fn overhead(&self) -> u64 {
        self.request_headers + self.response_headers + self.framing
    }
}

/// Sums per-client figures into the run's.
impl std::ops::AddAssign for WireBytes {
    fn add_assign(&mut self, o: WireBytes) {
        self.request_headers += o.request_headers;
        self.response_headers += o.response_headers;
        self.body += o.body;
        self.framing += o.framing;
        self.handshake += o.handshake;
        self.control += o.control;
        self.sent += o.sent;
        self.received += o.received;
    }
}

impl crate::read::Versioned for BenchResult {
    const SCHEMA_VERSION: u32 = SCHEMA_VERSION;
    const WHAT: &'static str = "bench result";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_kept_at_95_percent_and_1_s_of_lag() {
        assert!(rate_kept(200.0, 190.0, 0));
        assert!(!rate_kept(200.0, 189.0, 0));
        assert!(rate_kept(200.0, 200.0, RATE_KEPT_MAX_LAG_US));
        assert!(!rate_kept(200.0, 200.0, RATE_KEPT_MAX_LAG_US + 1));
    }
}
