//! Experiment 4, `message-rate`: 0.1 to 1,000 msg/s. Requests and overhead bytes per delivered message, and
//! latency, per transport. Claims tested: long-poll costs one request per message (until batching kicks in at
//! high rates: reported as the rate where it first needs less than half a request per message), and SSE and
//! WebSocket need no request per message.

use super::{Column, Section, ms, of, requests_per_message, step_table, streaming, transports};
use crate::chart::{Axis, Chart, Color, LineChart, LineKind, Series};
use crate::data::{ExperimentData, Step, Transport};
use crate::style::format_number;
use crate::text::{Text, tr, transport};
use crate::verdict::{Outcome, Verdict, all};

/// Long-poll at the lowest rate must need between these many requests per message for "one per message".
pub const ONE_PER_MESSAGE: (f64, f64) = (0.8, 1.5);
/// Below this many requests per message, long-poll is batching (several messages per answer).
pub const BATCHING_BELOW: f64 = 0.5;
/// SSE/WebSocket at the highest rate must need fewer requests per message than this.
pub const STREAM_MAX: f64 = 0.01;

/// (msg/s, value) per transport, sorted by rate.
fn points(data: &ExperimentData, t: Transport, f: impl Fn(&Step) -> Option<f64>) -> Vec<(f64, f64)> {
    let mut p: Vec<_> = of(data, t).filter_map(|s| Some((s.params.rate_per_s, f(s)?))).collect();
    p.sort_by(|a, b| a.0.total_cmp(&b.0));
    p
}

fn chart(
    data: &ExperimentData,
    name: &str,
    title: Text,
    y: Text,
    f: impl Fn(&Step) -> Option<f64> + Copy,
    extra: Vec<Series>,
) -> Chart {
    let mut series: Vec<Series> = transports(data)
        .into_iter()
        .map(|t| Series {
            label: transport(t),
            color: Color::Transport(t),
            kind: LineKind::Measured,
            points: points(data, t, f),
        })
        .collect();
    series.extend(extra);
    let ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    Chart::Lines(LineChart { name: name.into(), title, x: Axis::log(tr!(RATE_X)), y: Axis::auto(y, ys), series })
}

fn rate_range(data: &ExperimentData) -> Option<(f64, f64)> {
    let rates: Vec<f64> = data.steps.iter().map(|s| s.params.rate_per_s).filter(|r| *r > 0.0).collect();
    Some((rates.iter().copied().reduce(f64::min)?, rates.iter().copied().reduce(f64::max)?))
}

pub(super) fn shape(data: &ExperimentData) -> Section {
    let mut section = Section::empty(data);
    section.intro = tr!(RATE_INTRO);
    let mut theory = Vec::new();
    if let Some((lo, hi)) = rate_range(data) {
        theory.push(Series {
            label: tr!(RATE_ONE_PER_MESSAGE),
            color: Color::Theory,
            kind: LineKind::Level,
            points: vec![(lo, 1.0), (hi, 1.0)],
        });
        let interval = of(data, Transport::Poll).find_map(|s| s.params.poll_interval_ms);
        if let Some(i) = interval {
            // A poller sends 1000/i requests per second whatever the rate: 1000 / (i x rate) per message.
            theory.push(Series {
                label: tr!(RATE_POLL_THEORY, interval = format_number(i)),
                color: Color::Theory,
                kind: LineKind::Theory,
                points: vec![(lo, 1000.0 / (i * lo)), (hi, 1000.0 / (i * hi))],
            });
        }
    }
    section.charts = vec![
        chart(
            data,
            "requests-per-message",
            tr!(RATE_REQUESTS_TITLE),
            tr!(RATE_REQUESTS_Y),
            requests_per_message,
            theory,
        ),
        chart(
            data,
            "overhead-per-message",
            tr!(RATE_OVERHEAD_TITLE),
            tr!(RATE_OVERHEAD_Y),
            |s| s.bench.overhead_bytes_per_message.filter(|_| s.bench.integrity.delivered > 0),
            Vec::new(),
        ),
        chart(
            data,
            "latency",
            tr!(RATE_LATENCY_TITLE),
            tr!(AXIS_LATENCY, percentile = "p50"),
            |s| Some(ms(s.bench.latency_us.p50 as f64)).filter(|_| s.bench.integrity.delivered > 0),
            Vec::new(),
        ),
    ];
    section.tables = vec![step_table(
        tr!(RATE_TABLE),
        &data.steps,
        vec![
            Column::rate(),
            Column::delivered(),
            Column::optional(tr!(RATE_COLUMN_REQUESTS), requests_per_message),
            Column::overhead(),
            Column::p50_ms(),
            Column::p99_ms(),
        ],
    )];
    section.verdicts = vec![longpoll_verdict(data), stream_verdict(data), poll_vs_ws_verdict(data)];
    section
}

