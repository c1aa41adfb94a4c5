//! Drawing: turns a [`Chart`] description into `<name>.svg` and `<name>.png`. One file per chart kind
//! (`bars.rs`, `lines.rs`, `timeline.rs`); this module holds what they share: the axis scale (linear or log,
//! with readable ticks), the legend drawn beside the plot (never over data), and the backends.
//!
//! Only this module tree touches plotters, and it never reads result files: it draws what it is given.

mod bars;
mod lines;
mod timeline;

use std::ops::Range;
use std::path::Path;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::chart::{Chart, Color as SeriesColor, LineKind};
use crate::error::Error;
use crate::style;

/// Draws `chart` into an SVG file and a PNG file.
pub fn render(chart: &Chart, svg: &Path, png: &Path) -> Result<(), Error> {
    style::register_font()?;
    let size = size_of(chart);
    let plot_err = |path: &Path| {
        let path = path.to_owned();
        move |message: String| Error::Plot { path, message }
    };
    {
        let root = SVGBackend::new(svg, size).into_drawing_area();
        draw(&root, chart).map_err(|e| e.to_string()).map_err(plot_err(svg))?;
        root.present().map_err(|e| e.to_string()).map_err(plot_err(svg))?;
    }
    {
        let root = BitMapBackend::new(png, size).into_drawing_area();
        draw(&root, chart).map_err(|e| e.to_string()).map_err(plot_err(png))?;
        root.present().map_err(|e| e.to_string()).map_err(plot_err(png))?;
    }
    Ok(())
}

/// Pixel size of a chart: taller when it stacks panels.
pub fn size_of(chart: &Chart) -> (u32, u32) {
    match chart {
        Chart::Timeline(t) if t.panels.len() > 1 => (style::SIZE.0, style::TWO_PANEL_HEIGHT),
        _ => style::SIZE,
    }
}

/// Shorthand for the error every drawing function returns.
type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, plotters::coord::Shift>, chart: &Chart) -> DrawResult<DB> {
    root.fill(&style::BACKGROUND)?;
    let body = root.margin(style::MARGIN, style::MARGIN, style::MARGIN, style::MARGIN);
    let body = body.titled(chart.title(), (style::FONT, style::TITLE_SIZE).into_font().color(&style::INK))?;
    match chart {
        Chart::Bars(c) => bars::draw(&body, c),
        Chart::Lines(c) => lines::draw(&body, c),
        Chart::Timeline(c) => timeline::draw(&body, c),
    }
}

/// The RGB colour of a series colour.
fn rgb(c: SeriesColor) -> RGBColor {
    match c {
        SeriesColor::Transport(t) => style::transport_color(t),
        SeriesColor::Theory => style::THEORY,
        SeriesColor::Rejected => style::REJECTED,
        SeriesColor::Error => style::ERROR,
        SeriesColor::Ink => style::INK,
    }
}

/// The marker shape of a series colour: the transport's own, a circle for everything else.
fn marker_of(c: SeriesColor) -> style::Marker {
    match c {
        SeriesColor::Transport(t) => style::transport_marker(t),
        _ => style::Marker::Circle,
    }
}

/// A marker's outline in pixel offsets from its centre: every shape is a filled polygon, so a series'
/// markers are drawn in one call whatever their shape.
fn marker_vertices(marker: style::Marker) -> Vec<(i32, i32)> {
    let r = style::POINT_SIZE as i32 + 1;
    match marker {
        style::Marker::Circle => (0..12)
            .map(|i| {
                let a = f64::from(i) * std::f64::consts::PI / 6.0;
                ((f64::from(r) * a.cos()).round() as i32, (f64::from(r) * a.sin()).round() as i32)
            })
            .collect(),
        style::Marker::Square => vec![(-r + 1, -r + 1), (r - 1, -r + 1), (r - 1, r - 1), (-r + 1, r - 1)],
        style::Marker::Triangle => vec![(0, -r - 1), (r + 1, r), (-r - 1, r)],
        style::Marker::Diamond => vec![(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)],
    }
}

