//! Experiment files (`experiments/<name>.toml`): loading, validation and expansion into steps.
//!
//! A file is read into [`raw::RawExperiment`] (key names and types only), then turned into an
//! [`Experiment`]: defaults filled in from [`limits`], every value range-checked, the `[steps]` sweep
//! expanded into one [`StepPlan`] per combination, and each step checked against this machine's socket
//! limits by the harness's own planner. Both variants of a file, full and `--quick`, are built on every load,
//! so a bad `[quick]` table fails a full run too (and the other way round). Errors name the file, the dotted
//! key and what it allows.
//!
//! ```toml
//! title = "Latency vs polling interval"
//! [steps]                       # the cartesian product of the lists below
//! transport = ["poll", "longpoll", "sse", "ws"]
//! poll_interval_ms = [100, 1000, 5000]   # poll steps only; other transports ignore this axis
//! clients = 100
//! rate_per_s = 2
//! duration_s = 12
//! [quick.steps]                 # --quick: any subset of the same keys
//! clients = 20
//! duration_s = 2
//! ```

pub mod limits;
pub mod raw;

use std::path::{Path, PathBuf};
use std::time::Duration;

use feedlab_contract::{HeaderProfile, Transport};
use feedlab_harness::{BenchConfig, Target};

use crate::Error;
use limits::Limit;
use raw::{OneOrMany, RawExperiment, RawServer, RawSteps, RawStorm};

/// File extension of experiment files.
pub const EXTENSION: &str = "toml";

/// One experiment, validated and expanded, in its full or quick variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// Name: the file stem, also the results directory and what the report's charts key on.
    pub name: String,
    /// The file it came from.
    pub file: PathBuf,
    /// Report section title.
    pub title: String,
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
    /// Simulated round trip (zero = direct).
    pub rtt: Duration,
    /// Measured window.
    pub duration: Duration,
    /// `limit=` for poll and long-poll.
    pub limit: Option<u32>,
    /// Publish body size in bytes.
    pub payload_bytes: u64,
}

/// Fixed time a step takes besides its window: probe, ramp-up, last deliveries, wind-down (an estimate for
/// the progress bar's ETA only).
const STEP_OVERHEAD: Duration = Duration::from_millis(500);

impl StepPlan {
    /// Planned wall time of the step, for the progress bar: window, one poll interval and two round trips
    /// of drain, and [`STEP_OVERHEAD`].
    pub fn estimate(&self) -> Duration {
        self.duration + self.poll_interval.unwrap_or_default() + self.rtt * 2 + STEP_OVERHEAD
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
        cfg.payload = self.payload_bytes as usize;
        cfg.rtt = self.rtt;
        cfg
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

impl Experiment {
    /// Reads, validates and expands one file; `quick` picks the variant returned (both are checked).
    pub fn load(file: &Path, quick: bool) -> Result<Experiment, Error> {
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        Experiment::parse(file, &text, quick)
    }

    /// Like [`Experiment::load`], from text already read; `file` names it in errors and gives its name.
    pub fn parse(file: &Path, text: &str, quick: bool) -> Result<Experiment, Error> {
        let name = name_of(file)?;
        let raw: RawExperiment = toml::from_str(text).map_err(|e| {
            let key = e.span().and_then(|s| raw::key_at(text, s.start));
            let hint = key
                .as_deref()
                .and_then(|k| limits::allowed(k.rsplit('.').next().unwrap_or(k)))
                .map(|a| format!(" (allowed: {a})"))
                .unwrap_or_default();
            let line =
                e.span().map(|s| format!(" (line {})", text[..s.start.min(text.len())].matches('\n').count() + 1));
            let message = format!("{}{hint}{}", e.message().trim_end(), line.unwrap_or_default());
            Error::experiment(file, key.as_deref(), message)
        })?;
        let check = Check { file };
        let full = check.build(&name, &raw, false)?;
        let quick_variant = check.build(&name, &raw, true)?;
        Ok(if quick { quick_variant } else { full })
    }

    /// Planned wall time of the whole experiment (for the ETA).
    pub fn estimate(&self) -> Duration {
        self.steps.iter().map(StepPlan::estimate).sum()
    }
}

/// The experiment name of a file: its stem, lowercase letters, digits and dashes.
fn name_of(file: &Path) -> Result<String, Error> {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let ok = !stem.is_empty()
        && !stem.starts_with('-')
        && stem.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(stem.to_owned())
    } else {
        Err(Error::experiment(
            file,
            None,
            "the file name is the experiment name: use lowercase letters, digits and dashes (e.g. idle-cost.toml)",
        ))
    }
}

/// Validation context: the file, for error messages.
struct Check<'a> {
    file: &'a Path,
}

