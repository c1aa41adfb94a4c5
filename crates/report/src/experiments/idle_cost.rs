//! Experiment 3, `idle-cost`: a quiet feed. Claim tested: polling keeps paying requests and bytes when nothing
//! happens (nearly every answer empty) while an idle push connection costs almost nothing.

use super::{Column, Section, of, step_table, streaming, transports};
use crate::chart::{Axis, BarChart, BarSeries, Chart, Color};
use crate::data::{ExperimentData, Step, Transport};
use crate::style::format_number;
use crate::verdict::{Outcome, Verdict, ratio};

/// Share of empty poll answers needed for "supported".
pub const EMPTY_SHARE_MIN: f64 = 0.9;
/// How many times more bytes per second an idle poller must cost than the costliest idle push client.
pub const BYTES_FACTOR: f64 = 10.0;

const SOURCE: &str = "the classic explanation of polling vs push";

/// Idle cost of one transport, per client.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Idle {
    transport: Transport,
    requests_per_s: Option<f64>,
    bytes_per_s: Option<f64>,
    empty_share: Option<f64>,
}

fn per_client_per_s(v: u64, s: &Step) -> Option<f64> {
    ratio(v as f64, s.bench.duration_s * s.params.clients as f64)
}

/// Every byte the clients put on the wire and took from it: headers, bodies, framing, heartbeats, handshakes.
fn wire_bytes(s: &Step) -> u64 {
    s.bench.bytes.sent + s.bench.bytes.received
}

/// Share of poll answers that carried nothing.
fn empty_share(s: &Step) -> Option<f64> {
    ratio(s.bench.empty_responses as f64, s.bench.requests as f64)
}

fn idle(data: &ExperimentData) -> Vec<Idle> {
    transports(data)
        .into_iter()
        .filter_map(|t| {
            // One step per transport is expected; with several, the one with most clients is the measurement.
            let s = of(data, t).max_by_key(|s| s.params.clients)?;
            Some(Idle {
                transport: t,
                requests_per_s: per_client_per_s(s.bench.requests, s),
                bytes_per_s: per_client_per_s(wire_bytes(s), s),
                empty_share: empty_share(s),
            })
        })
        .collect()
}

fn bars(name: &str, title: &str, y: &str, idle: &[Idle], value: impl Fn(&Idle) -> Option<f64>) -> Chart {
    let groups: Vec<String> = idle.iter().map(|i| i.transport.name().to_owned()).collect();
    Chart::Bars(BarChart {
        name: name.into(),
        title: title.into(),
        x_label: "transport (quiet feed)".into(),
        y: Axis::auto(y, idle.iter().filter_map(&value)),
        series: idle
            .iter()
            .enumerate()
            .map(|(g, i)| BarSeries {
                label: i.transport.name().into(),
                color: Color::Transport(i.transport),
                values: (0..groups.len()).map(|k| if k == g { value(i) } else { None }).collect(),
            })
            .collect(),
        groups,
        refs: Vec::new(),
    })
}

pub(super) fn shape(data: &ExperimentData) -> Section {
    let idle = idle(data);
    let mut section = Section::empty(data);
    section.intro = "Clients of each transport stay connected to a feed on which nothing is published; everything \
                     they cost is overhead."
        .into();
    section.charts = vec![
        bars("requests", "Idle requests per second per client", "requests per second per client (req/s)", &idle, |i| {
            i.requests_per_s
        }),
        bars("bytes", "Idle wire bytes per second per client", "bytes per second per client (B/s)", &idle, |i| {
            i.bytes_per_s
        }),
    ];
    section.tables = vec![step_table(
        "Idle cost per client (all wire bytes: headers, bodies, framing, heartbeats, handshakes).",
        &data.steps,
        vec![
            Column::clients(),
            Column::number("seconds", |s| s.bench.duration_s),
            Column::optional("requests/s per client", |s| per_client_per_s(s.bench.requests, s)),
            Column::optional("bytes/s per client", |s| per_client_per_s(wire_bytes(s), s)),
            Column::text("empty answers", |s| {
                empty_share(s).map_or("-".into(), |r| format!("{}%", format_number(r * 100.0)))
            }),
        ],
    )];
    section.verdicts = vec![verdict(&idle)];
    section
}

fn verdict(idle: &[Idle]) -> Verdict {
    let poll = idle.iter().find(|i| i.transport == Transport::Poll);
    let push_max = idle
        .iter()
        .filter(|i| streaming().any(|t| t == i.transport))
        .filter_map(|i| Some((i.transport, i.bytes_per_s?)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let outcome = match (poll.and_then(|p| Some((p.empty_share?, p.bytes_per_s?))), push_max) {
        (Some((empty, poll_bytes)), Some((_, push_bytes))) => {
            Outcome::from_bool(empty >= EMPTY_SHARE_MIN && poll_bytes >= BYTES_FACTOR * push_bytes)
        }
        _ => Outcome::Inconclusive,
    };
    let evidence = format!(
        "an idle poller sends {} req/s and {} B/s with {} of answers empty; the costliest idle push client ({}) \
         {} B/s (thresholds: ≥ {}% empty and ≥ {}x the bytes).",
        poll.and_then(|p| p.requests_per_s).map_or("-".into(), format_number),
        poll.and_then(|p| p.bytes_per_s).map_or("-".into(), format_number),
        poll.and_then(|p| p.empty_share).map_or("-".into(), |e| format!("{}%", format_number(e * 100.0))),
        push_max.map_or("-", |p| p.0.name()),
        push_max.map_or("-".into(), |p| format_number(p.1)),
        EMPTY_SHARE_MIN * 100.0,
        BYTES_FACTOR
    );
    Verdict {
        claim: "On a quiet feed polling keeps costing requests and bytes, nearly all answers empty, while an idle \
                SSE or WebSocket connection costs almost nothing."
            .into(),
        source: SOURCE.into(),
        outcome,
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{data, step};
    use super::*;

    fn run(poll_empty: u64, poll_bytes: u64, ws_bytes: u64) -> Section {
        shape(&data(
            "idle-cost",
            vec![
                step(Transport::Poll, 10, |s| {
                    s.bench.integrity.delivered = 0;
                    s.bench.requests = 100;
                    s.bench.empty_responses = poll_empty;
                    s.bench.bytes = Default::default();
                    s.bench.bytes.request_headers = poll_bytes;
                    s.bench.bytes.sent = poll_bytes;
                }),
                step(Transport::Ws, 10, |s| {
                    s.bench.integrity.delivered = 0;
                    s.bench.bytes = Default::default();
                    s.bench.bytes.framing = ws_bytes;
                    s.bench.bytes.received = ws_bytes;
                }),
            ],
        ))
    }

    #[test]
    fn supported_when_polling_wastes() {
        let s = run(100, 20_000, 100);
        assert_eq!(s.verdicts[0].outcome, Outcome::Supported, "{}", s.verdicts[0].evidence);
        assert_eq!(s.charts.len(), 2);
    }

    #[test]
    fn not_supported_when_push_costs_as_much() {
        assert_eq!(run(100, 20_000, 10_000).verdicts[0].outcome, Outcome::NotSupported);
        assert_eq!(run(50, 20_000, 100).verdicts[0].outcome, Outcome::NotSupported);
    }

    #[test]
    fn per_client_rates() {
        let s = run(100, 20_000, 100);
        // 20,000 B over 10 s and 10 clients = 200 B/s per client.
        assert_eq!(s.tables[0].rows[0][5], "200");
        assert_eq!(s.tables[0].rows[0][6], "100%");
    }
}
