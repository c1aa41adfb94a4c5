//! Tables of measured values: the [`Table`] every page prints, and the one helper that lays out a table with
//! a row per step. Every experiment's "per step" table is that helper with its own columns, so a step is
//! named and its transport written the same way everywhere.

use super::{ms, other_errors, step_name};
use crate::data::Step;
use crate::style::format_table;
use crate::text::{Text, tr, transport};

/// A table with a caption; numbers are already formatted (the same in both languages).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// What the table shows.
    pub caption: Text,
    /// Column headers (with units).
    pub header: Vec<Text>,
    /// Rows, each as long as `header`.
    pub rows: Vec<Vec<Text>>,
}

/// One column of a per-step table: its header (with the unit) and how a step fills its cell.
pub(crate) struct Column<'a> {
    header: Text,
    cell: Box<dyn Fn(&Step) -> Text + 'a>,
}

impl<'a> Column<'a> {
    /// A column of text.
    pub(crate) fn text(header: Text, cell: impl Fn(&Step) -> Text + 'a) -> Self {
        Column { header, cell: Box::new(cell) }
    }

    /// A column of numbers, formatted for tables.
    pub(crate) fn number(header: Text, value: impl Fn(&Step) -> f64 + 'a) -> Self {
        Column::text(header, move |s| cell(value(s)).into())
    }

    /// A column of numbers that may be missing ("-").
    pub(crate) fn optional(header: Text, value: impl Fn(&Step) -> Option<f64> + 'a) -> Self {
        Column::text(header, move |s| cell_opt(value(s)).into())
    }

    /// Simulated clients.
    pub(crate) fn clients() -> Self {
        Column::number(tr!(COLUMN_CLIENTS), |s| s.params.clients as f64)
    }

    /// Publish rate asked for.
    pub(crate) fn rate() -> Self {
        Column::number(tr!(COLUMN_RATE), |s| s.params.rate_per_s)
    }

    /// Messages delivered, summed over clients.
    pub(crate) fn delivered() -> Self {
        Column::number(tr!(COLUMN_DELIVERED), |s| s.bench.integrity.delivered as f64)
    }

    /// Requests the clients sent.
    pub(crate) fn requests() -> Self {
        Column::number(tr!(COLUMN_REQUESTS), |s| s.bench.requests as f64)
    }

    /// Median delivery latency.
    pub(crate) fn p50_ms() -> Self {
        Column::number(tr!(COLUMN_PERCENTILE_MS, percentile = "p50"), |s| ms(s.bench.latency_us.p50 as f64))
    }

    /// 99th percentile delivery latency.
    pub(crate) fn p99_ms() -> Self {
        Column::number(tr!(COLUMN_PERCENTILE_MS, percentile = "p99"), |s| ms(s.bench.latency_us.p99 as f64))
    }

    /// Header and framing bytes per delivered message (the harness's figure).
    pub(crate) fn overhead() -> Self {
        Column::optional(tr!(COLUMN_OVERHEAD), |s| s.bench.overhead_bytes_per_message)
    }

    /// 503 answers: the server shedding load.
    pub(crate) fn rejected() -> Self {
        Column::number(tr!(COLUMN_REJECTED), |s| s.bench.rejected_503() as f64)
    }

    /// Client errors other than 503 answers.
    pub(crate) fn other_errors() -> Self {
        Column::number(tr!(COLUMN_OTHER_ERRORS), |s| other_errors(s) as f64)
    }

    /// Messages a client never got.
    pub(crate) fn lost() -> Self {
        Column::number(tr!(COLUMN_LOST), |s| s.bench.integrity.lost as f64)
    }
}

/// A table with one row per step of `steps`: the step's name and transport, then `columns`.
pub(crate) fn step_table<'s>(
    caption: Text,
    steps: impl IntoIterator<Item = &'s Step>,
    columns: Vec<Column<'_>>,
) -> Table {
    let mut header = vec![tr!(COLUMN_STEP), tr!(COLUMN_TRANSPORT)];
    header.extend(columns.iter().map(|c| c.header.clone()));
    let rows = steps
        .into_iter()
        .map(|s| {
            let mut row = vec![step_name(s), transport(s.params.transport)];
            row.extend(columns.iter().map(|c| (c.cell)(s)));
            row
        })
        .collect();
    Table { caption, header, rows }
}

/// Formats a number for a table cell.
pub(crate) fn cell(v: f64) -> String {
    format_table(v)
}

/// Formats an optional number; "-" when absent.
pub(crate) fn cell_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), cell)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Transport;
    use crate::experiments::fixture::step;
    use crate::text::Lang;

    #[test]
    fn one_row_per_step_named_and_typed() {
        let steps = [step(Transport::Ws, 1000, |s| s.label = "ws big".into()), step(Transport::Poll, 10, |_| {})];
        let t = step_table("c".into(), &steps, vec![Column::clients(), Column::optional("none".into(), |_| None)]);
        let words = |row: &[Text], lang| row.iter().map(|c| c[lang].to_owned()).collect::<Vec<_>>();
        assert_eq!(words(&t.header, Lang::En), ["step", "transport", "clients", "none"]);
        assert_eq!(words(&t.rows[0], Lang::En), ["ws big", "ws", "1,000", "-"]);
        assert_eq!(words(&t.rows[1], Lang::En), ["poll 10 clients", "poll", "10", "-"]);
        assert_eq!(words(&t.header, Lang::Zh), ["步骤", "传输方式", "客户端", "none"]);
        assert_eq!(words(&t.rows[1], Lang::Zh), ["轮询 10 个客户端", "轮询", "10", "-"]);
    }
}
