//! What the server process costs, read from Linux's `/proc`, and a sampler that watches it during a step.
//!
//! - CPU time: `utime + stime` of `/proc/<pid>/stat` (all threads of the process), in clock ticks.
//! - Memory: `VmRSS` of `/proc/<pid>/status` (resident set now) and `VmHWM` (its high-water mark). Writing
//!   `5` to `/proc/<pid>/clear_refs` resets the high-water mark, so each step's peak is its own even on a
//!   server that ran earlier steps; the sampler's own readings cover kernels without that.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use feedlab_harness::CancellationToken;
use feedlab_report::data::ServerUsage;

/// How often the sampler reads the resident set during a step. Fast enough to see a peak that lasts a
/// fraction of a second (the high-water mark catches shorter ones), cheap enough not to load the machine.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(100);

/// Clock ticks per second of `/proc/<pid>/stat` CPU times.
pub fn ticks_per_s() -> f64 {
    // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// User + system CPU ticks from the text of `/proc/<pid>/stat`. The command name (field 2) is in
/// parentheses and may hold spaces, so fields are counted after the last `)`: utime and stime are fields
/// 14 and 15 of the line, the 12th and 13th after it.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// A `kB` field (`VmRSS`, `VmHWM`) from the text of `/proc/<pid>/status`.
pub fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))?;
    line[field.len() + 1..].split_whitespace().next()?.parse().ok()
}

/// CPU seconds the process has used so far.
pub fn cpu_seconds(pid: u32) -> io::Result<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let ticks = parse_stat_ticks(&text).ok_or_else(|| io::Error::other(format!("/proc/{pid}/stat: no CPU times")))?;
    Ok(ticks as f64 / ticks_per_s())
}

/// Resident set (`VmRSS`) and its high-water mark (`VmHWM`), KiB.
pub fn rss_kib(pid: u32) -> io::Result<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss =
        parse_status_kib(&text, "VmRSS").ok_or_else(|| io::Error::other(format!("/proc/{pid}/status: no VmRSS")))?;
    Ok((rss, parse_status_kib(&text, "VmHWM").unwrap_or(rss)))
}

/// Resets the process's resident-set high-water mark (Linux 4.0+); best effort.
pub fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// Watches one process during a step: CPU at start and end, resident memory at start, peak and end.
#[derive(Debug)]
pub struct UsageWatch {
    pid: u32,
    cpu_start: f64,
    rss_start: u64,
    peak: Arc<AtomicU64>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

const KIB_PER_MIB: f64 = 1024.0;

impl UsageWatch {
    /// Takes the start readings and starts sampling (call inside the tokio runtime).
    pub fn start(pid: u32) -> io::Result<UsageWatch> {
        reset_peak(pid);
        let cpu_start = cpu_seconds(pid)?;
        let (rss_start, _) = rss_kib(pid)?;
        let peak = Arc::new(AtomicU64::new(rss_start));
        let stop = CancellationToken::new();
        let task = tokio::spawn({
            let (peak, stop) = (peak.clone(), stop.clone());
            async move {
                let mut tick = tokio::time::interval(SAMPLE_INTERVAL);
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tick.tick() => match rss_kib(pid) {
                            Ok((rss, hwm)) => { peak.fetch_max(rss.max(hwm), Relaxed); }
                            Err(_) => return,
                        },
                    }
                }
            }
        });
        Ok(UsageWatch { pid, cpu_start, rss_start, peak, stop, task })
    }

    /// Takes the end readings. Fails only if the process is gone.
    pub async fn finish(self) -> io::Result<ServerUsage> {
        self.stop.cancel();
        let _ = self.task.await;
        let cpu_end = cpu_seconds(self.pid)?;
        let (rss_end, hwm) = rss_kib(self.pid)?;
        let peak = self.peak.load(Relaxed).max(rss_end).max(hwm);
        Ok(ServerUsage {
            cpu_s: (cpu_end - self.cpu_start).max(0.0),
            rss_mib_start: self.rss_start as f64 / KIB_PER_MIB,
            rss_mib_peak: peak as f64 / KIB_PER_MIB,
            rss_mib_end: rss_end as f64 / KIB_PER_MIB,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_the_command_name() {
        let stat = "4242 (feedlab (x) y) S 1 4242 4242 0 -1 4194560 1200 0 0 0 731 269 0 0 20 0 3 0 100 0 0";
        assert_eq!(parse_stat_ticks(stat), Some(1000));
        assert_eq!(parse_stat_ticks("garbage"), None);
    }

    #[test]
    fn status_fields() {
        let status = "Name:\tfeedlab\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nVmRSSx:\t1 kB\n";
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(10240));
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(20480));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
    }

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        assert!(cpu_seconds(pid).unwrap() >= 0.0);
        let (rss, hwm) = rss_kib(pid).unwrap();
        assert!(rss > 0 && hwm >= rss, "{rss} {hwm}");
    }
}
