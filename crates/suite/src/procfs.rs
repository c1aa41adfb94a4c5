//! What the server process costs during a step, read from Linux's `/proc` with the contract's reader
//! (`feedlab_contract::procfs`: CPU time from `/proc/<pid>/stat`, resident memory and its high-water mark
//! from `/proc/<pid>/status`).
//!
//! The high-water mark is reset when a step starts, so each step's peak is its own even on a server that ran
//! earlier steps; the watch's own readings every [`SAMPLE_INTERVAL`] cover kernels without that reset.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use feedlab_contract::data::ServerUsage;
use feedlab_contract::procfs::{self, CpuTimes};
use feedlab_harness::CancellationToken;

/// How often the sampler reads the resident set during a step. Fast enough to see a peak that lasts a
/// fraction of a second (the high-water mark catches shorter ones), cheap enough not to load the machine.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(100);

const KIB_PER_MIB: f64 = 1024.0;

/// Watches one process during a step: CPU at start and end, resident memory at start, peak and end.
#[derive(Debug)]
pub struct UsageWatch {
    pid: u32,
    cpu_start: CpuTimes,
    rss_start: u64,
    peak: Arc<AtomicU64>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl UsageWatch {
    /// Takes the start readings and starts sampling (call inside the tokio runtime).
    pub fn start(pid: u32) -> io::Result<UsageWatch> {
        procfs::reset_peak(pid);
        let cpu_start = procfs::cpu_times(pid)?;
        let rss_start = procfs::memory(pid)?.rss_kib;
        let peak = Arc::new(AtomicU64::new(rss_start));
        let stop = CancellationToken::new();
        let task = tokio::spawn({
            let (peak, stop) = (peak.clone(), stop.clone());
            async move {
                let mut tick = tokio::time::interval(SAMPLE_INTERVAL);
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tick.tick() => match procfs::memory(pid) {
                            Ok(m) => { peak.fetch_max(m.rss_kib.max(m.peak_kib), Relaxed); }
                            Err(_) => return,
                        },
                    }
                }
            }
        });
        Ok(UsageWatch { pid, cpu_start, rss_start, peak, stop, task })
    }

    /// The process watched.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Takes the end readings. Fails only if the process is gone.
    pub async fn finish(self) -> io::Result<ServerUsage> {
        self.stop.cancel();
        let _ = self.task.await;
        let cpu = procfs::cpu_times(self.pid)?.since(self.cpu_start);
        let end = procfs::memory(self.pid)?;
        let peak = self.peak.load(Relaxed).max(end.rss_kib).max(end.peak_kib);
        Ok(ServerUsage {
            cpu_s: cpu.total_s().max(0.0),
            rss_mib_start: self.rss_start as f64 / KIB_PER_MIB,
            rss_mib_peak: peak as f64 / KIB_PER_MIB,
            rss_mib_end: end.rss_kib as f64 / KIB_PER_MIB,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn watches_this_process() {
        let now = procfs::memory(std::process::id()).unwrap();
        assert!(now.rss_kib > 0 && now.peak_kib >= now.rss_kib, "{now:?}");
        let watch = UsageWatch::start(std::process::id()).unwrap();
        let burn: u64 = (0..2_000_000u64).map(|i| i ^ (i >> 3)).sum();
        assert!(burn > 0);
        let usage = watch.finish().await.unwrap();
        assert!(usage.cpu_s >= 0.0, "{usage:?}");
        assert!(usage.rss_mib_start > 0.0 && usage.rss_mib_peak >= usage.rss_mib_end, "{usage:?}");
    }
}
