//! `feedlab run` with Socket.IO's transports, through the real binary: the suite starts the server each step
//! needs from its transport (`feedlab serve` for ours, the Node peer in `peers/socketio` for Socket.IO's,
//! with `--recovery` when the step asks for it), reads the peer's cost from /proc like ours, and records the
//! Socket.IO axes in the data file. Without node or the peer's packages, an experiment that measures
//! Socket.IO is skipped with a line saying how to enable it, and the rest of the run goes on.
//!
//! The first test needs node and `npm ci` in `peers/socketio`; without them it says SKIPPED, unless
//! `FEEDLAB_PEERS_REQUIRED=1` (set by `.ci/run`) makes that a failure.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use feedlab_report::data::load;
use feedlab_suite::peer;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// A fresh temporary directory with an `experiments/` holding `files`, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn with(name: &str, files: &[(&str, &str)]) -> TempDir {
        let dir = std::env::temp_dir().join(format!("feedlab-peers-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("experiments")).unwrap();
        for (file, text) in files {
            std::fs::write(dir.join("experiments").join(file), text).unwrap();
        }
        TempDir(dir)
    }

    fn arg(&self, sub: &str) -> String {
        self.0.join(sub).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Our WebSocket, then Socket.IO's WebSocket (direct) and polling, each without and with recovery.
const MIXED: &str = "[server]\nfresh_per_step = false\n\n[steps]\n\
    transport = [\"ws\", \"socketio-ws\", \"socketio-polling\"]\nclients = 3\nrate_per_s = 10\n\
    socketio_direct = true\nrecovery = [false, true]\nduration_s = 1\n";

/// Only our WebSocket: what still runs when the peer cannot.
const OURS: &str = "[steps]\ntransport = \"ws\"\nclients = 2\nrate_per_s = 10\nduration_s = 1\n";

/// The command lines of the children of `parent` now, from /proc (arguments joined by spaces).
fn children(parent: u32) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if entry.file_name().to_string_lossy().parse::<u32>().is_err() {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if ppid == Some(parent) && !cmdline.is_empty() {
            let args: Vec<String> = cmdline
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into())
                .collect();
            found.insert(args.join(" "));
        }
    }
    found
}

#[test]
fn socketio_steps_run_against_the_node_peer() {
    let peer_dir = repo().join(peer::DEFAULT_DIR);
    if let Err(why) = peer::socketio(&peer_dir) {
        assert!(std::env::var("FEEDLAB_PEERS_REQUIRED").as_deref() != Ok("1"), "{why} (FEEDLAB_PEERS_REQUIRED=1)");
        let _ = writeln!(std::io::stderr(), "SKIPPED: the Socket.IO peer cannot run here ({why})");
        return;
    }
    let dir = TempDir::with("mixed", &[("mixed.toml", MIXED)]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_feedlab"))
        .current_dir(repo())
        .args(["run", "--experiments-dir", &dir.arg("experiments"), "--out", &dir.arg("results")])
        .args(["--socketio-peer", peer_dir.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Every server child the run starts, as its command line.
    let mut servers = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        servers.extend(children(child.id()));
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("feedlab run did not finish within 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{status}\n{stderr}");

    // Ours for ws; the peer without, then with --recovery (one each: a step needing the same server keeps it).
    let script = peer_dir.join("server.mjs");
    let node = format!("node {} --addr 127.0.0.1:0", script.display());
    // Servers only: the run also starts git (the report's commit), and a child is briefly a copy of the run
    // between fork and exec.
    let kinds: Vec<&str> = servers
        .iter()
        .filter(|c| c.contains(" serve ") || c.contains("server.mjs"))
        .map(|c| match c {
            c if c.contains(" serve --addr 127.0.0.1:0 ") => "feedlab",
            c if *c == format!("{node} --recovery") => "peer --recovery",
            c if *c == node => "peer",
            _ => "a server started otherwise",
        })
        .collect();
    let mut expected = vec!["feedlab", "peer", "peer --recovery"];
    expected.sort();
    let mut seen = kinds;
    seen.sort();
    assert_eq!(seen, expected, "{servers:#?}");

    let data = load(&dir.0.join("results/mixed/data.json")).unwrap();
    let steps: Vec<(&str, Option<bool>, Option<bool>)> =
        data.steps.iter().map(|s| (s.label.as_str(), s.params.socketio_direct, s.params.recovery)).collect();
    assert_eq!(
        steps,
        [
            ("ws", None, None),
            ("socketio-ws no recovery", Some(true), Some(false)),
            ("socketio-ws recovery", Some(true), Some(true)),
            ("socketio-polling no recovery", None, Some(false)),
            ("socketio-polling recovery", None, Some(true)),
        ]
    );
    for s in &data.steps {
        let i = &s.bench.integrity;
        assert!(i.delivered > 0 && i.lost == 0, "{}: {i:?}", s.label);
        // The peer's cost comes from /proc like ours: node's own (a runtime of tens of MiB, some CPU in
        // every step; ours may use less than a clock tick in so short a step).
        let srv = s.server.unwrap_or_else(|| panic!("{}: server usage", s.label));
        assert!(srv.rss_mib_start > 0.0 && srv.rss_mib_peak >= srv.rss_mib_start, "{}: {srv:?}", s.label);
        if s.params.recovery.is_some() {
            assert!(srv.cpu_s > 0.0 && srv.rss_mib_start > 20.0, "{}: {srv:?}", s.label);
        }
    }
}

#[test]
fn without_node_socketio_experiments_are_skipped_and_the_rest_runs() {
    let dir = TempDir::with("skip", &[("mixed.toml", MIXED), ("ours.toml", OURS)]);
    let run = Command::new(env!("CARGO_BIN_EXE_feedlab"))
        .current_dir(repo())
        .args(["run", "--experiments-dir", &dir.arg("experiments"), "--out", &dir.arg("results")])
        // No node on PATH.
        .env("PATH", dir.arg("no-such-bin"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{}\n{stderr}", run.status);
    let skipped = stderr.lines().find(|l| l.starts_with("mixed: skipped:")).unwrap_or_else(|| panic!("{stderr}"));
    assert!(skipped.contains("node not found") && skipped.ends_with("to enable it: cd peers/socketio && npm ci"));
    assert!(!dir.0.join("results/mixed").exists(), "the skipped experiment wrote nothing");
    let ours = load(&dir.0.join("results/ours/data.json")).unwrap();
    assert!(ours.steps[0].bench.integrity.delivered > 0);

    // node there but not the peer's packages: skipped too, saying what is missing; nothing left, not a failure.
    let empty = dir.0.join("empty-peer");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::copy(repo().join("peers/socketio/server.mjs"), empty.join("server.mjs")).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_feedlab"))
        .current_dir(repo())
        .args(["run", "mixed", "--experiments-dir", &dir.arg("experiments"), "--out", &dir.arg("results")])
        .args(["--socketio-peer", empty.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{}\n{stderr}", run.status);
    assert!(
        stderr.contains("mixed: skipped:") && stderr.contains("to enable it: cd peers/socketio && npm ci"),
        "{stderr}"
    );
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if node {
        assert!(stderr.contains("node_modules is missing"), "{stderr}");
    }
    assert!(!dir.0.join("results/mixed").exists());
}
