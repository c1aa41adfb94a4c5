//! Data shaping: one module per experiment of DESIGN 5 turns its `data.json` into a [`Section`] — the charts
//! to draw, the tables of measured values and the verdicts — without drawing anything. The drawing lives in
//! `draw/`, the page writing in `render/`. Every number is computed once and every text worded in both
//! languages from it with `tr!` (`texts.toml`).

mod connection_scale;
mod header_overhead;
mod http2;
mod idle_cost;
mod latency_interval;
mod message_rate;
mod overload;
mod peers;
mod rtt;
mod scale_out;
mod table;

use feedlab_contract::bench::ERROR_HTTP_503;

use crate::chart::Chart;
use crate::data::{ExperimentData, Step, Transport};
use crate::text::{Text, tr, transport};
use crate::verdict::Verdict;
pub use table::Table;
pub(crate) use table::{Column, cell, step_table};

/// The experiments the report knows, in report order (DESIGN 5, then issue 11's `http2`, issue 13's side
/// by side with Socket.IO and issue 12's scale-out). Others are rendered as a plain table.
pub const KNOWN: [&str; 10] = [
    "header-overhead",
    "latency-vs-interval",
    "idle-cost",
    "message-rate",
    "connection-scale",
    "rtt",
    "overload",
    "http2",
    "peers",
    "scale-out",
];

/// Everything the report shows for one experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Experiment name (directory).
    pub experiment: String,
    /// Section title.
    pub title: Text,
    /// One sentence saying what was run.
    pub intro: Text,
    /// Charts, drawn to `<experiment>/<name>.svg|png`.
    pub charts: Vec<Chart>,
    /// Tables of measured values.
    pub tables: Vec<Table>,
    /// Claims tested and what the data says.
    pub verdicts: Vec<Verdict>,
    /// Caveats the reader must see: a quick run, lost or duplicated messages, missing steps.
    pub notes: Vec<Text>,
}

/// Shapes one experiment's data into its section.
pub fn shape(data: &ExperimentData) -> Section {
    let mut section = match data.experiment.as_str() {
        "header-overhead" => header_overhead::shape(data),
        "latency-vs-interval" => latency_interval::shape(data),
        "idle-cost" => idle_cost::shape(data),
        "message-rate" => message_rate::shape(data),
        "connection-scale" => connection_scale::shape(data),
        "rtt" => rtt::shape(data),
        "overload" => overload::shape(data),
        "http2" => http2::shape(data),
        "peers" => peers::shape(data),
        "scale-out" => scale_out::shape(data),
        _ => Section { intro: tr!(UNKNOWN_INTRO), tables: vec![steps_table(data)], ..Section::empty(data) },
    };
    section.notes.splice(0..0, common_notes(data));
    section
}

