//! Validation: a raw experiment file becomes its [`Experiment`] plan. Every key is taken from `[quick]`
//! when a quick variant overrides it, else from the main table, else from its default in [`limits`]; every
//! value is range-checked, and every error names the file, the dotted key it came from and what it allows.
//! The `[steps]` lists are handed to [`Sweep`] for expansion, and each step is checked against this
//! machine's socket limits by the harness's own planner.

use std::path::Path;
use std::time::Duration;

use feedlab_contract::transport::ServedBy;
use feedlab_contract::{FeedKind, HeaderProfile, HttpVersion, Transport};
use feedlab_harness::Target;

use super::limits::{self, Limit};
use super::plan::{Experiment, ServerSettings, StepPlan, Storm};
use super::raw::{OneOrMany, RawExperiment, RawLoad, RawServer, RawSteps, RawStorm};
use super::sweep::{Load, Shared, Sweep, rounds};
use crate::Error;

/// Validation context: the file, for error messages.
pub(super) struct Check<'a> {
    pub(super) file: &'a Path,
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

    pub(super) fn build(&self, name: &str, raw: &RawExperiment, quick: bool) -> Result<Experiment, Error> {
        let q = raw.quick.clone().unwrap_or_default();
        let server = self.server(raw.server.as_ref(), q.server.as_ref(), quick)?;
        let steps = self.steps(raw.steps.as_ref(), q.steps.as_ref(), quick)?;
        // The timeline reads feedlab's own /stats, which the Socket.IO peer does not have.
        if raw.timeline == Some(true)
            && let Some(s) = steps.iter().find(|s| s.transport.served_by() != ServedBy::Feedlab)
        {
            return Err(self.err(
                "timeline",
                format!(
                    "step `{}`: the timeline reads feedlab's /stats, which the Socket.IO peer does not serve",
                    s.label
                ),
            ));
        }
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
            floor: raw.floor.unwrap_or(false),
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
        let whole_in = |limit: Limit| move |key: &str, v: &u64| self.range(key, *v as f64, limit);

        // Socket.IO's transports run against the peer, which the runner starts instead of feedlab's server.
        let transports = self.axis(p!(transport), &Transport::FEEDLAB, |_, _| Ok(()))?;
        let loads = self.loads(p!(loads), p!(clients), p!(rate_per_s))?;
        let direct = self.axis(p!(socketio_direct), &[false], |_, _| Ok(()))?;
        let recovery = self.axis(p!(recovery), &[false], |_, _| Ok(()))?;
        let intervals_ms =
            self.axis(p!(poll_interval_ms), &[limits::DEFAULT_POLL_INTERVAL_MS], whole_in(limits::POLL_INTERVAL_MS))?;
        let headers = self.axis(p!(headers), &[HeaderProfile::default()], |_, _| Ok(()))?;
        let https = self.axis(p!(http), &[HttpVersion::default()], |_, _| Ok(()))?;
        let rtts_ms = self.axis(p!(rtt_ms), &[limits::DEFAULT_RTT_MS], whole_in(limits::RTT_MS))?;
        let layouts = loads.iter().any(|l| l.nodes > 1 || l.feed != FeedKind::Memory);
        if layouts && let Some(peer) = transports.iter().find(|t| t.served_by() != ServedBy::Feedlab) {
            return Err(self.err(
                "steps.loads",
                format!("{peer} runs against its own server: nodes and feed set feedlab's servers only"),
            ));
        }
        let clients_key = p!(loads).map(|k| k.key).or(p!(clients).map(|k| k.key));
        let clients_key = clients_key.unwrap_or_else(|| "steps.clients".to_owned());
        let duration_s = self.real(p!(duration_s), limits::DURATION_S, limits::DEFAULT_DURATION_S)?;
        let min_messages = match p!(min_messages) {
            Some(k) => Some(self.whole(Some(k), limits::MIN_MESSAGES, 0)?),
            None => None,
        };
        let limit = match p!(limit) {
            Some(k) => Some(self.whole(Some(k), limits::LIMIT, 0)? as u32),
            None => None,
        };
        let payload_bytes = self.whole(p!(payload_bytes), limits::PAYLOAD_BYTES, limits::DEFAULT_PAYLOAD_BYTES)?;
        let repeats = self.whole(p!(repeats), limits::REPEATS, 1)?;

        let sweep = Sweep { transports, headers, https, loads, rtts_ms, intervals_ms, direct, recovery };
        let count = sweep.len() * repeats as usize;
        if count > limits::MAX_STEPS {
            return Err(self.err(
                "steps",
                format!("the lists expand to {count} steps; at most {} are allowed per file", limits::MAX_STEPS),
            ));
        }
        let steps = sweep.steps(&Shared { duration_s, min_messages, limit, payload_bytes });
        for step in &steps {
            self.fits_machine(step, &clients_key)?;
        }
        Ok(rounds(steps, repeats))
    }

    /// The load axis: `loads` (each pair checked), or the product of the `clients` and `rate_per_s` lists;
    /// never both, since which would win is a guess.
    fn loads(
        &self,
        loads: Option<Keyed<Vec<RawLoad>>>,
        clients: Option<Keyed<OneOrMany<u64>>>,
        rates: Option<Keyed<OneOrMany<f64>>>,
    ) -> Result<Vec<Load>, Error> {
        let in_range = |limit: Limit| move |key: &str, v: &f64| self.range(key, *v, limit);
        let whole_in = |limit: Limit| move |key: &str, v: &u64| self.range(key, *v as f64, limit);
        let Some(loads) = loads else {
            let clients = self.axis(clients, &[limits::DEFAULT_CLIENTS], whole_in(limits::CLIENTS))?;
            let rates = self.axis(rates, &[limits::DEFAULT_RATE_PER_S], in_range(limits::RATE_PER_S))?;
            return Ok(Load::product(&clients, &rates));
        };
        if let Some(other) = clients.map(|k| k.key).or(rates.map(|k| k.key)) {
            return Err(
                self.err(&other, format!("give either `{}` or `clients` and `rate_per_s`, not both", loads.key))
            );
        }
        if loads.value.is_empty() {
            return Err(self.err(&loads.key, "an empty list: give at least one {clients = N, rate_per_s = R}"));
        }
        let mut out: Vec<Load> = Vec::new();
        for l in &loads.value {
            whole_in(limits::CLIENTS)(&format!("{}.clients", loads.key), &l.clients)?;
            in_range(limits::RATE_PER_S)(&format!("{}.rate_per_s", loads.key), &l.rate_per_s)?;
            let nodes = l.nodes.unwrap_or(1);
            whole_in(limits::NODES)(&format!("{}.nodes", loads.key), &nodes)?;
            let feed = l.feed.unwrap_or_default();
            if nodes > 1 && !feed.shared() {
                return Err(self.err(
                    &format!("{}.nodes", loads.key),
                    format!("{nodes} nodes need one shared feed: add feed = \"redis\" (each in-memory feed is one process's own)"),
                ));
            }
            let load = Load { clients: l.clients, rate_per_s: l.rate_per_s, nodes, feed };
            if !out.contains(&load) {
                out.push(load);
            }
        }
        Ok(out)
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
        // The storm shares the steady steps' server: feedlab's.
        if transport.served_by() != ServedBy::Feedlab {
            return Err(self.err("storm.transport", format!("{transport}: a storm runs against feedlab's server only")));
        }
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
