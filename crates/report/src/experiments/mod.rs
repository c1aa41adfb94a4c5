//! Data shaping: one module per experiment of DESIGN 5 turns its `data.json` into a [`Section`] — the charts
//! to draw, the tables of measured values and the verdicts — without drawing anything. The drawing lives in
//! `draw/`, the page writing in `render/`.

mod connection_scale;
mod header_overhead;
mod idle_cost;
mod latency_interval;
mod message_rate;
mod overload;
mod rtt;

use serde::Serialize;

use crate::chart::Chart;
use crate::data::{ExperimentData, Step, Transport};
use crate::style::format_table;
use crate::verdict::Verdict;

/// The experiments the report knows, in report order (DESIGN 5). Others are rendered as a plain table.
pub const KNOWN: [&str; 7] =
    ["header-overhead", "latency-vs-interval", "idle-cost", "message-rate", "connection-scale", "rtt", "overload"];

/// Everything the report shows for one experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Experiment name (directory).
    pub experiment: String,
    /// Section title.
    pub title: String,
    /// One sentence saying what was run.
    pub intro: String,
    /// Charts, drawn to `<experiment>/<name>.svg|png`.
    pub charts: Vec<Chart>,
    /// Tables of measured values.
    pub tables: Vec<Table>,
    /// Claims tested and what the data says.
    pub verdicts: Vec<Verdict>,
    /// Caveats the reader must see: a quick run, lost or duplicated messages, missing steps.
    pub notes: Vec<String>,
}

/// A table of strings with a caption; numbers are already formatted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// What the table shows.
    pub caption: String,
    /// Column headers (with units).
    pub header: Vec<String>,
    /// Rows, each as long as `header`.
    pub rows: Vec<Vec<String>>,
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
        _ => Section {
            intro: "An experiment this report has no charts for; its measured values follow.".to_owned(),
            tables: vec![steps_table(data)],
            ..Section::empty(data)
        },
    };
    section.notes.splice(0..0, common_notes(data));
    section
}

impl Section {
    /// A section with only its name and title set.
    pub fn empty(data: &ExperimentData) -> Section {
        Section {
            experiment: data.experiment.clone(),
            title: data.display_title().to_owned(),
            intro: String::new(),
            charts: Vec::new(),
            tables: Vec::new(),
            verdicts: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// Caveats every experiment shares: quick runs and delivery integrity (lost/duplicated/reordered must be 0).
fn common_notes(data: &ExperimentData) -> Vec<String> {
    let mut notes = Vec::new();
    if data.quick {
        notes.push(
            "Quick (CI-sized) run: fewer clients and shorter steps than the full suite; treat the numbers as a \
             smoke test, not a measurement."
                .to_owned(),
        );
    }
    if data.steps.is_empty() {
        notes.push("The data file has no steps: nothing was measured.".to_owned());
    }
    for s in &data.steps {
        let b = &s.bench;
        if b.cancelled {
            notes.push(format!("Step `{}` was interrupted: its figures cover only part of the run.", step_name(s)));
        }
        if b.delivered == 0 && s.rate_per_s().is_some_and(|r| r > 0.0) && b.published > 0 {
            notes.push(format!(
                "Step `{}` delivered no message although {} were published: its per-message figures are missing.",
                step_name(s),
                b.published
            ));
        }
        // 503s are the point of the overload experiment; anywhere else, and any other error, is worth a note.
        let shown: Vec<String> = b
            .errors
            .0
            .iter()
            .filter(|(k, v)| **v > 0 && !(data.experiment == "overload" && k.contains("503")))
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        if !shown.is_empty() {
            notes.push(format!("Step `{}` had client errors: {}.", step_name(s), shown.join(", ")));
        }
        if b.lost + b.duplicated + b.reordered > 0 {
            notes.push(format!(
                "Step `{}`: {} lost, {} duplicated, {} reordered messages. Delivery was not exact, so its other \
                 figures describe a broken run.",
                step_name(s),
                b.lost,
                b.duplicated,
                b.reordered
            ));
        }
    }
    notes
}

/// A step's label, or one made from its parameters.
pub(crate) fn step_name(s: &Step) -> String {
    if !s.label.is_empty() {
        return s.label.clone();
    }
    let t = s.transport().map_or("?", Transport::name);
    format!("{t} {} clients", s.clients())
}

/// Microseconds to milliseconds.
pub(crate) fn ms(us: f64) -> f64 {
    us / 1000.0
}

/// Formats a number for a table cell.
pub(crate) fn cell(v: f64) -> String {
    format_table(v)
}

/// Formats an optional number; "-" when absent.
pub(crate) fn cell_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), cell)
}

/// Steps of one transport, in file order.
pub(crate) fn of(data: &ExperimentData, t: Transport) -> impl Iterator<Item = &Step> {
    data.steps.iter().filter(move |s| s.transport() == Some(t))
}

/// Transports that appear in the data, in display order.
pub(crate) fn transports(data: &ExperimentData) -> Vec<Transport> {
    Transport::ALL.into_iter().filter(|t| of(data, *t).next().is_some()).collect()
}

/// Requests per delivered message of a step (`None` when nothing was delivered).
pub(crate) fn requests_per_message(s: &Step) -> Option<f64> {
    crate::verdict::ratio(s.bench.requests as f64, s.bench.delivered as f64)
}

/// The generic table: one row per step with the figures every experiment has.
pub(crate) fn steps_table(data: &ExperimentData) -> Table {
    Table {
        caption: "Every step as measured.".to_owned(),
        header: [
            "step",
            "transport",
            "clients",
            "msg/s",
            "delivered",
            "requests",
            "overhead B/msg",
            "p50 ms",
            "p99 ms",
            "lost",
            "errors",
        ]
        .map(String::from)
        .to_vec(),
        rows: data
            .steps
            .iter()
            .map(|s| {
                let b = &s.bench;
                vec![
                    step_name(s),
                    s.transport().map_or("-", Transport::name).to_owned(),
                    cell(s.clients() as f64),
                    cell_opt(s.rate_per_s()),
                    cell(b.delivered as f64),
                    cell(b.requests as f64),
                    cell_opt(b.overhead_bytes_per_message),
                    cell(ms(b.latency_us.p50)),
                    cell(ms(b.latency_us.p99)),
                    cell(b.lost as f64),
                    cell(b.errors.total() as f64),
                ]
            })
            .collect(),
    }
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
                s.bench.lost = 3;
            })],
        );
        let s = shape(&data);
        assert!(s.notes.iter().any(|n| n.contains("3 lost")), "{:?}", s.notes);
    }

    #[test]
    fn errors_and_silent_steps_are_noted() {
        let data = fixture::data(
            "header-overhead",
            vec![fixture::step(Transport::Ws, 10, |s| {
                s.bench.delivered = 0;
                s.bench.errors.0.insert("ws".into(), 780);
            })],
        );
        let s = shape(&data);
        assert!(s.notes.iter().any(|n| n.contains("780 ws")), "{:?}", s.notes);
        assert!(s.notes.iter().any(|n| n.contains("delivered no message")), "{:?}", s.notes);
        // In the overload experiment 503s are expected, not noted.
        let data = fixture::data(
            "overload",
            vec![fixture::step(Transport::Poll, 10, |s| {
                s.bench.errors.0.insert("http_503".into(), 5);
            })],
        );
        assert!(!shape(&data).notes.iter().any(|n| n.contains("http_503")));
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
