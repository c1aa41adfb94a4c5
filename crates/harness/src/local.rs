//! The clients of a run that live in this process: started, let into the measured window, told that
//! publishing is over, drained and folded into [`Totals`] ([`Local`]).
//!
//! [`crate::run`] drives one [`Local`] when the harness runs its clients itself; with `--procs` each worker
//! process drives one ([`crate::workers`]) and the coordinator adds their totals up.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::chaos::Chaos;
use crate::clients::{CONCURRENT_CONNECTS, Ctx, End, Live, Window, run_client};
use crate::config::{BenchConfig, Transport};
use crate::merge::Totals;
use crate::net::Connector;
use crate::publisher::Probe;
use crate::record::ClientRecord;
use crate::result::Publish;

/// Extra time clients get after the drain deadline to wind down (close frames, in-flight answers) before
/// they are cancelled outright.
pub const WIND_DOWN: Duration = Duration::from_secs(2);

/// How often the drain looks whether every client is done, to let the lingering ones close.
const RELEASE_CHECK: Duration = Duration::from_millis(20);

/// Clients that connect before the window opens, over every group.
pub(crate) fn up_front(groups: &[Arc<BenchConfig>]) -> u64 {
    groups.iter().filter(|g| g.transport != Transport::Poll || g.keep_alive).map(|g| g.clients as u64).sum()
}

/// Where the run's clients start, the same in every process: the probe's feed head, epoch and clock
/// offset, the seed, and this process's first client's number in the run.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Start {
    /// The coordinator's probe of the first target.
    pub probe: Probe,
    /// The run's seed (pollers' phases, chaos).
    pub seed: u64,
    /// Number of this process's first client in the whole run.
    pub first_client: usize,
}

/// Client groups running in this process: their tasks, and the channels that open their window and end
/// their publishing.
pub struct Local {
    groups: Vec<Arc<BenchConfig>>,
    tasks: JoinSet<(usize, ClientRecord)>,
    live: Arc<Live>,
    chaos: Arc<Chaos>,
    seed: u64,
    window_tx: watch::Sender<Option<Window>>,
    end_tx: watch::Sender<Option<End>>,
    /// Stops every client: cancelled by the caller's token, or by the harness when the drain grace runs out.
    stop: CancellationToken,
    /// Cancelled once every client is done: lingering pollers then close their connections.
    release: CancellationToken,
    striker: Option<tokio::task::JoinHandle<()>>,
}

impl Local {
    /// Starts the `--rtt` relays if asked, and every client of `groups`: streaming clients connect at once,
    /// pollers wait for the window.
    pub async fn start(
        groups: &[Arc<BenchConfig>],
        start: &Start,
        live: Arc<Live>,
        cancel: CancellationToken,
    ) -> Result<Local, Error> {
        let cfg = &groups[0];
        let total_clients: usize = groups.iter().map(|g| g.clients).sum();
        let stop = cancel.child_token();
        let sources: Arc<[IpAddr]> = Arc::from(cfg.source_addrs.clone());
        let mut connectors = Vec::new();
        for target in cfg.targets() {
            let direct = Connector { addr: target.addr, sources: sources.clone() };
            connectors.push(if cfg.rtt.is_zero() {
                direct
            } else {
                let relay = crate::relay::start(direct, cfg.rtt, stop.clone())
                    .await
                    .map_err(|e| Error::io("starting the --rtt relay", e))?;
                Connector { addr: relay.addr, sources: sources.clone() }
            });
        }
        let connectors: Arc<[Connector]> = connectors.into();
        let (window_tx, window_rx) = watch::channel(None::<Window>);
        let (end_tx, end_rx) = watch::channel(None::<End>);
        let chaos = Arc::new(Chaos::new(total_clients, cfg.chaos));
        let connect_gate = Arc::new(Semaphore::new(CONCURRENT_CONNECTS));
        let release = CancellationToken::new();
        let probe = start.probe;

        // Client indexes run on across groups: they pick source addresses and chaos strikes run-wide.
        let mut tasks = JoinSet::new();
        let mut first_idx = 0;
        for (group, gcfg) in groups.iter().enumerate() {
            let ctx = Arc::new(Ctx {
                cfg: gcfg.clone(),
                connectors: connectors.clone(),
                first_client: start.first_client,
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
                seed: start.seed,
            });
            for idx in first_idx..first_idx + gcfg.clients {
                let ctx = ctx.clone();
                tasks.spawn(async move { (group, run_client(ctx, idx).await) });
            }
            first_idx += gcfg.clients;
        }
        Ok(Local {
            groups: groups.to_vec(),
            tasks,
            live,
            chaos,
            seed: start.seed,
            window_tx,
            end_tx,
            stop,
            release,
            striker: None,
        })
    }

