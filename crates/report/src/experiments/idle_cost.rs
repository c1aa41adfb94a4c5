//! Experiment 3, `idle-cost`: a quiet feed. Claim tested: polling keeps paying requests and bytes when nothing
//! happens (nearly every answer empty) while an idle push connection costs almost nothing.

use super::{Column, Section, of, step_table, streaming, transports};
use crate::chart::{Axis, BarChart, BarSeries, Chart, Color};
use crate::data::{ExperimentData, Step, Transport};
use crate::style::format_number;
use crate::text::{Text, tr, transport};
use crate::verdict::{Outcome, Verdict, ratio};

/// Share of empty poll answers needed for "supported".
pub const EMPTY_SHARE_MIN: f64 = 0.9;
/// How many times more bytes per second an idle poller must cost than the costliest idle push client.
pub const BYTES_FACTOR: f64 = 10.0;

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

fn bars(name: &str, title: Text, y: Text, idle: &[Idle], value: impl Fn(&Idle) -> Option<f64>) -> Chart {
    let groups: Vec<Text> = idle.iter().map(|i| transport(i.transport)).collect();
    Chart::Bars(BarChart {
        name: name.into(),
        title,
        x_label: tr!(IDLE_X),
        y: Axis::auto(y, idle.iter().filter_map(&value)),
        series: idle
            .iter()
            .enumerate()
            .map(|(g, i)| BarSeries {
                label: transport(i.transport),
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
    section.intro = tr!(IDLE_INTRO);
    section.charts = vec![
        bars("requests", tr!(IDLE_REQUESTS_TITLE), tr!(IDLE_REQUESTS_Y), &idle, |i| i.requests_per_s),
        bars("bytes", tr!(IDLE_BYTES_TITLE), tr!(IDLE_BYTES_Y), &idle, |i| i.bytes_per_s),
    ];
    section.tables = vec![step_table(
        tr!(IDLE_TABLE),
        &data.steps,
        vec![
            Column::clients(),
            Column::number(tr!(IDLE_COLUMN_SECONDS), |s| s.bench.duration_s),
            Column::optional(tr!(IDLE_COLUMN_REQUESTS), |s| per_client_per_s(s.bench.requests, s)),
            Column::optional(tr!(IDLE_COLUMN_BYTES), |s| per_client_per_s(wire_bytes(s), s)),
            Column::text(tr!(IDLE_COLUMN_EMPTY), |s| {
                empty_share(s).map_or("-".into(), |r| format!("{}%", format_number(r * 100.0)).into())
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
    let evidence = tr!(
        IDLE_EVIDENCE,
        requests = poll.and_then(|p| p.requests_per_s).map_or("-".into(), format_number),
        bytes = poll.and_then(|p| p.bytes_per_s).map_or("-".into(), format_number),
        empty = poll.and_then(|p| p.empty_share).map_or("-".into(), |e| format!("{}%", format_number(e * 100.0))),
        transport = push_max.map_or("-".into(), |p| transport(p.0)),
        push_bytes = push_max.map_or("-".into(), |p| format_number(p.1)),
        min_empty = (EMPTY_SHARE_MIN * 100.0).to_string(),
        factor = BYTES_FACTOR.to_string()
    );
    Verdict { claim: tr!(IDLE_CLAIM), source: tr!(SOURCE_POLLING_VS_PUSH), outcome, evidence }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{data, step};
    use super::*;
    use crate::text::Lang;

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
        assert_eq!(s.verdicts[0].outcome, Outcome::Supported, "{:?}", s.verdicts[0].evidence);
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
        assert_eq!(&s.tables[0].rows[0][5][Lang::En], "200");
        assert_eq!(&s.tables[0].rows[0][6][Lang::Zh], "100%");
    }
}
