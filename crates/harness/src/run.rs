//! One bench run, start to end: probe, ramp-up, measured window, drain, merge.
//!
//! 1. **Probe** the server: feed head (every client's start cursor) and clock offset.
//! 2. **Ramp-up**: start the `--rtt` relay if asked, spawn every client. Streaming clients and long-pollers
//!    connect (at most [`crate::clients::CONCURRENT_CONNECTS`] at a time) and the window waits until all are in, or
//!    [`crate::config::DEFAULT_RAMP_TIMEOUT`] passes. Pollers wait for the window.
//! 3. **Window**: the publisher publishes at `--rate` for `--duration`; pollers poll on their schedule.
//! 4. **Drain**: publishing stops; each client stops as soon as it has the last published id, or at the
//!    drain deadline. Then nothing more can arrive and what is missing is lost. A poller that is done keeps
//!    its connection open until every client is done ([`crate::clients::Ctx::linger`]), so thousands of
//!    connections closing at once do not delay the pollers still asking for the last message.
//! 5. **Merge** the per-client records into one [`BenchResult`] ([`crate::merge`]).
//!
//! The clients live in [`crate::local`]; with `--procs` in worker processes, each running a
//! [`crate::local::Local`] that follows this process's window and end ([`crate::workers`]), whose
//! totals are added up before the same merge.
//!
//! CPU accounting: at the start of the ramp-up, when the window opens and when it closes (publishing stops,
//! before the drain) the run reads the server's CPU (`--server-pid`, `/proc/PID/stat`, user and system
//! apart) and its own (`/proc/self/stat`), with the clients' running counts of messages received and
//! connections opened. The steady window's CPU divided by the messages received in it is the cost of a
//! delivery without connection setup; the ramp-up's divided by the connections opened in it is the cost
//! of a connect ([`ServerCpu`]). The harness's own CPU per received message (its publisher included) says
//! whether the harness, sharing the machine, could be the bottleneck. A soak leaves these null: its client
//! groups share one window.
//!
//! Cancelling the token at any point ends the phase in progress and returns what was measured, marked
//! `cancelled` (the suite writes partial results on Ctrl-C).
//!
//! With `--chaos`, a share of the clients drop their connection every second of the window
//! ([`crate::chaos`]). A soak ([`crate::soak`]) is the same run with several *client groups*, one per
//! transport, sharing the probe, the publisher, the window and the drain: [`run_groups`] is the one
//! implementation, [`run_bench`] runs it with one group.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::clients::{Live, Window};
use crate::config::{BenchConfig, Transport};
use crate::local::{Local, Start, fold, up_front};
use crate::merge::{Summary, Totals, finish};
use crate::publisher::{PublishPlan, Publisher};
use crate::record::now_us;
use crate::result::{BenchResult, CpuPer, Publish, ServerCpu, TimelinePoint};
use crate::workers::Workers;
use feedlab_contract::procfs::{self, CpuTimes};

/// Runs one benchmark. `progress`, if given, shows the run (the caller decides whether it is visible);
/// cancelling `cancel` stops early and still returns the partial result.
pub async fn run_bench(
    mut config: BenchConfig,
    progress: Option<ProgressBar>,
    cancel: CancellationToken,
) -> Result<BenchResult, Error> {
    config.validate()?;
    let mut run = run_groups(vec![config], progress, cancel).await?;
    // unwrap-free: one group in, one result out.
    let mut result = run.results.pop().ok_or_else(|| Error::Config("no client group".into()))?;
    result.timeline = run.timeline;
    result.server_cpu = run.cpu.server;
    result.harness_cpu = run.cpu.harness;
    Ok(result)
}

/// What the run's processes spent, measured at the edges of the ramp-up and of the steady window (see the
/// module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct RunCpu {
    /// The server's (`--server-pid`): the steady window per delivery, the ramp-up per connect.
    pub server: Option<ServerCpu>,
    /// This process's, in the steady window, per message its clients received.
    pub harness: Option<CpuPer>,
}

/// CPU readings and the clients' counts at one instant.
#[derive(Debug, Clone, Copy)]
struct Mark {
    at: Instant,
    server: Option<CpuTimes>,
    harness: Option<CpuTimes>,
    delivered: u64,
    connections: u64,
}

impl Mark {
    /// Reads `/proc` now (a process that cannot be read leaves its figure out). The harness is this
    /// process and its `--procs` workers (`workers`).
    fn take(server_pids: &[u32], workers: &[u32], live: &Live) -> Mark {
        let harness = cpu_sum(std::iter::once(std::process::id()).chain(workers.iter().copied()));
        Mark {
            at: Instant::now(),
            server: (!server_pids.is_empty()).then(|| cpu_sum(server_pids.iter().copied())).flatten(),
            harness,
            delivered: live.delivered.load(Relaxed),
            connections: live.connections.load(Relaxed),
        }
    }
}

/// The CPU times of several processes summed; None if one cannot be read.
fn cpu_sum(pids: impl Iterator<Item = u32>) -> Option<CpuTimes> {
    pids.map(|pid| procfs::cpu_times(pid).ok()).try_fold(CpuTimes::default(), |sum, t| {
        t.map(|t| CpuTimes { user_s: sum.user_s + t.user_s, system_s: sum.system_s + t.system_s })
    })
}

