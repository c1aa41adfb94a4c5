//! What the server and the harness spent: CPU time over a window of the run, per event, from `/proc`.

use serde::{Deserialize, Serialize};

use crate::procfs::CpuTimes;

/// CPU time spent in a window of the run, user and system apart, and what it is divided by.
///
/// The *steady window* is the measured window: it opens once every client is connected (after the
/// ramp-up) and closes when publishing stops, before the drain, so it holds neither connection setup nor
/// closing. `/proc` counts CPU in clock ticks (10 ms), so short windows of a quiet process are coarse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuPer {
    /// Length of the window, seconds.
    pub window_s: f64,
    /// User CPU in the window, seconds (all threads).
    pub user_s: f64,
    /// System CPU in the window, seconds: mostly the kernel sending and receiving for the process.
    pub system_s: f64,
    /// What the CPU is divided by: messages delivered in the window, or connections opened in it.
    pub count: u64,
    /// `user_s / count`, microseconds; null when `count` is 0.
    pub user_us_per: Option<f64>,
    /// `system_s / count`, microseconds; null when `count` is 0.
    pub system_us_per: Option<f64>,
    /// `(user_s + system_s) / count`, microseconds; null when `count` is 0.
    pub total_us_per: Option<f64>,
}

impl CpuPer {
    /// `cpu` spent over `window_s` seconds, divided by `count`.
    pub fn new(window_s: f64, cpu: CpuTimes, count: u64) -> CpuPer {
        let per = |s: f64| (count > 0).then(|| s * 1e6 / count as f64);
        CpuPer {
            window_s,
            user_s: cpu.user_s,
            system_s: cpu.system_s,
            count,
            user_us_per: per(cpu.user_s),
            system_us_per: per(cpu.system_s),
            total_us_per: per(cpu.total_s()),
        }
    }
}

/// The server process's CPU (`/proc/PID/stat` utime and stime, sampled at the edges of each window).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerCpu {
    /// The process sampled (`--server-pid`; the first, when several were).
    pub pid: u32,
    /// How many processes were sampled and summed, when more than one (the nodes of one feed); null for one.
    #[serde(default)]
    pub processes: Option<u32>,
    /// The steady window, per message the clients received in it (counted as they receive, in the same
    /// window).
    pub steady: CpuPer,
    /// The ramp-up (clients connecting, before the window), per connection opened in it.
    pub setup: CpuPer,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_per_event_is_null_without_events() {
        let cpu = CpuTimes { user_s: 0.5, system_s: 1.5 };
        let per = CpuPer::new(10.0, cpu, 100_000);
        assert_eq!((per.user_us_per, per.system_us_per, per.total_us_per), (Some(5.0), Some(15.0), Some(20.0)));
        let none = CpuPer::new(10.0, cpu, 0);
        assert_eq!((none.user_us_per, none.total_us_per), (None, None));
    }
}