/// A value with the key it was read from (`steps.clients` or `quick.steps.clients`).
struct Keyed<T> {
    value: T,
    key: String,
}

/// The quick override of a key when `quick` and present, else the main value; with the key it came from.
fn pick<T: Clone>(quick: bool, table: &str, leaf: &str, main: Option<&T>, over: Option<&T>) -> Option<Keyed<T>> {
    match (quick, over, main) {
        (true, Some(v), _) => Some(Keyed { value: v.clone(), key: format!("quick.{table}.{leaf}") }),
        (_, _, Some(v)) => Some(Keyed { value: v.clone(), key: format!("{table}.{leaf}") }),
        _ => None,
    }
}

impl Check<'_> {
    fn err(&self, key: &str, message: impl Into<String>) -> Error {
        Error::experiment(self.file, Some(key), message)
    }

    fn range(&self, key: &str, v: f64, limit: Limit) -> Result<(), Error> {
        if limit.contains(v) { Ok(()) } else { Err(self.err(key, format!("{v} is out of range (allowed: {limit})"))) }
    }

    fn whole(&self, k: Option<Keyed<u64>>, limit: Limit, default: u64) -> Result<u64, Error> {
        match k {
            Some(k) => self.range(&k.key, k.value as f64, limit).map(|_| k.value),
            None => Ok(default),
        }
    }

    fn real(&self, k: Option<Keyed<f64>>, limit: Limit, default: f64) -> Result<f64, Error> {
        match k {
            Some(k) => self.range(&k.key, k.value, limit).map(|_| k.value),
            None => Ok(default),
        }
    }

    /// A sweep axis: non-empty, every value in range, duplicates dropped (first kept).
    fn axis<T: Clone + PartialEq>(
        &self,
        k: Option<Keyed<OneOrMany<T>>>,
        default: &[T],
        each: impl Fn(&str, &T) -> Result<(), Error>,
    ) -> Result<Vec<T>, Error> {
        let Some(k) = k else { return Ok(default.to_vec()) };
        if k.value.0.is_empty() {
            return Err(self.err(&k.key, "an empty list: give at least one value"));
        }
        let mut out: Vec<T> = Vec::new();
        for v in &k.value.0 {
            each(&k.key, v)?;
            if !out.contains(v) {
                out.push(v.clone());
            }
        }
        Ok(out)
    }

    fn build(&self, name: &str, raw: &RawExperiment, quick: bool) -> Result<Experiment, Error> {
        let q = raw.quick.clone().unwrap_or_default();
        let server = self.server(raw.server.as_ref(), q.server.as_ref(), quick)?;
        let steps = self.steps(raw.steps.as_ref(), q.steps.as_ref(), quick)?;
        let storm = self.storm(raw.storm.as_ref(), q.storm.as_ref(), quick, &steps)?;
        // With a storm, a step's label says it is the steady group and when the storm hits.
        let steps = match &storm {
            Some(st) => steps.into_iter().map(|s| StepPlan { label: st.steady_label(&s), ..s }).collect(),
            None => steps,
        };
        Ok(Experiment {
            name: name.to_owned(),
            file: self.file.to_owned(),
            title: raw.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| name.to_owned()),
            about: raw.about.clone().unwrap_or_default(),
            quick,
            timeline: raw.timeline.unwrap_or(false),
            server,
            steps,
            storm,
        })
    }

    fn server(&self, main: Option<&RawServer>, over: Option<&RawServer>, quick: bool) -> Result<ServerSettings, Error> {
        let p = |leaf: &str, f: fn(&RawServer) -> Option<u64>| {
            pick(quick, "server", leaf, main.and_then(f).as_ref(), over.and_then(f).as_ref())
        };
        let fresh = pick(
            quick,
            "server",
            "fresh_per_step",
            main.and_then(|s| s.fresh_per_step).as_ref(),
            over.and_then(|s| s.fresh_per_step).as_ref(),
        );
        Ok(ServerSettings {
            max_rps: self.whole(p("max_rps", |s| s.max_rps), limits::MAX_RPS, 0)?,
            max_streams: self.whole(
                p("max_streams", |s| s.max_streams),
                limits::MAX_STREAMS,
                limits::DEFAULT_MAX_STREAMS,
            )?,
            workers: self.whole(p("workers", |s| s.workers), limits::WORKERS, 0)?,
            fresh_per_step: fresh.is_some_and(|f| f.value),
        })
    }

    fn steps(&self, main: Option<&RawSteps>, over: Option<&RawSteps>, quick: bool) -> Result<Vec<StepPlan>, Error> {
        macro_rules! p {
            ($leaf:ident) => {
                pick(
                    quick,
                    "steps",
                    stringify!($leaf),
                    main.and_then(|s| s.$leaf.as_ref()),
                    over.and_then(|s| s.$leaf.as_ref()),
                )
            };
        }
        let in_range = |limit: Limit| move |key: &str, v: &f64| self.range(key, *v, limit);
        let whole_in = |limit: Limit| move |key: &str, v: &u64| self.range(key, *v as f64, limit);

        let transports = self.axis(p!(transport), &Transport::ALL, |_, _| Ok(()))?;
        let clients = self.axis(p!(clients), &[limits::DEFAULT_CLIENTS], whole_in(limits::CLIENTS))?;
        let rates = self.axis(p!(rate_per_s), &[limits::DEFAULT_RATE_PER_S], in_range(limits::RATE_PER_S))?;
        let intervals =
            self.axis(p!(poll_interval_ms), &[limits::DEFAULT_POLL_INTERVAL_MS], whole_in(limits::POLL_INTERVAL_MS))?;
        let headers = self.axis(p!(headers), &[HeaderProfile::default()], |_, _| Ok(()))?;
        let rtts = self.axis(p!(rtt_ms), &[limits::DEFAULT_RTT_MS], whole_in(limits::RTT_MS))?;
        let clients_key = p!(clients).map_or("steps.clients".to_owned(), |k| k.key);
        let duration = self.real(p!(duration_s), limits::DURATION_S, limits::DEFAULT_DURATION_S)?;
        let min_messages = match p!(min_messages) {
            Some(k) => Some(self.whole(Some(k), limits::MIN_MESSAGES, 0)?),
            None => None,
        };
        let limit = match p!(limit) {
            Some(k) => Some(self.whole(Some(k), limits::LIMIT, 0)? as u32),
            None => None,
        };
        let payload_bytes = self.whole(p!(payload_bytes), limits::PAYLOAD_BYTES, limits::DEFAULT_PAYLOAD_BYTES)?;

        let count = transports.len() * clients.len() * rates.len() * intervals.len() * headers.len() * rtts.len();
        if count > limits::MAX_STEPS {
            return Err(self.err(
                "steps",
                format!("the lists expand to {count} steps; at most {} are allowed per file", limits::MAX_STEPS),
            ));
        }
        // Which axes vary (after poll intervals collapse for push transports): only those go into labels.
        let polls = transports.contains(&Transport::Poll);
        let vary = Vary {
            clients: clients.len() > 1,
            rate: rates.len() > 1,
            interval: polls && intervals.len() > 1,
            headers: headers.len() > 1,
            rtt: rtts.len() > 1,
        };
        let mut steps: Vec<StepPlan> = Vec::new();
        for &transport in &transports {
            for &h in &headers {
                for &c in &clients {
                    for &rate in &rates {
                        for &rtt in &rtts {
                            for &i in &intervals {
                                let poll_interval = (transport == Transport::Poll).then(|| Duration::from_millis(i));
                                let stretched = match min_messages {
                                    Some(n) if rate > 0.0 => duration.max(n as f64 / rate),
                                    _ => duration,
                                };
                                let step = StepPlan {
                                    label: String::new(),
                                    transport,
                                    clients: c,
                                    rate_per_s: rate,
                                    poll_interval,
                                    headers: h,
                                    rtt: Duration::from_millis(rtt),
                                    duration: Duration::from_secs_f64(stretched.min(limits::DURATION_S.max)),
                                    limit,
                                    payload_bytes,
                                };
                                if !steps.iter().any(|s| same_config(s, &step)) {
                                    steps.push(StepPlan { label: vary.label(&step), ..step });
                                }
                            }
                        }
                    }
                }
            }
        }
        for step in &steps {
            self.fits_machine(step, &clients_key)?;
        }
        Ok(steps)
    }

    /// Asks the harness's socket planner whether this process can run the step (open files, ports).
    fn fits_machine(&self, step: &StepPlan, clients_key: &str) -> Result<(), Error> {
        let mut cfg = step.bench_config(planning_target());
        cfg.validate().map_err(|e| self.err(clients_key, format!("step `{}`: {e}", step.label)))
    }

    fn storm(
        &self,
        main: Option<&RawStorm>,
        over: Option<&RawStorm>,
        quick: bool,
        steps: &[StepPlan],
    ) -> Result<Option<Storm>, Error> {
        let Some(main) = main else {
            return match over {
                Some(_) => Err(self.err("quick.storm", "overrides a [storm] table the file does not have")),
                None => Ok(None),
            };
        };
        macro_rules! p {
            ($leaf:ident) => {
                pick(quick, "storm", stringify!($leaf), main.$leaf.as_ref(), over.and_then(|s| s.$leaf.as_ref()))
            };
        }
        let need = |leaf: &str| self.err(&format!("storm.{leaf}"), "is required in a [storm] table");
        let transport = p!(transport).map_or(Transport::Poll, |k| k.value);
        let clients = self.whole(Some(p!(clients).ok_or_else(|| need("clients"))?), limits::CLIENTS, 0)?;
        let interval = self.whole(p!(poll_interval_ms), limits::POLL_INTERVAL_MS, limits::DEFAULT_POLL_INTERVAL_MS)?;
        let start_key = p!(start_s).map(|k| k.key.clone()).unwrap_or_else(|| "storm.start_s".to_owned());
        let start = self.real(Some(p!(start_s).ok_or_else(|| need("start_s"))?), limits::STORM_START_S, 0.0)?;
        let duration = self.real(Some(p!(duration_s).ok_or_else(|| need("duration_s"))?), limits::DURATION_S, 0.0)?;
        // The storm must end inside every step, or there is no "afterwards" to see recovery in.
        if let Some(short) = steps.iter().map(|s| s.duration.as_secs_f64()).reduce(f64::min)
            && start + duration >= short
        {
            return Err(self.err(
                &start_key,
                format!(
                    "the storm ({start} s + {duration} s) must end before the steps do ({short} s): allowed \
                     start_s + duration_s < steps.duration_s"
                ),
            ));
        }
        let storm = Storm {
            transport,
            clients,
            poll_interval: Duration::from_millis(interval),
            start: Duration::from_secs_f64(start),
            duration: Duration::from_secs_f64(duration),
        };
        let mut cfg = storm.bench_config(planning_target());
        cfg.validate().map_err(|e| self.err("storm.clients", e.to_string()))?;
        Ok(Some(storm))
    }
}