/// Width of the legend column right of the plot, pixels.
const LEGEND_WIDTH: u32 = 250;

/// One legend entry: a line sample (solid, dashed, or a filled box for bars) and its text.
struct LegendEntry {
    label: String,
    color: RGBColor,
    marker: style::Marker,
    kind: LegendKind,
}

#[derive(Clone, Copy)]
enum LegendKind {
    Line(LineKind),
    Box,
}

/// Splits an area into the plot (left) and a legend column (right).
fn split_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
) -> (DrawingArea<DB, plotters::coord::Shift>, DrawingArea<DB, plotters::coord::Shift>) {
    let width = area.dim_in_pixel().0;
    area.split_horizontally(width.saturating_sub(LEGEND_WIDTH))
}

/// Draws legend entries top-down in the legend column, starting level with the top of the plot.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[LegendEntry],
) -> DrawResult<DB> {
    let text = (style::FONT, style::LEGEND_SIZE).into_font().color(&style::INK);
    let line_h = style::LEGEND_SIZE as i32 + 12;
    let (x0, sample_w) = (12, 34);
    for (i, e) in entries.iter().enumerate() {
        let y = 20 + i as i32 * line_h;
        let width = match e.kind {
            LegendKind::Line(LineKind::Theory | LineKind::Level) => style::REF_WIDTH,
            _ => style::LINE_WIDTH,
        };
        let stroke = e.color.stroke_width(width);
        match e.kind {
            LegendKind::Box => {
                area.draw(&Rectangle::new([(x0, y - 7), (x0 + sample_w, y + 7)], e.color.filled()))?;
            }
            LegendKind::Line(kind) => {
                let pts = vec![(x0, y), (x0 + sample_w, y)];
                match kind {
                    LineKind::Measured => area.draw(&PathElement::new(pts, stroke))?,
                    LineKind::MeasuredDashed | LineKind::Theory => {
                        area.draw(&DashedPathElement::new(pts, style::DASH.0, style::DASH.1, stroke))?
                    }
                    LineKind::Level => area.draw(&DashedPathElement::new(pts, 4, 4, stroke))?,
                }
                if matches!(kind, LineKind::Measured | LineKind::MeasuredDashed) {
                    let at = EmptyElement::at((x0 + sample_w / 2, y));
                    area.draw(&(at + Polygon::new(marker_vertices(e.marker), e.color.filled())))?;
                }
            }
        }
        // A label too long for the column is drawn smaller rather than clipped at the image edge.
        let room = LEGEND_WIDTH as i32 - (x0 + sample_w + 8) - 6;
        let (w, _) = area.estimate_text_size(&e.label, &text)?;
        let size = if w as i32 > room {
            (f64::from(style::LEGEND_SIZE) * f64::from(room) / f64::from(w)).floor().max(9.0)
        } else {
            f64::from(style::LEGEND_SIZE)
        };
        let font = (style::FONT, size).into_font().color(&style::INK);
        area.draw(&Text::new(
            e.label.clone(),
            (x0 + sample_w + 8, y),
            font.pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Left,
                plotters::style::text_anchor::VPos::Center,
            )),
        ))?;
    }
    Ok(())
}

/// A one-dimensional scale, linear or logarithmic, with ticks a reader can read (1-2-5 steps, decades).
/// One type for both so every chart kind has one code path regardless of the scales it uses.
#[derive(Debug, Clone)]
pub(crate) struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
    /// Fixed tick positions (bar charts put one per group); `None` computes them.
    ticks: Option<Vec<f64>>,
}

