//! Experiment 6, `rtt`: 0 / 50 / 150 ms simulated round trip. Claims tested: a pushed message arrives one
//! one-way delay (RTT/2) later, while long-polling pays an extra trip because the client must ask again
//! after every answer.

use super::{Column, Section, median, ms, of, step_table, streaming, transports};
use crate::chart::{Axis, Chart, Color, LineChart, LineKind, Series};
use crate::data::{ExperimentData, Transport};
use crate::style::format_number;
use crate::text::{Text, tr, transport};
use crate::verdict::{Outcome, Verdict, all, close_to};

/// Tolerance of "push adds RTT/2": a share of RTT/2 ...
pub const ONE_WAY_REL: f64 = 0.3;
/// ... plus this many milliseconds.
pub const ONE_WAY_ABS_MS: f64 = 5.0;
/// Long-poll must be slower than WebSocket by at least this share of the RTT for "extra trip".
pub const EXTRA_TRIP_SHARE: f64 = 0.25;

/// (rtt ms, p50 ms) per transport, sorted by RTT; several steps at one RTT give their median.
fn p50_by_rtt(data: &ExperimentData, t: Transport) -> Vec<(f64, f64)> {
    let mut rtts: Vec<f64> = of(data, t).map(|s| s.params.rtt_ms).collect();
    rtts.sort_by(f64::total_cmp);
    rtts.dedup();
    rtts.into_iter()
        .filter_map(|r| {
            let p50s = of(data, t).filter(|s| s.params.rtt_ms == r).map(|s| ms(s.bench.latency_us.p50 as f64));
            let v = median(p50s.collect())?;
            Some((r, v))
        })
        .collect()
}