/// A target for checking configurations before any server runs (nothing connects to it).
fn planning_target() -> Target {
    // unwrap: a literal loopback URL always parses.
    Target::parse("http://127.0.0.1:9").unwrap()
}

/// Two steps that would run the same configuration (a poll interval swept for a push transport).
fn same_config(a: &StepPlan, b: &StepPlan) -> bool {
    (a.transport, a.clients, a.poll_interval, a.headers, a.rtt, a.duration, a.limit, a.payload_bytes)
        == (b.transport, b.clients, b.poll_interval, b.headers, b.rtt, b.duration, b.limit, b.payload_bytes)
        && a.rate_per_s == b.rate_per_s
}

/// Which axes have more than one value: those name a step.
struct Vary {
    clients: bool,
    rate: bool,
    interval: bool,
    headers: bool,
    rtt: bool,
}

impl Vary {
    fn label(&self, s: &StepPlan) -> String {
        let mut parts = vec![s.transport.to_string()];
        if self.headers {
            parts.push(s.headers.name().to_owned());
        }
        if self.clients {
            parts.push(format!("{} clients", s.clients));
        }
        if self.rate {
            parts.push(format!("{} msg/s", s.rate_per_s));
        }
        if let Some(i) = s.poll_interval.filter(|_| self.interval) {
            parts.push(format!("every {} ms", i.as_millis()));
        }
        if self.rtt {
            parts.push(format!("rtt {} ms", s.rtt.as_millis()));
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests;
