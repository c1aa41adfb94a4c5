//! What `feedlab floor` writes: the kernel's own cost of pushing a small frame to one of thousands of idle
//! loopback TCP sockets, measured on the machine at hand (the harness's `floor` module says how).
//!
//! Every server CPU figure per delivered message is compared with this floor: a push server cannot spend
//! less than one `send()` per delivery (or one per batch, when it coalesces), so `server us per delivery /
//! floor us per send` says how much of its cost is its own work.
//!
//! Schema: `crates/contract/schema/floor.schema.json`, checked against these types by `tests/schema.rs`.

use serde::{Deserialize, Serialize};

use crate::read::Versioned;
use crate::spread::Spread;

/// Version of the floor JSON layout. Bumped when a field is removed, renamed, changes meaning, or a
/// required field is added; an optional field (null when not measured) may be added without a bump.
pub const FLOOR_SCHEMA_VERSION: u32 = 1;

/// Where the sending and the reading thread run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// Pinned to two different CPUs: the reader drains while the sender sends, as the harness does on the
    /// other core while the server pushes. The default, when there are two CPUs.
    Apart,
    /// Both pinned to one CPU: the reader only runs when the sender is preempted (shows what sharing a
    /// core does to the figures; not the server's situation).
    Same,
    /// Not pinned: the scheduler places them.
    Any,
}

impl Placement {
    /// Every placement, in the order of the command line's help.
    pub const ALL: [Placement; 3] = [Placement::Apart, Placement::Same, Placement::Any];
    /// Their names, as on the command line and in the JSON.
    pub const NAMES: [&'static str; 3] = ["apart", "same", "any"];

    /// The name (`apart`, `same`, `any`).
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

impl std::str::FromStr for Placement {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("{s:?}: expected one of {}", Self::NAMES.join(", ")))
    }
}

/// What one `feedlab floor` measured. Serialized as its `--json` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorResult {
    /// [`FLOOR_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Always `"floor"`: tells a floor file from a bench result at a glance.
    pub kind: String,
    /// Version of the harness that measured.
    pub harness_version: String,
    /// Wall-clock start, ms since the Unix epoch.
    pub started_unix_ms: u64,
    /// Loopback TCP connections (sender side and reader side each hold one socket of every pair).
    pub pairs: u64,
    /// Bytes of frame header in each frame (2: a server's WebSocket frame of a payload up to 125 bytes).
    pub header_bytes: u64,
    /// Bytes of payload in each frame.
    pub payload_bytes: u64,
    /// Seconds of sending before each measured window (caches, socket buffers and the reader settle).
    pub warmup_s: f64,
    /// Length of each measured window, seconds.
    pub window_s: f64,
    /// Measured windows per case.
    pub repeats: u64,
    /// Where the sender and the reader ran.
    pub placement: Placement,
    /// Sends per second asked (0: flat out). Paced, each send finds its reader asleep and pays for waking
    /// it, as a push server's sends to idle clients do, and `sender_cpu_s` counts the `send()` calls only;
    /// flat out, the reader is always busy and the figure is the lower bound of a sender that never waits.
    pub send_rate_per_s: f64,
    /// The CPU the sender was pinned to (null: not pinned).
    pub sender_cpu: Option<u32>,
    /// The CPU the reader was pinned to (null: not pinned).
    pub reader_cpu: Option<u32>,
    /// CPUs this process may run on.
    pub cpus: u64,
    /// One case per number of frames per `send()`, in the order measured.
    pub cases: Vec<FloorCase>,
}

/// One number of frames per `send()`, measured [`FloorResult::repeats`] times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorCase {
    /// Frames written by one `send()` (1: one message per call; more: what coalescing gives).
    pub frames_per_send: u64,
    /// Sender thread CPU (user + system) per `send()` call, microseconds.
    pub send_us: Spread,
    /// Sender thread CPU per frame (`send_us / frames_per_send`), microseconds.
    pub frame_us: Spread,
    /// Reader thread CPU (epoll wait, `recv()`, wakeups) per frame received, microseconds.
    pub reader_us_per_frame: Spread,
    /// `send()` calls per second of the window.
    pub sends_per_s: Spread,
    /// Every measured window, as measured.
    pub runs: Vec<FloorRun>,
}

