//! Experiment 7, `overload`: a polling storm past capacity, sampled every second. Claims tested (DESIGN 3):
//! over capacity the server answers 503 + Retry-After quickly instead of collapsing, and it recovers once
//! the storm passes.

use super::{Column, Section, ms, step_name, step_table};
use crate::chart::{Axis, Chart, Color, LineKind, Panel, Series, TimelineChart};
use crate::data::{ExperimentData, Sample, Step};
use crate::style::format_number;
use crate::text::{Text, tr, transport};
use crate::verdict::{Outcome, Verdict};

/// A p99 latency above this during the storm counts as collapsing rather than shedding, ms.
pub const QUICK_MS: f64 = 1000.0;
/// How many final samples must be clean (no 503, no errors, quick) for "recovered".
pub const RECOVERY_SAMPLES: usize = 3;

/// A step's second-by-second figures, and whether they count 503 answers apart.
#[derive(Debug, Default)]
struct Seconds {
    samples: Vec<Sample>,
    /// True for the suite's own samples (from the server's `/stats`); the harness's timeline, used when the
    /// suite recorded none, counts errors of every kind together.
    rejected_known: bool,
}

impl Seconds {
    /// The suite's samples of `s` when it recorded them, else the harness's own timeline.
    fn of(s: &Step) -> Seconds {
        if !s.timeline.is_empty() {
            return Seconds { samples: s.timeline.clone(), rejected_known: true };
        }
        let samples = s
            .bench
            .timeline
            .iter()
            .map(|p| Sample {
                t_s: p.t_s,
                requests_per_s: p.requests as f64,
                errors_per_s: p.errors as f64,
                rejected_503_per_s: 0.0,
                delivered_per_s: p.delivered as f64,
                p99_us: None,
            })
            .collect();
        Seconds { samples, rejected_known: false }
    }

    /// 503 answers in one second, when known.
    fn rejected(&self, x: &Sample) -> Option<f64> {
        self.rejected_known.then_some(x.rejected_503_per_s)
    }
}

fn timeline_chart(name: String, s: &Step, t: &Seconds) -> Chart {
    let t_of_step = s.params.transport;
    let pick =
        |f: &dyn Fn(&Sample) -> Option<f64>| t.samples.iter().filter_map(|x| Some((x.t_s, f(x)?))).collect::<Vec<_>>();
    let mut top = vec![Series {
        label: tr!(OVERLOAD_REQUESTS, transport = transport(t_of_step)),
        color: Color::Transport(t_of_step),
        kind: LineKind::Measured,
        points: pick(&|x| Some(x.requests_per_s)),
    }];
    if t.rejected_known {
        top.push(Series {
            label: tr!(OVERLOAD_REJECTED),
            color: Color::Rejected,
            kind: LineKind::Measured,
            points: pick(&|x| Some(x.rejected_503_per_s)),
        });
        if t.samples.iter().any(|x| x.errors_per_s > x.rejected_503_per_s) {
            top.push(Series {
                label: tr!(OVERLOAD_OTHER_ERRORS),
                color: Color::Error,
                kind: LineKind::Measured,
                points: pick(&|x| Some(x.errors_per_s - x.rejected_503_per_s)),
            });
        }
    } else {
        top.push(Series {
            label: tr!(OVERLOAD_ERRORS),
            color: Color::Rejected,
            kind: LineKind::Measured,
            points: pick(&|x| Some(x.errors_per_s)),
        });
    }
    let top_values: Vec<f64> = top.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    let mut panels = vec![Panel { y: Axis::auto(tr!(OVERLOAD_PER_SECOND), top_values), series: top }];
    let p99 = pick(&|x| x.p99_us.filter(|v| *v > 0.0).map(ms));
    if !p99.is_empty() {
        panels.push(Panel {
            y: Axis::auto(tr!(AXIS_LATENCY, percentile = "p99"), p99.iter().map(|p| p.1)),
            series: vec![Series { label: tr!(OVERLOAD_P99), color: Color::Ink, kind: LineKind::Measured, points: p99 }],
        });
    }
    Chart::Timeline(TimelineChart {
        name,
        title: tr!(OVERLOAD_TITLE, step = step_name(s)),
        x: Axis::linear(tr!(OVERLOAD_X)),
        panels,
    })
}

