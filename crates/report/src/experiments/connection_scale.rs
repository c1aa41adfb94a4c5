//! Experiment 5, `connection-scale`: 100 to 10,000+ clients. Server memory per 1,000 connections, server CPU
//! per delivered message, p99 latency, errors and 503s. Claims tested: one server holds 10,000 open
//! connections (C10k) without errors, and push costs the server less CPU per delivered message than polling.

use super::{Column, Section, cell, ms, of, push, step_table, streaming, transports};
use crate::chart::{Axis, Chart, Color, LineChart, LineKind, Series};
use crate::data::{ExperimentData, Step, Transport};
use crate::style::format_number;
use crate::text::{Text, tr, transport};
use crate::verdict::{Outcome, Verdict, all, ratio};

/// Client count the C10k claim is about.
pub const C10K: u64 = 10_000;

/// Server memory growth over the step per 1,000 clients, MiB.
pub(crate) fn mib_per_1000(s: &Step) -> Option<f64> {
    let srv = s.server?;
    ratio((srv.rss_mib_peak - srv.rss_mib_start) * 1000.0, s.params.clients as f64)
}

/// Server CPU time per delivered message, microseconds.
pub(crate) fn cpu_us_per_message(s: &Step) -> Option<f64> {
    ratio(s.server?.cpu_s * 1e6, s.bench.integrity.delivered as f64)
}

fn chart(data: &ExperimentData, name: &str, title: Text, y: Text, f: impl Fn(&Step) -> Option<f64>) -> Chart {
    let series: Vec<Series> = transports(data)
        .into_iter()
        .map(|t| {
            let mut points: Vec<_> = of(data, t).filter_map(|s| Some((s.params.clients as f64, f(s)?))).collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Series { label: transport(t), color: Color::Transport(t), kind: LineKind::Measured, points }
        })
        .collect();
    let ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    Chart::Lines(LineChart { name: name.into(), title, x: Axis::log(tr!(SCALE_X)), y: Axis::auto(y, ys), series })
}

pub(super) fn shape(data: &ExperimentData) -> Section {
    let mut section = Section::empty(data);
    section.intro = tr!(SCALE_INTRO);
    section.charts = vec![
        chart(data, "memory", tr!(SCALE_MEMORY_TITLE), tr!(SCALE_MEMORY_Y), mib_per_1000),
        chart(data, "cpu", tr!(SCALE_CPU_TITLE), tr!(SCALE_CPU_Y), cpu_us_per_message),
        chart(data, "p99", tr!(SCALE_P99_TITLE), tr!(AXIS_LATENCY, percentile = "p99"), |s| {
            Some(ms(s.bench.latency_us.p99 as f64)).filter(|_| s.bench.integrity.delivered > 0)
        }),
    ];
    section.tables = vec![step_table(
        tr!(SCALE_TABLE),
        &data.steps,
        vec![
            Column::clients(),
            Column::optional(tr!(SCALE_COLUMN_RSS), |s| s.server.map(|v| v.rss_mib_peak)),
            Column::optional(tr!(SCALE_COLUMN_PER_1000), mib_per_1000),
            Column::optional(tr!(SCALE_COLUMN_CPU), |s| s.server.map(|v| v.cpu_s)),
            Column::optional(tr!(SCALE_COLUMN_CPU_PER_MESSAGE), cpu_us_per_message),
            Column::p99_ms(),
            Column::rejected(),
            Column::other_errors(),
            Column::lost(),
        ],
    )];
    section.verdicts = vec![c10k(data), cpu(data)];
    section
}

