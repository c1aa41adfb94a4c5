//! The messages between a coordinator and its workers, one JSON object per line, and the live counters
//! a worker reports (see the parent module's docs for the order they go in).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::*;

/// What the coordinator tells a worker.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToWorker {
    /// The first line: who it is, what to run, from where.
    Start {
        /// Its number, from 0.
        worker: usize,
        /// Its client groups (its share of the clients, its source addresses).
        groups: Vec<BenchConfig>,
        /// The run's probe and seed, and its first client's number.
        start: Start,
    },
    /// The measured window opened at this wall-clock instant (us since the epoch).
    Window {
        /// [`Window::start_us`].
        start_us: u64,
    },
    /// Publishing is over: what was published, and how long clients may still drain.
    End {
        /// The publisher's record (last id, epoch: what every client must have).
        publish: Publish,
        /// The drain.
        drain: Duration,
    },
    /// The run was cancelled (Ctrl-C): stop the clients; `End` still follows.
    Cancel,
}

/// What a worker tells the coordinator.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FromWorker {
    /// Its live counters now ([`LiveCounts`]).
    Live {
        /// The counters.
        counts: LiveCounts,
    },
    /// Its clients are connected (or its ramp-up timed out).
    Ready,
    /// Its clients' totals, one per client group.
    Done {
        /// The totals.
        totals: Vec<Totals>,
    },
    /// It could not run (bad start, a server it cannot reach).
    Failed {
        /// Why.
        error: String,
    },
}

/// The [`Live`] counters a worker reports: delivered, requests, errors, ready, connections, bytes sent,
/// bytes received, open connections.
pub type LiveCounts = [u64; 8];

/// The counters a worker reports: its clients' own (what it publishes is the coordinator's), declared
/// once for reading them in the worker and storing their sums in the coordinator.
fn counters(live: &Live) -> [&AtomicU64; 8] {
    [
        &live.delivered,
        &live.requests,
        &live.errors,
        &live.ready,
        &live.connections,
        &live.bytes.sent,
        &live.bytes.received,
        &live.bytes.open,
    ]
}

/// Reads the counters a worker reports.
pub(super) fn read(live: &Live) -> LiveCounts {
    counters(live).map(|c| c.load(Relaxed))
}

/// Stores summed counters into the coordinator's [`Live`].
pub(super) fn store(live: &Live, sums: LiveCounts) {
    for (counter, v) in counters(live).into_iter().zip(sums) {
        counter.store(v, Relaxed);
    }
}

/// One JSON line.
pub(super) async fn send<T: Serialize>(out: &mut (impl AsyncWrite + Unpin), msg: &T) -> std::io::Result<()> {
    // unwrap: the protocol's types are plain data that always serialize.
    let mut line = serde_json::to_vec(msg).unwrap();
    line.push(b'\n');
    out.write_all(&line).await?;
    out.flush().await
}
