//! Timelines: panels stacked over one time axis (the overload experiment: requests/s and 503s/s on top,
//! p99 latency below), each panel with its own legend beside it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::lines::{draw_panel, legend_entries, x_scale};
use super::{DrawResult, draw_legend, split_legend};
use crate::chart::TimelineChart;
use crate::text::Lang;

pub(super) fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, c: &TimelineChart, lang: Lang) -> DrawResult<DB> {
    let x = x_scale(&c.x, c.panels.iter().flat_map(|p| p.series.iter()));
    let rows = area.split_evenly((c.panels.len().max(1), 1));
    for (panel, row) in c.panels.iter().zip(rows) {
        let (plot, legend) = split_legend(&row);
        draw_panel(&plot, &c.x, x.clone(), &panel.y, &panel.series, lang)?;
        draw_legend(&legend, &legend_entries(&panel.series, lang), lang)?;
    }
    Ok(())
}
