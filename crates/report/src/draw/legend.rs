//! The legend, drawn in a column beside the plot (never over data): one row per series, a sample drawn like
//! the series and its label, shrunk rather than clipped when too long for the column.

use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::{DrawResult, marker_vertices};
use crate::chart::LineKind;
use crate::style;
use crate::text::Lang;

/// One legend entry: a line sample (solid, dashed, or a filled box for bars) and its text.
pub(super) struct LegendEntry {
    /// The text, in the language being drawn.
    pub(super) label: String,
    /// The series' colour.
    pub(super) color: RGBColor,
    /// The marker drawn on a measured line's sample.
    pub(super) marker: style::Marker,
    /// Line or box.
    pub(super) kind: LegendKind,
}

/// What an entry's sample looks like.
#[derive(Clone, Copy)]
pub(super) enum LegendKind {
    /// A line drawn like the series (with its marker when measured).
    Line(LineKind),
    /// A filled box (bar charts).
    Box,
}

/// Splits an area into the plot (left) and a legend column (right).
pub(super) fn split_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
) -> (DrawingArea<DB, plotters::coord::Shift>, DrawingArea<DB, plotters::coord::Shift>) {
    let width = area.dim_in_pixel().0;
    area.split_horizontally(width.saturating_sub(style::LEGEND_WIDTH))
}

/// Draws legend entries top-down in the legend column, starting level with the top of the plot.
pub(super) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[LegendEntry],
    lang: Lang,
) -> DrawResult<DB> {
    let text = (style::font(lang), style::LEGEND_SIZE).into_font().color(&style::INK);
    let line_h = style::LEGEND_SIZE as i32 + style::LEGEND_ROW_GAP;
    let (x0, top) = style::LEGEND_ORIGIN;
    let (sample_w, box_h) = style::LEGEND_SAMPLE;
    let (gap, right) = style::LEGEND_TEXT_GAP;
    for (i, e) in entries.iter().enumerate() {
        let y = top + i as i32 * line_h;
        match e.kind {
            LegendKind::Box => {
                area.draw(&Rectangle::new([(x0, y - box_h), (x0 + sample_w, y + box_h)], e.color.filled()))?;
            }
            LegendKind::Line(kind) => {
                let (dash, width) = style::line_style(kind);
                let (pts, stroke) = (vec![(x0, y), (x0 + sample_w, y)], e.color.stroke_width(width));
                match dash {
                    None => area.draw(&PathElement::new(pts, stroke))?,
                    Some((len, space)) => area.draw(&DashedPathElement::new(pts, len, space, stroke))?,
                }
                if kind.has_markers() {
                    let at = EmptyElement::at((x0 + sample_w / 2, y));
                    area.draw(&(at + Polygon::new(marker_vertices(e.marker), e.color.filled())))?;
                }
            }
        }
        // A label too long for the column is drawn smaller rather than clipped at the image edge.
        let room = style::LEGEND_WIDTH as i32 - (x0 + sample_w + gap) - right;
        let (w, _) = area.estimate_text_size(&e.label, &text)?;
        let size = if w as i32 > room {
            (f64::from(style::LEGEND_SIZE) * f64::from(room) / f64::from(w)).floor().max(style::LEGEND_MIN_SIZE)
        } else {
            f64::from(style::LEGEND_SIZE)
        };
        let font = (style::font(lang), size).into_font().color(&style::INK);
        area.draw(&Text::new(
            e.label.clone(),
            (x0 + sample_w + gap, y),
            font.pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Left,
                plotters::style::text_anchor::VPos::Center,
            )),
        ))?;
    }
    Ok(())
}