impl Scale {
    /// A scale covering `values` (non-finite values ignored; non-positive ones too when `log`), rounded out
    /// to whole decades (log) or to tick steps (linear, from 0 when `from_zero` and all values are >= 0).
    pub(crate) fn covering(values: impl IntoIterator<Item = f64>, log: bool, from_zero: bool) -> Scale {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for v in values.into_iter().filter(|v| v.is_finite() && (!log || *v > 0.0)) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if log {
            if !lo.is_finite() {
                return Scale { lo: 1.0, hi: 10.0, log, ticks: None };
            }
            let lo = 10f64.powf(lo.log10().floor());
            let mut hi = 10f64.powf(hi.log10().ceil());
            if hi <= lo {
                hi = lo * 10.0;
            }
            return Scale { lo, hi, log, ticks: None };
        }
        if !lo.is_finite() {
            return Scale { lo: 0.0, hi: 1.0, log, ticks: None };
        }
        if from_zero && lo >= 0.0 {
            lo = 0.0;
        }
        if hi <= lo {
            hi = if lo == 0.0 { 1.0 } else { lo + lo.abs() * 0.5 };
        }
        let pad = (hi - lo) * 0.06;
        let step = nice_step((hi + pad - lo) / 6.0);
        let lo = if lo == 0.0 { 0.0 } else { ((lo - pad) / step).floor() * step };
        let hi = ((hi + pad) / step).ceil() * step;
        Scale { lo, hi, log, ticks: None }
    }

    /// A scale fitting `values` closely, for x axes: a log axis spans the data with a little room (no
    /// rounding out to whole decades), a linear one starts at 0 when `from_zero` and ends at the largest value.
    pub(crate) fn tight(values: impl IntoIterator<Item = f64>, log: bool, from_zero: bool) -> Scale {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for v in values.into_iter().filter(|v| v.is_finite() && (!log || *v > 0.0)) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() || hi <= lo {
            return Scale::covering([lo, hi], log, from_zero);
        }
        if log {
            return Scale { lo: lo / 1.1, hi: hi * 1.1, log, ticks: None };
        }
        let lo = if from_zero && lo >= 0.0 { 0.0 } else { lo };
        let pad = (hi - lo) * 0.02;
        Scale { lo: if lo == 0.0 { 0.0 } else { lo - pad }, hi: hi + pad, log, ticks: None }
    }

    /// A linear scale with explicit bounds and tick positions (bar chart groups).
    pub(crate) fn fixed(range: Range<f64>, ticks: Vec<f64>) -> Scale {
        Scale { lo: range.start, hi: range.end, log: false, ticks: Some(ticks) }
    }

    /// Lower bound: where bars start.
    pub(crate) fn lo(&self) -> f64 {
        self.lo
    }

    fn to_unit(&self, v: f64) -> f64 {
        if self.log {
            let v = v.max(self.lo * 1e-6);
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    fn ticks(&self, max_points: usize, light: bool) -> Vec<f64> {
        if let Some(t) = &self.ticks {
            return t.clone();
        }
        let max_points = max_points.max(2);
        if self.log {
            let decades = (self.hi / self.lo).log10();
            let (e0, e1) = (self.lo.log10().floor() as i32, self.hi.log10().ceil() as i32);
            let inside = |v: &f64| *v >= self.lo * (1.0 - 1e-9) && *v <= self.hi * (1.0 + 1e-9);
            let with = |mults: &[f64], every: i32| -> Vec<f64> {
                (e0..=e1)
                    .filter(|e| (e - e0) % every == 0)
                    .flat_map(|e| mults.iter().map(move |m| m * 10f64.powi(e)))
                    .filter(inside)
                    .collect()
            };
            if light && decades <= 6.0 {
                return with(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], 1);
            }
            let dense = with(&[1.0, 2.0, 5.0], 1);
            if decades <= 2.5 && dense.len() <= max_points {
                return dense;
            }
            let every = ((decades.ceil() as usize).div_ceil(max_points)).max(1) as i32;
            with(&[1.0], every)
        } else {
            let step = nice_step((self.hi - self.lo) / max_points.min(if light { 30 } else { 8 }) as f64);
            let mut out = Vec::new();
            let mut v = (self.lo / step).ceil() * step;
            while v <= self.hi + step * 1e-9 {
                out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
                v += step;
            }
            out
        }
    }
}

/// The smallest of 1, 2, 5 x 10^k that is >= `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let base = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * base >= raw * (1.0 - 1e-9) {
            return m * base;
        }
    }
    10.0 * base
}