impl RunCpu {
    /// From the marks at the ramp-up's start, the window's start and its end.
    fn between(server_pids: &[u32], ramp: Mark, start: Mark, end: Mark) -> RunCpu {
        let secs = |a: &Mark, b: &Mark| b.at.duration_since(a.at).as_secs_f64();
        let delivered = end.delivered - start.delivered;
        let server = match (server_pids.first(), ramp.server, start.server, end.server) {
            (Some(&pid), Some(r), Some(s), Some(e)) => Some(ServerCpu {
                pid,
                processes: (server_pids.len() > 1).then_some(server_pids.len() as u32),
                steady: CpuPer::new(secs(&start, &end), e.since(s), delivered),
                setup: CpuPer::new(secs(&ramp, &start), s.since(r), start.connections - ramp.connections),
            }),
            _ => None,
        };
        let harness = match (start.harness, end.harness) {
            (Some(s), Some(e)) => Some(CpuPer::new(secs(&start, &end), e.since(s), delivered)),
            _ => None,
        };
        RunCpu { server, harness }
    }
}

/// What [`run_groups`] measured.
#[derive(Debug)]
pub struct GroupsRun {
    /// One result per client group, in the order given (their `timeline`s are empty: see `timeline`).
    pub results: Vec<BenchResult>,
    /// The run's per-second timeline, all groups together.
    pub timeline: Vec<TimelinePoint>,
    /// When the measured window opened.
    pub window_start: Instant,
    /// When publishing stopped (the drain began).
    pub window_end: Instant,
    /// CPU of the server (with `--server-pid` in the first group's configuration) and of the harness.
    pub cpu: RunCpu,
}

/// Runs several client groups at once against one server: one probe, one publisher, one window and one
/// drain, each group with its own configuration (transport, clients, polling). Run-level settings (target,
/// rate, duration, payload, rtt, drain, ramp timeout, seed, chaos, source addresses, procs) come from the
/// first group. Configurations must be validated already.
///
/// The clients run in this process ([`Local`]) or, with `procs` > 1, in worker processes
/// ([`crate::workers`]) that run the same [`Local`] each and follow this process's window and end.
pub async fn run_groups(
    configs: Vec<BenchConfig>,
    progress: Option<ProgressBar>,
    cancel: CancellationToken,
) -> Result<GroupsRun, Error> {
    let groups: Vec<Arc<BenchConfig>> = configs.into_iter().map(Arc::new).collect();
    let Some(cfg) = groups.first().cloned() else { return Err(Error::Config("no client group".into())) };
    let progress = progress.unwrap_or_else(ProgressBar::hidden);

    let mut publisher = Publisher::new(cfg.target.clone());
    let probe = publisher.probe().await?;

    let live = Arc::new(Live::default());
    let seed = cfg.seed.unwrap_or_else(|| StdRng::from_os_rng().random());
    let server_pids = cfg.server_pids.clone();
    let ramp_mark = Mark::take(&server_pids, &[], &live);
    let start = Start { probe, seed, first_client: 0 };
    // A worker that fails cancels `abort`: the run stops publishing and fails, naming it.
    let abort = cancel.child_token();
    let mut clients = if cfg.procs > 1 {
        Fleet::Workers(Workers::start(&groups, &start, live.clone(), abort.clone()).await?)
    } else {
        Fleet::Local(Local::start(&groups, &start, live.clone(), abort.clone()).await?)
    };
    let pids = clients.pids();

    // Ramp-up: wait for the clients that connect up front (every transport but pollers without keep-alive,
    // whose per-poll connections are part of what they cost).
    let up_front = up_front(&groups);
    if up_front > 0 {
        progress.set_length(up_front);
        progress.set_message("connecting");
    }
    clients.ramp(cfg.ramp_timeout, &progress).await;
    clients.failed()?;

    // Window.
    let start_mark = Mark::take(&server_pids, &pids, &live);
    let window = Window { start: start_mark.at, start_us: now_us() };
    let started_unix_ms = window.start_us / 1000;
    clients.open(window).await;
    let start = window.start;
    let stop = abort.child_token();
    let sampler = tokio::spawn(sample(live.clone(), start, progress.clone(), cfg.duration, stop.clone()));
    // The window's end is read at its scheduled instant (publish answers may still be on their way then).
    let end_mark = {
        let (live, abort, end, pids) = (live.clone(), abort.clone(), start + cfg.duration, pids.clone());
        let server_pids = server_pids.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep_until(end) => {}
                _ = abort.cancelled() => {}
            }
            Mark::take(&server_pids, &pids, &live)
        })
    };
    let plan =
        PublishPlan { start, duration: cfg.duration, rate: cfg.rate, payload: cfg.payload, answer_grace: cfg.drain };
    let publish = publisher.publish(plan, &live, &abort).await;
    let window_end = Instant::now();
    let duration_s = start.elapsed().as_secs_f64().min(cfg.duration.as_secs_f64());
    let end_mark = end_mark.await.unwrap_or_else(|_| Mark::take(&server_pids, &pids, &live));
    let cpu = RunCpu::between(&server_pids, ramp_mark, start_mark, end_mark);
    clients.failed()?;

    // Drain: give the last messages time to arrive (one more poll interval and round trip included).
    let drain_start = Instant::now();
    let polls = groups.iter().filter(|g| g.transport == Transport::Poll).map(|g| g.poll_interval).max();
    let drain = cfg.drain + cfg.rtt * 2 + polls.unwrap_or_default();
    progress.set_message("draining");
    let source_addrs = clients.source_addrs();
    let drained = clients.finish(&publish, drain).await?;
    let drain_s = drain_start.elapsed().as_secs_f64();
    stop.cancel();
    let timeline = sampler.await.unwrap_or_default();
    progress.finish_and_clear();
    let totals = match drained {
        Drained::Records(records) => fold(records, &publish, probe.epoch, cancel.is_cancelled()),
        Drained::Totals(totals) => totals,
    };

    let summary = Summary {
        duration_s,
        drain_s,
        started_unix_ms,
        cancelled: cancel.is_cancelled(),
        clock_offset_us: probe.clock_offset_us,
        published: live.published.load(Relaxed),
        start_epoch: probe.epoch,
        procs: cfg.procs,
        source_addrs,
    };
    let results = groups.iter().zip(totals).map(|(g, t)| finish(g, t, publish.clone(), &summary)).collect();
    Ok(GroupsRun { results, timeline, window_start: start, window_end, cpu })
}

