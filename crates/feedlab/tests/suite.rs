//! `feedlab run --quick` through the real binary: every experiment of DESIGN 5 runs against a real server
//! child, and everything it writes is checked — data files that the report reads and whose embedded bench
//! results match the harness's committed schema, delivery integrity, server usage from /proc, the overload
//! timeline, CSV, every chart as a valid SVG and PNG of the report's sizes in every language, and pages that
//! reference them.
//! Its output, piped, is what a log file gets: plain lines (no escape codes, no module paths), one per
//! step, then the verdicts of the report and where it is.
//! Plus the usage errors of `feedlab run` (exit code 2), SIGTERM mid-experiment keeping the finished
//! steps and the running one, and stopping the server, as Ctrl-C does, and an experiment with the floor and
//! rounds: the floor in its data file, the steady window of every step, the report reading one against the
//! other.
//!
//! The quick run takes about a minute and a half; set `FEEDLAB_KEEP_TEST_OUTPUT=1` to keep its directory.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use feedlab_report::Lang;
use feedlab_report::data::load;
use feedlab_report::experiments::KNOWN;
use feedlab_report::paths::{ImageFormat, ResultFile};
use feedlab_report::style::{SIZE, TWO_PANEL_HEIGHT};

/// The repository root: experiments/ lives there, and `git rev-parse` works there.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn feedlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_feedlab")).current_dir(repo()).args(args).output().unwrap()
}

