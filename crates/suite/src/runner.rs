//! Running experiments: a server child per experiment (or per step), the harness in this process for every
//! step, the server's cost from `/proc`, and the data file rewritten after each step.
//!
//! An experiment that asks for it (`floor = true`) first measures the kernel's floor with the harness's own
//! code ([`run_floor`], as `feedlab floor` does, shorter windows: [`floor_config`]), before its server starts,
//! so that nothing else runs; the data file keeps it beside the steps.
//!
//! Which server a step needs comes from its transport ([`StepPlan::server`]): `feedlab serve` for ours, the
//! Socket.IO peer (with or without `--recovery`) for Socket.IO's. A step that needs another server than the
//! running one stops it and starts its own; the cost is read from `/proc` the same way for both.
//!
//! One step, start to end:
//! 1. take the server's CPU time and resident memory and start watching its peak ([`UsageWatch`]);
//! 2. if the experiment records a timeline, start sampling the server every second ([`timeline::record`]);
//! 3. run the harness (`run_bench`, same tokio runtime), given the server's pid so that it samples the
//!    server's user and system CPU at the edges of the ramp-up and of the steady window (all clients
//!    connected, before the drain) and its own CPU in the same window — and for the overload experiment,
//!    after `storm.start`, a second harness run with the storm's clients;
//! 4. take the end readings and hand everything to the [`Recorder`], which rewrites `data.json`.
//!
//! Cancelling (Ctrl-C or SIGTERM) ends the harness run in progress, which returns what it measured marked
//! `cancelled`; that partial step is kept like the finished ones and nothing further starts. A failing
//! experiment (the server died, the harness could not reach it) keeps its finished steps, and the run goes
//! on with the next experiment; the failures are reported at the end.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use feedlab_contract::FeedKind;
use feedlab_contract::FloorResult;
use feedlab_contract::HeaderProfile;
use feedlab_contract::data::{ServerUsage, Step};
use feedlab_harness::{BrowserFixture, CancellationToken, RequestHeaders, Target, run_bench, run_floor};
use feedlab_server::redis_server::RedisServer;
use tokio::runtime::Runtime;
use tokio::time::Instant;

use crate::Error;
use crate::experiment::{Experiment, ServerKind, StepPlan, floor_config, floor_estimate};
use crate::procfs::UsageWatch;
use crate::progress::Progress;
use crate::record::{Recorder, params, storm_params};
use crate::server::{Cluster, ServerCommand};
use crate::timeline;

/// What a run needs besides the experiments.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Results directory (`results/`).
    pub out: PathBuf,
    /// How to start the server.
    pub server: ServerCommand,
    /// How to start the Socket.IO peer ([`crate::peer::socketio`]); `None` when it cannot run here, and
    /// then a step that needs it fails.
    pub socketio: Option<ServerCommand>,
    /// The browser header fixture, when a step uses the browser profile.
    pub browser: Option<BrowserFixture>,
    /// Cancelled on Ctrl-C or SIGTERM.
    pub cancel: CancellationToken,
}

/// How a run went.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Steps recorded, per experiment name.
    pub recorded: Vec<(String, usize)>,
    /// Experiments that failed part-way, with why (their finished steps are kept).
    pub failed: Vec<(String, Error)>,
    /// Whether the run was interrupted.
    pub interrupted: bool,
}

/// Runs `experiments` in order. Only errors that make further runs pointless (the results directory
/// cannot be written) end the run early; an experiment's failure is recorded in [`Outcome::failed`].
pub fn run_all(
    rt: &Runtime,
    experiments: &[Experiment],
    opts: &RunOptions,
    progress: &mut Progress,
) -> Result<Outcome, Error> {
    std::fs::create_dir_all(&opts.out).map_err(|e| Error::io(&opts.out, e))?;
    let machine = crate::machine::describe(SystemTime::now());
    let mut outcome = Outcome::default();
    for exp in experiments {
        if opts.cancel.is_cancelled() {
            break;
        }
        let mut rec = Recorder::new(&opts.out, exp, machine.clone());
        let before = progress.steps_done();
        let result = run_experiment(rt, exp, opts, progress, &mut rec);
        if !rec.is_empty() {
            outcome.recorded.push((exp.name.clone(), rec.len()));
            progress.say(&format!("{}: {} steps written to {}", exp.name, rec.len(), rec.path().display()));
        }
        match result {
            Ok(()) => {}
            Err(e @ Error::Io { .. }) => return Err(e),
            Err(e) => {
                progress.say(&format!("{}: failed: {e}", exp.name));
                let rest = &exp.steps[(progress.steps_done() - before).min(exp.steps.len())..];
                progress.skipped(rest.len(), rest.iter().map(StepPlan::estimate).sum());
                outcome.failed.push((exp.name.clone(), e));
            }
        }
    }
    outcome.interrupted = opts.cancel.is_cancelled();
    Ok(outcome)
}

