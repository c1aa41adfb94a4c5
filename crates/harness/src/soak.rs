//! `feedlab bench --soak 10m`: all four transports at once, for a long time, with the server's memory
//! watched.
//!
//! A benchmark measures one transport for seconds; a soak asks whether the server stays healthy for
//! minutes under a realistic mix. `--clients N` is split evenly over polling, long-polling, SSE and
//! WebSocket (N/4 each), one publisher feeds them all at `--rate`, and `--chaos` may drop connections on
//! top. It is one run with four client groups ([`crate::run::run_groups`]), so every client is checked for
//! loss exactly as in a bench run, per transport.
//!
//! Memory: with `--server-pid PID` (a server on this machine; the harness cannot see a remote process) the
//! harness reads `VmRSS` from `/proc/PID/status` every [`RSS_SAMPLE_PERIOD`] (the contract's
//! [`procfs::memory`]). Growth is measured from the
//! end of a warm-up (the first [`RSS_WARMUP_SHARE`] of the window: every client connected and traffic
//! flowing, so per-connection buffers are paid) to the end of the window (clients still connected): what
//! grows in between is what a long-running server would keep growing by. The peak is the largest sample
//! in the window; every sample is in the result, warm-up and ramp-up included.
//!
//! The feed keeps the last `--retention` messages (100,000 by default), so a server's memory rightly
//! grows until its ring is full: at 10 msg/s that takes hours. To see drift rather than the ring filling,
//! soak a server started with a retention the soak fills during the warm-up (`--retention 500` at
//! 10 msg/s over a 10-minute soak, whose warm-up is a minute).
//!
//! Verdict ([`SoakVerdict`]): RSS growth under [`RSS_GROWTH_TARGET_PCT`], no client errors, nothing lost,
//! duplicated or reordered, on every transport.
//!
//! The result ([`SoakResult`], `--json FILE`) is documented in the contract and in
//! `crates/contract/schema/soak.schema.json`; each entry of `transports` is a bench result as in
//! `bench.schema.json`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::ProgressBar;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use feedlab_contract::procfs;

use crate::Error;
use crate::config::{BenchConfig, Transport};
use crate::result::{BenchResult, Integrity};
use crate::run::run_groups;
pub use feedlab_contract::soak::{Rss, RssSample, SOAK_SCHEMA_VERSION, SoakResult, SoakVerdict};

/// The soak's memory target: a server that grows more than this over the window is keeping something
/// per message or per reconnect that it should not (the feed's own retention ring excepted, which is
/// bounded and small at soak rates).
pub const RSS_GROWTH_TARGET_PCT: f64 = 5.0;

/// Share of the window before growth is measured from: in its first seconds the server allocates
/// buffers for every connection as traffic starts and the allocator grows its arenas, which is the price
/// of the load rather than drift.
pub const RSS_WARMUP_SHARE: f64 = 0.1;

/// How often the server's RSS is read: often enough to catch a peak, rarely enough to cost nothing.
pub const RSS_SAMPLE_PERIOD: Duration = Duration::from_secs(1);

/// The transports a soak runs, in this order: all of feedlab's own (a soak watches one server).
pub const SOAK_TRANSPORTS: [Transport; 4] = Transport::FEEDLAB;

/// A soak's settings: the bench settings every group shares, plus where to read the server's memory.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// Run-level and per-client settings. `clients` is the total (split over the four transports),
    /// `duration` the soak's length; `transport` is ignored.
    pub base: BenchConfig,
    /// Server process whose `/proc/PID/status` `VmRSS` is sampled (same machine only).
    pub server_pid: Option<u32>,
}

impl SoakConfig {
    /// A soak of `base` (see [`SoakConfig::base`]), without memory sampling.
    pub fn new(base: BenchConfig) -> Self {
        SoakConfig { base, server_pid: None }
    }

