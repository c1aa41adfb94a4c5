//! Experiment 7, `overload`: a polling storm past capacity, sampled every second. Claims tested (DESIGN 3):
//! over capacity the server answers 503 + Retry-After quickly instead of collapsing, and it recovers once
//! the storm passes.

use super::{Section, Table, cell, median, ms, step_name};
use crate::chart::{Axis, Chart, Color, LineKind, Panel, Series, TimelineChart};
use crate::data::{ExperimentData, Sample, Step, Transport};
use crate::style::format_number;
use crate::verdict::{Outcome, Verdict};

/// A p99 latency above this during the storm counts as collapsing rather than shedding, ms.
pub const QUICK_MS: f64 = 1000.0;
/// How many final samples must be clean (no 503, no errors, quick) for "recovered".
pub const RECOVERY_SAMPLES: usize = 3;

const SOURCE: &str = "feedlab DESIGN 3 (load shedding), after the usual advice to shed load rather than queue";

fn timeline_chart(name: String, s: &Step) -> Chart {
    let t = s.transport().unwrap_or(Transport::Poll);
    let pick = |f: fn(&Sample) -> f64| s.timeline.iter().map(|x| (x.t_s, f(x))).collect::<Vec<_>>();
    let mut top = vec![
        Series {
            label: format!("{} requests/s", t.name()),
            color: Color::Transport(t),
            kind: LineKind::Measured,
            points: pick(|x| x.requests_per_s),
        },
        Series { label: "503 answers/s".into(), color: Color::Rejected, kind: LineKind::Measured, points: pick(|x| x.rejected_503_per_s) },
    ];
    if s.timeline.iter().any(|x| x.errors_per_s > 0.0) {
        top.push(Series { label: "other errors/s".into(), color: Color::Error, kind: LineKind::Measured, points: pick(|x| x.errors_per_s) });
    }
    let top_values: Vec<f64> = top.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    let p99: Vec<(f64, f64)> = s.timeline.iter().filter(|x| x.p99_us > 0.0).map(|x| (x.t_s, ms(x.p99_us))).collect();
    Chart::Timeline(TimelineChart {
        name,
        title: format!("Overload timeline: {}", step_name(s)),
        x: Axis::linear("time since step start (s)"),
        panels: vec![
            Panel { y: Axis::auto("answers per second (1/s)", top_values), series: top },
            Panel {
                y: Axis::auto("p99 latency (ms)", p99.iter().map(|p| p.1)),
                series: vec![Series { label: "p99 latency".into(), color: Color::Ink, kind: LineKind::Measured, points: p99 }],
            },
        ],
    })
}

pub(super) fn shape(data: &ExperimentData) -> Section {
    let mut section = Section::empty(data);
    section.intro = "More pollers than the server admits, then a quiet period; the harness samples answers, 503s \
                     and latency every second."
        .into();
    let with_timeline: Vec<&Step> = data.steps.iter().filter(|s| !s.timeline.is_empty()).collect();
    section.charts = with_timeline
        .iter()
        .enumerate()
        .map(|(i, s)| timeline_chart(if i == 0 { "timeline".into() } else { format!("timeline-{}", i + 1) }, s))
        .collect();
    if with_timeline.is_empty() {
        section.notes.push("No step has a per-second timeline, so there is no timeline chart.".into());
    }
    section.tables = vec![Table {
        caption: "Per step totals.".into(),
        header: ["step", "transport", "clients", "requests", "503s", "other errors", "p50 ms", "p99 ms", "max ms"]
            .map(String::from)
            .to_vec(),
        rows: data
            .steps
            .iter()
            .map(|s| {
                let l = &s.bench.latency_us;
                vec![
                    step_name(s),
                    s.transport().map_or("-", Transport::name).into(),
                    cell(s.clients() as f64),
                    cell(s.bench.requests as f64),
                    cell(s.bench.errors.rejected_503() as f64),
                    cell(s.bench.errors.other() as f64),
                    cell(ms(l.p50)),
                    cell(ms(l.p99)),
                    cell(ms(l.max)),
                ]
            })
            .collect(),
    }];
    // Verdicts on the longest timeline.
    let main = with_timeline.iter().max_by_key(|s| s.timeline.len()).map(|s| s.timeline.as_slice()).unwrap_or(&[]);
    section.verdicts = vec![shed(main), recover(main)];
    section
}

