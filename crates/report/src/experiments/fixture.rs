//! SYNTHETIC TEST DATA for unit tests of the shaping and verdict code. Built in memory, never written to
//! `results/`: these numbers are invented to exercise both sides of each verdict, not measured.

use std::path::Path;

use feedlab_contract::data::DATA_SCHEMA_VERSION;

use crate::data::{BenchResult, ExperimentData, HeaderProfile, Machine, Params, ServerUsage, Step, Transport};

/// A bench result with every field present and nothing measured (`tests/fixtures/blank-bench.json`, shared
/// with the integration tests), read by the contract's strict reader.
pub(crate) fn blank_bench(t: Transport, clients: u64) -> BenchResult {
    const BLANK: &str = include_str!("../../tests/fixtures/blank-bench.json");
    // unwrap: the fixture is committed next to the code and checked by every test that uses it.
    let mut b: BenchResult = feedlab_contract::read::from_json(Path::new("blank-bench.json"), BLANK).unwrap();
    b.transport = t;
    b.clients = clients;
    b
}

/// An experiment with the given steps, marked as synthetic in its machine description.
pub(crate) fn data(experiment: &str, steps: Vec<Step>) -> ExperimentData {
    ExperimentData {
        schema_version: DATA_SCHEMA_VERSION,
        experiment: experiment.to_owned(),
        title: format!("{experiment} (synthetic test data)"),
        machine: Machine {
            cpus: 2,
            mem_gib: 4.0,
            os: "synthetic test data".into(),
            commit: "test".into(),
            date: "1970-01-01T00:00:00Z".into(),
        },
        quick: true,
        steps,
        floor: None,
    }
}

/// Overhead bytes per message of the synthetic steps, per transport (in [`Transport::ALL`] order).
const PER_MESSAGE: [f64; Transport::ALL.len()] = [300.0, 300.0, 15.0, 2.0, 400.0, 4.0];

/// A plausible step for `t` with `clients` clients at 1 msg/s for 10 s, then adjusted by `f`.
pub(crate) fn step(t: Transport, clients: u64, f: impl FnOnce(&mut Step)) -> Step {
    let delivered = clients * 10;
    let mut bench = blank_bench(t, clients);
    bench.duration_s = 10.0;
    bench.rate_per_s = 1.0;
    bench.published = 10;
    bench.integrity.delivered = delivered;
    bench.integrity.expected = delivered;
    bench.connections = clients;
    let per_msg = PER_MESSAGE[t.index()];
    bench.overhead_bytes_per_message = Some(per_msg);
    bench.bytes.request_headers = (per_msg * delivered as f64 * 0.5) as u64;
    bench.bytes.response_headers = (per_msg * delivered as f64 * 0.5) as u64;
    bench.bytes.body = delivered * 100;
    bench.requests = if t.request_per_answer() { delivered } else { clients };
    bench.latency_us.p50 = 1000;
    bench.latency_us.p99 = 3000;
    let mut s = Step {
        label: String::new(),
        params: Params::new(t, clients, 10.0, HeaderProfile::Minimal, 1.0, 0.0),
        bench,
        server: Some(ServerUsage { cpu_s: 1.0, rss_mib_start: 10.0, rss_mib_peak: 20.0, rss_mib_end: 12.0 }),
        timeline: Vec::new(),
        repeat: None,
        nodes: Vec::new(),
        redis: None,
        redis_connections: None,
    };
    f(&mut s);
    s
}

/// A floor of `send_us` per send of one frame.
pub(crate) fn floor(send_us: f64) -> feedlab_contract::FloorResult {
    use feedlab_contract::floor::{FloorCase, FloorResult, Placement};
    let spread = feedlab_contract::Spread { median: send_us, min: send_us * 0.9, max: send_us * 1.1 };
    let case = |k: u64| FloorCase {
        frames_per_send: k,
        send_us: spread,
        frame_us: spread,
        reader_us_per_frame: spread,
        sends_per_s: spread,
        runs: Vec::new(),
    };
    FloorResult {
        schema_version: feedlab_contract::floor::FLOOR_SCHEMA_VERSION,
        kind: "floor".into(),
        harness_version: "test".into(),
        started_unix_ms: 0,
        pairs: 5000,
        header_bytes: 2,
        payload_bytes: 32,
        warmup_s: 0.5,
        window_s: 1.0,
        repeats: 3,
        placement: Placement::Apart,
        send_rate_per_s: 10_000.0,
        sender_cpu: Some(0),
        reader_cpu: Some(1),
        cpus: 2,
        cases: vec![case(1), case(4), case(16)],
    }
}
