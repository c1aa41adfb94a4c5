//! `feedlab bench` and `feedlab floor`: the command lines in front of [`crate::run_bench`] and
//! [`crate::run_floor`].
//!
//! Parses and validates the flags (bad values come back as `clap` errors so the binary exits 2 with a
//! usage message), builds a tokio runtime, shows a progress bar with the time left on a terminal, turns
//! Ctrl-C or SIGTERM into a cancellation that still prints and writes the partial result, then prints the
//! summary table and writes `--json FILE`. `--soak` turns the same command into a soak ([`crate::soak`]):
//! every transport at once, the same flags, its own table and JSON. `feedlab floor` needs no server and no
//! runtime: it measures the kernel's cost of a push ([`crate::floor`]) and prints its table.
//!
//! The terminal conventions it shares with `feedlab run` and the binary's logging live in
//! [`crate::console`], re-exported here.

use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use tokio_util::sync::CancellationToken;

use clap::builder::TypedValueParser;
use feedlab_contract::{HeaderProfile, HttpVersion};

use crate::Error;
use crate::chaos::parse_chaos;
use crate::config::{BenchConfig, Target, Transport, parse_duration, parse_rate};
pub use crate::console::{Console, LogWriter, interrupted, live_bar, say};
use crate::floor::{self, FloorConfig};
use crate::headers::{BrowserFixture, RequestHeaders};
use crate::soak::SoakConfig;
use feedlab_contract::floor::Placement;
use feedlab_contract::rfc6455;

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Toggle {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// A flag whose values are one of the contract's lists (`--transport`, `--headers`), so `--help` names
/// every value and the list is declared once.
fn names_parser<T>(names: &'static [&'static str]) -> impl TypedValueParser<Value = T>
where
    T: FromStr + Clone + Send + Sync + 'static,
    T::Err: std::fmt::Debug,
{
    // unwrap: PossibleValuesParser lets only the names through, and each of them parses.
    clap::builder::PossibleValuesParser::new(names).map(|s| s.parse::<T>().unwrap())
}

