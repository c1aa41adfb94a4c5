//! SYNTHETIC TEST DATA. Generates plausible-looking data files for every experiment so the tests can render
//! every chart and page. These numbers are invented by formulas below, not measured; they are written only
//! into temporary directories, never into `results/`. The machine is labelled as synthetic so a stray copy
//! could not pass for a measurement.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use feedlab_contract::data::DATA_SCHEMA_VERSION;
use feedlab_report::data::{
    BenchResult, ExperimentData, HeaderProfile, Latency, Machine, Params, Sample, ServerUsage, Step, Transport,
};

/// A fresh empty directory under cargo's per-test-target temp dir, removed when dropped unless the test
/// failed or `FEEDLAB_REPORT_KEEP` is set (to look at the rendered charts).
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() || std::env::var_os("FEEDLAB_REPORT_KEEP").is_some() {
            eprintln!("kept {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn temp_dir(name: &str) -> TempDir {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "report-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

fn machine() -> Machine {
    Machine {
        cpus: 2,
        mem_gib: 4.0,
        os: "SYNTHETIC TEST DATA (not a measurement)".into(),
        commit: "synthetic".into(),
        date: "1970-01-01T00:00:00Z".into(),
    }
}

/// Latency in ms -> the harness's microsecond summary.
fn lat(p50_ms: f64, p99_ms: f64) -> Latency {
    Latency {
        mean: p50_ms * 1000.0,
        p50: (p50_ms * 1000.0) as u64,
        p90: ((p50_ms + p99_ms) * 500.0) as u64,
        p99: (p99_ms * 1000.0) as u64,
        max: (p99_ms * 1500.0) as u64,
        ..Latency::default()
    }
}

/// This transport's value of `values`, given in [`Transport::FEEDLAB`] order (the experiments these fixtures
/// stand for measure feedlab's own transports).
fn per_transport<T: Copy>(t: Transport, values: [T; Transport::FEEDLAB.len()]) -> T {
    values[t.index()]
}

/// A bench result with every field present and nothing measured (the fixture the unit tests share).
fn blank_bench(t: Transport, clients: u64) -> BenchResult {
    let text = include_str!("../fixtures/blank-bench.json");
    let mut b: BenchResult = feedlab_contract::read::from_json(Path::new("blank-bench.json"), text).unwrap();
    b.transport = t;
    b.clients = clients;
    b
}

/// One synthetic step. `per_msg` is the overhead bytes per delivered message; `requests` the total requests.
#[allow(clippy::too_many_arguments)]
fn step(
    t: Transport,
    clients: u64,
    rate: f64,
    duration: f64,
    per_msg: f64,
    requests: u64,
    latency: Latency,
    f: impl FnOnce(&mut Step),
) -> Step {
    let delivered = (clients as f64 * rate * duration).round() as u64;
    let overhead = (per_msg * delivered as f64) as u64;
    let streaming = !t.request_per_answer();
    let framing = if streaming { overhead } else { 0 };
    let headers = overhead - framing;
    let mut bench = blank_bench(t, clients);
    bench.duration_s = duration;
    bench.rate_per_s = rate;
    bench.published = (rate * duration).round() as u64;
    bench.integrity.delivered = delivered;
    bench.integrity.expected = delivered;
    bench.requests = requests;
    bench.empty_responses = if t == Transport::Poll { requests.saturating_sub(delivered) } else { 0 };
    bench.connections = clients;
    bench.overhead_bytes_per_message = Some(per_msg);
    bench.setup_bytes_per_message =
        Some(if t.is_push() { 200.0 * clients as f64 / delivered.max(1) as f64 } else { 0.0 });
    bench.latency_us = latency;
    let b = &mut bench.bytes;
    b.request_headers = headers * 2 / 5;
    b.response_headers = headers - headers * 2 / 5;
    b.framing = framing;
    b.body = delivered * 90;
    b.handshake = if streaming { clients * 200 } else { 0 };
    b.sent = b.request_headers;
    b.received = b.response_headers + b.framing + b.body + b.handshake;
    let mut s = Step {
        label: format!("{} {} clients", t.name(), clients),
        params: Params::new(t, clients, duration, HeaderProfile::Minimal, rate, 0.0),
        bench,
        server: Some(ServerUsage { cpu_s: 1.0, rss_mib_start: 12.0, rss_mib_peak: 20.0, rss_mib_end: 14.0 }),
        timeline: Vec::new(),
        repeat: None,
        nodes: Vec::new(),
        redis: None,
        redis_connections: None,
    };
    f(&mut s);
    s
}

fn experiment(name: &str, title: &str, steps: Vec<Step>) -> ExperimentData {
    ExperimentData {
        schema_version: DATA_SCHEMA_VERSION,
        experiment: name.into(),
        title: format!("{title} [synthetic test data]"),
        machine: machine(),
        quick: true,
        steps,
        floor: None,
    }
}

pub fn header_overhead() -> ExperimentData {
    let mut steps = Vec::new();
    for profile in HeaderProfile::ALL {
        for clients in [1000, 10_000] {
            for t in Transport::FEEDLAB {
                let headers = if profile == HeaderProfile::Minimal { 190.0 } else { 640.0 };
                let per_msg = per_transport(t, [headers, headers, 14.0, 2.0]);
                let requests = if t.request_per_answer() { clients * 30 } else { clients };
                steps.push(step(t, clients, 1.0, 30.0, per_msg, requests, lat(1.0, 3.0), |s| {
                    s.params.headers = profile;
                    s.params.poll_interval_ms = Some(1000.0);
                    s.label = format!("{} {} {}", t.name(), clients, profile.name());
                }));
            }
        }
    }
    experiment("header-overhead", "Header overhead: the Kaazing table", steps)
}

pub fn latency_vs_interval() -> ExperimentData {
    let mut steps: Vec<Step> = [100.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0]
        .into_iter()
        .map(|i| {
            step(
                Transport::Poll,
                100,
                1.0,
                60.0,
                190.0,
                (100.0 * 60.0 * 1000.0 / i) as u64,
                lat(i / 2.0 + 1.0, i * 0.99 + 2.0),
                |s| {
                    s.params.poll_interval_ms = Some(i);
                    s.label = format!("poll every {i} ms");
                },
            )
        })
        .collect();
    steps.push(step(Transport::Longpoll, 100, 1.0, 60.0, 190.0, 6000, lat(2.0, 6.0), |_| {}));
    steps.push(step(Transport::Sse, 100, 1.0, 60.0, 14.0, 100, lat(0.8, 3.0), |_| {}));
    steps.push(step(Transport::Ws, 100, 1.0, 60.0, 2.0, 100, lat(0.6, 2.5), |_| {}));
    experiment("latency-vs-interval", "Latency vs polling interval", steps)
}

pub fn idle_cost() -> ExperimentData {
    let mk = |t: Transport, requests: u64, bytes: u64| {
        step(t, 100, 0.0, 60.0, 0.0, requests, Latency::default(), |s| {
            s.bench.empty_responses = if t == Transport::Poll { requests } else { 0 };
            s.bench.bytes = Default::default();
            s.bench.bytes.request_headers = bytes / 2;
            s.bench.bytes.response_headers = bytes / 2;
            s.bench.bytes.sent = bytes / 2;
            s.bench.bytes.received = bytes / 2;
        })
    };
    experiment(
        "idle-cost",
        "Idle cost: a quiet feed",
        vec![
            mk(Transport::Poll, 6000, 6000 * 230),
            mk(Transport::Longpoll, 300, 300 * 230),
            mk(Transport::Sse, 100, 100 * 150 + 100 * 4 * 4),
            mk(Transport::Ws, 100, 100 * 200 + 100 * 4 * 8),
        ],
    )
}

pub fn message_rate() -> ExperimentData {
    let mut steps = Vec::new();
    for rate in [0.1, 1.0, 10.0, 100.0, 1000.0] {
        let delivered = 50.0 * rate * 30.0;
        for t in Transport::FEEDLAB {
            let longpoll = delivered * if rate < 50.0 { 1.0 } else { 10.0 / rate };
            let requests = per_transport(t, [50.0 * 30.0, longpoll, 50.0, 50.0]);
            let per_msg = per_transport(t, [190.0 * requests / delivered, 190.0 * requests / delivered, 14.0, 2.0]);
            let p50 = per_transport(t, [500.0, 2.0 + rate / 100.0, 0.7, 0.7]);
            steps.push(step(t, 50, rate, 30.0, per_msg, requests as u64, lat(p50, p50 * 2.0), |s| {
                s.params.poll_interval_ms = Some(1000.0);
                s.label = format!("{} at {rate} msg/s", t.name());
            }));
        }
    }
    experiment("message-rate", "Message rate: 0.1 to 1,000 msg/s", steps)
}

pub fn connection_scale() -> ExperimentData {
    let mut steps = Vec::new();
    for clients in [100, 1000, 5000, 10_000, 20_000] {
        for t in Transport::FEEDLAB {
            let (kib, cpu_us) = per_transport(t, [(6.0, 35.0), (24.0, 22.0), (30.0, 6.0), (38.0, 5.0)]);
            let requests = if t == Transport::Poll { clients * 30 } else { clients };
            steps.push(step(
                t,
                clients,
                1.0,
                30.0,
                100.0,
                requests,
                lat(1.0 + clients as f64 / 2000.0, 4.0 + clients as f64 / 500.0),
                |s| {
                    let delivered = s.bench.integrity.delivered as f64;
                    s.server = Some(ServerUsage {
                        cpu_s: cpu_us * delivered / 1e6,
                        rss_mib_start: 12.0,
                        rss_mib_peak: 12.0 + kib * clients as f64 / 1024.0,
                        rss_mib_end: 13.0,
                    });
                },
            ));
        }
    }
    experiment("connection-scale", "Connection scale: 100 to 20,000 clients", steps)
}

pub fn rtt() -> ExperimentData {
    let mut steps = Vec::new();
    for rtt in [0.0, 50.0, 150.0] {
        for t in Transport::FEEDLAB {
            let p50 = per_transport(t, [500.0, 2.0 + rtt * 0.3, 0.7, 0.7]) + rtt / 2.0;
            steps.push(step(t, 50, 1.0, 30.0, 100.0, 50, lat(p50, p50 * 1.5 + 5.0), |s| {
                s.params.rtt_ms = rtt;
                s.label = format!("{} rtt {rtt} ms", t.name());
            }));
        }
    }
    experiment("rtt", "Network round trip", steps)
}

pub fn overload() -> ExperimentData {
    let timeline: Vec<Sample> = (1..=40)
        .map(|t| {
            let t = t as f64;
            let storm = t <= 20.0;
            Sample {
                t_s: t,
                requests_per_s: if storm { 9000.0 } else { 1000.0 },
                rejected_503_per_s: if storm { 5500.0 + 100.0 * (t % 3.0) } else { 0.0 },
                errors_per_s: if storm { 5500.0 + 100.0 * (t % 3.0) } else { 0.0 },
                delivered_per_s: 1000.0,
                p99_us: Some(if storm { 60_000.0 + 5000.0 * (t % 4.0) } else { 4000.0 }),
            }
        })
        .collect();
    let s = step(Transport::Poll, 9000, 1.0, 40.0, 190.0, 200_000, lat(5.0, 70.0), |s| {
        s.params.poll_interval_ms = Some(1000.0);
        s.bench.errors.insert("http_503".into(), 110_000);
        s.timeline = timeline;
        s.label = "polling storm, 9000 clients".into();
    });
    experiment("overload", "Overload: a polling storm", vec![s])
}

/// Every experiment.
pub fn all() -> Vec<ExperimentData> {
    vec![header_overhead(), latency_vs_interval(), idle_cost(), message_rate(), connection_scale(), rtt(), overload()]
}

/// Writes `data` as `dir/<experiment>/data.json`.
pub fn write(dir: &Path, data: &ExperimentData) {
    let d = dir.join(&data.experiment);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("data.json"), serde_json::to_string_pretty(data).unwrap()).unwrap();
}
