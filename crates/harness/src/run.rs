//! One bench run, start to end: probe, ramp-up, measured window, drain, merge.
//!
//! 1. **Probe** the server: feed head (every client's start cursor) and clock offset.
//! 2. **Ramp-up**: start the `--rtt` relay if asked, spawn every client. Streaming clients and long-pollers
//!    connect (at most [`CONCURRENT_CONNECTS`] at a time) and the window waits until all are in, or
//!    [`crate::config::DEFAULT_RAMP_TIMEOUT`] passes. Pollers wait for the window.
//! 3. **Window**: the publisher publishes at `--rate` for `--duration`; pollers poll on their schedule.
//! 4. **Drain**: publishing stops; each client stops as soon as it has the last published id, or at the
//!    drain deadline. Then nothing more can arrive and what is missing is lost. A poller that is done keeps
//!    its connection open until every client is done ([`crate::clients::Ctx::linger`]), so thousands of
//!    connections closing at once do not delay the pollers still asking for the last message.
//! 5. **Merge** the per-client records into one [`BenchResult`] ([`crate::merge`]).
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

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::chaos::Chaos;
use crate::clients::{CONCURRENT_CONNECTS, Ctx, End, Live, Window, run_client};
use crate::config::{BenchConfig, Transport};
use crate::merge::{Summary, merge};
use crate::net::Connector;
use crate::publisher::{PublishPlan, Publisher};
use crate::record::{ClientRecord, now_us};
use crate::result::{BenchResult, CpuPer, ServerCpu, TimelinePoint};
use feedlab_contract::procfs::{self, CpuTimes};

/// Extra time clients get after the drain deadline to wind down (close frames, in-flight answers) before
/// they are cancelled outright.
const WIND_DOWN: Duration = Duration::from_secs(2);

/// How often the drain looks whether every client is done, to let the lingering ones close.
const RELEASE_CHECK: Duration = Duration::from_millis(20);

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
    /// Reads `/proc` now (a process that cannot be read leaves its figure out).
    fn take(server_pid: Option<u32>, live: &Live) -> Mark {
        Mark {
            at: Instant::now(),
            server: server_pid.and_then(|pid| procfs::cpu_times(pid).ok()),
            harness: procfs::cpu_times(std::process::id()).ok(),
            delivered: live.delivered.load(Relaxed),
            connections: live.connections.load(Relaxed),
        }
    }
}