    /// Waits until every client that connects up front has, or `timeout` passes, or the run is cancelled.
    pub async fn ramp(&self, timeout: Duration, progress: &ProgressBar) {
        let up_front = up_front(&self.groups);
        if up_front == 0 {
            return;
        }
        let live = &self.live;
        let ramp_end = Instant::now() + timeout;
        while live.ready.load(Relaxed) < up_front && Instant::now() < ramp_end && !self.stop.is_cancelled() {
            progress.set_position(live.ready.load(Relaxed));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let ready = live.ready.load(Relaxed);
        if ready < up_front && !self.stop.is_cancelled() {
            tracing::warn!(ready, clients = up_front, "ramp-up timed out; starting with the clients connected so far");
        }
    }

    /// Opens the measured window (and starts `--chaos`).
    pub fn open(&mut self, window: Window) {
        let _ = self.live.window_start_us.set(window.start_us);
        let _ = self.window_tx.send(Some(window));
        let (chaos, stop, duration, seed) = (self.chaos.clone(), self.stop.clone(), self.groups[0].duration, self.seed);
        self.striker = Some(tokio::spawn(async move { chaos.run(window.start, duration, seed, stop).await }));
    }

    /// Publishing is over, as `publish` says: clients stop once they have its last id, or after `drain`;
    /// returns each group's client records, for [`fold`].
    pub async fn drain(mut self, publish: &Publish, drain: Duration) -> Vec<Vec<ClientRecord>> {
        if let Some(striker) = self.striker.take() {
            let _ = striker.await;
        }
        let deadline = Instant::now() + drain;
        let _ = self.end_tx.send(Some(End { last_id: publish.last_id, epoch: publish.epoch, deadline }));
        let total_clients: usize = self.groups.iter().map(|g| g.clients).sum();
        let mut records: Vec<Vec<ClientRecord>> = self.groups.iter().map(|g| Vec::with_capacity(g.clients)).collect();
        let grace = tokio::time::sleep_until(deadline + WIND_DOWN);
        tokio::pin!(grace);
        let mut all_done = tokio::time::interval(RELEASE_CHECK);
        loop {
            tokio::select! {
                joined = self.tasks.join_next() => match joined {
                    Some(Ok((group, rec))) => records[group].push(rec),
                    // A client task panicked: a bug, reported rather than hidden. Its figures are lost.
                    Some(Err(e)) => {
                        tracing::error!(error = %e, "a client task failed");
                        // It never lingers: count it, or the others would wait for it until the grace ends.
                        self.live.done.fetch_add(1, Relaxed);
                    }
                    None => break,
                },
                _ = all_done.tick(), if !self.release.is_cancelled() => {
                    if self.live.done.load(Relaxed) >= total_clients as u64 {
                        self.release.cancel();
                    }
                }
                _ = &mut grace, if !self.stop.is_cancelled() => self.stop.cancel(),
            }
        }
        self.stop.cancel();
        records
    }
}

impl Local {
    /// Source addresses its clients bind to (empty: the kernel picks).
    pub fn source_addrs(&self) -> Vec<IpAddr> {
        self.groups[0].source_addrs.clone()
    }
}

/// Each group's records folded into its [`Totals`], their integrity judged against `publish` for a run that
/// began on `start_epoch` and was cut short if `cancelled`. Read once the clients' connections have had a
/// moment to close (the caller's own wind-down), so their last bytes are counted.
pub fn fold(
    records: Vec<Vec<ClientRecord>>,
    publish: &Publish,
    start_epoch: Option<u64>,
    cancelled: bool,
) -> Vec<Totals> {
    records
        .into_iter()
        .map(|recs| {
            let mut t = Totals::default();
            for rec in recs {
                t.add_record(rec, publish, start_epoch, cancelled);
            }
            t
        })
        .collect()
}
