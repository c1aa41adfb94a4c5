//! Experiment 5, `connection-scale`: 100 to 10,000+ clients. Server memory per 1,000 connections, server CPU
//! per delivered message, p99 latency, errors and 503s. Claims tested: one server holds 10,000 open
//! connections (C10k) without errors, and push costs the server less CPU per delivered message than polling.
//!
//! The CPU comparison rests on the steady window when the run measured it (data layout 2): the server's user
//! and kernel CPU while every client is connected and before the drain, per delivered message, each
//! configuration measured over several rounds and compared by median and range: ranges that overlap are
//! too close to call. Every server CPU figure per message is also read against the kernel's floor measured
//! in the same run (`x floor`: the server's figure over the floor's CPU per `send()` of one frame). A file of
//! layout 1 has neither, and the verdict falls back to the whole step's CPU, which includes connecting.

use feedlab_contract::Spread;

use super::{Column, Section, Table, cell, ms, of, push, step_table, streaming, transports};
use crate::chart::{Axis, Chart, Color, LineChart, LineKind, Series};
use crate::data::{ExperimentData, Step, Transport};
use crate::style::format_number;
use crate::text::{Text, tr, transport};
use crate::verdict::{Outcome, Verdict, all, below, ratio};

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

/// Server CPU (user + kernel) per delivered message over the steady window, microseconds.
pub(crate) fn steady_us(s: &Step) -> Option<f64> {
    s.bench.server_cpu?.steady.total_us_per
}

/// Whether any step measured the steady window (layout 2 data).
fn has_steady(data: &ExperimentData) -> bool {
    data.steps.iter().any(|s| s.bench.server_cpu.is_some())
}

/// The floor the server's figures are read against: sender CPU per `send()` of one frame (median), µs.
pub(crate) fn floor_us(data: &ExperimentData) -> Option<f64> {
    Some(data.floor.as_ref()?.case(1)?.send_us.median).filter(|f| *f > 0.0)
}

/// `value` as a multiple of the floor.
fn times_floor(data: &ExperimentData, value: Option<f64>) -> Option<f64> {
    ratio(value?, floor_us(data)?)
}

/// The steps of each configuration (client count) of transport `t`, rounds together, fewest clients first.
fn configurations(data: &ExperimentData, t: Transport) -> Vec<(u64, Vec<&Step>)> {
    let mut out: Vec<(u64, Vec<&Step>)> = Vec::new();
    for s in of(data, t) {
        match out.iter_mut().find(|(c, _)| *c == s.params.clients) {
            Some((_, steps)) => steps.push(s),
            None => out.push((s.params.clients, vec![s])),
        }
    }
    out.sort_by_key(|(c, _)| *c);
    out
}

/// Median and range of a figure over the rounds of one configuration.
fn spread(steps: &[&Step], f: impl Fn(&Step) -> Option<f64>) -> Option<Spread> {
    Spread::of(&steps.iter().filter_map(|s| f(s)).collect::<Vec<_>>())
}

/// `25.0 (24.1-26.3)`, or the one value when the rounds agree or there was one round; "-" when missing.
fn spread_cell(s: Option<Spread>) -> Text {
    match s {
        None => "-".into(),
        Some(s) if cell(s.min) == cell(s.max) => cell(s.median).into(),
        Some(s) => format!("{} ({}-{})", cell(s.median), cell(s.min), cell(s.max)).into(),
    }
}

/// `f` against clients, one line per transport; a configuration measured in several rounds is drawn at its
/// median. `level`, when given, is a reference drawn flat across the clients measured (the floor).
fn chart(
    data: &ExperimentData,
    name: &str,
    title: Text,
    y: Text,
    f: impl Fn(&Step) -> Option<f64>,
    level: Option<(Text, f64)>,
) -> Chart {
    let mut series: Vec<Series> = transports(data)
        .into_iter()
        .map(|t| {
            let points = configurations(data, t)
                .into_iter()
                .filter_map(|(c, steps)| Some((c as f64, spread(&steps, &f)?.median)))
                .collect();
            Series { label: transport(t), color: Color::Transport(t), kind: LineKind::Measured, points }
        })
        .collect();
    let xs = || series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    if let (Some((label, value)), Some(lo), Some(hi)) = (level, xs().reduce(f64::min), xs().reduce(f64::max)) {
        series.push(Series {
            label,
            color: Color::Theory,
            kind: LineKind::Theory,
            points: vec![(lo, value), (hi, value)],
        });
    }
    let ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    Chart::Lines(LineChart { name: name.into(), title, x: Axis::log(tr!(SCALE_X)), y: Axis::auto(y, ys), series })
}

