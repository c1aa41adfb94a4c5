//! Chart descriptions: plain data saying what to draw, produced by the per-experiment shaping code
//! (`experiments/`) and consumed by the drawing code (`draw/`). Keeping them apart means the shaping is unit
//! tested without pixels and the drawing never looks at result files. Every text of a chart is a [`Text`] in
//! both languages; a chart is drawn once per language.

use crate::data::Transport;
use crate::text::{Text, tr};

/// One chart of an experiment. Its `name` is the file stem of `<name>.svg` / `<name>.png`.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Grouped bars: categories on x, one bar per series in each category.
    Bars(BarChart),
    /// Lines over a numeric x axis.
    Lines(LineChart),
    /// Several line panels sharing a time axis (the overload timeline).
    Timeline(TimelineChart),
}

impl Chart {
    /// File stem.
    pub fn name(&self) -> &str {
        match self {
            Chart::Bars(c) => &c.name,
            Chart::Lines(c) => &c.name,
            Chart::Timeline(c) => &c.name,
        }
    }

    /// Title drawn above the chart and used as the image's alt text.
    pub fn title(&self) -> &Text {
        match self {
            Chart::Bars(c) => &c.title,
            Chart::Lines(c) => &c.title,
            Chart::Timeline(c) => &c.title,
        }
    }

    /// Every text drawn on the chart except tick labels and bar values (numbers): title, axis
    /// descriptions, legends, categories.
    pub fn texts(&self) -> Vec<&Text> {
        let mut out = vec![self.title()];
        match self {
            Chart::Bars(c) => {
                out.extend([&c.x_label, &c.y.label]);
                out.extend(&c.groups);
                out.extend(c.series.iter().map(|s| &s.label).chain(c.refs.iter().map(|r| &r.label)));
            }
            Chart::Lines(c) => {
                out.extend([&c.x.label, &c.y.label]);
                out.extend(c.series.iter().map(|s| &s.label));
            }
            Chart::Timeline(c) => {
                out.push(&c.x.label);
                for p in &c.panels {
                    out.push(&p.y.label);
                    out.extend(p.series.iter().map(|s| &s.label));
                }
            }
        }
        out
    }
}

/// An axis: its description (always with the unit) and whether it is logarithmic.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Description including the unit, e.g. `latency (ms)`.
    pub label: Text,
    /// Logarithmic scale (for values spanning decades).
    pub log: bool,
}

impl Axis {
    /// A linear axis.
    pub fn linear(label: impl Into<Text>) -> Self {
        Self { label: label.into(), log: false }
    }

    /// A logarithmic axis; ", log scale" is appended to the description so the reader is told.
    pub fn log(label: impl Into<Text>) -> Self {
        Self { label: tr!(AXIS_LOG, label = label.into()), log: true }
    }

    /// Logarithmic when the positive values span more than [`DECADES_FOR_LOG`] decades, else linear.
    pub fn auto(label: impl Into<Text>, values: impl IntoIterator<Item = f64>) -> Self {
        if spans_decades(values) { Self::log(label) } else { Self::linear(label) }
    }
}

/// A ratio max/min above which an axis switches to log scale (10^1.5 ≈ 32x).
pub const DECADES_FOR_LOG: f64 = 1.5;

/// `true` when the positive finite values span more than [`DECADES_FOR_LOG`] decades.
pub fn spans_decades(values: impl IntoIterator<Item = f64>) -> bool {
    let (mut lo, mut hi) = (f64::INFINITY, 0f64);
    for v in values.into_iter().filter(|v| v.is_finite() && *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    hi > 0.0 && (hi / lo).log10() > DECADES_FOR_LOG
}

/// What colour a series takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    /// The transport's colour (the same in every chart).
    Transport(Transport),
    /// Theory and quoted reference values: grey.
    Theory,
    /// 503 answers.
    Rejected,
    /// Other errors.
    Error,
    /// Plain black.
    Ink,
}

/// How a line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Measured values: solid line with point markers.
    Measured,
    /// A second measured statistic of the same series (e.g. p99 next to p50): dashed with markers.
    MeasuredDashed,
    /// A measured value that does not depend on x (e.g. SSE latency on a poll-interval axis): dotted-dashed,
    /// no markers.
    Level,
    /// Theory or a quoted reference: grey dashed, no markers.
    Theory,
}

impl LineKind {
    /// Whether points are marked: measured values are, levels and theory lines are not.
    pub fn has_markers(self) -> bool {
        matches!(self, LineKind::Measured | LineKind::MeasuredDashed)
    }
}

/// One line of a line chart or timeline panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: Text,
    /// Colour.
    pub color: Color,
    /// Line style.
    pub kind: LineKind,
    /// Points in data units, sorted by x.
    pub points: Vec<(f64, f64)>,
}

/// Lines over a numeric x axis.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: Text,
    /// X axis.
    pub x: Axis,
    /// Y axis.
    pub y: Axis,
    /// The lines.
    pub series: Vec<Series>,
}

/// A horizontal reference line across a bar chart (e.g. Kaazing's 871 B per poll).
#[derive(Debug, Clone, PartialEq)]
pub struct RefLine {
    /// Value in y units.
    pub y: f64,
    /// Legend text, saying where the value comes from.
    pub label: Text,
}

/// One series of bars (one bar per group).
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    /// Legend text.
    pub label: Text,
    /// Colour.
    pub color: Color,
    /// One value per group; `None` when not measured (no bar drawn).
    pub values: Vec<Option<f64>>,
}

/// Grouped bars.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: Text,
    /// Description of the categories on x.
    pub x_label: Text,
    /// Category names, left to right.
    pub groups: Vec<Text>,
    /// Y axis.
    pub y: Axis,
    /// Bars: each series has one bar in every group.
    pub series: Vec<BarSeries>,
    /// Horizontal reference lines.
    pub refs: Vec<RefLine>,
}

/// One panel of a timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Y axis of this panel.
    pub y: Axis,
    /// Lines of this panel (x = seconds).
    pub series: Vec<Series>,
}

/// Panels stacked vertically over one time axis.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineChart {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: Text,
    /// The shared x (time) axis.
    pub x: Axis,
    /// Panels, top to bottom.
    pub panels: Vec<Panel>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_only_when_spanning_decades() {
        assert!(!spans_decades([1.0, 20.0]));
        assert!(spans_decades([1.0, 100.0]));
        assert!(spans_decades([0.0, 2.0, 871.0]));
        assert!(!spans_decades([0.0, 0.0]));
        assert!(Axis::auto("bytes (B)", [2.0, 871.0]).log);
        assert!(Axis::auto("bytes (B)", [2.0, 871.0]).label[crate::Lang::En].contains("log scale"));
    }
}