pub(super) fn shape(data: &ExperimentData) -> Section {
    let mut section = Section::empty(data);
    section.intro = tr!(OVERLOAD_INTRO);
    let with_samples: Vec<(&Step, Seconds)> =
        data.steps.iter().map(|s| (s, Seconds::of(s))).filter(|(_, v)| !v.samples.is_empty()).collect();
    section.charts = with_samples
        .iter()
        .enumerate()
        .map(|(i, (s, v))| timeline_chart(if i == 0 { "timeline".into() } else { format!("timeline-{}", i + 1) }, s, v))
        .collect();
    if with_samples.is_empty() {
        section.notes.push(tr!(OVERLOAD_NO_TIMELINE));
    }
    section.tables = vec![step_table(
        tr!(OVERLOAD_TABLE),
        &data.steps,
        vec![
            Column::clients(),
            Column::requests(),
            Column::rejected(),
            Column::other_errors(),
            Column::p50_ms(),
            Column::p99_ms(),
            Column::number(tr!(OVERLOAD_COLUMN_MAX), |s| ms(s.bench.latency_us.max as f64)),
        ],
    )];
    // Verdicts on the step with the longest timeline (else the first step).
    let none = Seconds::default();
    let main = with_samples.iter().max_by_key(|(_, v)| v.samples.len()).map(|(s, v)| (*s, v));
    let main = main.or_else(|| data.steps.first().map(|s| (s, &none)));
    let samples = main.map_or(&none, |m| m.1);
    section.verdicts = vec![shed(main.map(|m| m.0), samples), recover(samples)];
    section
}

/// Worst p99 latency while shedding, ms, and what it was measured on.
fn storm_p99(step: &Step, t: &Seconds) -> (f64, Text) {
    let per_second =
        t.samples.iter().filter(|x| x.errors_per_s > 0.0).filter_map(|x| x.p99_us).map(ms).reduce(f64::max);
    match (per_second, step.bench.request_latency_us) {
        (Some(v), _) => (v, tr!(OVERLOAD_STORM_PER_SECOND)),
        (None, Some(r)) => (ms(r.p99 as f64), tr!(OVERLOAD_STORM_ANSWERS)),
        (None, None) => (ms(step.bench.latency_us.p99 as f64), tr!(OVERLOAD_STORM_DELIVERY)),
    }
}

fn shed(step: Option<&Step>, t: &Seconds) -> Verdict {
    let from_samples: f64 = t.samples.iter().filter_map(|x| t.rejected(x)).sum();
    let rejected = (step.map_or(0, |s| s.bench.rejected_503()) as f64).max(from_samples);
    let other = match step.filter(|s| s.bench.errors_total() > 0) {
        Some(s) => super::other_errors(s) as f64,
        None => t.samples.iter().map(|x| x.errors_per_s - t.rejected(x).unwrap_or(x.errors_per_s)).sum(),
    };
    let Some(step) = step.filter(|_| rejected > 0.0) else {
        return Verdict {
            claim: tr!(OVERLOAD_SHED_CLAIM),
            source: tr!(SOURCE_SHEDDING),
            outcome: Outcome::Inconclusive,
            evidence: tr!(OVERLOAD_SHED_NO_STORM),
        };
    };
    let (p99, what) = storm_p99(step, t);
    Verdict {
        claim: tr!(OVERLOAD_SHED_CLAIM),
        source: tr!(SOURCE_SHEDDING),
        outcome: Outcome::from_bool(other == 0.0 && p99 <= QUICK_MS),
        evidence: tr!(
            OVERLOAD_SHED_EVIDENCE,
            rejected = format_number(rejected),
            other = format_number(other),
            what = what,
            p99 = format_number(p99),
            quick = format_number(QUICK_MS)
        ),
    }
}

