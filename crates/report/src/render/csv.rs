//! `<experiment>/data.csv`: one row per step with every numeric field of `data.json`, for spreadsheets.
//! Derived from the data file, so `feedlab report` rewrites it too.

use std::fmt::Write as _;

use crate::data::ExperimentData;

/// Column names, in order.
pub const COLUMNS: [&str; 32] = [
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
];

/// The CSV text.
pub fn csv(data: &ExperimentData) -> String {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for s in &data.steps {
        let (p, b, i) = (&s.params, &s.bench, &s.bench.integrity);
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
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
    }
}