fn longpoll_verdict(data: &ExperimentData) -> Verdict {
    let lp = points(data, Transport::Longpoll, requests_per_message);
    let outcome = match lp.first() {
        Some((_, rpm)) => Outcome::from_bool((ONE_PER_MESSAGE.0..=ONE_PER_MESSAGE.1).contains(rpm)),
        None => Outcome::Inconclusive,
    };
    let batching = lp.iter().find(|p| p.1 < BATCHING_BELOW);
    let points = lp.iter().map(|p| tr!(RATE_LONGPOLL_POINT, rate = format_number(p.0), value = format_number(p.1)));
    let evidence = tr!(
        RATE_LONGPOLL_EVIDENCE,
        list = if lp.is_empty() { tr!(RATE_LONGPOLL_NONE) } else { Text::join(points, &tr!(LIST_COMMA)) },
        batching = match (batching, lp.last()) {
            (Some(b), _) => tr!(RATE_LONGPOLL_BATCHING, rate = format_number(b.0), messages = format_number(1.0 / b.1)),
            (None, Some(last)) => tr!(RATE_LONGPOLL_NO_BATCHING, rate = format_number(last.0)),
            (None, None) => Text::default(),
        },
        low = ONE_PER_MESSAGE.0.to_string(),
        high = ONE_PER_MESSAGE.1.to_string()
    );
    Verdict { claim: tr!(RATE_LONGPOLL_CLAIM), source: tr!(SOURCE_LONGPOLL_STREAMING), outcome, evidence }
}

/// The classic table compares one poll's headers with one WebSocket frame's header, which assumes one
/// message per poll. A poller on a fixed interval collects every message of the interval in one answer, so
/// at high rates its headers are shared: this verdict finds where that makes polling cheaper per message.
fn poll_vs_ws_verdict(data: &ExperimentData) -> Verdict {
    let overhead = |s: &Step| s.bench.overhead_bytes_per_message;
    let poll = points(data, Transport::Poll, overhead);
    let ws = points(data, Transport::Ws, overhead);
    let pairs: Vec<(f64, f64, f64)> =
        poll.iter().filter_map(|&(rate, p)| Some((rate, p, ws.iter().find(|w| w.0 == rate)?.1))).collect();
    let interval = of(data, Transport::Poll).find_map(|s| s.params.poll_interval_ms);
    let cheaper = pairs.iter().find(|(_, p, w)| p <= w);
    let outcome = if pairs.is_empty() { Outcome::Inconclusive } else { Outcome::from_bool(cheaper.is_none()) };
    let listing = pairs.iter().map(|(rate, p, w)| {
        tr!(
            RATE_OVERHEAD_VS_WS_PAIR,
            rate = format_number(*rate),
            poll = transport(Transport::Poll),
            poll_bytes = format_number(*p),
            ws = transport(Transport::Ws),
            ws_bytes = format_number(*w)
        )
    });
    let finding = match cheaper {
        Some((rate, _, _)) => tr!(
            RATE_OVERHEAD_VS_WS_CHEAPER,
            rate = format_number(*rate),
            every = interval.map(|ms| tr!(RATE_OVERHEAD_VS_WS_EVERY, interval = format_number(ms))).unwrap_or_default()
        ),
        None if !pairs.is_empty() => tr!(RATE_OVERHEAD_VS_WS_DEARER),
        None => Text::default(),
    };
    Verdict {
        claim: tr!(RATE_OVERHEAD_VS_WS_CLAIM),
        source: tr!(SOURCE_KAAZING),
        outcome,
        evidence: tr!(
            RATE_OVERHEAD_VS_WS_EVIDENCE,
            list = if pairs.is_empty() { tr!(RATE_OVERHEAD_VS_WS_NONE) } else { Text::join(listing, &tr!(LIST_COMMA)) },
            finding = finding
        ),
    }
}

