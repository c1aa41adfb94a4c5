//! What a Linux process costs, read from `/proc`: the one reader the suite, the soak and the floor share.
//!
//! - CPU time: `utime` and `stime` of `/proc/<pid>/stat` (all threads of the process), in clock ticks,
//!   kept apart: user time is our code, system time is mostly the kernel sending and receiving for us.
//! - Memory: `VmRSS` of `/proc/<pid>/status` (resident set now) and `VmHWM` (its high-water mark). Writing
//!   `5` to `/proc/<pid>/clear_refs` resets the high-water mark ([`reset_peak`]).

use std::io;

/// CPU time a process has used, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTimes {
    /// Time in user space (`utime`).
    pub user_s: f64,
    /// Time in the kernel on the process's behalf (`stime`).
    pub system_s: f64,
}

impl CpuTimes {
    /// User + system.
    pub fn total_s(self) -> f64 {
        self.user_s + self.system_s
    }

    /// What was used between `earlier` and `self`.
    pub fn since(self, earlier: CpuTimes) -> CpuTimes {
        CpuTimes { user_s: self.user_s - earlier.user_s, system_s: self.system_s - earlier.system_s }
    }
}

/// Resident memory of a process, KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: the resident high-water mark (`rss_kib` where the kernel does not say).
    pub peak_kib: u64,
}

/// Clock ticks per second of `/proc/<pid>/stat` CPU times.
pub fn ticks_per_s() -> f64 {
    // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// `(utime, stime)` ticks from the text of `/proc/<pid>/stat`. The command name (field 2) is in
/// parentheses and may hold spaces, so fields are counted after the last `)`: utime and stime are fields
/// 14 and 15 of the line, the 12th and 13th after it.
pub fn parse_stat_ticks(stat: &str) -> Option<(u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime, stime))
}

/// A `kB` field (`VmRSS`, `VmHWM`) from the text of `/proc/<pid>/status`.
pub fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))?;
    line[field.len() + 1..].split_whitespace().next()?.parse().ok()
}

/// CPU time `pid` has used so far.
pub fn cpu_times(pid: u32) -> io::Result<CpuTimes> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
    let (user, system) = parse_stat_ticks(&text).ok_or_else(|| io::Error::other(format!("{path}: no CPU times")))?;
    let tick = ticks_per_s();
    Ok(CpuTimes { user_s: user as f64 / tick, system_s: system as f64 / tick })
}

/// Resident memory of `pid` now, and its high-water mark.
pub fn memory(pid: u32) -> io::Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
    let rss_kib = parse_status_kib(&text, "VmRSS").ok_or_else(|| io::Error::other(format!("{path}: no VmRSS")))?;
    Ok(Memory { rss_kib, peak_kib: parse_status_kib(&text, "VmHWM").unwrap_or(rss_kib) })
}

/// Resets the process's resident-set high-water mark (Linux 4.0+); best effort.
pub fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_past_a_name_with_spaces_and_parentheses() {
        let stat = "4242 (feed (lab) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 731 208 0 0 20 0 9 0 100 0 0";
        assert_eq!(parse_stat_ticks(stat), Some((731, 208)));
        assert_eq!(parse_stat_ticks("garbage"), None);
    }

    #[test]
    fn parses_status_fields() {
        let status = "Name:\tfeedlab\nVmHWM:\t  900 kB\nVmRSS:\t   12345 kB\nVmRSSx: 1 kB\n";
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(12345));
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(900));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
    }

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        assert!(memory(me).unwrap().rss_kib > 0);
        let t = cpu_times(me).unwrap();
        assert!(t.user_s >= 0.0 && t.system_s >= 0.0);
        assert!(cpu_times(u32::MAX).is_err());
    }
}