/// Simulate N clients of one transport against a server that speaks the feedlab contract, and measure
/// requests, header bytes, framing, latency and loss on the wire.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Server to measure. Repeat for several nodes of one feed (`feedlab serve --feed redis://...`): clients
    /// are assigned to them round-robin; the harness probes and publishes through the first.
    #[arg(long, default_value = "http://127.0.0.1:8470")]
    pub target: Vec<String>,
    /// With several --target: each reconnect (a --chaos drop, a dropped connection, a refusal) moves the
    /// client on to the next target, keeping its cursor and epoch. Between nodes of one feed nothing may be
    /// lost; between servers of different feeds (the in-memory feed) a hop is an epoch change, reported as
    /// the error `epoch_changed`.
    #[arg(long)]
    pub hop: bool,
    /// Worker processes to spread the clients over (split as evenly as can be), each with its own
    /// open-file limit and its share of the source addresses; this process publishes and merges their
    /// results into one. For more clients than one process may open files for (ulimit -n).
    #[arg(long, default_value_t = 1, conflicts_with = "soak")]
    pub procs: usize,
    /// Run as a --procs worker: a coordinator's protocol on stdin and stdout (not for people).
    #[arg(long, hide = true)]
    pub worker: bool,
    /// Transport every client uses (not with --soak, which runs all four).
    #[arg(long, value_parser = names_parser::<Transport>(&Transport::NAMES), required_unless_present_any = ["soak", "worker"], conflicts_with = "soak")]
    pub transport: Option<Transport>,
    /// Number of simulated clients (one socket each; past ~28,000 several loopback source addresses).
    /// With --soak, the total: a quarter per transport.
    #[arg(long, default_value_t = 1)]
    pub clients: usize,
    /// Measured window: how long the harness publishes (30s, 2m, 500ms).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Publish rate through POST /messages: N/s, N/m, N/<duration> (1/100ms); 0 publishes nothing.
    #[arg(long, default_value = "1/s", value_parser = parse_rate)]
    pub rate: f64,
    /// Poll transport: interval between two polls of one client (fixed schedule, random phase).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// Long-poll: how long the server may hold a request (timeout_ms).
    #[arg(long, default_value = "25s", value_parser = parse_duration)]
    pub longpoll_timeout: Duration,
    /// `limit=` for poll and long-poll requests (default: the server's).
    #[arg(long)]
    pub limit: Option<u32>,
    /// Request header profile: minimal (only what the protocol requires: `Host`, and the SSE/WebSocket
    /// essentials) or browser (the exact headers Chromium sends for a same-origin fetch(), from the
    /// captured fixture).
    #[arg(long, value_parser = names_parser::<HeaderProfile>(&HeaderProfile::NAMES), default_value = "minimal")]
    pub headers: HeaderProfile,
    /// HTTP version of poll, long-poll and SSE clients: 1.1, or 2 (one h2c connection per client with prior
    /// knowledge, as `curl --http2-prior-knowledge`; WebSocket always upgrades from HTTP/1.1).
    #[arg(long, value_parser = names_parser::<HttpVersion>(&HttpVersion::NAMES), default_value = "1.1")]
    pub http: HttpVersion,
    /// Browser header fixture to replay (default: the capture compiled in, crates/harness/fixtures/chromium-fetch.json).
    #[arg(long)]
    pub browser_fixture: Option<PathBuf>,
    /// Size of each published message body, in bytes.
    #[arg(long, default_value_t = 64)]
    pub payload: usize,
    /// Simulated round-trip time through a delaying relay (0 = connect directly).
    #[arg(long, default_value = "0ms", value_parser = parse_duration)]
    pub rtt: Duration,
    /// HTTP keep-alive for poll and long-poll clients (off: one connection per request).
    #[arg(long, value_enum, default_value_t = Toggle::On)]
    pub keep_alive: Toggle,
    /// Local address to bind client sockets to (repeat for several; default: chosen automatically, and
    /// with --procs split over the workers, round-robin).
    #[arg(long = "source-addr")]
    pub source_addrs: Vec<IpAddr>,
    /// How long clients may take to receive the last messages after publishing stops.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub drain: Duration,
    /// Seed for the pollers' random phases and the chaos schedule, to repeat a run exactly.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Fault injection: every second, abruptly drop this share of the client connections (no close
    /// frame, no waiting); each dropped client reconnects with its cursor and carries on. Nothing may be
    /// lost: 10%/s, 10%, 0.1.
    #[arg(long, value_name = "RATE", default_value = "0", value_parser = parse_chaos)]
    pub chaos: f64,
    /// socketio-ws: open the WebSocket directly (Socket.IO's `transports: ["websocket"]`) instead of
    /// starting on polling and upgrading, as browsers do by default.
    #[arg(long)]
    pub socketio_direct: bool,
    /// Soak: run poll, long-poll, SSE and WebSocket clients at once (--clients split four ways) for this
    /// long (10m, 1h) and report errors, loss per transport and, with --server-pid, the server's memory.
    /// Targets: RSS growth under 5%, no errors, nothing lost.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub soak: Option<Duration>,
    /// The server's process id on this machine (/proc/PID). A bench samples its CPU (utime and stime
    /// apart) at the edges of the steady window (every client connected, publishing, before the drain)
    /// and of the ramp-up, and reports user and kernel us per delivered message and us per connect. Give it
    /// once per node of a shared feed: their CPU is summed. A soak samples one server's memory (VmRSS) at
    /// the start, end and peak.
    #[arg(long = "server-pid", value_name = "PID")]
    pub server_pids: Vec<u32>,
    /// Write the result as JSON (schema: crates/contract/schema/bench.schema.json).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