fn shed(t: &[Sample]) -> Verdict {
    let rejected: f64 = t.iter().map(|x| x.rejected_503_per_s).sum();
    let errors: f64 = t.iter().map(|x| x.errors_per_s).sum();
    let storm_p99 = t.iter().filter(|x| x.rejected_503_per_s > 0.0).map(|x| ms(x.p99_us)).fold(0f64, f64::max);
    let outcome = if t.is_empty() || rejected == 0.0 {
        Outcome::Inconclusive
    } else {
        Outcome::from_bool(errors == 0.0 && storm_p99 <= QUICK_MS)
    };
    Verdict {
        claim: "Past capacity the server answers 503 with Retry-After at once instead of queueing until it \
                collapses."
            .into(),
        source: SOURCE.into(),
        outcome,
        evidence: if t.is_empty() {
            "no timeline was recorded.".into()
        } else if rejected == 0.0 {
            "no 503 answers: the storm never went past capacity, so shedding was not exercised.".into()
        } else {
            format!(
                "{} answers were 503 and {} other errors occurred; the worst p99 in a second with 503s was {} ms \
                 (threshold: no other errors, p99 ≤ {} ms).",
                format_number(rejected),
                format_number(errors),
                format_number(storm_p99),
                format_number(QUICK_MS)
            )
        },
    }
}

fn recover(t: &[Sample]) -> Verdict {
    let first_503 = t.iter().position(|x| x.rejected_503_per_s > 0.0);
    let tail = &t[t.len().saturating_sub(RECOVERY_SAMPLES)..];
    let clean =
        |x: &Sample| x.rejected_503_per_s == 0.0 && x.errors_per_s == 0.0 && ms(x.p99_us) <= QUICK_MS && x.requests_per_s > 0.0;
    let outcome = match first_503 {
        None => Outcome::Inconclusive,
        Some(i) if i + RECOVERY_SAMPLES >= t.len() => Outcome::Inconclusive,
        Some(_) => Outcome::from_bool(tail.iter().all(clean)),
    };
    let tail_p99 = median(tail.iter().map(|x| ms(x.p99_us)).collect());
    Verdict {
        claim: "After the storm the server recovers: no more 503s and normal latency.".into(),
        source: SOURCE.into(),
        outcome,
        evidence: match first_503 {
            None => "no 503s, so there was nothing to recover from.".into(),
            Some(i) if i + RECOVERY_SAMPLES >= t.len() => {
                format!("the timeline ends within {RECOVERY_SAMPLES} s of the first 503: too short to see recovery.")
            }
            Some(_) => format!(
                "in the last {} s: {} 503s/s, {} errors/s, median p99 {} ms, {} requests/s answered (needed: no 503s \
                 or errors, p99 ≤ {} ms, still answering).",
                tail.len(),
                tail.iter().map(|x| format_number(x.rejected_503_per_s)).collect::<Vec<_>>().join("/"),
                tail.iter().map(|x| format_number(x.errors_per_s)).collect::<Vec<_>>().join("/"),
                tail_p99.map_or("-".into(), format_number),
                tail.iter().map(|x| format_number(x.requests_per_s)).collect::<Vec<_>>().join("/"),
                format_number(QUICK_MS)
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{data, step};
    use super::*;

    fn sample(t: f64, req: f64, rej: f64, err: f64, p99_ms: f64) -> Sample {
        Sample { t_s: t, requests_per_s: req, rejected_503_per_s: rej, errors_per_s: err, delivered_per_s: 0.0, p99_us: p99_ms * 1000.0 }
    }

    fn run(timeline: Vec<Sample>) -> Section {
        shape(&data("overload", vec![step(Transport::Poll, 1000, |s| s.timeline = timeline)]))
    }

    #[test]
    fn sheds_and_recovers() {
        let mut t: Vec<Sample> = (0..5).map(|i| sample(i as f64, 5000.0, 2000.0, 0.0, 40.0)).collect();
        t.extend((5..10).map(|i| sample(i as f64, 1000.0, 0.0, 0.0, 5.0)));
        let s = run(t);
        assert_eq!(s.verdicts[0].outcome, Outcome::Supported, "{}", s.verdicts[0].evidence);
        assert_eq!(s.verdicts[1].outcome, Outcome::Supported, "{}", s.verdicts[1].evidence);
        assert_eq!(s.charts[0].name(), "timeline");
    }

    #[test]
    fn collapse_and_no_recovery() {
        let t: Vec<Sample> = (0..10).map(|i| sample(i as f64, 100.0, 50.0, 10.0, 5000.0)).collect();
        let s = run(t);
        assert_eq!(s.verdicts[0].outcome, Outcome::NotSupported);
        assert_eq!(s.verdicts[1].outcome, Outcome::NotSupported);
    }

    #[test]
    fn no_storm_is_inconclusive() {
        let t: Vec<Sample> = (0..10).map(|i| sample(i as f64, 100.0, 0.0, 0.0, 5.0)).collect();
        let s = run(t);
        assert_eq!(s.verdicts[0].outcome, Outcome::Inconclusive);
        assert_eq!(s.verdicts[1].outcome, Outcome::Inconclusive);
        assert!(run(Vec::new()).charts.is_empty());
    }
}