pub(super) fn shape(data: &ExperimentData) -> Section {
    let mut section = Section::empty(data);
    section.intro = tr!(RTT_INTRO);
    let mut series: Vec<Series> = transports(data)
        .into_iter()
        .map(|t| Series {
            label: tr!(SERIES_PERCENTILE, transport = transport(t), percentile = "p50"),
            color: Color::Transport(t),
            kind: LineKind::Measured,
            points: p50_by_rtt(data, t),
        })
        .collect();
    // Theory: the fastest push transport's latency without delay, plus the one-way delay RTT/2.
    let base = streaming()
        .filter_map(|t| p50_by_rtt(data, t).into_iter().find(|p| p.0 == 0.0).map(|p| (t, p.1)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    let mut rtts: Vec<f64> = data.steps.iter().map(|s| s.params.rtt_ms).collect();
    rtts.sort_by(f64::total_cmp);
    rtts.dedup();
    if let Some((t, b)) = base.filter(|_| rtts.len() > 1) {
        series.push(Series {
            label: tr!(RTT_THEORY, transport = transport(t)),
            color: Color::Theory,
            kind: LineKind::Theory,
            points: rtts.iter().map(|r| (*r, b + r / 2.0)).collect(),
        });
    }
    let ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).filter(|v| *v > 0.0).collect();
    section.charts = vec![Chart::Lines(LineChart {
        name: "latency".into(),
        title: tr!(RTT_TITLE),
        x: Axis::linear(tr!(RTT_X)),
        y: Axis::auto(tr!(AXIS_LATENCY, percentile = "p50"), ys),
        series,
    })];
    section.tables = vec![step_table(
        tr!(RTT_TABLE),
        &data.steps,
        vec![
            Column::number(tr!(RTT_COLUMN_RTT), |s| s.params.rtt_ms),
            Column::p50_ms(),
            Column::number(tr!(COLUMN_PERCENTILE_MS, percentile = "p90"), |s| ms(s.bench.latency_us.p90 as f64)),
            Column::p99_ms(),
            Column::requests(),
        ],
    )];
    section.verdicts = vec![one_way(data), extra_trip(data)];
    section
}

/// Added latency from RTT 0 to the largest RTT, for a transport: (rtt, added ms).
fn added(data: &ExperimentData, t: Transport) -> Option<(f64, f64)> {
    let p = p50_by_rtt(data, t);
    let base = p.iter().find(|x| x.0 == 0.0)?;
    let top = p.last().filter(|x| x.0 > 0.0)?;
    Some((top.0, top.1 - base.1))
}

fn one_way(data: &ExperimentData) -> Verdict {
    let measured: Vec<(Transport, f64, f64)> = streaming()
        .filter_map(|t| {
            let (rtt, add) = added(data, t)?;
            Some((t, rtt, add))
        })
        .collect();
    let outcome = all(measured
        .iter()
        .map(|(_, rtt, add)| Outcome::from_bool(close_to(*add, rtt / 2.0, ONE_WAY_REL, ONE_WAY_ABS_MS))));
    let list = if measured.is_empty() {
        tr!(RTT_ONE_WAY_NONE)
    } else {
        let items = measured.iter().map(|(t, rtt, add)| {
            tr!(
                RTT_ONE_WAY_ITEM,
                transport = transport(*t),
                added = format_number(*add),
                rtt = format_number(*rtt),
                half = format_number(rtt / 2.0)
            )
        });
        Text::join(items, &tr!(LIST_SEMICOLON))
    };
    Verdict {
        claim: tr!(RTT_ONE_WAY_CLAIM),
        source: tr!(SOURCE_PUSH_VS_LONGPOLL),
        outcome,
        evidence: tr!(
            RTT_ONE_WAY_EVIDENCE,
            list = list,
            rel = (ONE_WAY_REL * 100.0).to_string(),
            abs = ONE_WAY_ABS_MS.to_string()
        ),
    }
}

fn extra_trip(data: &ExperimentData) -> Verdict {
    let lp = p50_by_rtt(data, Transport::Longpoll);
    let ws = p50_by_rtt(data, Transport::Ws);
    let top =
        lp.iter().filter(|l| l.0 > 0.0).filter_map(|l| Some((l.0, l.1, ws.iter().find(|w| w.0 == l.0)?.1))).next_back();
    let outcome = match top {
        Some((rtt, l, w)) => Outcome::from_bool(l - w >= EXTRA_TRIP_SHARE * rtt),
        None => Outcome::Inconclusive,
    };
    Verdict {
        claim: tr!(RTT_EXTRA_TRIP_CLAIM),
        source: tr!(SOURCE_PUSH_VS_LONGPOLL),
        outcome,
        evidence: match top {
            Some((rtt, l, w)) => tr!(
                RTT_EXTRA_TRIP_EVIDENCE,
                rtt = format_number(rtt),
                longpoll = format_number(l),
                ws = format_number(w),
                more = format_number(l - w),
                share = (EXTRA_TRIP_SHARE * 100.0).to_string(),
                threshold = format_number(EXTRA_TRIP_SHARE * rtt),
                hidden = if outcome == Outcome::NotSupported { tr!(RTT_EXTRA_TRIP_HIDDEN) } else { Text::default() }
            ),
            None => tr!(RTT_EXTRA_TRIP_NONE),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{data, step};
    use super::*;
    use crate::text::Lang;

    fn at(t: Transport, rtt: f64, p50_ms: f64) -> crate::data::Step {
        step(t, 10, |s| {
            s.params.rtt_ms = rtt;
            s.bench.latency_us.p50 = (p50_ms * 1000.0) as u64;
        })
    }

    /// WebSocket and long-poll at 1 ms without delay, and at `ws` and `lp` ms p50 with a 150 ms RTT.
    fn at_150(ws: f64, lp: f64) -> Section {
        let steps = [(Transport::Ws, ws), (Transport::Longpoll, lp)]
            .into_iter()
            .flat_map(|(t, p50)| [at(t, 0.0, 1.0), at(t, 150.0, p50)])
            .collect();
        shape(&data("rtt", steps))
    }

    #[test]
    fn supported_both() {
        let s = at_150(76.0, 200.0);
        assert_eq!(s.verdicts[0].outcome, Outcome::Supported, "{:?}", s.verdicts[0].evidence);
        assert_eq!(s.verdicts[1].outcome, Outcome::Supported, "{:?}", s.verdicts[1].evidence);
    }

    #[test]
    fn not_supported_both() {
        let s = at_150(160.0, 165.0);
        assert_eq!(s.verdicts[0].outcome, Outcome::NotSupported);
        assert_eq!(s.verdicts[1].outcome, Outcome::NotSupported);
        assert!(s.verdicts[1].evidence[Lang::En].contains("does not show"));
        assert!(s.verdicts[1].evidence[Lang::Zh].contains("没有体现在延迟中"));
    }

    #[test]
    fn no_rtt_is_inconclusive() {
        let s = shape(&data("rtt", vec![at(Transport::Ws, 0.0, 1.0)]));
        assert_eq!(s.verdicts[0].outcome, Outcome::Inconclusive);
        assert_eq!(s.verdicts[1].outcome, Outcome::Inconclusive);
    }
}
