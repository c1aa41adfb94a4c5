//! Defaults and allowed ranges of every experiment-file key, as named constants.
//!
//! A range error and a wrong-type error both quote [`allowed`], so the user always sees what the key
//! accepts. Ranges are what makes sense for the contract and this kind of machine; whether one step fits the
//! machine's socket limits is checked separately by the harness's own planner when the file is loaded.
//! A sweep with no `transport` key covers every transport feedlab's server serves (`Transport::FEEDLAB`);
//! Socket.IO's are measured only when a file names them (they need node and the peer's packages).

use std::fmt;

use feedlab_contract::{FeedKind, HeaderProfile, HttpVersion, Transport};

/// An inclusive numeric range with the unit it is in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Smallest allowed value.
    pub min: f64,
    /// Largest allowed value.
    pub max: f64,
    /// Unit and kind, e.g. "clients" or "ms".
    pub unit: &'static str,
    /// Whole numbers only.
    pub whole: bool,
}

impl Limit {
    const fn whole(min: u64, max: u64, unit: &'static str) -> Limit {
        Limit { min: min as f64, max: max as f64, unit, whole: true }
    }

    const fn real(min: f64, max: f64, unit: &'static str) -> Limit {
        Limit { min, max, unit, whole: false }
    }

    /// Whether `v` is inside the range.
    pub fn contains(&self, v: f64) -> bool {
        v.is_finite() && v >= self.min && v <= self.max
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.whole { "a whole number" } else { "a number" };
        write!(f, "{kind} in {}..={} ({})", self.min, self.max, self.unit)
    }
}

/// Simulated clients per step. The top is far past this machine (the harness checks the real open-file and
/// port limits when the file is loaded); it only catches typos like an extra zero.
pub const CLIENTS: Limit = Limit::whole(1, 100_000, "clients");
/// Publish rate. The harness publishes over one keep-alive connection; past a few thousand per second it
/// measures its own publisher, not the transports.
pub const RATE_PER_S: Limit = Limit::real(0.0, 5_000.0, "messages per second; 0 = a quiet feed");
/// Polling interval: below 10 ms a poller is a busy loop; above a minute, idle keep-alives are cut.
pub const POLL_INTERVAL_MS: Limit = Limit::whole(10, 60_000, "ms");
/// Simulated round trip through the harness's relay.
pub const RTT_MS: Limit = Limit::whole(0, 5_000, "ms");
/// Measured window of one step.
pub const DURATION_S: Limit = Limit::real(0.5, 600.0, "seconds");
/// Messages a low-rate step must publish (lengthens it up to [`DURATION_S`]'s maximum).
pub const MIN_MESSAGES: Limit = Limit::whole(1, 10_000, "messages");
/// `limit=` of poll and long-poll requests: the server's maximum is 10,000.
pub const LIMIT: Limit = Limit::whole(1, 10_000, "messages per answer");
/// Publish body size: the contract caps a body at 64 KiB.
pub const PAYLOAD_BYTES: Limit = Limit::whole(1, 65_536, "bytes");
/// `--max-rps` of the server (0 = no cap).
pub const MAX_RPS: Limit = Limit::whole(0, 1_000_000, "requests per second; 0 = no cap");
/// `--max-streams` of the server: below its 20,000 open-file limit.
pub const MAX_STREAMS: Limit = Limit::whole(1, 19_000, "connections");
/// `--workers` of the server (0 = one per core).
pub const WORKERS: Limit = Limit::whole(0, 64, "threads; 0 = one per core");
/// Server processes of one step (`nodes` in `loads`): each is a `feedlab serve --reuse-port` on the same port
/// and the same Redis feed; past a handful, two cores measure the scheduler.
pub const NODES: Limit = Limit::whole(1, 8, "server processes");
/// Rounds of a sweep: 3 give a median and a range; more than 10 is a typo.
pub const REPEATS: Limit = Limit::whole(1, 10, "rounds of the whole sweep");
/// When the storm starts within a step.
pub const STORM_START_S: Limit = Limit::real(0.0, 600.0, "seconds after the step starts");

/// Clients per step when not given: enough for stable percentiles, light for any machine.
pub const DEFAULT_CLIENTS: u64 = 100;
/// Publish rate when not given: Kaazing's 1 message per second per client.
pub const DEFAULT_RATE_PER_S: f64 = 1.0;
/// Polling interval when not given: Kaazing's once a second.
pub const DEFAULT_POLL_INTERVAL_MS: u64 = 1_000;
/// Round trip when not given: direct (loopback).
pub const DEFAULT_RTT_MS: u64 = 0;
/// Measured window when not given.
pub const DEFAULT_DURATION_S: f64 = 10.0;
/// Publish body size when not given: the harness's default, a short chat line.
pub const DEFAULT_PAYLOAD_BYTES: u64 = 64;
/// `--max-streams` when not given: the server's own default.
pub const DEFAULT_MAX_STREAMS: u64 = 15_000;
/// Most steps one file may expand to: a typo in a list should not plan a week of runs.
pub const MAX_STEPS: usize = 200;

/// `"a", "b" or "c"`: the names a key accepts.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// What a key accepts, by its last path segment, for error messages.
pub fn allowed(leaf: &str) -> Option<String> {
    let list = |l: Limit| format!("{l}, or a list of them");
    Some(match leaf {
        "title" | "about" => "a string".to_owned(),
        "timeline" | "fresh_per_step" | "floor" => "true or false".to_owned(),
        "socketio_direct" | "recovery" => "true or false, or a list of them".to_owned(),
        "loads" => format!(
            "a list of {{clients = N, rate_per_s = R}}, each optionally with nodes = K and feed = {}: {CLIENTS}; \
             {RATE_PER_S}; {NODES}",
            one_of(&FeedKind::NAMES)
        ),
        "transport" => format!("{} (in [steps]: or a list of them)", one_of(&Transport::NAMES)),
        "headers" => format!("{}, or a list of them", one_of(&HeaderProfile::NAMES)),
        "http" => format!("{}, or a list of them", one_of(&HttpVersion::NAMES)),
        "clients" => list(CLIENTS),
        "rate_per_s" => list(RATE_PER_S),
        "poll_interval_ms" => list(POLL_INTERVAL_MS),
        "rtt_ms" => list(RTT_MS),
        "duration_s" => DURATION_S.to_string(),
        "min_messages" => MIN_MESSAGES.to_string(),
        "limit" => LIMIT.to_string(),
        "payload_bytes" => PAYLOAD_BYTES.to_string(),
        "max_rps" => MAX_RPS.to_string(),
        "max_streams" => MAX_STREAMS.to_string(),
        "workers" => WORKERS.to_string(),
        "start_s" => STORM_START_S.to_string(),
        "repeats" => REPEATS.to_string(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_contract() {
        assert_eq!(
            allowed("transport").unwrap(),
            "\"poll\", \"longpoll\", \"sse\", \"ws\", \"socketio-polling\" or \"socketio-ws\" (in [steps]: or a list of them)"
        );
        assert_eq!(allowed("headers").unwrap(), "\"minimal\" or \"browser\", or a list of them");
        assert_eq!(one_of(&["x"]), "\"x\"");
    }
}
