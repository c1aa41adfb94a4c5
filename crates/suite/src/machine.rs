//! The machine and code a run was made on, printed at the top of the report: CPUs, memory, OS, git commit
//! and start date. Every figure is best effort: a missing one is left empty rather than failing a run.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use feedlab_contract::data::Machine;
use feedlab_contract::procfs::parse_status_kib;

/// Describes this machine now; `date` is the run's start.
pub fn describe(started: SystemTime) -> Machine {
    Machine {
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get() as u32),
        mem_gib: mem_gib().unwrap_or(0.0),
        os: os(),
        commit: commit().unwrap_or_default(),
        date: rfc3339(started),
    }
}

fn mem_gib() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib = parse_status_kib(&text, "MemTotal")?;
    // Two decimals are plenty for "how big was the box".
    Some((kib as f64 / (1024.0 * 1024.0) * 100.0).round() / 100.0)
}

fn os() -> String {
    let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim().to_owned()).ok();
    match (read("/proc/sys/kernel/ostype"), read("/proc/sys/kernel/osrelease")) {
        (Some(kind), Some(release)) => format!("{kind} {release} {}", std::env::consts::ARCH),
        _ => format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    }
}

/// `git rev-parse --short HEAD`, with `-dirty` when tracked files are modified; None outside a checkout.
fn commit() -> Option<String> {
    let out = Command::new("git").args(["rev-parse", "--short", "HEAD"]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let hash = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    let status = Command::new("git").args(["status", "--porcelain", "--untracked-files=no"]).output().ok()?;
    let dirty = status.status.success() && !status.stdout.is_empty();
    Some(if dirty { format!("{hash}-dirty") } else { hash })
}

/// RFC 3339 in UTC, seconds precision (`2026-11-21T12:00:00Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_263_295)), "2026-11-21T12:14:55Z");
    }

    #[test]
    fn describes_this_machine() {
        let m = describe(SystemTime::now());
        assert!(m.cpus >= 1);
        assert!(m.mem_gib > 0.0);
        assert!(!m.os.is_empty());
        assert_eq!(m.date.len(), 20, "{}", m.date);
    }
}
