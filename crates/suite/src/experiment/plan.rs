//! The plan an experiment file becomes: the [`Experiment`] with its server settings, its steps and the
//! overload storm, each with the harness configuration it runs as. Built by `validate` from the raw file;
//! everything here is already checked.

use std::path::PathBuf;
use std::time::Duration;

use feedlab_contract::transport::ServedBy;
use feedlab_contract::{FeedKind, HeaderProfile, HttpVersion, Transport};
use feedlab_harness::{BenchConfig, FloorConfig, Target};

/// One experiment, validated and expanded, in its full or quick variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// Name: the file stem, also the results directory and what the report's charts key on.
    pub name: String,
    /// The file it came from.
    pub file: PathBuf,
    /// Report section title.
    pub title: String,
    /// Measure the kernel's floor before the first step ([`floor_config`]).
    pub floor: bool,
    /// What the experiment shows, for `--dry-run`.
    pub about: String,
    /// The `--quick` variant.
    pub quick: bool,
    /// Record a per-second server timeline (and answer-time probes) for every step.
    pub timeline: bool,
    /// Flags of the server child.
    pub server: ServerSettings,
    /// The steps, in the order they run.
    pub steps: Vec<StepPlan>,
    /// The overload storm, started during every step.
    pub storm: Option<Storm>,
}

/// Which server a step runs against: its transport's [`ServedBy`], with the peer's own setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// `feedlab serve`, with the experiment's [`ServerSettings`]: `nodes` processes on one port
    /// (`--reuse-port`), on the `feed` backend (with Redis, a `redis-server` the runner starts for them).
    Feedlab {
        /// Server processes.
        nodes: u64,
        /// Their feed backend.
        feed: FeedKind,
    },
    /// The Socket.IO peer (`node peers/socketio/server.mjs`); `[server]`'s settings are feedlab's and do not
    /// apply to it.
    SocketIo {
        /// `--recovery`: Socket.IO's connection-state recovery.
        recovery: bool,
    },
}

impl ServerKind {
    /// The flags of the server child after `--addr 127.0.0.1:0`.
    pub fn args(self, settings: &ServerSettings) -> Vec<String> {
        match self {
            ServerKind::Feedlab { .. } => settings.args(),
            ServerKind::SocketIo { recovery } => {
                if recovery {
                    vec!["--recovery".to_owned()]
                } else {
                    Vec::new()
                }
            }
        }
    }
}

/// How the server child is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerSettings {
    /// `--max-rps` (0 = no cap).
    pub max_rps: u64,
    /// `--max-streams`.
    pub max_streams: u64,
    /// `--workers` (0 = one per core).
    pub workers: u64,
    /// A fresh server for every step (clean memory figures, no TIME_WAIT pile-up on one port).
    pub fresh_per_step: bool,
}

impl ServerSettings {
    /// Flags for `feedlab serve`, after `serve --addr 127.0.0.1:0`. `--publish-rate 0`: the harness publishes
    /// up to thousands of messages per second from one address, which the chat rate limit would refuse.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["--publish-rate".to_owned(), "0".to_owned()];
        args.extend(["--max-rps".to_owned(), self.max_rps.to_string()]);
        args.extend(["--max-streams".to_owned(), self.max_streams.to_string()]);
        args.extend(["--workers".to_owned(), self.workers.to_string()]);
        args
    }
}

/// One measured configuration: a harness run.
#[derive(Debug, Clone, PartialEq)]
pub struct StepPlan {
    /// Short label: the transport and the values of the axes that vary in this experiment.
    pub label: String,
    /// Transport of every client.
    pub transport: Transport,
    /// Number of clients.
    pub clients: u64,
    /// Publish rate, messages per second.
    pub rate_per_s: f64,
    /// Polling interval (poll steps only).
    pub poll_interval: Option<Duration>,
    /// Request header profile.
    pub headers: HeaderProfile,
    /// HTTP version of the HTTP transports (always 1.1 for WebSocket).
    pub http: HttpVersion,
    /// Simulated round trip (zero = direct).
    pub rtt: Duration,
    /// Measured window.
    pub duration: Duration,
    /// `limit=` for poll and long-poll.
    pub limit: Option<u32>,
    /// Publish body size in bytes.
    pub payload_bytes: u64,
    /// `socketio-ws` steps only: the direct WebSocket start (`true`) or the upgrade from polling (`false`).
    pub socketio_direct: Option<bool>,
    /// Socket.IO steps only: whether the peer runs with connection-state recovery.
    pub recovery: Option<bool>,
    /// The round this step belongs to, when the experiment repeats its sweep (`repeats`); None otherwise.
    pub repeat: Option<u32>,
    /// Server processes sharing the port and the feed.
    pub nodes: u64,
    /// The feed backend of the server.
    pub feed: FeedKind,
}

/// The floor measured before an experiment's first step: the harness's own measurement (`feedlab floor`)
/// with shorter windows than the command's, since the suite's figures come in a run that must stay within
/// its time budget; three windows per case still give a median and a range. `--quick` uses a few hundred
/// sockets and tenth-of-a-second windows: it checks the pipeline, not the figure.
pub fn floor_config(quick: bool) -> FloorConfig {
    let mut cfg = FloorConfig::default();
    if quick {
        cfg.pairs = 200;
        cfg.warmup = Duration::from_millis(100);
        cfg.window = Duration::from_millis(200);
    } else {
        cfg.warmup = Duration::from_millis(500);
        cfg.window = Duration::from_secs(1);
    }
    cfg
}