impl BenchArgs {
    /// Turns the flags into a validated configuration (for `--soak`, the base every transport shares).
    pub fn to_config(&self) -> Result<BenchConfig, Error> {
        let mut targets = self.target.iter().map(|t| Target::parse(t));
        // unwrap-free: clap's default gives one target when none is named.
        let first = targets.next().ok_or_else(|| Error::Config("--target: none given".into()))??;
        let mut cfg = BenchConfig::new(first, self.transport.unwrap_or(Transport::Poll));
        cfg.more_targets = targets.collect::<Result<_, _>>()?;
        cfg.hop = self.hop;
        cfg.procs = self.procs;
        cfg.clients = self.clients;
        cfg.duration = self.soak.unwrap_or(self.duration);
        cfg.chaos = self.chaos;
        cfg.socketio_direct = self.socketio_direct;
        cfg.rate = self.rate;
        cfg.poll_interval = self.poll_interval;
        cfg.longpoll_timeout = self.longpoll_timeout;
        cfg.limit = self.limit;
        cfg.headers = match self.headers {
            HeaderProfile::Minimal => RequestHeaders::Minimal,
            HeaderProfile::Browser => {
                let fixture = match &self.browser_fixture {
                    Some(path) => BrowserFixture::load(path)?,
                    None => BrowserFixture::embedded(),
                };
                RequestHeaders::Browser(fixture)
            }
        };
        cfg.http = self.http;
        cfg.payload = self.payload;
        cfg.rtt = self.rtt;
        cfg.keep_alive = self.keep_alive == Toggle::On;
        cfg.source_addrs = self.source_addrs.clone();
        cfg.drain = self.drain;
        cfg.seed = self.seed;
        cfg.server_pids = self.server_pids.clone();
        cfg.validate()?;
        Ok(cfg)
    }

    /// `--soak`: the soak configuration, validated; None without `--soak`.
    pub fn to_soak_config(&self) -> Result<Option<SoakConfig>, Error> {
        if self.soak.is_none() {
            return Ok(None);
        }
        // The soak samples the server's memory (its own field), not CPU over a bench window.
        let mut base = self.to_config()?;
        let server_pid = match std::mem::take(&mut base.server_pids)[..] {
            [] => None,
            [pid] => Some(pid),
            _ => return Err(Error::Config("--soak samples one server's memory: give --server-pid once".into())),
        };
        let soak = SoakConfig { base, server_pid };
        soak.groups()?;
        Ok(Some(soak))
    }
}

