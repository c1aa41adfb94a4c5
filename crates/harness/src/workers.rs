//! `--procs N`: the clients spread over N worker processes, merged into one result.
//!
//! One process may open 20,000 files here and one source address carries about 28,000 connections, so
//! 100,000 clients take several processes. The process running `feedlab bench --procs N` becomes the
//! *coordinator*: it probes, publishes and keeps the run's clock, and starts N *workers*, the same
//! executable as `feedlab bench --worker`, each running its share of the clients ([`split`]: as even as
//! can be) with its share of the source addresses ([`crate::net::plan_processes`]). Each worker runs the
//! same [`Local`] clients a single process runs; only the window and the end of publishing come from the
//! coordinator, and at the end it sends back its clients' [`Totals`] (histograms whole, not percentiles),
//! which the coordinator adds up and turns into one result with the same [`crate::merge::finish`].
//!
//! The protocol is JSON lines over the worker's stdin and stdout ([`ToWorker`], [`FromWorker`]):
//!
//! ```text
//! coordinator                         worker
//!   start {worker, groups, start} ->    spawns its clients, waits for them to connect
//!                                 <-    live {counts}   (every LIVE_EVERY: progress, timeline, CPU marks)
//!                                 <-    ready
//!   window {start_us}             ->    opens the window (pollers start, --chaos strikes)
//!   end {publish, drain}          ->    clients drain, then every record is folded
//!                                 <-    done {totals}
//!   cancel                        ->    (Ctrl-C at the coordinator) clients stop; end still follows
//! ```
//!
//! Workers run in a process group of their own, so a terminal's Ctrl-C reaches only the coordinator,
//! which cancels them and still merges what they measured. A worker that dies or answers out of turn fails
//! the run with its name, and the others are killed (`kill_on_drop`). A worker whose coordinator goes away
//! (its stdin ends) stops. The worker's side is [`run_worker`], in `workers/worker.rs`.

use std::net::IpAddr;
use std::process::Stdio;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::ProgressBar;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::clients::{Live, Window};
use crate::config::BenchConfig;
use crate::local::{Local, Start, WIND_DOWN, fold};
use crate::merge::Totals;
use crate::net;
use crate::result::Publish;

mod protocol;
mod worker;

pub use protocol::{FromWorker, LiveCounts, ToWorker};
use protocol::{read, send, store};
pub use worker::run_worker;

/// How often a worker reports its live counters: the coordinator's progress bar, per-second timeline and
/// CPU marks read their sums, so they are at most this stale.
const LIVE_EVERY: Duration = Duration::from_millis(200);

/// How long the coordinator waits for the workers' totals after their drain and wind-down: folding and
/// sending tens of thousands of records takes a moment, a hung worker must not hold the run.
const DONE_GRACE: Duration = Duration::from_secs(30);

/// Messages between worker events the coordinator may fall behind by (ready and done are one per
/// worker; live counters are dropped rather than queued).
const EVENTS: usize = 64;

/// `clients` split over `procs` as evenly as possible, the first ones taking the remainder: 10 over 3 is
/// 4, 3, 3.
pub fn split(clients: usize, procs: usize) -> Vec<usize> {
    (0..procs).map(|i| clients / procs + usize::from(i < clients % procs)).collect()
}

/// Each worker's configurations (one per client group: its share of the clients, its source addresses,
/// procs 1) and its first client's number in the run. Checks the open-file and port limits per worker.
pub fn plan(cfg: &BenchConfig) -> Result<Vec<(BenchConfig, usize)>, Error> {
    let shares = split(cfg.clients, cfg.procs);
    let sources = net::plan_processes(&shares, !cfg.rtt.is_zero(), cfg.target.addr.ip(), &cfg.source_addrs)?;
    let mut first = 0;
    Ok(shares
        .into_iter()
        .zip(sources)
        .map(|(clients, source_addrs)| {
            let worker = BenchConfig { clients, source_addrs, procs: 1, ..cfg.clone() };
            let at = first;
            first += clients;
            (worker, at)
        })
        .collect())
}

/// A started worker process.
struct Proc {
    name: String,
    child: Child,
    stdin: Arc<tokio::sync::Mutex<ChildStdin>>,
    sources: Vec<IpAddr>,
}

/// A worker event, or its stdout's end.
enum Event {
    Ready,
    Done(Vec<Totals>),
    Gone,
}

/// The coordinator's side: the running workers.
pub struct Workers {
    procs: Vec<Proc>,
    events: mpsc::Receiver<(usize, Event)>,
    /// Why the run failed, once a worker did.
    failure: Arc<Mutex<Option<String>>>,
    abort: CancellationToken,
    ready: usize,
    /// The coordinator's live counters (the workers' sums).
    live: Arc<Live>,
}