pub(super) fn shape(data: &ExperimentData) -> Section {
    let mut section = Section::empty(data);
    section.intro = tr!(SCALE_INTRO);
    section.charts = vec![
        chart(data, "memory", tr!(SCALE_MEMORY_TITLE), tr!(SCALE_MEMORY_Y), mib_per_1000, None),
        chart(data, "cpu", tr!(SCALE_CPU_TITLE), tr!(SCALE_CPU_Y), cpu_us_per_message, None),
        chart(
            data,
            "p99",
            tr!(SCALE_P99_TITLE),
            tr!(AXIS_LATENCY, percentile = "p99"),
            |s| Some(ms(s.bench.latency_us.p99 as f64)).filter(|_| s.bench.integrity.delivered > 0),
            None,
        ),
    ];
    if has_steady(data) {
        // The steady window's CPU per message, with the floor as a level when it was measured.
        let floor = floor_us(data).map(|f| (tr!(SCALE_STEADY_FLOOR), f));
        section.charts.push(chart(data, "cpu-steady", tr!(SCALE_STEADY_TITLE), tr!(SCALE_STEADY_Y), steady_us, floor));
    }
    section.tables = vec![step_table(
        tr!(SCALE_TABLE),
        &data.steps,
        vec![
            Column::clients(),
            Column::optional(tr!(SCALE_COLUMN_RSS), |s| s.server.map(|v| v.rss_mib_peak)),
            Column::optional(tr!(SCALE_COLUMN_PER_1000), mib_per_1000),
            Column::optional(tr!(SCALE_COLUMN_CPU), |s| s.server.map(|v| v.cpu_s)),
            Column::optional(tr!(SCALE_COLUMN_CPU_PER_MESSAGE), cpu_us_per_message),
            Column::optional(tr!(SCALE_COLUMN_FLOOR), |s| times_floor(data, cpu_us_per_message(s))),
            Column::p99_ms(),
            Column::rejected(),
            Column::other_errors(),
            Column::lost(),
        ],
    )];
    if has_steady(data) {
        section.tables.push(steady_table(data));
    } else {
        section.notes.push(tr!(SCALE_STEADY_MISSING));
    }
    section.notes.push(floor_note(data));
    section.verdicts = vec![c10k(data), cpu(data)];
    section
}

/// What the floor measured, or that it was not measured.
fn floor_note(data: &ExperimentData) -> Text {
    let Some(f) = &data.floor else { return tr!(SCALE_FLOOR_MISSING) };
    let per_frame = |k: u64| f.case(k).map_or_else(|| "-".to_owned(), |c| format!("{:.2}", c.frame_us));
    let reader = f.case(1).map_or_else(|| "-".to_owned(), |c| format!("{:.2}", c.reader_us_per_frame));
    tr!(
        SCALE_FLOOR,
        pairs = cell(f.pairs as f64),
        one = per_frame(1),
        four = per_frame(4),
        sixteen = per_frame(16),
        reader = reader,
        windows = f.repeats.to_string()
    )
}

/// One row per configuration: the steady window's figures, median (range) over its rounds.
fn steady_table(data: &ExperimentData) -> Table {
    let header = vec![
        tr!(COLUMN_TRANSPORT),
        tr!(COLUMN_CLIENTS),
        tr!(SCALE_COLUMN_ROUNDS),
        tr!(SCALE_COLUMN_USER),
        tr!(SCALE_COLUMN_KERNEL),
        tr!(SCALE_COLUMN_STEADY),
        tr!(SCALE_COLUMN_FLOOR),
        tr!(SCALE_COLUMN_SETUP),
        tr!(SCALE_COLUMN_HARNESS),
    ];
    let mut rows = Vec::new();
    for t in transports(data) {
        for (clients, steps) in configurations(data, t) {
            let steady = spread(&steps, steady_us);
            rows.push(vec![
                transport(t),
                cell(clients as f64).into(),
                steps.len().to_string().into(),
                spread_cell(spread(&steps, |s| s.bench.server_cpu?.steady.user_us_per)),
                spread_cell(spread(&steps, |s| s.bench.server_cpu?.steady.system_us_per)),
                spread_cell(steady),
                times_floor(data, steady.map(|s| s.median)).map_or_else(|| "-".into(), |r| cell(r).into()),
                spread_cell(spread(&steps, |s| s.bench.server_cpu?.setup.total_us_per)),
                spread_cell(spread(&steps, |s| s.bench.harness_cpu?.total_us_per)),
            ]);
        }
    }
    Table { caption: tr!(SCALE_STEADY_TABLE), header, rows }
}

