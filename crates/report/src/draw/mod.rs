//! Drawing: turns a [`Chart`] description into an SVG and a PNG file in one language. One file per chart kind
//! (`bars.rs`, `lines.rs`, `timeline.rs`); what they share is the axis scale (`scale.rs`: linear or log,
//! with readable ticks), the legend drawn beside the plot (`legend.rs`, never over data), and here the
//! backends, series colours and markers, and the axis mesh. Every size, colour and font comes from `style`.
//!
//! Only this module tree touches plotters, and it never reads result files: it draws what it is given.

mod bars;
mod legend;
mod lines;
mod scale;
mod timeline;

use std::path::Path;

use plotters::prelude::*;

use crate::chart::{Chart, Color as SeriesColor};
use crate::error::Error;
use crate::style;
use crate::text::Lang;
use legend::{LegendEntry, LegendKind, draw_legend, split_legend};
use scale::Scale;

/// Draws `chart`'s `lang` texts into an SVG file and a PNG file.
pub fn render(chart: &Chart, lang: Lang, svg: &Path, png: &Path) -> Result<(), Error> {
    style::register_font()?;
    let size = size_of(chart);
    let plot_err = |path: &Path| {
        let path = path.to_owned();
        move |message: String| Error::Plot { path, message }
    };
    {
        let root = SVGBackend::new(svg, size).into_drawing_area();
        draw(&root, chart, lang).map_err(|e| e.to_string()).map_err(plot_err(svg))?;
        root.present().map_err(|e| e.to_string()).map_err(plot_err(svg))?;
    }
    {
        let root = BitMapBackend::new(png, size).into_drawing_area();
        draw(&root, chart, lang).map_err(|e| e.to_string()).map_err(plot_err(png))?;
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

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &Chart,
    lang: Lang,
) -> DrawResult<DB> {
    root.fill(&style::BACKGROUND)?;
    let body = root.margin(style::MARGIN, style::MARGIN, style::MARGIN, style::MARGIN);
    let title = (style::font(lang), style::TITLE_SIZE).into_font().color(&style::INK);
    let body = body.titled(&chart.title()[lang], title)?;
    match chart {
        Chart::Bars(c) => bars::draw(&body, c, lang),
        Chart::Lines(c) => lines::draw(&body, c, lang),
        Chart::Timeline(c) => timeline::draw(&body, c, lang),
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
        style::Marker::TriangleDown => vec![(0, r + 1), (r + 1, -r), (-r - 1, -r)],
        style::Marker::Plus => {
            let (a, b) = (r / 3 + 1, r + 1);
            vec![
                (-a, -b),
                (a, -b),
                (a, -a),
                (b, -a),
                (b, a),
                (a, a),
                (a, b),
                (-a, b),
                (-a, a),
                (-b, a),
                (-b, -a),
                (-a, -a),
            ]
        }
    }
}

/// The axis descriptions of a panel, in the language being drawn.
struct AxisDesc<'a> {
    x: &'a str,
    y: &'a str,
    lang: Lang,
}

/// Axis mesh settings shared by every chart kind: fonts, label counts, light grid.
fn configure_mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<Scale, Scale>>,
    desc: AxisDesc<'_>,
    x_format: &dyn Fn(&f64) -> String,
    grid_x: bool,
) -> DrawResult<DB> {
    let font = style::font(desc.lang);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(desc.x)
        .y_desc(desc.y)
        .x_label_formatter(x_format)
        .y_label_formatter(&|v| style::format_tick(*v))
        .label_style((font, style::LABEL_SIZE).into_font().color(&style::INK))
        .axis_desc_style((font, style::AXIS_DESC_SIZE).into_font().color(&style::INK))
        .x_labels(style::TICK_LABELS.0)
        .y_labels(style::TICK_LABELS.1)
        .bold_line_style(style::INK.mix(style::GRID_ALPHA.0))
        .light_line_style(style::INK.mix(style::GRID_ALPHA.1));
    if !grid_x {
        mesh.disable_x_mesh();
    }
    mesh.draw()
}