/// A fresh temporary directory, removed when dropped unless FEEDLAB_KEEP_TEST_OUTPUT is set.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("feedlab-suite-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Writes `experiments/<name>.toml` here with `text`; returns the experiments directory.
    fn experiment(&self, name: &str, text: &str) -> PathBuf {
        let experiments = self.0.join("experiments");
        std::fs::create_dir_all(&experiments).unwrap();
        std::fs::write(experiments.join(format!("{name}.toml")), text).unwrap();
        experiments
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("FEEDLAB_KEEP_TEST_OUTPUT").is_some() {
            eprintln!("kept {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Charts the report draws per experiment (at least these; the overload run adds the storm's own timeline).
const CHARTS: [(&str, &[&str]); 10] = [
    ("header-overhead", &["bytes-per-message", "bandwidth"]),
    ("latency-vs-interval", &["latency"]),
    ("idle-cost", &["requests", "bytes"]),
    ("message-rate", &["requests-per-message", "overhead-per-message", "latency"]),
    ("connection-scale", &["memory", "cpu", "p99", "cpu-steady"]),
    ("rtt", &["latency"]),
    ("overload", &["timeline"]),
    ("http2", &["poll-header-bytes", "overhead-per-message", "latency"]),
    ("peers", &["cpu", "p99", "overhead", "memory"]),
    ("scale-out", &["latency", "memory"]),
];

/// The experiment that measures Socket.IO: run only where its Node peer can run, skipped (with a line
/// saying how to enable it) elsewhere, unless `FEEDLAB_PEERS_REQUIRED=1` makes that a failure.
const PEERS: &str = "peers";

/// The experiment whose nodes share a feed on Redis: run only where redis-server is installed, skipped (with
/// a line saying how to install it) elsewhere, unless `FEEDLAB_REDIS_REQUIRED=1` makes that a failure.
const SCALE_OUT: &str = "scale-out";

/// Whether redis-server is here.
fn redis_available() -> bool {
    let found = feedlab_server::redis_server::RedisServer::program().is_some();
    assert!(
        found || std::env::var("FEEDLAB_REDIS_REQUIRED").as_deref() != Ok("1"),
        "no redis-server (FEEDLAB_REDIS_REQUIRED=1)"
    );
    found
}

/// Whether an experiment can run here (the peers need node, scale-out redis-server).
fn runs_here(exp: &str) -> bool {
    match exp {
        PEERS => peer_available(),
        SCALE_OUT => redis_available(),
        _ => true,
    }
}

/// Whether node and the peer's packages are here.
fn peer_available() -> bool {
    let found = feedlab_suite::peer::socketio(&repo().join(feedlab_suite::peer::DEFAULT_DIR));
    if let Err(why) = &found {
        assert!(std::env::var("FEEDLAB_PEERS_REQUIRED").as_deref() != Ok("1"), "{why} (FEEDLAB_PEERS_REQUIRED=1)");
    }
    found.is_ok()
}

fn schema_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("crates/contract/schema/bench.schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 33, "PNG too short");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

/// Width and height attributes of an SVG document, after checking it is one complete `<svg>` element.
fn svg_size(text: &str) -> (u32, u32) {
    let start = text.find("<svg").expect("no <svg");
    assert!(text.trim_end().ends_with("</svg>"), "SVG not closed");
    let head = &text[start..start + text[start..].find('>').unwrap()];
    let attr = |name: &str| -> u32 {
        let at = head.find(&format!("{name}=\"")).unwrap_or_else(|| panic!("no {name} in {head}")) + name.len() + 2;
        head[at..at + head[at..].find('"').unwrap()].parse().unwrap()
    };
    (attr("width"), attr("height"))
}

/// Chart stems (`<stem>.png`) in an experiment directory.
/// The PNG file stems in `dir`: `latency` and its Chinese `latency.zh`.
fn pngs_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The charts in `dir`: the English PNGs' stems, which name the charts.
fn charts_in(dir: &Path) -> Vec<String> {
    let other = |stem: &String| Lang::ALL.iter().any(|l| !l.suffix().is_empty() && stem.ends_with(l.suffix()));
    pngs_in(dir).into_iter().filter(|stem| !other(stem)).collect()
}

#[test]
fn quick_run_writes_data_charts_and_report_for_every_experiment() {
    let out = TempDir::new("quick");
    let run = feedlab(&["run", "--quick", "--out", out.0.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "feedlab run --quick failed: {}\n{stderr}", run.status);
    // Shown only if a check below fails: the run's log, step by step.
    eprintln!("{stderr}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let charts: Vec<(&str, &[&str])> = CHARTS.into_iter().filter(|(exp, _)| runs_here(exp)).collect();
    assert!(stdout.contains(&format!("{} experiment(s)", charts.len())), "{stdout}");
    if !peer_available() {
        assert!(stderr.contains("peers: skipped:") && stderr.contains("cd peers/socketio && npm ci"), "{stderr}");
        assert!(!out.0.join(PEERS).exists());
    }
    if !redis_available() {
        assert!(stderr.contains("scale-out: skipped:") && stderr.contains("apt-get install redis-server"), "{stderr}");
        assert!(!out.0.join(SCALE_OUT).exists());
    }

    let schema = schema_validator();
    let read = |f: ResultFile| std::fs::read_to_string(f.path(&out.0)).unwrap();
    let pages: Vec<(Lang, String, String)> =
        Lang::ALL.iter().map(|l| (*l, read(ResultFile::Readme(*l)), read(ResultFile::Html(*l)))).collect();
    for l in Lang::ALL {
        assert!(ResultFile::Index(l).path(&out.0).is_file());
    }
    assert_eq!(KNOWN.map(|k| k.to_owned()), CHARTS.map(|c| c.0.to_owned()), "the test knows every experiment");

    for &(exp, expected_charts) in &charts {
        let dir = out.0.join(exp);
        // data.json: readable by the report (strictly), quick, with machine facts and the harness results as
        // they are.
        let path = dir.join("data.json");
        let data = load(&path).unwrap_or_else(|e| panic!("{exp}: {e}"));
        assert_eq!(data.experiment, exp);
        assert!(data.quick, "{exp}: marked as a quick run");
        assert!(!data.steps.is_empty(), "{exp}: no steps");
        let m = &data.machine;
        assert!(m.cpus >= 1 && m.mem_gib > 0.0 && !m.os.is_empty() && m.date.ends_with('Z'), "{exp}: {m:?}");
        assert!(!m.commit.is_empty(), "{exp}: run inside the git checkout, so the commit is known");
        let raw: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (i, step) in data.steps.iter().enumerate() {
            let bench = &raw["steps"][i]["bench"];
            let errors: Vec<String> =
                schema.iter_errors(bench).map(|e| format!("{e} at {}", e.instance_path)).collect();
            assert!(
                errors.is_empty(),
                "{exp} step {}: bench result does not match schema.json: {errors:#?}",
                step.label
            );
            let b = &step.bench;
            assert!(!b.cancelled, "{exp} {}: not interrupted", step.label);
            let i = &b.integrity;
            assert_eq!((i.lost, i.duplicated, i.reordered), (0, 0, 0), "{exp} {}: exact delivery", step.label);
            assert!(step.params.transport == b.transport && step.params.clients > 0 && !step.label.is_empty());
            if step.params.role.is_none() {
                let srv = step.server.unwrap_or_else(|| panic!("{exp} {}: server usage from /proc", step.label));
                assert!(srv.rss_mib_start > 0.0 && srv.rss_mib_peak >= srv.rss_mib_start && srv.cpu_s >= 0.0);
                // The suite gives the harness the server's pid: the steady window and the setup are sampled.
                let cpu = b.server_cpu.unwrap_or_else(|| panic!("{exp} {}: steady-window server CPU", step.label));
                assert!(cpu.steady.window_s > 0.0 && cpu.steady.user_s >= 0.0 && cpu.steady.system_s >= 0.0);
                assert!(b.harness_cpu.is_some(), "{exp} {}: the harness's own CPU", step.label);
            }
            if b.published > 0 {
                assert!(i.delivered > 0, "{exp} {}: published {} but delivered none", step.label, b.published);
            }
        }
        // data.csv: a header and one row per step.
        let csv = std::fs::read_to_string(dir.join("data.csv")).unwrap();
        assert_eq!(csv.lines().count(), data.steps.len() + 1, "{exp}: data.csv rows");

        // Charts: the expected ones at least, each an SVG and a PNG of the report's size in every language,
        // referenced by both pages of that language.
        let charts = charts_in(&dir);
        for name in expected_charts {
            assert!(charts.iter().any(|c| c == name), "{exp}: chart {name} missing from {charts:?}");
        }
        assert_eq!(pngs_in(&dir).len(), charts.len() * Lang::ALL.len(), "{exp}: every chart in every language");
        for chart in &charts {
            for (lang, readme, html) in &pages {
                let file = |format| ResultFile::Chart { experiment: exp, chart, lang: *lang, format };
                let (png_file, svg_file) = (file(ImageFormat::Png), file(ImageFormat::Svg));
                let png = std::fs::read(png_file.path(&out.0)).unwrap();
                let svg = std::fs::read_to_string(svg_file.path(&out.0)).unwrap();
                let (png_rel, svg_rel) = (png_file.relative(), svg_file.relative());
                let size = png_size(&png);
                assert!(size == SIZE || size == (SIZE.0, TWO_PANEL_HEIGHT), "{png_rel} is {size:?}");
                assert_eq!(svg_size(&svg), size, "{svg_rel}: SVG and PNG of one size");
                assert!(png.len() > 10_000, "{png_rel} suspiciously small for a drawn chart");
                for rel in [&png_rel, &svg_rel] {
                    assert!(readme.contains(&format!("]({rel})")), "{lang:?} README lacks {rel}");
                }
                assert!(html.contains(&format!("href=\"{svg_rel}\"")), "{lang:?} index.html lacks {svg_rel}");
            }
        }
    }

    // The overload step carries the server's own per-second timeline, and the storm went past the cap.
    let overload = load(&out.0.join("overload/data.json")).unwrap();
    let steady = &overload.steps[0];
    assert!(steady.timeline.len() >= 3, "timeline of {} samples", steady.timeline.len());
    let rejected: f64 = steady.timeline.iter().map(|s| s.rejected_503_per_s).sum();
    assert!(rejected > 0.0, "the storm should meet 503s: {:?}", steady.timeline);
    assert!(steady.timeline.iter().all(|s| s.p99_us.is_some_and(|p| p > 0.0)), "probe answer times every second");
    let storm = overload.steps.iter().find(|s| s.label.starts_with("storm:")).expect("the storm's own step");
    assert!(storm.bench.rejected_503() > 0);

    // What a user reads when the output is piped: plain text, no terminal escape codes, no module paths.
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!text.contains('\x1b'), "{name} holds escape codes:\n{text}");
        assert!(!text.contains("feedlab_"), "{name} names a module:\n{text}");
    }
    // One line per planned step (a storm runs within its step), numbered through the run.
    let planned: usize = charts
        .iter()
        .map(|(exp, _)| load(&out.0.join(exp).join("data.json")).unwrap())
        .map(|d| d.steps.iter().filter(|s| s.params.role.is_none()).count())
        .sum();
    let numbers: Vec<String> = stderr.lines().filter_map(step_number).collect();
    let width = planned.to_string().len();
    let expected: Vec<String> = (1..=planned).map(|n| format!("{n:>width$}/{planned}")).collect();
    assert_eq!(numbers, expected, "one line per step:\n{stderr}");
    // The summary: every verdict of the report, in its order, then where the report is.
    let index: serde_json::Value =
        serde_json::from_str(&read(ResultFile::Index(Lang::En))).expect("index.json is JSON");
    let verdicts: Vec<(String, String)> = index["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["verdicts"].as_array().unwrap().iter())
        .map(|v| (v["claim"].as_str().unwrap().to_owned(), v["outcome"].as_str().unwrap().replace('-', " ")))
        .collect();
    assert!(!verdicts.is_empty(), "the experiments test claims");
    let rows: Vec<&str> =
        stdout.lines().filter(|l| verdicts.iter().any(|(claim, _)| l.ends_with(claim.as_str()))).collect();
    assert_eq!(rows.len(), verdicts.len(), "a row per verdict:\n{stdout}");
    for (row, (claim, outcome)) in rows.iter().zip(&verdicts) {
        assert!(row.ends_with(claim.as_str()) && row.to_lowercase().contains(outcome), "{row} vs {outcome}: {claim}");
    }
    assert!(stdout.contains(&format!("{} claims: ", verdicts.len())), "{stdout}");
    let at = |f: ResultFile| f.path(&out.0).display().to_string();
    let report = format!("Report: {} and {}", at(ResultFile::Readme(Lang::En)), at(ResultFile::Html(Lang::En)));
    let zh = format!("In Chinese: {} and {}", at(ResultFile::Readme(Lang::Zh)), at(ResultFile::Html(Lang::Zh)));
    let tail: Vec<&str> = stdout.lines().rev().take(2).collect();
    assert_eq!(tail, [zh.as_str(), report.as_str()], "the summary ends with where the report is:\n{stdout}");
}

/// `3/27` from a step's line `[ 3/27] idle-cost sse: ...`.
fn step_number(line: &str) -> Option<String> {
    let rest = line.strip_prefix('[')?;
    let (number, _) = rest.split_once("] ")?;
    let (n, of) = number.trim_start().split_once('/')?;
    (n.parse::<usize>().is_ok() && of.parse::<usize>().is_ok()).then(|| number.to_owned())
}

/// A child process killed if the test ends early, so no `feedlab run` outlives a failed test.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `feedlab serve` children of `parent` now, from /proc.
fn server_children(parent: u32) -> BTreeSet<u32> {
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // `pid (comm) state ppid ...`: comm may hold spaces, so the fields after its closing parenthesis.
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if ppid == Some(parent) && cmdline.split(|b| *b == 0).any(|arg| arg == b"serve") {
            found.insert(pid);
        }
    }
    found
}

/// Waits for `what` to become true, checking every 20 ms; fails the test after `within`.
fn wait_for<T>(within: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_keeps_the_running_step_and_stops_the_server() {
    // A short step, then a long one, each with its own server: once a second server exists, the second step
    // has begun (the suite checks for a cancellation before it starts a step's server).
    let dir = TempDir::new("sigterm");
    let experiments = dir.experiment(
        "sigterm",
        "[server]\nfresh_per_step = true\n\n[steps]\ntransport = \"ws\"\nclients = 2\n\
         rate_per_s = [10, 0.05]  # 1 s, then 60 s for its 3 messages\nmin_messages = 3\nduration_s = 1\n",
    );
    let out = dir.0.join("results");
    let child = Command::new(env!("CARGO_BIN_EXE_feedlab"))
        .args(["run", "--experiments-dir", experiments.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut run = Running(child);
    let pid = run.0.id();
    let (tx, lines) = mpsc::channel();
    let stderr = BufReader::new(run.0.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in stderr.lines().map_while(Result::ok) {
            all += &line;
            all.push('\n');
            let _ = tx.send(line);
        }
        all
    });

    // Every server seen until the first step's line, then a new one: the second step's.
    let mut first = BTreeSet::new();
    wait_for(Duration::from_secs(60), "the first step's line", || {
        first.extend(server_children(pid));
        lines.try_iter().any(|l| l.starts_with("[1/2] ")).then_some(())
    });
    assert!(!first.is_empty(), "the first step had a server");
    let second = wait_for(Duration::from_secs(30), "the second step's server", || {
        server_children(pid).difference(&first).next().copied()
    });

    let killed = Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(killed.success());
    let exited = wait_for(Duration::from_secs(60), "feedlab run to exit", || run.0.try_wait().unwrap());
    let stderr = reader.join().unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut run.0.stdout.take().unwrap(), &mut stdout).unwrap();

    // It ended on its own, as after Ctrl-C: an error exit naming the interruption, not death by the signal.
    assert_eq!(exited.code(), Some(1), "{exited}\n{stderr}");
    assert!(stderr.contains("SIGTERM") && stderr.contains("interrupted: the 2 step(s)"), "{stderr}");
    // The finished step and the running one (marked as cut short) are in the data file, and the report says
    // where it is.
    let data = load(&out.join("sigterm/data.json")).unwrap();
    let cancelled: Vec<(&str, bool)> = data.steps.iter().map(|s| (s.label.as_str(), s.bench.cancelled)).collect();
    assert_eq!(cancelled, [("ws 10 msg/s", false), ("ws 0.05 msg/s", true)]);
    assert!(stdout.contains(&format!("Report: {}", out.join("README.md").display())), "{stdout}");
    // No server outlives the run: the suite stopped and reaped each one.
    for server in first.iter().chain([&second]) {
        assert!(!Path::new(&format!("/proc/{server}")).exists(), "server {server} is still there");
    }
}

#[test]
fn usage_errors_exit_2() {
    let out = TempDir::new("usage");
    let o = out.0.to_str().unwrap();
    let unknown = feedlab(&["run", "no-such-experiment", "--out", o]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("unknown experiment `no-such-experiment`") && stderr.contains("idle-cost"), "{stderr}");

    let bad_dir = out.experiment("broken", "[steps]\nclients = 0\n");
    let bad = feedlab(&["run", "--experiments-dir", bad_dir.to_str().unwrap(), "--out", o]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("broken.toml") && stderr.contains("`steps.clients`") && stderr.contains("1..=100000"),
        "{stderr}"
    );
    assert!(!out.0.join("broken").exists(), "nothing ran");

    let plan = feedlab(&["run", "--quick", "--dry-run"]);
    assert!(plan.status.success());
    let text = String::from_utf8_lossy(&plan.stdout);
    for exp in KNOWN.into_iter().filter(|e| runs_here(e)) {
        assert!(text.contains(&format!("{exp} (")), "--dry-run lists {exp}: {text}");
    }
}

#[test]
fn the_floor_and_rounds_reach_the_report() {
    // The connection-scale report, from a small file of that name: the floor first, then two transports in
    // three rounds (--quick: the floor on a few hundred sockets, short windows).
    let dir = TempDir::new("floor");
    let experiments = dir.experiment(
        "connection-scale",
        "floor = true\n[steps]\ntransport = [\"poll\", \"ws\"]\nclients = 5\nrate_per_s = 5\nduration_s = 1\nrepeats = 3\n",
    );
    let out = dir.0.join("results");
    let run = feedlab(&[
        "run",
        "--quick",
        "--experiments-dir",
        experiments.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("connection-scale floor on 200 loopback pairs, sender CPU per send(): 1 frame "),
        "{stderr}"
    );

    let data = load(&out.join("connection-scale/data.json")).unwrap();
    assert_eq!(data.schema_version, 2);
    let floor = data.floor.as_ref().expect("the floor, measured in the same run");
    assert_eq!(floor.cases.iter().map(|c| c.frames_per_send).collect::<Vec<_>>(), [1, 4, 16]);
    let one = floor.case(1).unwrap().send_us.median;
    assert!(one.is_finite() && one > 0.0, "{floor:#?}");
    let rounds: Vec<_> = data.steps.iter().map(|s| (s.params.transport.name(), s.repeat)).collect();
    assert_eq!(rounds.len(), 6);
    assert_eq!(rounds[..3], [("poll", Some(0)), ("ws", Some(0)), ("poll", Some(1))]);
    for s in &data.steps {
        let steady = s.bench.server_cpu.unwrap().steady;
        // Messages were delivered inside the window, so the figure and its ratio to the floor exist (their
        // size is the machine's, not asserted; /proc counts 10 ms ticks, so a 1 s window of 5 clients may
        // read 0).
        let per = steady.total_us_per.unwrap_or_else(|| panic!("{}: nothing delivered in the window", s.label));
        assert!(per >= 0.0 && (per / one).is_finite() && steady.count > 0, "{}: {steady:?}", s.label);
        assert!(s.bench.harness_cpu.unwrap().total_us_per.is_some());
    }
    let readme = std::fs::read_to_string(ResultFile::Readme(Lang::En).path(&out)).unwrap();
    assert!(readme.contains("measured at the start of this run on 200 idle loopback sockets"), "{readme}");
    assert!(readme.contains("Steady window") && readme.contains("| x floor |"), "{readme}");
    assert!(readme.contains("poll 5 clients #3") || readme.contains("poll #3"), "{readme}");
}
