//! Experiment 2, `latency-vs-interval`: polling at intervals from 100 ms to 5 s against long-poll, SSE and
//! WebSocket. Claims tested: a poller waits on average half its interval (theory line interval/2), and push
//! transports deliver faster than polling at any interval.

use super::{Column, Section, Table, median, ms, of, push, step_table, transports};
use crate::chart::{Axis, Chart, Color, LineChart, LineKind, Series};
use crate::data::{ExperimentData, Step, Transport};
use crate::style::format_number;
use crate::text::{Text, tr, transport};
use crate::verdict::{Outcome, Verdict, close_to};

/// Tolerance of the interval/2 verdict: a share of interval/2 ...
pub const HALF_INTERVAL_REL: f64 = 0.2;
/// ... plus this many milliseconds (scheduling and network time on top of the wait).
pub const HALF_INTERVAL_ABS_MS: f64 = 5.0;

/// Polling points: (interval ms, p50 ms, p99 ms), sorted by interval.
fn poll_points(data: &ExperimentData) -> Vec<(f64, f64, f64)> {
    let mut p: Vec<_> = of(data, Transport::Poll)
        .filter_map(|s| {
            let l = &s.bench.latency_us;
            Some((s.params.poll_interval_ms?, ms(l.p50 as f64), ms(l.p99 as f64)))
        })
        .collect();
    p.sort_by(|a, b| a.0.total_cmp(&b.0));
    p
}

/// Median p50 (ms) of a push transport over its steps.
fn push_p50(data: &ExperimentData, t: Transport) -> Option<f64> {
    median(of(data, t).map(|s| ms(s.bench.latency_us.p50 as f64)).collect())
}

pub(super) fn shape(data: &ExperimentData) -> Section {
    let poll = poll_points(data);
    let mut section = Section::empty(data);
    section.intro = tr!(INTERVAL_INTRO);
    let (x_lo, x_hi) = match (poll.first(), poll.last()) {
        (Some(a), Some(b)) => (a.0, b.0),
        _ => (100.0, 5000.0),
    };
    let mut series = vec![
        Series {
            label: tr!(SERIES_PERCENTILE, transport = transport(Transport::Poll), percentile = "p50"),
            color: Color::Transport(Transport::Poll),
            kind: LineKind::Measured,
            points: poll.iter().map(|p| (p.0, p.1)).collect(),
        },
        Series {
            label: tr!(SERIES_PERCENTILE, transport = transport(Transport::Poll), percentile = "p99"),
            color: Color::Transport(Transport::Poll),
            kind: LineKind::MeasuredDashed,
            points: poll.iter().map(|p| (p.0, p.2)).collect(),
        },
        Series {
            label: tr!(INTERVAL_THEORY),
            color: Color::Theory,
            kind: LineKind::Theory,
            points: vec![(x_lo, x_lo / 2.0), (x_hi, x_hi / 2.0)],
        },
    ];
    for t in push() {
        if let Some(p50) = push_p50(data, t) {
            series.push(Series {
                label: tr!(INTERVAL_PUSH, transport = transport(t)),
                color: Color::Transport(t),
                kind: LineKind::Level,
                points: vec![(x_lo, p50), (x_hi, p50)],
            });
        }
    }
    let y_values: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    section.charts = vec![Chart::Lines(LineChart {
        name: "latency".into(),
        title: tr!(INTERVAL_TITLE),
        x: Axis::log(tr!(INTERVAL_X)),
        y: Axis::auto(tr!(INTERVAL_Y), y_values),
        series,
    })];
    section.tables = vec![table(data)];
    section.verdicts = vec![half_interval(&poll), push_faster(data, &poll)];
    section
}

fn table(data: &ExperimentData) -> Table {
    // The interval only means something for polling: other transports' rows leave it out.
    let interval = |s: &Step| s.params.poll_interval_ms.filter(|_| s.params.transport == Transport::Poll);
    step_table(
        tr!(INTERVAL_TABLE),
        transports(data).into_iter().flat_map(|t| of(data, t)),
        vec![
            Column::optional(tr!(INTERVAL_COLUMN_INTERVAL), interval),
            Column::optional(tr!(INTERVAL_COLUMN_HALF), move |s| interval(s).map(|i| i / 2.0)),
            Column::p50_ms(),
            Column::p99_ms(),
            Column::number(tr!(INTERVAL_COLUMN_MEAN), |s| ms(s.bench.latency_us.mean)),
            Column::requests(),
        ],
    )
}

