//! `feedlab bench --procs N`: the clients spread over N worker processes of this binary and merged into
//! one result, the same as one process would have measured (counts, not timings); a worker that dies
//! fails the run with its name.

mod common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{feedlab, serve, wait_exit};
use serde_json::Value;

/// Kills the child when dropped, so a failed test leaves no process behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a WebSocket bench of 10 clients over `procs` processes; returns its JSON result and how long the
/// whole command took.
fn bench(url: &str, procs: &str, transport: &str, extra: &[&str]) -> (Value, Duration) {
    let json = std::env::temp_dir().join(format!("feedlab-procs-{}-{procs}-{transport}.json", std::process::id()));
    let started = Instant::now();
    let out = feedlab()
        .args(["bench", "--target", url, "--transport", transport, "--clients", "10", "--procs", procs])
        .args(["--duration", "2s", "--rate", "5/s", "--drain", "1s", "--poll-interval", "200ms", "--seed", "3"])
        .args(extra)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(out.status.success(), "{}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&json).unwrap();
    let _ = std::fs::remove_file(&json);
    (serde_json::from_str(&text).unwrap(), took)
}

#[test]
fn three_workers_measure_what_one_process_does() {
    let (server, url) = serve(&[]);
    let _server = Running(server);
    for transport in ["ws", "poll"] {
        let (one, t1) = bench(&url, "1", transport, &[]);
        let (three, t3) = bench(&url, "3", transport, &[]);
        println!("{transport}: --procs 1 took {t1:?}, --procs 3 took {t3:?}");
        for r in [&one, &three] {
            let published = r["published"].as_u64().unwrap();
            assert!(published > 0, "{r:#}");
            // Every client got every message: the same figures per message published, however split.
            assert_eq!(r["delivered"].as_u64().unwrap(), published * 10, "{r:#}");
            assert_eq!(r["expected"], r["delivered"], "{r:#}");
            assert_eq!((r["lost"].as_u64(), r["duplicated"].as_u64()), (Some(0), Some(0)), "{r:#}");
            // The merged histogram holds every delivery (histograms travel whole, not as percentiles).
            assert_eq!(r["latency_us"]["count"], r["delivered"], "{r:#}");
            assert_eq!(r["clients"], 10);
            assert_eq!(r["errors"], serde_json::json!({}), "{r:#}");
        }
        for key in ["connections", "reconnects", "clients"] {
            assert_eq!(one[key], three[key], "{transport} {key}");
        }
        assert_eq!((one["procs"].as_u64(), three["procs"].as_u64()), (Some(1), Some(3)));
        // The timeline is the workers' counters summed: it saw the deliveries.
        let timeline_delivered: u64 =
            three["timeline"].as_array().unwrap().iter().map(|p| p["delivered"].as_u64().unwrap()).sum();
        assert!(timeline_delivered > 0, "{three:#}");
    }
}

/// `--source-addr` given with `--procs`: split round-robin over the workers, each binding its own, and
/// the result names every one.
#[test]
fn workers_bind_their_share_of_the_source_addresses() {
    let (server, url) = serve(&[]);
    let _server = Running(server);
    let sources = ["--source-addr", "127.0.0.2", "--source-addr", "127.0.0.3"];
    let (r, _) = bench(&url, "2", "ws", &sources);
    assert_eq!(r["source_addr_list"], serde_json::json!(["127.0.0.2", "127.0.0.3"]), "{r:#}");
    assert_eq!(r["source_addrs"], 2);
    assert_eq!(r["delivered"].as_u64().unwrap(), r["published"].as_u64().unwrap() * 10, "{r:#}");
}

/// The children of `pid` (Linux: /proc/PID/task/PID/children).
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

#[test]
fn a_worker_that_dies_fails_the_run_with_its_name() {
    let (server, url) = serve(&[]);
    let _server = Running(server);
    let child = feedlab()
        .args(["bench", "--target", &url, "--transport", "ws", "--clients", "4", "--procs", "2", "--duration", "20s"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut bench = Running(child);
    let pid = bench.0.id();
    let deadline = Instant::now() + Duration::from_secs(10);
    let workers = loop {
        let workers = children(pid);
        if workers.len() == 2 || Instant::now() > deadline {
            break workers;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(workers.len(), 2, "the coordinator's children: {workers:?}");
    // Let the run get going, then kill the second worker outright.
    std::thread::sleep(Duration::from_secs(1));
    let killed = workers[1];
    assert!(std::process::Command::new("kill").args(["-9", &killed.to_string()]).status().unwrap().success());
    let status = wait_exit(&mut bench.0, Duration::from_secs(10)).expect("the run ends when a worker dies");
    let mut stderr = String::new();
    use std::io::Read;
    bench.0.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("worker 2 of 2 (pid {killed}) exited before sending its result")), "{stderr}");
    // The other worker is gone too.
    std::thread::sleep(Duration::from_millis(200));
    let alive = std::fs::read_to_string(format!("/proc/{}/stat", workers[0]))
        .is_ok_and(|stat| stat.split_whitespace().nth(2).is_none_or(|state| state != "Z"));
    assert!(!alive, "worker 1 still runs");
}