/// Runs `feedlab bench`: synchronous, builds its own tokio runtime.
pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    if args.worker {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
        let result = runtime.block_on(crate::workers::run_worker());
        // Its stdin reader is blocked in a read until the coordinator closes the pipe: don't wait for it.
        runtime.shutdown_background();
        return Ok(result?);
    }
    let (table, json) = match args.to_soak_config().map_err(usage)? {
        Some(soak) => {
            let result = with_ctrl_c(|cancel| crate::run_soak(soak, Some(progress_bar()), cancel))?;
            (crate::summary::render_soak(&result), result.to_json())
        }
        None => {
            let config = args.to_config().map_err(usage)?;
            let result = with_ctrl_c(|cancel| crate::run_bench(config, Some(progress_bar()), cancel))?;
            (crate::summary::render(&result), result.to_json())
        }
    };
    print!("{table}");
    if let Some(path) = &args.json {
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Measure what the kernel alone charges for a push: thread CPU per send() of a small frame to one of N idle
/// loopback TCP sockets, round-robin, with a live epoll reader on the other ends; for several frames per
/// send(), plus the reader's CPU per frame. Every server CPU figure per delivered message is read against it.
///
/// The sender and the reader run on two CPUs by default (the server-vs-harness situation: one side sends
/// while the other reads). Each case is a warm-up then a measured window, repeated: median (min-max).
#[derive(Debug, clap::Args)]
pub struct FloorArgs {
    /// Loopback TCP connections (two sockets each: at most about half the open-file limit).
    #[arg(long, default_value_t = floor::DEFAULT_PAIRS)]
    pub pairs: usize,
    /// Payload bytes per frame.
    #[arg(long, default_value_t = floor::DEFAULT_PAYLOAD)]
    pub payload: usize,
    /// Header bytes per frame (default: a server's WebSocket frame header for the payload, 2 bytes up to 125).
    #[arg(long)]
    pub header_bytes: Option<usize>,
    /// Frames written by one send(), one case each (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    pub frames_per_send: Vec<u64>,
    /// Sending before each measured window.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Each measured window.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub window: Duration,
    /// Measured windows per case (median and range over them).
    #[arg(long, default_value_t = floor::DEFAULT_REPEATS)]
    pub repeats: usize,
    /// Sends per second (N/s, N/ms; 0: flat out). Paced below what the reader takes, each send finds its
    /// reader asleep in epoll_wait and pays for waking it, as a server's sends to idle clients do; flat
    /// out, the reader is always busy and the figure is a lower bound.
    #[arg(long, default_value = "10000/s", value_parser = parse_rate)]
    pub send_rate: f64,
    /// Where the sender and reader threads run: apart (two CPUs, the default when there are two), same
    /// (one CPU: to see what sharing a core does), any (not pinned).
    #[arg(long, value_parser = names_parser::<Placement>(&Placement::NAMES))]
    pub placement: Option<Placement>,
    /// Write the result as JSON (schema: crates/contract/schema/floor.schema.json).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

impl FloorArgs {
    /// The validated configuration.
    pub fn to_config(&self) -> Result<FloorConfig, Error> {
        let defaults = FloorConfig::default();
        let config = FloorConfig {
            pairs: self.pairs,
            header_bytes: self.header_bytes.unwrap_or(rfc6455::header_len(self.payload as u64, false)),
            payload_bytes: self.payload,
            frames_per_send: self.frames_per_send.clone(),
            warmup: self.warmup,
            window: self.window,
            repeats: self.repeats,
            placement: self.placement.unwrap_or(defaults.placement),
            send_rate: self.send_rate,
        };
        config.validate()?;
        Ok(config)
    }
}

/// Runs `feedlab floor`: synchronous; prints the table and writes `--json FILE`.
pub fn floor(args: FloorArgs) -> anyhow::Result<()> {
    let config = args.to_config().map_err(usage)?;
    let result = crate::run_floor(&config, Some(progress_bar()))?;
    print!("{}", crate::summary::render_floor(&result));
    if let Some(path) = &args.json {
        std::fs::write(path, result.to_json() + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// A configuration error is a usage error (exit code 2, like a bad flag); anything else a failure.
fn usage(e: Error) -> anyhow::Error {
    match e {
        Error::Config(msg) => clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("{msg}\n")).into(),
        e => e.into(),
    }
}

/// Runs `run` on a new tokio runtime with a token that Ctrl-C or SIGTERM cancels (the run then returns
/// what it measured so far).
fn with_ctrl_c<T, F>(run: impl FnOnce(CancellationToken) -> F) -> anyhow::Result<T>
where
    F: std::future::Future<Output = Result<T, Error>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
    Ok(runtime.block_on(async {
        let cancel = CancellationToken::new();
        let on_signal = cancel.clone();
        tokio::spawn(async move {
            let signal = interrupted().await;
            say(&format!("feedlab bench: {signal}: finishing with what was measured"));
            on_signal.cancel();
        });
        run(cancel).await
    })?)
}

/// The bench's progress bar: clients connected while connecting, then seconds of the measured window, with
/// the time left at the current pace; hidden when stderr is not a terminal.
fn progress_bar() -> ProgressBar {
    // A template error only loses the styling (and a test checks this one).
    live_bar(None, ProgressStyle::with_template(BAR).unwrap_or_else(|_| ProgressStyle::default_bar()))
}

/// The bench bar's template: `{eta}` is indicatif's estimate from the pace so far, which in the window
/// (one step a second) is the window's time left.
const BAR: &str = "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len}, {eta} left  {wide_msg}";

#[cfg(test)]
mod tests;
