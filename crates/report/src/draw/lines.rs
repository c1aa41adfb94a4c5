//! Line charts over a numeric x axis (latency vs poll interval, cost vs message rate, memory vs clients,
//! latency vs RTT): measured series solid with markers, second statistics dashed, theory lines grey dashed.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    AxisDesc, DrawResult, LegendEntry, LegendKind, Scale, configure_mesh, draw_legend, marker_of, marker_vertices, rgb,
    split_legend,
};
use crate::chart::{Axis, LineChart, Series};
use crate::style;
use crate::text::Lang;

pub(super) fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, c: &LineChart, lang: Lang) -> DrawResult<DB> {
    let (plot, legend) = split_legend(area);
    let x = x_scale(&c.x, &c.series);
    draw_panel(&plot, &c.x, x, &c.y, &c.series, lang)?;
    draw_legend(&legend, &legend_entries(&c.series, lang), lang)
}

/// The x scale covering every series' points.
pub(super) fn x_scale<'a>(x: &Axis, series: impl IntoIterator<Item = &'a Series>) -> Scale {
    Scale::tight(series.into_iter().flat_map(|s| s.points.iter().map(|p| p.0)), x.log, !x.log)
}

/// Legend entries for a set of series, in order.
pub(super) fn legend_entries(series: &[Series], lang: Lang) -> Vec<LegendEntry> {
    series
        .iter()
        .map(|s| LegendEntry {
            label: s.label[lang].to_owned(),
            color: rgb(s.color),
            marker: marker_of(s.color),
            kind: LegendKind::Line(s.kind),
        })
        .collect()
}

/// Draws one set of axes with its series into `area` (no legend).
pub(super) fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x_axis: &Axis,
    x: Scale,
    y_axis: &Axis,
    series: &[Series],
    lang: Lang,
) -> DrawResult<DB> {
    let y = Scale::covering(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), y_axis.log, true);
    let mut chart = ChartBuilder::on(area)
        .margin(style::PLOT_MARGIN)
        .x_label_area_size(style::X_LABEL_AREA)
        .y_label_area_size(style::Y_LABEL_AREA)
        .build_cartesian_2d(x, y)?;
    let desc = AxisDesc { x: &x_axis.label[lang], y: &y_axis.label[lang], lang };
    configure_mesh(&mut chart, desc, &|v| style::format_tick(*v), true)?;
    for s in series {
        // A log axis cannot show zero or negative values: such points are left out, not faked.
        let points: Vec<(f64, f64)> = s
            .points
            .iter()
            .copied()
            .filter(|(px, py)| {
                px.is_finite() && py.is_finite() && (!x_axis.log || *px > 0.0) && (!y_axis.log || *py > 0.0)
            })
            .collect();
        let color = rgb(s.color);
        let (dash, width) = style::line_style(s.kind);
        let stroke = color.stroke_width(width);
        match dash {
            None => chart.draw_series(LineSeries::new(points.clone(), stroke))?,
            Some((len, gap)) => chart.draw_series(DashedLineSeries::new(points.clone(), len, gap, stroke))?,
        };
        if s.kind.has_markers() {
            let shape = marker_vertices(marker_of(s.color));
            chart.draw_series(
                points.iter().map(|p| EmptyElement::at(*p) + Polygon::new(shape.clone(), color.filled())),
            )?;
        }
    }
    Ok(())
}