impl RunCpu {
    /// From the marks at the ramp-up's start, the window's start and its end.
    fn between(server_pid: Option<u32>, ramp: Mark, start: Mark, end: Mark) -> RunCpu {
        let secs = |a: &Mark, b: &Mark| b.at.duration_since(a.at).as_secs_f64();
        let delivered = end.delivered - start.delivered;
        let server = match (server_pid, ramp.server, start.server, end.server) {
            (Some(pid), Some(r), Some(s), Some(e)) => Some(ServerCpu {
                pid,
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
/// rate, duration, payload, rtt, drain, ramp timeout, seed, chaos, source addresses) come from the first
/// group. Configurations must be validated already.
pub async fn run_groups(
    configs: Vec<BenchConfig>,
    progress: Option<ProgressBar>,
    cancel: CancellationToken,
) -> Result<GroupsRun, Error> {
    let groups: Vec<Arc<BenchConfig>> = configs.into_iter().map(Arc::new).collect();
    let Some(cfg) = groups.first().cloned() else { return Err(Error::Config("no client group".into())) };
    let total_clients: usize = groups.iter().map(|g| g.clients).sum();
    let progress = progress.unwrap_or_else(ProgressBar::hidden);

    let mut publisher = Publisher::new(cfg.target.clone());
    let probe = publisher.probe().await?;

    // Clients' token: cancelled by the caller's, or by the harness itself when the drain grace runs out.
    let stop = cancel.child_token();
    let sources: Arc<[std::net::IpAddr]> = Arc::from(cfg.source_addrs.clone());
    let direct = Connector { addr: cfg.target.addr, sources: sources.clone() };
    let connector = if cfg.rtt.is_zero() {
        direct
    } else {
        let relay = crate::relay::start(direct, cfg.rtt, stop.clone())
            .await
            .map_err(|e| Error::io("starting the --rtt relay", e))?;
        Connector { addr: relay.addr, sources }
    };

    let live = Arc::new(Live::default());
    let (window_tx, window_rx) = watch::channel(None::<Window>);
    let (end_tx, end_rx) = watch::channel(None::<End>);
    let seed = cfg.seed.unwrap_or_else(|| StdRng::from_os_rng().random());
    let chaos = Arc::new(Chaos::new(total_clients, cfg.chaos));
    let connect_gate = Arc::new(Semaphore::new(CONCURRENT_CONNECTS));
    let server_pid = cfg.server_pid;
    let ramp_mark = Mark::take(server_pid, &live);
    // Cancelled once every client is done: lingering pollers then close their connections.
    let release = CancellationToken::new();

    // Client indexes run on across groups: they pick source addresses and chaos strikes run-wide.
    let mut tasks = JoinSet::new();
    let mut first_idx = 0;
    for (group, gcfg) in groups.iter().enumerate() {
        let ctx = Arc::new(Ctx {
            cfg: gcfg.clone(),
            connector: connector.clone(),
            start_cursor: probe.head,
            epoch: probe.epoch,
            chaos: chaos.clone(),
            clock_offset_us: probe.clock_offset_us,
            window: window_rx.clone(),
            end: end_rx.clone(),
            cancel: stop.clone(),
            release: release.clone(),
            live: live.clone(),
            connect_gate: connect_gate.clone(),
            seed,
        });
        for idx in first_idx..first_idx + gcfg.clients {
            let ctx = ctx.clone();
            tasks.spawn(async move { (group, run_client(ctx, idx).await) });
        }
        first_idx += gcfg.clients;
    }

    // Ramp-up: wait for the clients that connect up front (every transport but pollers without keep-alive,
    // whose per-poll connections are part of what they cost).
    let up_front: u64 =
        groups.iter().filter(|g| g.transport != Transport::Poll || g.keep_alive).map(|g| g.clients as u64).sum();
    if up_front > 0 {
        progress.set_length(up_front);
        progress.set_message("connecting");
        let ramp_end = Instant::now() + cfg.ramp_timeout;
        while live.ready.load(Relaxed) < up_front && Instant::now() < ramp_end && !cancel.is_cancelled() {
            progress.set_position(live.ready.load(Relaxed));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let ready = live.ready.load(Relaxed);
        if ready < up_front && !cancel.is_cancelled() {
            tracing::warn!(ready, clients = up_front, "ramp-up timed out; starting with the clients connected so far");
        }
    }

    // Window.
    let start_mark = Mark::take(server_pid, &live);
    let start = start_mark.at;
    let start_us = now_us();
    let started_unix_ms = start_us / 1000;
    let _ = live.window_start_us.set(start_us);
    let _ = window_tx.send(Some(Window { start, start_us }));
    let sampler = tokio::spawn(sample(live.clone(), start, progress.clone(), cfg.duration, stop.clone()));
    let striker = {
        let (chaos, stop, duration) = (chaos.clone(), stop.clone(), cfg.duration);
        tokio::spawn(async move { chaos.run(start, duration, seed, stop).await })
    };
    // The window's end is read at its scheduled instant (publish answers may still be on their way then).
    let end_mark = {
        let (live, cancel, end) = (live.clone(), cancel.clone(), start + cfg.duration);
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep_until(end) => {}
                _ = cancel.cancelled() => {}
            }
            Mark::take(server_pid, &live)
        })
    };
    let plan =
        PublishPlan { start, duration: cfg.duration, rate: cfg.rate, payload: cfg.payload, answer_grace: cfg.drain };
    let publish = publisher.publish(plan, &live, &cancel).await;
    let window_end = Instant::now();
    let duration_s = start.elapsed().as_secs_f64().min(cfg.duration.as_secs_f64());
    let end_mark = end_mark.await.unwrap_or_else(|_| Mark::take(server_pid, &live));
    let cpu = RunCpu::between(server_pid, ramp_mark, start_mark, end_mark);
    let _ = striker.await;

    // Drain: give the last messages time to arrive (one more poll interval and round trip included).
    let drain_start = Instant::now();
    let polls = groups.iter().filter(|g| g.transport == Transport::Poll).map(|g| g.poll_interval).max();
    let drain = cfg.drain + cfg.rtt * 2 + polls.unwrap_or_default();
    let deadline = drain_start + drain;
    let _ = end_tx.send(Some(End { last_id: publish.last_id, epoch: publish.epoch, deadline }));
    progress.set_message("draining");

    let mut records: Vec<Vec<ClientRecord>> = groups.iter().map(|g| Vec::with_capacity(g.clients)).collect();
    let grace = tokio::time::sleep_until(deadline + WIND_DOWN);
    tokio::pin!(grace);
    let mut all_done = tokio::time::interval(RELEASE_CHECK);
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                Some(Ok((group, rec))) => records[group].push(rec),
                // A client task panicked: a bug, reported rather than hidden. Its figures are lost.
                Some(Err(e)) => {
                    tracing::error!(error = %e, "a client task failed");
                    // It never lingers: count it, or the others would wait for it until the grace ends.
                    live.done.fetch_add(1, Relaxed);
                }
                None => break,
            },
            _ = all_done.tick(), if !release.is_cancelled() => {
                if live.done.load(Relaxed) >= total_clients as u64 {
                    release.cancel();
                }
            }
            _ = &mut grace, if !stop.is_cancelled() => stop.cancel(),
        }
    }
    let drain_s = drain_start.elapsed().as_secs_f64();
    stop.cancel();
    let timeline = sampler.await.unwrap_or_default();
    progress.finish_and_clear();

    let summary = Summary {
        duration_s,
        drain_s,
        started_unix_ms,
        cancelled: cancel.is_cancelled(),
        clock_offset_us: probe.clock_offset_us,
        published: live.published.load(Relaxed),
    };
    let results = groups.iter().zip(records).map(|(g, recs)| merge(g, recs, publish.clone(), &summary)).collect();
    Ok(GroupsRun { results, timeline, window_start: start, window_end, cpu })
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