    /// Validates the settings and splits the clients: one validated configuration per transport.
    pub fn groups(&self) -> Result<Vec<BenchConfig>, Error> {
        let n = SOAK_TRANSPORTS.len();
        if self.base.clients < n {
            return Err(Error::Config(format!("--soak runs {n} transports: --clients must be at least {n}")));
        }
        // Validate once for the whole run: the socket plan must cover every client of every group.
        let mut base = self.base.clone();
        base.transport = Transport::Poll;
        base.validate()?;
        if let Some(pid) = self.server_pid {
            read_rss_kib(pid).map_err(|e| Error::Config(format!("--server-pid {pid}: cannot read its memory: {e}")))?;
        }
        Ok(SOAK_TRANSPORTS
            .iter()
            .enumerate()
            .map(|(i, &transport)| {
                let mut g = base.clone();
                g.transport = transport;
                // The remainder goes to the first groups: 10 clients are 3, 3, 2, 2.
                g.clients = base.clients / n + usize::from(i < base.clients % n);
                g
            })
            .collect())
    }
}

/// Runs a soak. `progress` and `cancel` as in [`crate::run_bench`].
pub async fn run_soak(
    config: SoakConfig,
    progress: Option<ProgressBar>,
    cancel: CancellationToken,
) -> Result<SoakResult, Error> {
    let groups = config.groups()?;
    let base = &config.base;
    let sampling = CancellationToken::new();
    let samples: Arc<Mutex<Vec<(Instant, u64)>>> = Arc::default();
    let sampler = config.server_pid.map(|pid| tokio::spawn(sample_rss(pid, samples.clone(), sampling.clone())));
    let before = config.server_pid.and_then(|pid| read_rss_kib(pid).ok());
    let run = run_groups(groups, progress, cancel.clone()).await;
    sampling.cancel();
    if let Some(s) = sampler {
        let _ = s.await;
    }
    let run = run?;
    // unwrap: poisoned only if the sampler panicked, and it has been awaited.
    let samples = std::mem::take(&mut *samples.lock().unwrap());
    let rss = match (config.server_pid, before) {
        (Some(pid), Some(before)) => rss_summary(pid, before, &samples, run.window_start, run.window_end),
        _ => None,
    };

    let mut errors = BTreeMap::new();
    for r in &run.results {
        for (kind, n) in &r.errors {
            *errors.entry(kind.clone()).or_insert(0) += n;
        }
    }
    let sum = |f: fn(&BenchResult) -> u64| run.results.iter().map(f).sum::<u64>();
    let mut integrity = Integrity::default();
    for r in &run.results {
        integrity += r.integrity;
    }
    let first = run.results.first();
    let cancelled = first.is_some_and(|r| r.cancelled);
    let rss_ok = rss.as_ref().map(|r| r.growth_pct < RSS_GROWTH_TARGET_PCT);
    let errors_ok = errors.is_empty();
    let integrity_ok = integrity.is_clean();
    Ok(SoakResult {
        schema_version: SOAK_SCHEMA_VERSION,
        kind: "soak".into(),
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        target: base.target.url.clone(),
        started_unix_ms: first.map_or(0, |r| r.started_unix_ms),
        duration_s: first.map_or(0.0, |r| r.duration_s),
        cancelled,
        clients: sum(|r| r.clients),
        rate_per_s: base.rate,
        chaos_rate_per_s: base.chaos,
        published: first.map_or(0, |r| r.published),
        errors,
        lost: integrity.lost,
        duplicated: integrity.duplicated,
        reordered: integrity.reordered,
        reconnects: sum(|r| r.reconnects),
        chaos_drops: sum(|r| r.chaos.drops),
        rss,
        verdict: SoakVerdict {
            rss_growth_target_pct: RSS_GROWTH_TARGET_PCT,
            rss_ok,
            errors_ok,
            integrity_ok,
            passed: !cancelled && errors_ok && integrity_ok && rss_ok != Some(false),
        },
        transports: run.results,
        timeline: run.timeline,
    })
}