/// The run's clients: here, or in worker processes.
enum Fleet {
    Local(Local),
    Workers(Workers),
}

impl Fleet {
    fn pids(&self) -> Vec<u32> {
        match self {
            Fleet::Local(_) => Vec::new(),
            Fleet::Workers(w) => w.pids(),
        }
    }

    async fn ramp(&mut self, timeout: Duration, progress: &ProgressBar) {
        match self {
            Fleet::Local(l) => l.ramp(timeout, progress).await,
            Fleet::Workers(w) => w.ramp(progress).await,
        }
    }

    fn failed(&self) -> Result<(), Error> {
        match self {
            Fleet::Local(_) => Ok(()),
            Fleet::Workers(w) => w.failed(),
        }
    }

    async fn open(&mut self, window: Window) {
        match self {
            Fleet::Local(l) => l.open(window),
            Fleet::Workers(w) => w.open(window).await,
        }
    }

    fn source_addrs(&self) -> Vec<IpAddr> {
        match self {
            Fleet::Local(l) => l.source_addrs(),
            Fleet::Workers(w) => w.source_addrs(),
        }
    }

    /// Publishing is over (as `publish` says): lets the clients drain for `drain`, and returns what they
    /// measured.
    async fn finish(self, publish: &Publish, drain: Duration) -> Result<Drained, Error> {
        match self {
            Fleet::Local(l) => Ok(Drained::Records(l.drain(publish, drain).await)),
            Fleet::Workers(w) => Ok(Drained::Totals(w.finish(publish, drain).await?)),
        }
    }
}

/// What the clients measured, per group: this process's records (folded once the run has wound down), or
/// the workers' totals (each folded its own).
enum Drained {
    Records(Vec<Vec<crate::record::ClientRecord>>),
    Totals(Vec<Totals>),
}

/// Every second: a timeline point, and the progress bar. Returns the timeline when `stop` is cancelled.
async fn sample(
    live: Arc<Live>,
    start: Instant,
    progress: ProgressBar,
    duration: Duration,
    stop: CancellationToken,
) -> Vec<TimelinePoint> {
    progress.set_length(duration.as_secs().max(1));
    progress.set_position(0);
    let read = |l: &Live| {
        [
            l.published.load(Relaxed),
            l.delivered.load(Relaxed),
            l.requests.load(Relaxed),
            l.errors.load(Relaxed),
            l.bytes.sent.load(Relaxed),
            l.bytes.received.load(Relaxed),
        ]
    };
    let mut last = read(&live);
    let mut timeline = Vec::new();
    let mut tick = tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
    let mut redraw = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return timeline,
            _ = redraw.tick() => {
                let now = read(&live);
                progress.set_position(start.elapsed().as_secs().min(duration.as_secs()));
                progress.set_message(format!(
                    "published {}  delivered {}  requests {}  errors {}",
                    now[0], now[1], now[2], now[3]
                ));
            }
            at = tick.tick() => {
                let now = read(&live);
                let d = |i: usize| now[i] - last[i];
                timeline.push(TimelinePoint {
                    // The tick's scheduled second, not when it ran: a late tick on a busy machine must not
                    // be stamped with the next second (its catch-up tick would then share the stamp).
                    t_s: at.duration_since(start).as_secs_f64().round(),
                    published: d(0),
                    delivered: d(1),
                    requests: d(2),
                    errors: d(3),
                    sent_bytes: d(4),
                    received_bytes: d(5),
                    open_connections: live.bytes.open.load(Relaxed),
                });
                last = now;
            }
        }
    }
}