impl Section {
    /// A section with only its name and title set.
    pub fn empty(data: &ExperimentData) -> Section {
        Section {
            experiment: data.experiment.clone(),
            title: crate::text::title(data),
            intro: Text::default(),
            charts: Vec::new(),
            tables: Vec::new(),
            verdicts: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Every text of the section, charts included (for checks that must hold for all of them).
    pub fn texts(&self) -> Vec<&Text> {
        let mut out = vec![&self.title, &self.intro];
        out.extend(&self.notes);
        out.extend(self.charts.iter().flat_map(Chart::texts));
        for t in &self.tables {
            out.push(&t.caption);
            out.extend(t.header.iter().chain(t.rows.iter().flatten()));
        }
        out.extend(self.verdicts.iter().flat_map(|v| [&v.claim, &v.source, &v.evidence]));
        out
    }
}

/// Caveats every experiment shares: quick runs and delivery integrity (lost/duplicated/reordered must be 0).
fn common_notes(data: &ExperimentData) -> Vec<Text> {
    let mut notes = Vec::new();
    if data.quick {
        notes.push(tr!(NOTE_QUICK));
    }
    if data.steps.is_empty() {
        notes.push(tr!(NOTE_NO_STEPS));
    }
    for s in &data.steps {
        let b = &s.bench;
        let i = &b.integrity;
        if b.cancelled {
            notes.push(tr!(NOTE_INTERRUPTED, step = step_name(s)));
        }
        if i.delivered == 0 && s.params.rate_per_s > 0.0 && b.published > 0 {
            notes.push(tr!(NOTE_SILENT, step = step_name(s), published = b.published.to_string()));
        }
        // 503s are the point of the overload experiment; anywhere else, and any other error, is worth a note.
        let shown: Vec<Text> = b
            .errors
            .iter()
            .filter(|(k, v)| **v > 0 && !(data.experiment == "overload" && *k == ERROR_HTTP_503))
            .map(|(k, v)| tr!(NOTE_ERROR_COUNT, count = v.to_string(), kind = k))
            .collect();
        if !shown.is_empty() {
            notes.push(tr!(NOTE_ERRORS, step = step_name(s), errors = Text::join(shown, &tr!(LIST_COMMA))));
        }
        if !i.is_clean() {
            notes.push(tr!(
                NOTE_INTEGRITY,
                step = step_name(s),
                lost = i.lost.to_string(),
                duplicated = i.duplicated.to_string(),
                reordered = i.reordered.to_string()
            ));
        }
    }
    notes
}

/// A step's label (data: the same in both languages), or one made from its parameters; a repeated step's
/// round follows it (`ws 100 clients #2`).
pub(crate) fn step_name(s: &Step) -> Text {
    let name = if s.label.is_empty() {
        tr!(STEP_NAME, transport = transport(s.params.transport), clients = s.params.clients.to_string())
    } else {
        Text::same(&s.label)
    };
    match s.repeat {
        Some(r) => Text::join([name, Text::same(format!("#{}", r + 1))], &Text::same(" ")),
        None => name,
    }
}

/// Microseconds to milliseconds.
pub(crate) fn ms(us: f64) -> f64 {
    us / 1000.0
}

/// Steps of one transport, in file order.
pub(crate) fn of(data: &ExperimentData, t: Transport) -> impl Iterator<Item = &Step> {
    data.steps.iter().filter(move |s| s.params.transport == t)
}

/// Transports that appear in the data, in display order.
pub(crate) fn transports(data: &ExperimentData) -> Vec<Transport> {
    Transport::ALL.into_iter().filter(|t| of(data, *t).next().is_some()).collect()
}

/// The push transports (long-poll, SSE, WebSocket), in display order.
pub(crate) fn push() -> impl Iterator<Item = Transport> {
    Transport::ALL.into_iter().filter(|t| t.is_push())
}

/// The streaming transports (SSE, WebSocket): one request for the whole run, not one per message.
pub(crate) fn streaming() -> impl Iterator<Item = Transport> {
    Transport::ALL.into_iter().filter(|t| !t.request_per_answer())
}

/// Client errors other than 503 answers: these mean something broke rather than shed load.
pub(crate) fn other_errors(s: &Step) -> u64 {
    s.bench.errors_total() - s.bench.rejected_503()
}

/// Requests per delivered message of a step (`None` when nothing was delivered).
pub(crate) fn requests_per_message(s: &Step) -> Option<f64> {
    crate::verdict::ratio(s.bench.requests as f64, s.bench.integrity.delivered as f64)
}

/// The generic table: one row per step with the figures every experiment has.
pub(crate) fn steps_table(data: &ExperimentData) -> Table {
    step_table(
        tr!(UNKNOWN_TABLE),
        &data.steps,
        vec![
            Column::clients(),
            Column::rate(),
            Column::delivered(),
            Column::requests(),
            Column::overhead(),
            Column::p50_ms(),
            Column::p99_ms(),
            Column::lost(),
            Column::number(tr!(COLUMN_ERRORS), |s| s.bench.errors_total() as f64),
        ],
    )
}

/// Median of some values (`None` when empty); used where several steps measure the same thing.
pub(crate) fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

#[cfg(test)]
pub(crate) mod fixture;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Lang::{En, Zh};

    #[test]
    fn unknown_experiment_gets_a_table() {
        let data = fixture::data("something-new", vec![fixture::step(Transport::Ws, 10, |_| {})]);
        let s = shape(&data);
        assert!(s.charts.is_empty());
        assert_eq!(s.tables[0].rows.len(), 1);
    }

    #[test]
    fn integrity_problems_are_noted() {
        let data = fixture::data(
            "rtt",
            vec![fixture::step(Transport::Ws, 10, |s| {
                s.bench.integrity.lost = 3;
            })],
        );
        let s = shape(&data);
        assert!(s.notes.iter().any(|n| n[En].contains("3 lost")), "{:?}", s.notes);
        assert!(s.notes.iter().any(|n| n[Zh].contains("丢失 3 条")), "{:?}", s.notes);
    }

    #[test]
    fn errors_and_silent_steps_are_noted() {
        let data = fixture::data(
            "header-overhead",
            vec![fixture::step(Transport::Ws, 10, |s| {
                s.bench.integrity.delivered = 0;
                s.bench.errors.insert("ws".into(), 780);
            })],
        );
        let s = shape(&data);
        assert!(s.notes.iter().any(|n| n[En].contains("780 ws")), "{:?}", s.notes);
        assert!(s.notes.iter().any(|n| n[En].contains("delivered no message")), "{:?}", s.notes);
        // In the overload experiment 503s are expected, not noted.
        let data = fixture::data(
            "overload",
            vec![fixture::step(Transport::Poll, 10, |s| {
                s.bench.errors.insert("http_503".into(), 5);
            })],
        );
        assert!(!shape(&data).notes.iter().any(|n| n[En].contains("http_503")));
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