/// Samples `VmRSS` of `pid` every [`RSS_SAMPLE_PERIOD`] into `samples` until `stop`. A failed read (the
/// process is gone) is skipped: the samples around it tell the story.
async fn sample_rss(pid: u32, samples: Arc<Mutex<Vec<(Instant, u64)>>>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(RSS_SAMPLE_PERIOD);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => return,
        }
        if let Ok(kib) = read_rss_kib(pid) {
            // unwrap: nothing panics while holding this lock.
            samples.lock().unwrap().push((Instant::now(), kib));
        }
    }
}

/// Start, end and peak from the samples: the window's first sample, the first one after the warm-up
/// (the growth baseline), the last one at or before the window closed. None if no sample fell inside the
/// window.
fn rss_summary(pid: u32, before: u64, samples: &[(Instant, u64)], start: Instant, end: Instant) -> Option<Rss> {
    let inside: Vec<(Instant, u64)> = samples.iter().copied().filter(|(t, _)| *t >= start && *t <= end).collect();
    let (&(_, window_start_kib), &(_, end_kib)) = (inside.first()?, inside.last()?);
    let warmup = end.duration_since(start).mul_f64(RSS_WARMUP_SHARE);
    let start_kib = inside.iter().find(|(t, _)| *t >= start + warmup).map_or(end_kib, |&(_, k)| k);
    let peak_kib = inside.iter().map(|&(_, k)| k).max().unwrap_or(start_kib);
    let t_s = |t: Instant| {
        if t >= start { t.duration_since(start).as_secs_f64() } else { -start.duration_since(t).as_secs_f64() }
    };
    Some(Rss {
        pid,
        before_clients_kib: before,
        window_start_kib,
        warmup_s: warmup.as_secs_f64(),
        start_kib,
        end_kib,
        peak_kib,
        growth_pct: growth_pct(start_kib, end_kib),
        samples: samples.iter().map(|&(t, kib)| RssSample { t_s: t_s(t), kib }).collect(),
    })
}

fn growth_pct(start: u64, end: u64) -> f64 {
    if start == 0 { 0.0 } else { (end as f64 - start as f64) / start as f64 * 100.0 }
}

/// `VmRSS` of `pid` in KiB.
fn read_rss_kib(pid: u32) -> std::io::Result<u64> {
    procfs::memory(pid).map(|m| m.rss_kib)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Target;

    #[test]
    fn clients_are_split_over_the_four_transports() {
        let target = Target::parse("http://127.0.0.1:9").unwrap();
        let mut base = BenchConfig::new(target, Transport::Ws);
        base.clients = 10;
        let groups = SoakConfig::new(base.clone()).groups().unwrap();
        let split: Vec<(Transport, usize)> = groups.iter().map(|g| (g.transport, g.clients)).collect();
        assert_eq!(split, [(Transport::Poll, 3), (Transport::Longpoll, 3), (Transport::Sse, 2), (Transport::Ws, 2)]);
        base.clients = 3;
        assert!(SoakConfig::new(base).groups().is_err());
    }

    #[test]
    fn rss_growth_is_measured_inside_the_window() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let samples: Vec<(Instant, u64)> =
            [(0, 100), (2, 150), (3, 200), (5, 250), (8, 210), (25, 400)].iter().map(|&(s, k)| (at(s), k)).collect();
        // A window from 1 s to 21 s: the warm-up is its first 2 s, so growth counts from the 3 s sample.
        let rss = rss_summary(1, 90, &samples, at(1), at(21)).unwrap();
        assert_eq!((rss.before_clients_kib, rss.window_start_kib, rss.start_kib), (90, 150, 200));
        assert_eq!((rss.end_kib, rss.peak_kib, rss.warmup_s), (210, 250, 2.0));
        assert_eq!(rss.growth_pct, 5.0);
        assert_eq!(rss.samples.len(), 6);
        assert_eq!(rss.samples[0].t_s, -1.0);
        assert!(rss_summary(1, 90, &samples, at(13), at(14)).is_none());
    }
}