impl Ranged for Scale {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let f = self.to_unit(*value);
        let px = f64::from(limit.1 - limit.0) * f + 1e-3;
        limit.0 + px.floor().clamp(-1e6, 1e6) as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        self.ticks(hint.max_num_points(), hint.weight().allow_light_points())
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Scale {
    fn format(value: &f64) -> String {
        style::format_tick(*value)
    }
}

/// Axis mesh settings shared by every chart kind: fonts, label counts, light grid.
fn configure_mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<Scale, Scale>>,
    x_desc: &str,
    y_desc: &str,
    x_format: &dyn Fn(&f64) -> String,
    grid_x: bool,
) -> DrawResult<DB> {
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(x_format)
        .y_label_formatter(&|v| style::format_tick(*v))
        .label_style((style::FONT, style::LABEL_SIZE).into_font().color(&style::INK))
        .axis_desc_style((style::FONT, style::AXIS_DESC_SIZE).into_font().color(&style::INK))
        .x_labels(10)
        .y_labels(8)
        .bold_line_style(style::INK.mix(0.15))
        .light_line_style(style::INK.mix(0.05));
    if !grid_x {
        mesh.disable_x_mesh();
    }
    mesh.draw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_scale_rounds_to_decades() {
        let s = Scale::covering([2.0, 871.0, 0.0, f64::NAN], true, false);
        assert_eq!((s.lo, s.hi), (1.0, 1000.0));
        assert_eq!(s.ticks(10, false), vec![1.0, 10.0, 100.0, 1000.0]);
        let s = Scale::covering([50.0, 70.0], true, false);
        assert_eq!((s.lo, s.hi), (10.0, 100.0));
        assert_eq!(s.ticks(10, false), vec![10.0, 20.0, 50.0, 100.0]);
        let s = Scale::covering([0.001, 1e9], true, false);
        assert!(s.ticks(5, false).len() <= 7);
        let s = Scale::tight([100.0, 20_000.0], true, false);
        assert!(s.hi < 30_000.0);
        assert_eq!(s.ticks(10, false), vec![100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0]);
        let s = Scale::tight([1.0, 40.0], false, true);
        assert_eq!(s.lo, 0.0);
        assert!(s.hi < 42.0);
    }

    #[test]
    fn linear_scale_starts_at_zero_and_has_nice_ticks() {
        let s = Scale::covering([3.0, 97.0], false, true);
        assert_eq!(s.lo, 0.0);
        assert!(s.hi >= 97.0);
        let t = s.ticks(8, false);
        assert_eq!(t[0], 0.0);
        assert!(t.windows(2).all(|w| w[1] > w[0]));
        let s = Scale::covering([5.0, 5.0], false, false);
        assert!(s.hi > s.lo);
        let s = Scale::covering([], false, true);
        assert_eq!((s.lo, s.hi), (0.0, 1.0));
    }

    #[test]
    fn mapping_is_monotonic_on_both_scales() {
        for s in [Scale::covering([1.0, 1000.0], true, false), Scale::covering([1.0, 1000.0], false, true)] {
            let a = s.map(&10.0, (0, 500));
            let b = s.map(&100.0, (0, 500));
            assert!(a < b, "{s:?}");
            assert_eq!(s.map(&s.lo, (0, 500)), 0);
        }
    }

    #[test]
    fn steps() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1.2), 2.0);
        assert_eq!(nice_step(300.0), 500.0);
    }
}