/// Polling p50 is interval/2 within tolerance at every measured interval.
fn half_interval(poll: &[(f64, f64, f64)]) -> Verdict {
    let misses: Vec<Text> = poll
        .iter()
        .filter(|p| !close_to(p.1, p.0 / 2.0, HALF_INTERVAL_REL, HALF_INTERVAL_ABS_MS))
        .map(|p| tr!(INTERVAL_HALF_MISS, interval = format_number(p.0), p50 = format_number(p.1)))
        .collect();
    let outcome = if poll.is_empty() { Outcome::Inconclusive } else { Outcome::from_bool(misses.is_empty()) };
    let listed: Vec<Text> = poll
        .iter()
        .map(|p| tr!(INTERVAL_HALF_POINT, interval = format_number(p.0), p50 = format_number(p.1)))
        .collect();
    let evidence = tr!(
        INTERVAL_HALF_EVIDENCE,
        list = if listed.is_empty() { tr!(INTERVAL_HALF_NONE) } else { Text::join(listed, &tr!(LIST_COMMA)) },
        rel = (HALF_INTERVAL_REL * 100.0).to_string(),
        abs = HALF_INTERVAL_ABS_MS.to_string(),
        misses = if misses.is_empty() {
            Text::default()
        } else {
            tr!(INTERVAL_HALF_MISSES, list = Text::join(misses, &tr!(LIST_SEMICOLON)))
        }
    );
    // The claim is the textbook model of polling: messages arrive uniformly within an interval.
    Verdict { claim: tr!(INTERVAL_HALF_CLAIM), source: tr!(SOURCE_TEXTBOOK_POLLING), outcome, evidence }
}

/// Every push transport's p50 is below polling's p50 at the shortest measured interval.
fn push_faster(data: &ExperimentData, poll: &[(f64, f64, f64)]) -> Verdict {
    let p50s: Vec<(Transport, f64)> = push().filter_map(|t| Some((t, push_p50(data, t)?))).collect();
    let fastest_poll = poll.first();
    let outcome = match fastest_poll {
        Some(p) if !p50s.is_empty() => Outcome::from_bool(p50s.iter().all(|(_, v)| *v < p.1)),
        _ => Outcome::Inconclusive,
    };
    let items = p50s.iter().map(|(t, v)| tr!(INTERVAL_FASTER_ITEM, transport = transport(*t), p50 = format_number(*v)));
    let evidence = tr!(
        INTERVAL_FASTER_EVIDENCE,
        list = Text::join(items, &tr!(LIST_COMMA)),
        interval = fastest_poll.map_or("-".into(), |p| tr!(INTERVAL_FASTER_INTERVAL, interval = format_number(p.0))),
        p50 = fastest_poll.map_or("-".into(), |p| format_number(p.1)),
    );
    Verdict { claim: tr!(INTERVAL_FASTER_CLAIM), source: tr!(SOURCE_TEXTBOOK_POLLING), outcome, evidence }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{data, step};
    use super::*;
    use crate::text::Lang;

    fn poll(interval: f64, p50_ms: f64) -> crate::data::Step {
        step(Transport::Poll, 10, |s| {
            s.params.poll_interval_ms = Some(interval);
            s.bench.latency_us.p50 = (p50_ms * 1000.0) as u64;
            s.bench.latency_us.p99 = (interval * 990.0) as u64;
        })
    }

    fn ws(p50_ms: f64) -> crate::data::Step {
        step(Transport::Ws, 10, |s| s.bench.latency_us.p50 = (p50_ms * 1000.0) as u64)
    }

    #[test]
    fn half_interval_supported_when_on_theory() {
        let s = shape(&data("latency-vs-interval", vec![poll(100.0, 52.0), poll(1000.0, 490.0), ws(0.5)]));
        assert_eq!(s.verdicts[0].outcome, Outcome::Supported);
        assert_eq!(s.verdicts[1].outcome, Outcome::Supported);
    }

    #[test]
    fn half_interval_not_supported_when_off() {
        let s = shape(&data("latency-vs-interval", vec![poll(100.0, 52.0), poll(1000.0, 900.0), ws(80.0)]));
        assert_eq!(s.verdicts[0].outcome, Outcome::NotSupported);
        assert!(s.verdicts[0].evidence[Lang::En].contains("1000 ms interval"));
        assert!(s.verdicts[0].evidence[Lang::Zh].contains("间隔 1000 ms"));
        assert_eq!(s.verdicts[1].outcome, Outcome::NotSupported);
    }

    #[test]
    fn no_polling_is_inconclusive() {
        let s = shape(&data("latency-vs-interval", vec![ws(1.0)]));
        assert_eq!(s.verdicts[0].outcome, Outcome::Inconclusive);
        assert_eq!(s.verdicts[1].outcome, Outcome::Inconclusive);
    }

    #[test]
    fn chart_has_theory_and_push_levels() {
        let s = shape(&data("latency-vs-interval", vec![poll(100.0, 52.0), poll(5000.0, 2500.0), ws(0.5)]));
        let Chart::Lines(c) = &s.charts[0] else { panic!() };
        assert!(c.x.log);
        let theory = c.series.iter().find(|s| s.kind == LineKind::Theory).unwrap();
        assert_eq!(theory.points, vec![(100.0, 50.0), (5000.0, 2500.0)]);
        assert!(c.series.iter().any(|s| s.label[Lang::En].starts_with("ws p50")));
        assert!(c.series.iter().any(|s| s.label[Lang::Zh].starts_with("WebSocket p50（无间隔）")));
    }
}
