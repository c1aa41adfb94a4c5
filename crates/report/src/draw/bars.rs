//! Grouped bar charts (bytes per message per transport and profile, idle cost per transport): one bar per
//! series in each group, the value printed above each bar, dashed grey reference lines for quoted figures.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{AxisDesc, DrawResult, LegendEntry, LegendKind, Scale, configure_mesh, draw_legend, rgb, split_legend};
use crate::chart::{BarChart, LineKind};
use crate::style;
use crate::text::Lang;

pub(super) fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, c: &BarChart, lang: Lang) -> DrawResult<DB> {
    let (plot, legend) = split_legend(area);
    let n = c.groups.len().max(1);
    let values: Vec<f64> = c.series.iter().flat_map(|s| s.values.iter().flatten().copied()).collect();
    let headroom = if c.y.log { style::BAR_HEADROOM.0 } else { style::BAR_HEADROOM.1 };
    let top = values.iter().copied().fold(0f64, f64::max) * headroom;
    let y = Scale::covering(values.iter().copied().chain(c.refs.iter().map(|r| r.y)).chain([top]), c.y.log, true);
    let x = Scale::fixed(0.0..n as f64, (0..n).map(|g| g as f64 + 0.5).collect());
    let bottom = y.lo();
    let mut chart = ChartBuilder::on(&plot)
        .margin(style::PLOT_MARGIN)
        .x_label_area_size(style::X_LABEL_AREA)
        .y_label_area_size(style::Y_LABEL_AREA)
        .build_cartesian_2d(x, y)?;
    let groups: Vec<String> = c.groups.iter().map(|g| g[lang].to_owned()).collect();
    let group_name = move |v: &f64| groups.get(v.floor().max(0.0) as usize).cloned().unwrap_or_default();
    configure_mesh(&mut chart, AxisDesc { x: &c.x_label[lang], y: &c.y.label[lang], lang }, &group_name, false)?;

    let value_style =
        (style::font(lang), style::VALUE_SIZE).into_font().color(&style::INK).pos(Pos::new(HPos::Center, VPos::Bottom));
    for g in 0..c.groups.len() {
        // Only series measured in this group get a slot, so a group never shows gaps for missing bars.
        let present: Vec<(&crate::chart::BarSeries, f64)> =
            c.series.iter().filter_map(|s| Some((s, (*s.values.get(g)?)?))).collect();
        let slot = style::BAR_GROUP_FILL / present.len().max(1) as f64;
        for (i, (s, v)) in present.into_iter().enumerate() {
            let color = rgb(s.color);
            let left = g as f64 + (1.0 - style::BAR_GROUP_FILL) / 2.0 + i as f64 * slot;
            let (x0, x1) = (left + slot * style::BAR_GAP, left + slot * (1.0 - style::BAR_GAP));
            let visible = v > bottom || (!c.y.log && v > 0.0);
            if visible {
                chart.draw_series(std::iter::once(Rectangle::new([(x0, bottom), (x1, v)], color.filled())))?;
            }
            let at = if visible { v } else { bottom };
            chart.draw_series(std::iter::once(
                EmptyElement::at(((x0 + x1) / 2.0, at))
                    + Text::new(style::format_number(v), (0, -style::BAR_VALUE_GAP), value_style.clone()),
            ))?;
        }
    }
    for r in &c.refs {
        chart.draw_series(DashedLineSeries::new(
            [(0.0, r.y), (n as f64, r.y)],
            style::DASH.0,
            style::DASH.1,
            style::THEORY.stroke_width(style::REF_WIDTH),
        ))?;
    }

    let mut entries: Vec<LegendEntry> = c
        .series
        .iter()
        .map(|s| LegendEntry {
            label: s.label[lang].to_owned(),
            color: rgb(s.color),
            marker: style::Marker::Circle,
            kind: LegendKind::Box,
        })
        .collect();
    entries.extend(c.refs.iter().map(|r| LegendEntry {
        label: r.label[lang].to_owned(),
        color: style::THEORY,
        marker: style::Marker::Circle,
        kind: LegendKind::Line(LineKind::Theory),
    }));
    draw_legend(&legend, &entries, lang)
}