fn run_experiment(
    rt: &Runtime,
    exp: &Experiment,
    opts: &RunOptions,
    progress: &mut Progress,
    rec: &mut Recorder,
) -> Result<(), Error> {
    if exp.floor && !opts.cancel.is_cancelled() {
        progress.step(&format!("{} floor", exp.name));
        match run_floor(&floor_config(exp.quick), None) {
            Ok(floor) => {
                progress.finished_apart(floor_estimate(exp.quick), &format!("{} {}", exp.name, floor_line(&floor)));
                rec.set_floor(floor);
            }
            // The steps still measure; the report says the floor was not measured in this run.
            Err(e) => progress.say(&format!("{}: the floor could not be measured: {e}", exp.name)),
        }
    }
    let mut server: Option<(ServerKind, Servers)> = None;
    for step in &exp.steps {
        if opts.cancel.is_cancelled() {
            break;
        }
        let kind = step.server();
        let stale = server.as_ref().is_some_and(|(running, _)| exp.server.fresh_per_step || *running != kind);
        if stale && let Some((_, old)) = server.take() {
            old.stop();
        }
        if server.is_none() {
            server = Some((kind, Servers::start(kind, exp, step, opts)?));
        }
        // unwrap: set just above.
        let srv = &mut server.as_mut().unwrap().1;
        if let Some(node) = srv.cluster.exited() {
            return Err(node.failed("the server exited during the experiment"));
        }
        let round = step.repeat.map(|r| format!(", round {}", r + 1)).unwrap_or_default();
        progress.step(&format!("{} {} ({} s{round})", exp.name, step.label, step.duration.as_secs_f64()));
        let ctx = StepCtx { exp, step, server: srv, opts, progress: progress.clone() };
        let records = rt.block_on(ctx.run()).map_err(|source| Error::Harness {
            experiment: exp.name.clone(),
            step: step.label.clone(),
            source,
        });
        // A server that died mid-step measured nothing worth keeping: say so, with its last log lines.
        if let Some(node) = srv.cluster.exited() {
            let why = records.err().map(|e| format!(" ({e})")).unwrap_or_default();
            return Err(node.failed(&format!("the server exited during step `{}`{why}", step.label)));
        }
        let records = records?;
        let summary = summary(&records[0]);
        for r in records {
            rec.push(r)?;
        }
        progress.finished(step.estimate(), &format!("{} {}: {summary}", exp.name, step.label));
    }
    if let Some((_, srv)) = server {
        srv.stop();
    }
    Ok(())
}

/// What a step runs against: its server's nodes (one for every experiment but scale-out) and, for a feed on
/// Redis, the `redis-server` they share (fresh with the nodes, so every layout starts from an empty feed).
struct Servers {
    cluster: Cluster,
    redis: Option<RedisServer>,
}

impl Servers {
    fn start(kind: ServerKind, exp: &Experiment, step: &StepPlan, opts: &RunOptions) -> Result<Servers, Error> {
        let mut args = kind.args(&exp.server);
        let (command, nodes, feed) = match kind {
            ServerKind::Feedlab { nodes, feed } => (&opts.server, nodes, feed),
            ServerKind::SocketIo { .. } => {
                let peer = opts.socketio.as_ref().ok_or_else(|| {
                    Error::Server(format!(
                        "step `{}` needs the Socket.IO peer, which cannot run here; to enable it: {}",
                        step.label,
                        crate::peer::ENABLE
                    ))
                })?;
                (peer, 1, FeedKind::Memory)
            }
        };
        let redis = match feed {
            FeedKind::Memory => None,
            FeedKind::Redis => {
                let redis = RedisServer::start()
                    .map_err(|e| Error::Server(format!("step `{}` needs a Redis server: {e}", step.label)))?;
                args.extend(["--feed".to_owned(), redis.url()]);
                Some(redis)
            }
        };
        let cluster = Cluster::start(command, SocketAddr::from(([127, 0, 0, 1], 0)), nodes, &args, false)?;
        Ok(Servers { cluster, redis })
    }

    fn stop(self) {
        self.cluster.stop();
        // The nodes first: a node losing Redis mid-shutdown would only log about it.
        drop(self.redis);
    }
}

/// One line about a measured floor: sender CPU per `send()` for each number of frames in it, and the
/// reader's per frame.
fn floor_line(f: &FloorResult) -> String {
    let cases: Vec<String> = f
        .cases
        .iter()
        .map(|c| {
            let frames = if c.frames_per_send == 1 { "frame" } else { "frames" };
            format!("{} {frames} {:.2} us", c.frames_per_send, c.send_us)
        })
        .collect();
    let reader = f.case(1).map(|c| format!("; reader {:.2} us per frame", c.reader_us_per_frame)).unwrap_or_default();
    format!("floor on {} loopback pairs, sender CPU per send(): {}{reader}", f.pairs, cases.join(", "))
}