fn c10k(data: &ExperimentData) -> Verdict {
    let mut parts = Vec::new();
    let mut outcomes = Vec::new();
    for t in push() {
        let Some(s) = of(data, t).max_by_key(|s| s.params.clients) else { continue };
        let failures = s.bench.errors_total() + s.bench.integrity.lost;
        let outcome = if failures > 0 {
            Outcome::NotSupported
        } else if s.params.clients >= C10K {
            Outcome::Supported
        } else {
            Outcome::Inconclusive
        };
        outcomes.push(outcome);
        parts.push(tr!(
            SCALE_C10K_ITEM,
            transport = transport(t),
            clients = format_number(s.params.clients as f64),
            errors = s.bench.errors_total().to_string(),
            rejected = s.bench.rejected_503().to_string(),
            lost = s.bench.integrity.lost.to_string(),
            memory = mib_per_1000(s).map_or(tr!(SCALE_C10K_NO_MEMORY), |m| tr!(
                SCALE_C10K_MEMORY,
                kib = format_number(m * 1024.0 / 1000.0)
            ))
        ));
    }
    let outcome = all(outcomes);
    Verdict {
        claim: tr!(SCALE_C10K_CLAIM, clients = cell(C10K as f64)),
        source: tr!(SOURCE_C10K),
        outcome,
        evidence: tr!(
            SCALE_C10K_EVIDENCE,
            list = if parts.is_empty() { tr!(SCALE_C10K_NONE) } else { Text::join(parts, &tr!(LIST_SEMICOLON)) },
            short = if outcome == Outcome::Inconclusive {
                tr!(SCALE_C10K_SHORT, clients = cell(C10K as f64))
            } else {
                Text::default()
            }
        ),
    }
}

fn cpu(data: &ExperimentData) -> Verdict {
    // Compare at the largest client count measured for both polling and the push transport.
    let mut parts = Vec::new();
    let mut outcomes = Vec::new();
    for t in streaming() {
        let common = of(data, t)
            .filter_map(|s| {
                let p = of(data, Transport::Poll).find(|p| p.params.clients == s.params.clients)?;
                Some((s.params.clients, cpu_us_per_message(p)?, cpu_us_per_message(s)?))
            })
            .max_by_key(|c| c.0);
        if let Some((clients, poll, push)) = common {
            outcomes.push(Outcome::from_bool(poll > push));
            parts.push(tr!(
                SCALE_CPU_ITEM,
                clients = format_number(clients as f64),
                poll = format_number(poll),
                transport = transport(t),
                push = format_number(push)
            ));
        }
    }
    Verdict {
        claim: tr!(SCALE_CPU_CLAIM),
        source: tr!(SOURCE_POLLING_VS_PUSH),
        outcome: all(outcomes),
        evidence: tr!(
            SCALE_CPU_EVIDENCE,
            list = if parts.is_empty() { tr!(SCALE_CPU_NONE) } else { Text::join(parts, &tr!(LIST_SEMICOLON)) }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{data, step};
    use super::*;

    fn at(t: Transport, clients: u64, cpu_s: f64, errors: u64) -> Step {
        step(t, clients, |s| {
            s.server.as_mut().unwrap().cpu_s = cpu_s;
            if errors > 0 {
                s.bench.errors.insert("http_503".into(), errors);
            }
        })
    }

    #[test]
    fn c10k_and_cpu_supported() {
        let s = shape(&data(
            "connection-scale",
            vec![
                at(Transport::Poll, 10_000, 20.0, 0),
                at(Transport::Ws, 100, 0.1, 0),
                at(Transport::Ws, 10_000, 2.0, 0),
            ],
        ));
        assert_eq!(s.verdicts[0].outcome, Outcome::Supported, "{:?}", s.verdicts[0].evidence);
        assert_eq!(s.verdicts[1].outcome, Outcome::Supported, "{:?}", s.verdicts[1].evidence);
        assert_eq!(s.charts.len(), 3);
    }

    #[test]
    fn errors_or_costlier_push_not_supported() {
        let s = shape(&data(
            "connection-scale",
            vec![at(Transport::Poll, 10_000, 1.0, 0), at(Transport::Ws, 10_000, 2.0, 5)],
        ));
        assert_eq!(s.verdicts[0].outcome, Outcome::NotSupported);
        assert_eq!(s.verdicts[1].outcome, Outcome::NotSupported);
    }

    #[test]
    fn small_run_is_inconclusive() {
        let s = shape(&data("connection-scale", vec![at(Transport::Ws, 500, 1.0, 0)]));
        assert_eq!(s.verdicts[0].outcome, Outcome::Inconclusive);
        assert_eq!(s.verdicts[1].outcome, Outcome::Inconclusive);
    }

    #[test]
    fn memory_per_thousand() {
        // fixture: 10 MiB growth over 100 clients = 100 MiB per 1,000.
        let s = step(Transport::Ws, 100, |_| {});
        assert_eq!(mib_per_1000(&s), Some(100.0));
        assert_eq!(cpu_us_per_message(&s), Some(1e6 / 1000.0));
    }
}
