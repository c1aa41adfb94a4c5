//! SYNTHETIC TEST DATA for unit tests of the shaping and verdict code. Built in memory, never written to
//! `results/`: these numbers are invented to exercise both sides of each verdict, not measured.

use crate::data::{BenchResult, ExperimentData, Machine, Params, ServerUsage, Step, Transport};

/// An experiment with the given steps, marked as synthetic in its machine description.
pub(crate) fn data(experiment: &str, steps: Vec<Step>) -> ExperimentData {
    ExperimentData {
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
    }
}

/// A plausible step for `t` with `clients` clients at 1 msg/s for 10 s, then adjusted by `f`.
pub(crate) fn step(t: Transport, clients: u64, f: impl FnOnce(&mut Step)) -> Step {
    let delivered = clients * 10;
    let mut bench = BenchResult {
        transport: Some(t),
        clients,
        duration_s: 10.0,
        published: 10,
        delivered,
        connections: clients,
        ..BenchResult::default()
    };
    let per_msg = match t {
        Transport::Poll => 300.0,
        Transport::Longpoll => 300.0,
        Transport::Sse => 15.0,
        Transport::Ws => 2.0,
    };
    bench.overhead_bytes_per_message = Some(per_msg);
    bench.bytes.request_headers = (per_msg * delivered as f64 * 0.5) as u64;
    bench.bytes.response_headers = (per_msg * delivered as f64 * 0.5) as u64;
    bench.bytes.body = delivered * 100;
    bench.requests = if t.is_push() && t != Transport::Longpoll { clients } else { delivered };
    bench.latency_us.p50 = 1000.0;
    bench.latency_us.p99 = 3000.0;
    let mut s = Step {
        label: String::new(),
        params: Params { transport: Some(t), clients: Some(clients), rate_per_s: Some(1.0), ..Params::default() },
        bench,
        server: Some(ServerUsage { cpu_s: 1.0, rss_mib_start: 10.0, rss_mib_peak: 20.0, rss_mib_end: 12.0 }),
        timeline: Vec::new(),
    };
    f(&mut s);
    s
}