impl Workers {
    /// Starts the workers for `groups` (one group: a bench; the first group's `procs`), hands each its
    /// share, and relays their live counters into `live`. A worker that fails cancels `abort`.
    pub async fn start(
        groups: &[Arc<BenchConfig>],
        start: &Start,
        live: Arc<Live>,
        abort: CancellationToken,
    ) -> Result<Workers, Error> {
        let cfg = &groups[0];
        if groups.len() != 1 {
            return Err(Error::Config("--procs runs one client group (not --soak)".into()));
        }
        let exe = match &cfg.worker_exe {
            Some(path) => path.clone(),
            None => std::env::current_exe().map_err(|e| Error::io("finding this executable for --procs", e))?,
        };
        let plan = plan(cfg)?;
        let n = plan.len();
        let (tx, events) = mpsc::channel(EVENTS);
        let failure: Arc<Mutex<Option<String>>> = Arc::default();
        let counts: Arc<Mutex<Vec<LiveCounts>>> = Arc::new(Mutex::new(vec![[0; 8]; n]));
        let mut procs = Vec::with_capacity(n);
        for (worker, (wcfg, first_client)) in plan.into_iter().enumerate() {
            let mut child = Command::new(&exe)
                .args(["bench", "--worker"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .kill_on_drop(true)
                // Its own process group: a terminal's Ctrl-C is the coordinator's to pass on.
                .process_group(0)
                .spawn()
                .map_err(|e| Error::io(format!("starting worker {} of {n} ({})", worker + 1, exe.display()), e))?;
            let name = format!("worker {} of {n} (pid {})", worker + 1, child.id().unwrap_or(0));
            // unwrap: both were asked for as pipes.
            let mut stdin = child.stdin.take().unwrap();
            let stdout = child.stdout.take().unwrap();
            let sources = wcfg.source_addrs.clone();
            // Each worker its own seed, so pollers' phases and chaos differ between workers; worker 1's is
            // the run's.
            let seed = start.seed ^ (first_client as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let msg = ToWorker::Start { worker, groups: vec![wcfg], start: Start { seed, first_client, ..*start } };
            send(&mut stdin, &msg).await.map_err(|e| Error::io(format!("starting {name}"), e))?;
            let reader = Reader {
                worker,
                name: name.clone(),
                live: live.clone(),
                counts: counts.clone(),
                tx: tx.clone(),
                failure: failure.clone(),
                abort: abort.clone(),
            };
            tokio::spawn(reader.run(BufReader::new(stdout)));
            procs.push(Proc { name, child, stdin: Arc::new(tokio::sync::Mutex::new(stdin)), sources });
        }
        // Ctrl-C (or a worker's failure) reaches every worker.
        let stdins: Vec<_> = procs.iter().map(|p| p.stdin.clone()).collect();
        let on_abort = abort.clone();
        tokio::spawn(async move {
            on_abort.cancelled().await;
            for stdin in stdins {
                let _ = send(&mut *stdin.lock().await, &ToWorker::Cancel).await;
            }
        });
        Ok(Workers { procs, events, failure, abort, ready: 0, live })
    }

    /// The workers' process ids (their CPU is the harness's too).
    pub fn pids(&self) -> Vec<u32> {
        self.procs.iter().filter_map(|p| p.child.id()).collect()
    }

    /// Every source address a worker binds to.
    pub fn source_addrs(&self) -> Vec<IpAddr> {
        let mut all: Vec<IpAddr> = self.procs.iter().flat_map(|p| p.sources.iter().copied()).collect();
        all.sort();
        all.dedup();
        all
    }

    /// The run's failure, if a worker failed.
    pub fn failed(&self) -> Result<(), Error> {
        // unwrap: poisoned only if a reader panicked while holding it, which it cannot.
        match self.failure.lock().unwrap().clone() {
            Some(why) => Err(Error::Worker(why)),
            None => Ok(()),
        }
    }

    /// Waits until every worker says its clients are connected (each waits at most its ramp timeout), or
    /// the run is cancelled or fails.
    pub async fn ramp(&mut self, progress: &ProgressBar) {
        let mut redraw = tokio::time::interval(Duration::from_millis(50));
        while self.ready < self.procs.len() {
            tokio::select! {
                event = self.events.recv() => match event {
                    Some((_, Event::Ready)) => self.ready += 1,
                    Some((_, Event::Gone)) | None => return,
                    Some((i, Event::Done(_))) => return self.fail(format!("{} sent its result before the end", self.procs[i].name)),
                },
                _ = redraw.tick() => {}
                _ = self.abort.cancelled() => return,
            }
            progress.set_position(self.live.ready.load(Relaxed));
        }
    }

    /// Opens the window in every worker.
    pub async fn open(&mut self, window: Window) {
        for p in &self.procs {
            let _ = send(&mut *p.stdin.lock().await, &ToWorker::Window { start_us: window.start_us }).await;
        }
    }

    /// Publishing is over: tells every worker, and collects their totals, added up per group.
    pub async fn finish(mut self, publish: &Publish, drain: Duration) -> Result<Vec<Totals>, Error> {
        for p in &self.procs {
            let msg = ToWorker::End { publish: publish.clone(), drain };
            if let Err(e) = send(&mut *p.stdin.lock().await, &msg).await {
                self.fail(format!("{}: cannot send it the end: {e}", p.name));
            }
        }
        self.failed()?;
        let deadline = Instant::now() + drain + WIND_DOWN + DONE_GRACE;
        let mut done: Vec<Option<Vec<Totals>>> = self.procs.iter().map(|_| None).collect();
        while done.iter().any(Option::is_none) {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((i, Event::Done(totals)))) => done[i] = Some(totals),
                Ok(Some((_, Event::Ready))) => {}
                Ok(Some((_, Event::Gone))) | Ok(None) => break,
                Err(_) => {
                    let late: Vec<&str> = self
                        .procs
                        .iter()
                        .zip(&done)
                        .filter(|(_, d)| d.is_none())
                        .map(|(p, _)| p.name.as_str())
                        .collect();
                    self.fail(format!("{} sent no result within {:?} of the drain", late.join(", "), DONE_GRACE));
                }
            }
        }
        self.failed()?;
        let mut sum: Option<Vec<Totals>> = None;
        for totals in done.into_iter().flatten() {
            sum = Some(match sum {
                None => totals,
                Some(mut acc) => {
                    for (a, t) in acc.iter_mut().zip(totals) {
                        a.add(t);
                    }
                    acc
                }
            });
        }
        for p in &mut self.procs {
            let _ = tokio::time::timeout(Duration::from_secs(5), p.child.wait()).await;
        }
        Ok(sum.unwrap_or_default())
    }

    fn fail(&self, why: String) {
        // unwrap: see `failed`.
        self.failure.lock().unwrap().get_or_insert(why);
        self.abort.cancel();
    }
}

/// Reads one worker's stdout: live counters go straight into the coordinator's [`Live`], the rest to the
/// run as [`Event`]s.
struct Reader {
    worker: usize,
    name: String,
    live: Arc<Live>,
    counts: Arc<Mutex<Vec<LiveCounts>>>,
    tx: mpsc::Sender<(usize, Event)>,
    failure: Arc<Mutex<Option<String>>>,
    abort: CancellationToken,
}

impl Reader {
    async fn run(self, stdout: BufReader<tokio::process::ChildStdout>) {
        let mut lines = stdout.lines();
        let mut done = false;
        let why = loop {
            match lines.next_line().await {
                Ok(Some(line)) => match serde_json::from_str::<FromWorker>(&line) {
                    Ok(FromWorker::Live { counts }) => {
                        // unwrap: nothing panics while holding it.
                        let mut all = self.counts.lock().unwrap();
                        all[self.worker] = counts;
                        let mut sum = [0; 8];
                        for row in all.iter() {
                            for (s, v) in sum.iter_mut().zip(row) {
                                *s += v;
                            }
                        }
                        store(&self.live, sum);
                    }
                    Ok(FromWorker::Ready) => {
                        let _ = self.tx.send((self.worker, Event::Ready)).await;
                    }
                    Ok(FromWorker::Done { totals }) => {
                        done = true;
                        let _ = self.tx.send((self.worker, Event::Done(totals))).await;
                    }
                    Ok(FromWorker::Failed { error }) => break format!("{} failed: {error}", self.name),
                    Err(e) => break format!("{} sent a line that is not the protocol ({e}): {line:.200}", self.name),
                },
                Ok(None) if done => return,
                Ok(None) => break format!("{} exited before sending its result", self.name),
                Err(e) => break format!("{}: reading its output: {e}", self.name),
            }
        };
        // unwrap: nothing panics while holding it.
        self.failure.lock().unwrap().get_or_insert(why.clone());
        self.abort.cancel();
        let _ = self.tx.send((self.worker, Event::Gone)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_split_as_evenly_as_can_be() {
        assert_eq!(split(10, 3), [4, 3, 3]);
        assert_eq!(split(11, 3), [4, 4, 3]);
        assert_eq!(split(3, 3), [1, 1, 1]);
        assert_eq!(split(7, 1), [7]);
        assert_eq!(split(100_000, 6).iter().sum::<usize>(), 100_000);
    }
}
