//! `<experiment>/data.csv`: one row per step with every numeric field of `data.json`, for spreadsheets.
//! Derived from the data file, so `feedlab report` rewrites it too.

use std::fmt::Write as _;

use crate::data::ExperimentData;

/// Column names, in order.
pub const COLUMNS: [&str; 39] = [
    "label",
    "transport",
    "clients",
    "poll_interval_ms",
    "rate_per_s",
    "headers",
    "rtt_ms",
    "duration_s",
    "published",
    "delivered",
    "lost",
    "duplicated",
    "reordered",
    "requests",
    "empty_responses",
    "connections",
    "bytes_request_headers",
    "bytes_response_headers",
    "bytes_body",
    "bytes_framing",
    "bytes_handshake",
    "overhead_bytes_per_message",
    "setup_bytes_per_message",
    "latency_us_mean",
    "latency_us_p50",
    "latency_us_p90",
    "latency_us_p99",
    "latency_us_max",
    "errors_total",
    "errors_503",
    "server_cpu_s",
    "server_rss_mib_peak",
    "repeat",
    "steady_user_us_per_message",
    "steady_kernel_us_per_message",
    "steady_us_per_message",
    "steady_x_floor",
    "setup_us_per_connection",
    "harness_us_per_message",
];

/// The CSV text. The steady-window figures and the round are empty where not measured (layout 1 files,
/// steps that were not repeated); `steady_x_floor` is empty without the floor of the same run.
pub fn csv(data: &ExperimentData) -> String {
    let floor = data.floor.as_ref().and_then(|f| f.case(1)).map(|c| c.send_us.median);
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for s in &data.steps {
        let (p, b, i) = (&s.params, &s.bench, &s.bench.integrity);
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        let steady = b.server_cpu.and_then(|c| c.steady.total_us_per);
        let fields = [
            field(&s.label),
            p.transport.name().to_owned(),
            p.clients.to_string(),
            opt(p.poll_interval_ms),
            p.rate_per_s.to_string(),
            p.headers.name().to_owned(),
            p.rtt_ms.to_string(),
            b.duration_s.to_string(),
            b.published.to_string(),
            i.delivered.to_string(),
            i.lost.to_string(),
            i.duplicated.to_string(),
            i.reordered.to_string(),
            b.requests.to_string(),
            b.empty_responses.to_string(),
            b.connections.to_string(),
            b.bytes.request_headers.to_string(),
            b.bytes.response_headers.to_string(),
            b.bytes.body.to_string(),
            b.bytes.framing.to_string(),
            b.bytes.handshake.to_string(),
            opt(b.overhead_bytes_per_message),
            opt(b.setup_bytes_per_message),
            b.latency_us.mean.to_string(),
            b.latency_us.p50.to_string(),
            b.latency_us.p90.to_string(),
            b.latency_us.p99.to_string(),
            b.latency_us.max.to_string(),
            b.errors_total().to_string(),
            b.rejected_503().to_string(),
            opt(s.server.map(|v| v.cpu_s)),
            opt(s.server.map(|v| v.rss_mib_peak)),
            s.repeat.map_or(String::new(), |r| r.to_string()),
            opt(b.server_cpu.and_then(|c| c.steady.user_us_per)),
            opt(b.server_cpu.and_then(|c| c.steady.system_us_per)),
            opt(steady),
            opt(steady.zip(floor).map(|(s, f)| s / f).filter(|r| r.is_finite())),
            opt(b.server_cpu.and_then(|c| c.setup.total_us_per)),
            opt(b.harness_cpu.and_then(|c| c.total_us_per)),
        ];
        // unwrap: writing to a String cannot fail.
        writeln!(out, "{}", fields.join(",")).unwrap();
    }
    out
}

/// Quotes a text field when it holds a separator, quote or newline (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_step_with_every_column() {
        use crate::data::Transport;
        use crate::experiments::fixture::{data, step};
        let d = data(
            "x",
            vec![
                step(Transport::Ws, 10, |s| {
                    s.label = "a, \"b\"".into();
                    s.bench.integrity.delivered = 5;
                }),
                step(Transport::Poll, 10, |_| {}),
            ],
        );
        let text = csv(&d);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].starts_with("\"a, \"\"b\"\"\",ws,"));
        assert_eq!(lines[2].split(',').count(), COLUMNS.len());
        // Not measured (no steady window, no floor, one round): empty cells at the end.
        assert!(lines[2].ends_with(",,,,,,,"), "{}", lines[2]);
    }

    #[test]
    fn the_steady_window_and_its_ratio_to_the_floor() {
        use crate::data::Transport;
        use crate::experiments::fixture::{data, floor, step};
        use feedlab_contract::bench::{CpuPer, ServerCpu};
        use feedlab_contract::procfs::CpuTimes;
        let mut d = data(
            "x",
            vec![step(Transport::Ws, 10, |s| {
                s.repeat = Some(2);
                let per = CpuPer::new(1.0, CpuTimes { user_s: 0.1, system_s: 0.3 }, 10_000);
                s.bench.server_cpu = Some(ServerCpu { pid: 1, processes: None, steady: per, setup: per });
                s.bench.harness_cpu = Some(per);
            })],
        );
        d.floor = Some(floor(16.0));
        let text = csv(&d);
        let row: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
        let at = |name: &str| row[COLUMNS.iter().position(|c| *c == name).unwrap()];
        assert_eq!(at("repeat"), "2");
        assert_eq!(at("steady_user_us_per_message"), "10");
        assert_eq!(at("steady_us_per_message"), "40");
        assert_eq!(at("steady_x_floor"), "2.5");
        assert_eq!(at("harness_us_per_message"), "40");
    }
}
