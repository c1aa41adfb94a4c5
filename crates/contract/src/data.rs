//! The suite's data file, `results/<experiment>/data.json`: what `feedlab run` writes after every step and
//! the only thing the charts and the report read.
//!
//! Each step embeds the harness's [`BenchResult`] as it is (the same type, so the file is valid against the
//! bench schema), beside what the experiment asked for ([`Params`]) and what the server process cost
//! ([`ServerUsage`]). Read it with [`crate::read::load`]: strict, and every refusal names the field.
//!
//! Layout 2 added the kernel's floor measured in the same run ([`ExperimentData::floor`]) and the round of a
//! repeated step ([`Step::repeat`]); the steady-window CPU figures live in the embedded bench results
//! (`server_cpu`, `harness_cpu`). Layout 1 files still read: the new figures are then absent (null), which
//! the report shows as not measured in that run.
//!
//! ```json
//! {
//!   "schema_version": 2,
//!   "experiment": "header-overhead",
//!   "title": "Header overhead: the Kaazing table",
//!   "machine": {"cpus": 2, "mem_gib": 3.8, "os": "Linux 6.8 x86_64", "commit": "717f7b3", "date": "2026-11-21T12:00:00Z"},
//!   "quick": false,
//!   "steps": [{
//!     "label": "poll 1000 minimal",
//!     "params": {"transport": "poll", "clients": 1000, "duration_s": 8.0, "headers": "minimal",
//!                "rate_per_s": 1.0, "rtt_ms": 0.0, "poll_interval_ms": 1000.0, "payload_bytes": 32},
//!     "bench": { "...": "feedlab bench --json output, as it is" },
//!     "server": {"cpu_s": 3.2, "rss_mib_start": 11.0, "rss_mib_peak": 58.5, "rss_mib_end": 20.1},
//!     "timeline": [{"t_s": 1, "requests_per_s": 9000, "errors_per_s": 5600, "rejected_503_per_s": 5600,
//!                   "delivered_per_s": 1000, "p99_us": 65000}]
//!   }]
//! }
//! ```

use serde::{Deserialize, Serialize};

use crate::bench::BenchResult;
use crate::feed::FeedKind;
use crate::floor::FloorResult;
use crate::profile::HeaderProfile;
use crate::read::Versioned;
use crate::transport::Transport;

/// Version of the data file layout this build writes (the embedded bench and floor results carry their
/// own).
pub const DATA_SCHEMA_VERSION: u32 = 2;

/// Older layouts this build still reads: layout 1 lacks [`ExperimentData::floor`] and [`Step::repeat`],
/// which read as absent.
pub const DATA_SCHEMA_VERSIONS_READ: [u32; 1] = [1];

/// One experiment's results: the whole content of `results/<experiment>/data.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentData {
    /// [`DATA_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Experiment name, also its directory under `results/` (e.g. `header-overhead`); chooses the charts.
    pub experiment: String,
    /// Human title for the report section.
    pub title: String,
    /// Where and from which commit the run was made, printed at the top of the report.
    pub machine: Machine,
    /// `true` for a `--quick` (CI-sized) run: the report says so, since small runs prove less.
    pub quick: bool,
    /// One measured configuration per step, in the order they ran.
    pub steps: Vec<Step>,
    /// The kernel's own cost of a push (`feedlab floor`), measured on the same machine at the start of this
    /// run, against which the report reads every server CPU figure; null when the experiment does not
    /// measure it or the file predates layout 2.
    #[serde(default)]
    pub floor: Option<FloorResult>,
}

/// The machine a run was made on and the code it ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    pub label: String,
    /// The knobs of this step, as the experiment file set them.
    pub params: Params,
    /// The harness result for this step, as `feedlab bench --json` writes it.
    pub bench: BenchResult,
    /// Server process usage over the step, read from /proc by the suite; null when the server was external.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerUsage>,
    /// The server's per-second samples (the overload experiment's timeline); absent for most steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<Sample>,
    /// For an experiment that repeats its steps (`repeats` in its file): which round this step ran in, from
    /// 0. The rounds run one after the other, each through every configuration, and the steps of one
    /// configuration share a label; absent when steps are not repeated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<u32>,
    /// With several server processes (nodes): each one's usage, in start order; `server` is then their
    /// sum (CPU, and memory as the sum of each node's readings). Absent for one process.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<ServerUsage>,
    /// The Redis server's usage over the step, when the feed was on Redis (read from /proc like the nodes').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<ServerUsage>,
    /// Connections the Redis server held at the end of the step (the nodes' own: publish and tail, not one
    /// per client), when the feed was on Redis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis_connections: Option<u64>,
}