/// One measured window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FloorRun {
    /// Length of the window as it ran, seconds.
    pub window_s: f64,
    /// `send()` calls that wrote the whole buffer.
    pub sends: u64,
    /// `send()` calls refused because the socket's buffer was full (the reader fell behind; 0 in a
    /// healthy run).
    pub would_block: u64,
    /// Sender thread CPU (`CLOCK_THREAD_CPUTIME_ID`) spent sending, seconds: the whole window flat out;
    /// paced, the `send()` calls alone (each bracketed by clock reads whose own cost is taken off), not the
    /// waiting between them.
    pub sender_cpu_s: f64,
    /// The sender thread's user CPU over the window (`getrusage(RUSAGE_THREAD)`, which splits the thread's
    /// exact CPU by tick samples: a rough split), seconds; paced, it is mostly the wait between sends.
    pub sender_user_s: f64,
    /// The sender thread's system CPU over the window, seconds, split as `sender_user_s`: the kernel's share
    /// of sending (paced, the clock reads' calibrated cost taken off). A `send()` is nearly all kernel.
    pub sender_system_s: f64,
    /// Reader thread CPU over the window, seconds.
    pub reader_cpu_s: f64,
    /// Bytes the reader received in the window.
    pub reader_bytes: u64,
    /// `recv()` calls that returned data.
    pub reader_reads: u64,
    /// `epoll_wait()` calls that returned events.
    pub reader_wakeups: u64,
}

impl FloorCase {
    /// The case of `frames_per_send` frames (of `frame_bytes` each) per call, from its measured windows; None
    /// when no window has a figure (nothing was sent, or nothing received).
    pub fn from_runs(frames_per_send: u64, frame_bytes: u64, runs: Vec<FloorRun>) -> Option<FloorCase> {
        let per_send = |s: f64, r: &FloorRun| s * 1e6 / r.sends as f64;
        let of = |f: &dyn Fn(&FloorRun) -> f64| Spread::of(&runs.iter().map(f).collect::<Vec<_>>());
        Some(FloorCase {
            frames_per_send,
            send_us: of(&|r| per_send(r.sender_cpu_s, r))?,
            frame_us: of(&|r| per_send(r.sender_cpu_s, r) / frames_per_send as f64)?,
            reader_us_per_frame: of(&|r| r.reader_cpu_s * 1e6 / (r.reader_bytes as f64 / frame_bytes as f64))?,
            sends_per_s: of(&|r| r.sends as f64 / r.window_s)?,
            runs,
        })
    }
}

impl FloorResult {
    /// Serializes as pretty JSON (the `--json` file format).
    pub fn to_json(&self) -> String {
        // unwrap: plain structs of numbers and strings always serialize.
        serde_json::to_string_pretty(self).unwrap()
    }

    /// The case of `frames_per_send` frames per call, if measured.
    pub fn case(&self, frames_per_send: u64) -> Option<&FloorCase> {
        self.cases.iter().find(|c| c.frames_per_send == frames_per_send)
    }

    /// Bytes of one frame (header + payload).
    pub fn frame_bytes(&self) -> u64 {
        self.header_bytes + self.payload_bytes
    }
}

impl Versioned for FloorResult {
    const SCHEMA_VERSION: u32 = FLOOR_SCHEMA_VERSION;
    const WHAT: &'static str = "floor result";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_is_derived_from_its_runs() {
        let run = |sends: u64, sender_cpu_s: f64| FloorRun {
            window_s: 2.0,
            sends,
            would_block: 0,
            sender_cpu_s,
            sender_user_s: 0.0,
            sender_system_s: sender_cpu_s / 2.0,
            reader_cpu_s: 1.0,
            reader_bytes: sends * 4 * 10,
            reader_reads: sends,
            reader_wakeups: sends / 10,
        };
        let case = FloorCase::from_runs(4, 10, vec![run(100_000, 2.0), run(100_000, 1.0), run(50_000, 2.0)]).unwrap();
        assert_eq!(case.send_us, Spread { median: 20.0, min: 10.0, max: 40.0 });
        assert_eq!(case.frame_us.median, 5.0);
        // 1 s of reader CPU over 400,000 frames.
        assert_eq!(case.reader_us_per_frame.max, 5.0);
        assert_eq!(case.sends_per_s.min, 25_000.0);
        assert_eq!(case.runs.len(), 3);
        assert!(FloorCase::from_runs(4, 10, vec![run(0, 1.0)]).is_none());
    }

    #[test]
    fn placement_names_round_trip() {
        for p in Placement::ALL {
            assert_eq!(p.name().parse::<Placement>(), Ok(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.name());
        }
        assert!("both".parse::<Placement>().unwrap_err().contains("apart, same, any"));
    }
}