fn recover(seconds: &Seconds) -> Verdict {
    let t = &seconds.samples;
    let first_error = t.iter().position(|x| x.errors_per_s > 0.0 || seconds.rejected(x).is_some_and(|r| r > 0.0));
    let tail = &t[t.len().saturating_sub(RECOVERY_SAMPLES)..];
    let clean = |x: &Sample| {
        x.errors_per_s == 0.0
            && seconds.rejected(x).is_none_or(|r| r == 0.0)
            && x.requests_per_s > 0.0
            && x.p99_us.is_none_or(|p| ms(p) <= QUICK_MS)
    };
    let too_short = |i: usize| i + RECOVERY_SAMPLES >= t.len();
    let outcome = match first_error {
        None => Outcome::Inconclusive,
        Some(i) if too_short(i) => Outcome::Inconclusive,
        Some(_) => Outcome::from_bool(tail.iter().all(clean)),
    };
    let join = |f: &dyn Fn(&Sample) -> String| tail.iter().map(f).collect::<Vec<_>>().join("/");
    let p99 = tail.iter().any(|x| x.p99_us.is_some());
    Verdict {
        claim: tr!(OVERLOAD_RECOVER_CLAIM),
        source: tr!(SOURCE_SHEDDING),
        outcome,
        evidence: match first_error {
            None if t.is_empty() => tr!(OVERLOAD_RECOVER_NO_TIMELINE),
            None => tr!(OVERLOAD_RECOVER_NO_ERRORS),
            Some(i) if too_short(i) => tr!(OVERLOAD_RECOVER_TOO_SHORT, seconds = RECOVERY_SAMPLES.to_string()),
            Some(_) => tr!(
                OVERLOAD_RECOVER_EVIDENCE,
                seconds = tail.len().to_string(),
                errors = join(&|x| format_number(x.errors_per_s)),
                requests = join(&|x| format_number(x.requests_per_s)),
                p99 = if p99 {
                    let values = join(&|x| x.p99_us.map_or("-".into(), |p| format_number(ms(p))));
                    tr!(OVERLOAD_RECOVER_P99, values = values)
                } else {
                    Text::default()
                },
                p99_needed = if p99 {
                    tr!(OVERLOAD_RECOVER_P99_NEEDED, quick = format_number(QUICK_MS))
                } else {
                    Text::default()
                }
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{data, step};
    use super::*;
    use crate::data::Transport;

    fn sample(t: f64, req: f64, rej: f64, err: f64, p99_ms: f64) -> Sample {
        Sample {
            t_s: t,
            requests_per_s: req,
            rejected_503_per_s: rej,
            errors_per_s: err + rej,
            delivered_per_s: 0.0,
            p99_us: Some(p99_ms * 1000.0),
        }
    }

    fn run(timeline: Vec<Sample>) -> Section {
        shape(&data(
            "overload",
            vec![step(Transport::Poll, 1000, |s| {
                s.bench
                    .errors
                    .insert("http_503".into(), timeline.iter().map(|x| x.rejected_503_per_s).sum::<f64>() as u64);
                s.timeline = timeline;
            })],
        ))
    }

    #[test]
    fn sheds_and_recovers() {
        let mut t: Vec<Sample> = (0..5).map(|i| sample(i as f64, 5000.0, 2000.0, 0.0, 40.0)).collect();
        t.extend((5..10).map(|i| sample(i as f64, 1000.0, 0.0, 0.0, 5.0)));
        let s = run(t);
        assert_eq!(s.verdicts[0].outcome, Outcome::Supported, "{:?}", s.verdicts[0].evidence);
        assert_eq!(s.verdicts[1].outcome, Outcome::Supported, "{:?}", s.verdicts[1].evidence);
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

    #[test]
    fn harness_timeline_without_503_breakdown() {
        use crate::data::TimelinePoint;
        let points: Vec<TimelinePoint> = (1..=10)
            .map(|t| TimelinePoint {
                t_s: t as f64,
                requests: 1000,
                errors: if t <= 5 { 400 } else { 0 },
                ..Default::default()
            })
            .collect();
        let s = shape(&data(
            "overload",
            vec![step(Transport::Poll, 1000, |s| {
                s.bench.timeline = points;
                s.bench.errors.insert("http_503".into(), 2000);
                s.bench.latency_us.p99 = 20_000;
            })],
        ));
        assert_eq!(s.verdicts[0].outcome, Outcome::Supported, "{:?}", s.verdicts[0].evidence);
        assert_eq!(s.verdicts[1].outcome, Outcome::Supported, "{:?}", s.verdicts[1].evidence);
        let Chart::Timeline(c) = &s.charts[0] else { panic!() };
        assert_eq!(c.panels.len(), 1, "no p99 per second: one panel");
        assert!(c.panels[0].series.iter().any(|s| s.label[crate::text::Lang::En].contains("503s included")));
    }
}