/// Planned wall time of [`floor_config`]: a warm-up and a window per measurement, and a second for opening
/// and closing the sockets.
pub fn floor_estimate(quick: bool) -> Duration {
    let cfg = floor_config(quick);
    (cfg.warmup + cfg.window) * (cfg.repeats * cfg.frames_per_send.len()) as u32 + Duration::from_secs(1)
}

/// Clients one harness process runs at most in a step: under the 20,000 open files a process may hold here,
/// with room for the publisher's connections. Past it a step spreads its clients over several processes
/// (`feedlab bench --procs`), which also get source addresses of their own when one address's ports are
/// not enough (about 28,000 per destination).
pub const CLIENTS_PER_HARNESS_PROCESS: u64 = 17_000;

/// Harness processes for `clients`: as few as [`CLIENTS_PER_HARNESS_PROCESS`] allows.
pub fn harness_processes(clients: u64) -> usize {
    clients.div_ceil(CLIENTS_PER_HARNESS_PROCESS).max(1) as usize
}

/// Connections per second the ramp-up limit allows for (the step fails below it): a third of what the
/// harness reaches here, so only a stuck ramp-up hits it.
pub const RAMP_LIMIT_PER_S: f64 = 1_000.0;

/// Connections per second the plan counts on for a step's ramp-up (the harness's WebSocket clients reached
/// about 3,000 a second here, over several processes): matters only for steps of tens of thousands.
pub const RAMP_PLANNED_PER_S: f64 = 2_500.0;

/// Fixed time a step takes besides its window: probe, ramp-up, last deliveries, wind-down (an estimate for
/// the progress bar's ETA only).
const STEP_OVERHEAD: Duration = Duration::from_millis(500);

impl StepPlan {
    /// Planned wall time of the step, for the progress bar: window, one poll interval and two round trips
    /// of drain, [`STEP_OVERHEAD`], and the ramp-up at [`RAMP_PLANNED_PER_S`].
    pub fn estimate(&self) -> Duration {
        self.duration
            + self.poll_interval.unwrap_or_default()
            + self.rtt * 2
            + STEP_OVERHEAD
            + Duration::from_secs_f64(self.clients as f64 / RAMP_PLANNED_PER_S)
    }

    /// The harness configuration of this step against `target` (header profile set by the caller: the
    /// browser profile needs its fixture file).
    pub fn bench_config(&self, target: Target) -> BenchConfig {
        let mut cfg = BenchConfig::new(target, self.transport);
        cfg.clients = self.clients as usize;
        cfg.duration = self.duration;
        cfg.rate = self.rate_per_s;
        if let Some(i) = self.poll_interval {
            cfg.poll_interval = i;
        }
        cfg.limit = self.limit;
        cfg.http = self.http;
        cfg.payload = self.payload_bytes as usize;
        cfg.rtt = self.rtt;
        cfg.socketio_direct = self.socketio_direct.unwrap_or(false);
        cfg.procs = harness_processes(self.clients);
        // 100,000 clients take longer to connect than the harness's default allows (about 3,000 a second
        // here): the window must open with every one of them connected.
        cfg.ramp_timeout = cfg.ramp_timeout.max(Duration::from_secs_f64(self.clients as f64 / RAMP_LIMIT_PER_S));
        cfg
    }

    /// The server this step runs against, from its transport's [`ServedBy`].
    pub fn server(&self) -> ServerKind {
        match self.transport.served_by() {
            ServedBy::Feedlab => ServerKind::Feedlab { nodes: self.nodes, feed: self.feed },
            ServedBy::SocketIo => ServerKind::SocketIo { recovery: self.recovery.unwrap_or(false) },
        }
    }
}

/// The overload experiment's storm: a second group of clients started `start` into every step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Storm {
    /// Transport of the storm clients.
    pub transport: Transport,
    /// How many.
    pub clients: u64,
    /// Their polling interval.
    pub poll_interval: Duration,
    /// Delay after the step starts.
    pub start: Duration,
    /// How long the storm publishes nothing and polls.
    pub duration: Duration,
}

impl Storm {
    /// Label of the storm's own step in the data file.
    pub fn label(&self) -> String {
        format!("storm: {} {} clients every {} ms", self.clients, self.transport, self.poll_interval.as_millis())
    }

    /// Label of a steady step the storm hits: `steady: 10 poll clients every 500 ms, storm 2-5 s`.
    pub fn steady_label(&self, s: &StepPlan) -> String {
        let every = s.poll_interval.map(|i| format!(" every {} ms", i.as_millis())).unwrap_or_default();
        let (from, to) = (self.start.as_secs_f64(), (self.start + self.duration).as_secs_f64());
        format!("steady: {} {} clients{every}, storm {from}-{to} s", s.clients, s.transport)
    }

    /// The storm's harness configuration: it publishes nothing (the steady clients' publisher feeds both).
    pub fn bench_config(&self, target: Target) -> BenchConfig {
        let mut cfg = BenchConfig::new(target, self.transport);
        cfg.clients = self.clients as usize;
        cfg.duration = self.duration;
        cfg.rate = 0.0;
        cfg.poll_interval = self.poll_interval;
        cfg
    }
}