fn c10k(data: &ExperimentData) -> Verdict {
    let mut parts = Vec::new();
    let mut outcomes = Vec::new();
    for t in push() {
        // The largest configuration, every round of it: a failure in any round counts.
        let Some((clients, steps)) = configurations(data, t).pop() else { continue };
        let sum = |f: fn(&Step) -> u64| steps.iter().map(|s| f(s)).sum::<u64>();
        let errors = sum(|s| s.bench.errors_total());
        let lost = sum(|s| s.bench.integrity.lost);
        let outcome = if errors + lost > 0 {
            Outcome::NotSupported
        } else if clients >= C10K {
            Outcome::Supported
        } else {
            Outcome::Inconclusive
        };
        outcomes.push(outcome);
        parts.push(tr!(
            SCALE_C10K_ITEM,
            transport = transport(t),
            clients = format_number(clients as f64),
            rounds = if steps.len() > 1 {
                tr!(SCALE_C10K_ROUNDS, rounds = steps.len().to_string())
            } else {
                Text::default()
            },
            errors = errors.to_string(),
            rejected = sum(|s| s.bench.rejected_503()).to_string(),
            lost = lost.to_string(),
            memory = spread(&steps, mib_per_1000).map_or(tr!(SCALE_C10K_NO_MEMORY), |m| tr!(
                SCALE_C10K_MEMORY,
                kib = format_number(m.median * 1024.0 / 1000.0)
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
    if has_steady(data) {
        return steady_cpu(data);
    }
    // Layout 1: the whole step's CPU, at the largest client count measured for both polling and the push
    // transport.
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

/// The CPU verdict from the steady window: at the largest client count measured for both polling and the
/// streaming transport, the medians and ranges over the rounds; ranges that overlap are too close to call
/// (inconclusive), whichever median is lower.
fn steady_cpu(data: &ExperimentData) -> Verdict {
    let poll = configurations(data, Transport::Poll);
    let floor = |s: &Spread| {
        times_floor(data, Some(s.median))
            .map_or(tr!(SCALE_CPU_NO_FLOOR), |r| tr!(SCALE_CPU_TIMES_FLOOR, ratio = format_number(r)))
    };
    let mut parts = Vec::new();
    let mut outcomes = Vec::new();
    for t in streaming() {
        let common = configurations(data, t)
            .into_iter()
            .filter_map(|(clients, steps)| {
                let (_, p) = poll.iter().find(|(c, _)| *c == clients)?;
                Some((clients, spread(p, steady_us)?, spread(&steps, steady_us)?))
            })
            .max_by_key(|c| c.0);
        let Some((clients, p, s)) = common else { continue };
        let close = p.overlaps(&s);
        outcomes.push(below(&s, &p));
        parts.push(tr!(
            SCALE_CPU_STEADY_ITEM,
            clients = format_number(clients as f64),
            poll = spread_cell(Some(p)),
            poll_floor = floor(&p),
            transport = transport(t),
            push = spread_cell(Some(s)),
            push_floor = floor(&s),
            close = if close { tr!(SCALE_CPU_TOO_CLOSE) } else { Text::default() }
        ));
    }
    Verdict {
        claim: tr!(SCALE_CPU_CLAIM),
        source: tr!(SOURCE_POLLING_VS_PUSH),
        outcome: all(outcomes),
        evidence: if parts.is_empty() {
            tr!(SCALE_CPU_EVIDENCE, list = tr!(SCALE_CPU_NONE))
        } else {
            tr!(SCALE_CPU_STEADY_EVIDENCE, list = Text::join(parts, &tr!(LIST_SEMICOLON)))
        },
    }
}

#[cfg(test)]
mod tests;
