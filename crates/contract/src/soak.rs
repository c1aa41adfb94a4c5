//! What `feedlab bench --soak` writes: all four transports at once for a long time, with the server's
//! memory watched (the harness's `soak` module says how it is measured).
//!
//! Schema: `crates/contract/schema/soak.schema.json`; each entry of `transports` is a [`BenchResult`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bench::{BenchResult, TimelinePoint};
use crate::read::Versioned;

/// Version of the soak JSON layout; bumped when a field is removed, renamed, changes meaning, or a required
/// field is added (an optional field, null when not measured, may be added without a bump).
pub const SOAK_SCHEMA_VERSION: u32 = 1;

/// The server's resident memory over the soak, in KiB (`VmRSS`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rss {
    /// The process sampled.
    pub pid: u32,
    /// Before any client connected.
    pub before_clients_kib: u64,
    /// When the measured window opened (streaming clients connected, pollers starting).
    pub window_start_kib: u64,
    /// Seconds of the window before `start_kib` (the harness's warm-up share of it).
    pub warmup_s: f64,
    /// After the warm-up: where growth is measured from.
    pub start_kib: u64,
    /// When the window closed (clients still connected).
    pub end_kib: u64,
    /// Largest sample inside the window.
    pub peak_kib: u64,
    /// (end - start) / start, in percent (after the warm-up).
    pub growth_pct: f64,
    /// Every sample, seconds since the window opened (negative: during ramp-up).
    pub samples: Vec<RssSample>,
}

/// One `VmRSS` reading.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RssSample {
    /// Seconds since the measured window opened.
    pub t_s: f64,
    /// `VmRSS` in KiB.
    pub kib: u64,
}

/// Whether the soak met its targets; each check is spelled out so a failure says which.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SoakVerdict {
    /// The growth target, percent (the harness's `RSS_GROWTH_TARGET_PCT`).
    pub rss_growth_target_pct: f64,
    /// RSS growth under the target; null when memory was not sampled.
    pub rss_ok: Option<bool>,
    /// No client error of any kind on any transport.
    pub errors_ok: bool,
    /// Nothing lost, duplicated or reordered on any transport.
    pub integrity_ok: bool,
    /// All of the above (memory only if sampled), and the soak ran to its end.
    pub passed: bool,
}

/// What a soak measured. Serialized as the `--json` output of `feedlab bench --soak`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoakResult {
    /// [`SOAK_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Always `"soak"`: tells a soak file from a bench result at a glance.
    pub kind: String,
    /// Version of the harness that measured.
    pub harness_version: String,
    /// The server, as given.
    pub target: String,
    /// Wall-clock start of the measured window, ms since the Unix epoch.
    pub started_unix_ms: u64,
    /// Length of the measured window, seconds.
    pub duration_s: f64,
    /// True when interrupted (Ctrl-C): partial figures.
    pub cancelled: bool,
    /// Clients over all transports.
    pub clients: u64,
    /// Publish rate asked for, messages per second.
    pub rate_per_s: f64,
    /// `--chaos`: share of the clients dropped per second (0 = none).
    pub chaos_rate_per_s: f64,
    /// Messages the harness published.
    pub published: u64,
    /// Client errors by kind, all transports together.
    pub errors: BTreeMap<String, u64>,
    /// Lost ids, all transports together.
    pub lost: u64,
    /// Duplicated receipts, all transports together.
    pub duplicated: u64,
    /// Reordered receipts, all transports together.
    pub reordered: u64,
    /// Reconnects (after any broken connection), all transports together.
    pub reconnects: u64,
    /// `--chaos` drops, all transports together.
    pub chaos_drops: u64,
    /// The server's memory; null without `--server-pid`.
    pub rss: Option<Rss>,
    /// Targets met or not.
    pub verdict: SoakVerdict,
    /// One bench result per transport (poll, longpoll, sse, ws), as in `bench.schema.json`; their timelines
    /// are empty, the run's is `timeline`.
    pub transports: Vec<BenchResult>,
    /// Per-second deltas of the whole run.
    pub timeline: Vec<TimelinePoint>,
}

impl SoakResult {
    /// Serializes as pretty JSON (the `--json` file format).
    pub fn to_json(&self) -> String {
        // unwrap: plain structs of numbers, strings and maps with string keys always serialize.
        serde_json::to_string_pretty(self).unwrap()
    }
}

impl Versioned for SoakResult {
    const SCHEMA_VERSION: u32 = SOAK_SCHEMA_VERSION;
    const WHAT: &'static str = "soak result";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn nested_versions(&self) -> Vec<(String, u32, u32)> {
        self.transports
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("transports[{i}].schema_version"), t.schema_version, BenchResult::SCHEMA_VERSION))
            .collect()
    }
}