fn stream_verdict(data: &ExperimentData) -> Verdict {
    let at_top: Vec<(Transport, f64)> =
        streaming().filter_map(|t| Some((t, points(data, t, requests_per_message).last()?.1))).collect();
    let outcome = all(at_top.iter().map(|(_, rpm)| Outcome::from_bool(*rpm < STREAM_MAX)));
    let items = at_top.iter().map(|(t, v)| tr!(RATE_STREAM_ITEM, transport = transport(*t), value = format_number(*v)));
    let evidence = tr!(
        RATE_STREAM_EVIDENCE,
        list = if at_top.is_empty() { tr!(RATE_STREAM_NONE) } else { Text::join(items, &tr!(LIST_COMMA)) },
        max = STREAM_MAX.to_string()
    );
    Verdict { claim: tr!(RATE_STREAM_CLAIM), source: tr!(SOURCE_LONGPOLL_STREAMING), outcome, evidence }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{data, step};
    use super::*;
    use crate::text::Lang;

    fn at(t: Transport, rate: f64, requests: u64, delivered: u64) -> Step {
        step(t, 10, |s| {
            s.params.rate_per_s = rate;
            s.bench.requests = requests;
            s.bench.integrity.delivered = delivered;
        })
    }

    #[test]
    fn longpoll_one_per_message_then_batching() {
        let s = shape(&data(
            "message-rate",
            vec![
                at(Transport::Longpoll, 0.1, 105, 100),
                at(Transport::Longpoll, 100.0, 2_000, 10_000),
                at(Transport::Ws, 0.1, 10, 100),
                at(Transport::Ws, 100.0, 10, 10_000),
            ],
        ));
        assert_eq!(s.verdicts[0].outcome, Outcome::Supported);
        assert!(
            s.verdicts[0].evidence[Lang::En].contains("Batching helps from 100 msg/s"),
            "{:?}",
            s.verdicts[0].evidence
        );
        assert!(s.verdicts[0].evidence[Lang::Zh].contains("从 100 条/秒起"), "{:?}", s.verdicts[0].evidence);
        assert_eq!(s.verdicts[1].outcome, Outcome::Supported);
        assert_eq!(s.charts.len(), 3);
    }

    fn overhead(t: Transport, rate: f64, bytes: f64) -> Step {
        step(t, 10, |s| {
            s.params.rate_per_s = rate;
            s.params.poll_interval_ms = (t == Transport::Poll).then_some(1000.0);
            s.bench.overhead_bytes_per_message = Some(bytes);
        })
    }

    #[test]
    fn polling_batches_below_websocket_at_high_rates() {
        let steps = |poll_fast: f64| {
            vec![
                overhead(Transport::Poll, 1.0, 270.0),
                overhead(Transport::Ws, 1.0, 4.0),
                overhead(Transport::Poll, 1000.0, poll_fast),
                overhead(Transport::Ws, 1000.0, 4.0),
            ]
        };
        let batching = shape(&data("message-rate", steps(1.3)));
        let v = &batching.verdicts[2];
        assert_eq!(v.outcome, Outcome::NotSupported, "{:?}", v.evidence);
        assert!(v.evidence[Lang::En].contains("From 1000 msg/s, polling every 1000 ms"), "{:?}", v.evidence);
        let always_dearer = shape(&data("message-rate", steps(40.0)));
        assert_eq!(always_dearer.verdicts[2].outcome, Outcome::Supported, "{:?}", always_dearer.verdicts[2].evidence);
    }

    #[test]
    fn not_supported_cases() {
        let s = shape(&data(
            "message-rate",
            vec![at(Transport::Longpoll, 0.1, 300, 100), at(Transport::Sse, 100.0, 5_000, 10_000)],
        ));
        assert_eq!(s.verdicts[0].outcome, Outcome::NotSupported);
        assert!(s.verdicts[0].evidence[Lang::En].contains("No batching"));
        assert_eq!(s.verdicts[1].outcome, Outcome::NotSupported);
    }
}