/// What a step's clients do while another step's run: the overload experiment's storm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A polling storm past capacity, started `start_s` into the measured step.
    Storm,
}

/// The parameters of one step, as the experiment file set them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Transport under test.
    pub transport: Transport,
    /// Number of simulated clients.
    pub clients: u64,
    /// Measured window, seconds.
    pub duration_s: f64,
    /// Header profile the clients sent.
    pub headers: HeaderProfile,
    /// Publish rate in messages per second (0 for a quiet feed).
    pub rate_per_s: f64,
    /// Simulated round-trip time in ms (0 = direct).
    pub rtt_ms: f64,
    /// Polling interval in ms (polling only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval_ms: Option<f64>,
    /// Published message body size in bytes (absent for a storm, which publishes nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_bytes: Option<u64>,
    /// Poll / long-poll batch limit (`limit=`), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Set for a step that is not measured on its own account (the overload storm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// A storm's start, seconds after the measured step's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_s: Option<f64>,
    /// `socketio-ws` only: the client opened the WebSocket directly (`true`) or upgraded a polling session
    /// to it (`false`, what browsers do by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socketio_direct: Option<bool>,
    /// Socket.IO transports only: whether the peer ran with connection-state recovery, so a client that
    /// reconnects gets what it missed (without it, Socket.IO keeps no cursor and the gap is lost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<bool>,
    /// Server processes sharing the feed (`--reuse-port` on one port); absent means one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<u64>,
    /// The feed backend the server ran with; absent means the in-memory feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<FeedKind>,
}

impl Params {
    /// Server processes of the step (1 unless the step ran several nodes).
    pub fn nodes(&self) -> u64 {
        self.nodes.unwrap_or(1)
    }

    /// The feed backend of the step.
    pub fn feed(&self) -> FeedKind {
        self.feed.unwrap_or_default()
    }
}

/// Server process usage over one step, from /proc.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
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

impl ServerUsage {
    /// Several processes' usage as one: CPU and every memory reading summed (the peaks summed are an upper
    /// bound of the peak of the sum: the processes peak at about the same time in a step).
    pub fn sum(parts: &[ServerUsage]) -> ServerUsage {
        parts.iter().fold(ServerUsage::default(), |a, u| ServerUsage {
            cpu_s: a.cpu_s + u.cpu_s,
            rss_mib_start: a.rss_mib_start + u.rss_mib_start,
            rss_mib_peak: a.rss_mib_peak + u.rss_mib_peak,
            rss_mib_end: a.rss_mib_end + u.rss_mib_end,
        })
    }
}

/// One per-second sample of the server's side of a step (the overload experiment), from `/stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Seconds since the step started (end of the sampled second).
    pub t_s: f64,
    /// Requests answered in that second.
    pub requests_per_s: f64,
    /// Answers with status 4xx or 5xx in that second, 503s included.
    pub errors_per_s: f64,
    /// Of those, 503 answers (over capacity).
    pub rejected_503_per_s: f64,
    /// Messages delivered in that second.
    pub delivered_per_s: f64,
    /// 99th percentile answer time of the suite's probes in that second, microseconds (null: none answered).
    pub p99_us: Option<f64>,
}

impl Params {
    /// The parameters every step has, the optional ones unset.
    pub fn new(
        transport: Transport,
        clients: u64,
        duration_s: f64,
        headers: HeaderProfile,
        rate_per_s: f64,
        rtt_ms: f64,
    ) -> Params {
        Params {
            transport,
            clients,
            duration_s,
            headers,
            rate_per_s,
            rtt_ms,
            poll_interval_ms: None,
            payload_bytes: None,
            limit: None,
            role: None,
            start_s: None,
            socketio_direct: None,
            recovery: None,
            nodes: None,
            feed: None,
        }
    }
}

impl ExperimentData {
    /// The bench results of every step, with their field paths (for version checks).
    fn benches(&self) -> impl Iterator<Item = (usize, &BenchResult)> {
        self.steps.iter().map(|s| &s.bench).enumerate()
    }
}

impl Versioned for ExperimentData {
    const SCHEMA_VERSION: u32 = DATA_SCHEMA_VERSION;
    const WHAT: &'static str = "feedlab data file";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn older_versions_read() -> &'static [u32] {
        &DATA_SCHEMA_VERSIONS_READ
    }

    fn nested_versions(&self) -> Vec<(String, u32, u32)> {
        let floor = self
            .floor
            .iter()
            .map(|f| ("floor.schema_version".to_owned(), f.schema_version, FloorResult::SCHEMA_VERSION));
        self.benches()
            .map(|(i, b)| (format!("steps[{i}].bench.schema_version"), b.schema_version, BenchResult::SCHEMA_VERSION))
            .chain(floor)
            .collect()
    }
}