/// One line about a finished step.
fn summary(r: &Step) -> String {
    let b = &r.bench;
    let mut s = format!(
        "delivered {}/{}, lost {}, errors {}, requests {}, p50 {:.1} ms, p99 {:.1} ms",
        b.integrity.delivered,
        b.integrity.expected,
        b.integrity.lost,
        b.errors_total(),
        b.requests,
        b.latency_us.p50 as f64 / 1000.0,
        b.latency_us.p99 as f64 / 1000.0
    );
    if let Some(u) = r.server {
        s += &format!("; server {:.2} s CPU, RSS {:.1} -> {:.1} MiB", u.cpu_s, u.rss_mib_start, u.rss_mib_peak);
    }
    if let Some(c) = &b.server_cpu {
        let us = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1}"));
        s += &format!(
            "; steady {} + {} us/msg (user + kernel), setup {} us/connect",
            us(c.steady.user_us_per),
            us(c.steady.system_us_per),
            us(c.setup.total_us_per)
        );
    }
    if let Some(h) = b.harness_cpu.and_then(|h| h.total_us_per) {
        s += &format!("; harness {h:.1} us/msg");
    }
    if let Some(w) = b.rate_warning() {
        s += &format!("; {w}");
    }
    if b.cancelled {
        s += " (interrupted)";
    }
    s
}

/// Everything one step needs.
struct StepCtx<'a> {
    exp: &'a Experiment,
    step: &'a StepPlan,
    server: &'a Servers,
    opts: &'a RunOptions,
    progress: Progress,
}

impl StepCtx<'_> {
    fn target(&self) -> Result<Target, feedlab_harness::Error> {
        Target::parse(&self.server.cluster.first().url)
    }

    async fn run(self) -> Result<Vec<Step>, feedlab_harness::Error> {
        let mut steady_cfg = self.step.bench_config(self.target()?);
        steady_cfg.headers = match self.step.headers {
            HeaderProfile::Minimal => RequestHeaders::Minimal,
            HeaderProfile::Browser => match &self.opts.browser {
                Some(f) => RequestHeaders::Browser(f.clone()),
                None => {
                    return Err(feedlab_harness::Error::Config(
                        "the browser header profile needs the fixture file".into(),
                    ));
                }
            },
        };
        let storm = match self.exp.storm {
            Some(s) => Some((s, s.bench_config(self.target()?))),
            None => None,
        };
        let cancel = self.opts.cancel.clone();
        let pids = self.server.cluster.pids();
        steady_cfg.server_pids = pids.clone();
        let watch = |pid: u32| {
            UsageWatch::start(pid)
                .inspect_err(|e| tracing::warn!(pid, "cannot read the server's usage from /proc: {e}"))
                .ok()
        };
        let usage: Vec<Option<UsageWatch>> = pids.iter().map(|&pid| watch(pid)).collect();
        let redis_usage = self.server.redis.as_ref().and_then(RedisServer::pid).and_then(watch);
        let started = Instant::now();

        let sampling = CancellationToken::new();
        let addr = self.server.cluster.first().addr;
        let samples = self.exp.timeline.then(|| tokio::spawn(timeline::record(addr, started, sampling.clone())));
        let planned = self.step.estimate();
        let ticker = tokio::spawn({
            let progress = self.progress.clone();
            async move {
                loop {
                    progress.within(started.elapsed(), planned);
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        });

        let storm_run = async {
            let (storm, cfg) = storm?;
            tokio::select! {
                _ = tokio::time::sleep(storm.start) => {}
                _ = cancel.cancelled() => return None,
            }
            Some((storm, run_bench(cfg, None, cancel.clone()).await))
        };
        let (steady, storm) = tokio::join!(run_bench(steady_cfg, None, cancel.clone()), storm_run);

        sampling.cancel();
        ticker.abort();
        let timeline = match samples {
            Some(task) => task.await.unwrap_or_default(),
            None => Vec::new(),
        };
        let finish = |u: Option<UsageWatch>| async move {
            let u = u?;
            let pid = u.pid();
            u.finish().await.inspect_err(|e| tracing::warn!(pid, "cannot read the server's usage from /proc: {e}")).ok()
        };
        let mut nodes = Vec::new();
        for u in usage {
            nodes.push(finish(u).await);
        }
        let redis = finish(redis_usage).await;
        let redis_connections = self.server.redis.as_ref().and_then(|r| {
            r.connected_clients().inspect_err(|e| tracing::warn!("cannot count Redis's connections: {e}")).ok()
        });
        // One node: its reading. Several: their sum, and each one's beside it (all or none).
        let server = match nodes.as_slice() {
            [one] => *one,
            _ => nodes.iter().copied().collect::<Option<Vec<ServerUsage>>>().map(|n| ServerUsage::sum(&n)),
        };
        let nodes: Vec<ServerUsage> =
            if nodes.len() > 1 { nodes.into_iter().collect::<Option<_>>().unwrap_or_default() } else { Vec::new() };
        let mut records = vec![Step {
            label: self.step.label.clone(),
            params: params(self.step),
            bench: steady?,
            server,
            timeline,
            repeat: self.step.repeat,
            nodes,
            redis,
            redis_connections,
        }];
        if let Some((storm, result)) = storm {
            records.push(Step {
                label: storm.label(),
                params: storm_params(&storm),
                bench: result?,
                // The server's cost over the step is the steady step's figure; both groups ran at once.
                server: None,
                timeline: Vec::new(),
                repeat: self.step.repeat,
                nodes: Vec::new(),
                redis: None,
                redis_connections: None,
            });
        }
        Ok(records)
    }
}
