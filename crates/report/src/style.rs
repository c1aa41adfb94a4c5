//! Every visual constant of the charts in one place: size, fonts, the colour of each transport (the same in
//! every chart, so a reader learns "blue is WebSocket" once), and how numbers are written on axes.
//!
//! Colours are the Okabe-Ito palette, chosen to stay distinguishable for colour-blind readers and in grey.

use std::sync::OnceLock;

use plotters::style::{FontStyle, RGBColor};

use crate::data::Transport;
use crate::error::Error;

/// Chart size in pixels (PNG) and user units (SVG): 16:9, readable when scaled to a page column.
pub const SIZE: (u32, u32) = (1000, 560);
/// Height of the second panel of a two-panel chart (the overload timeline), pixels.
pub const TWO_PANEL_HEIGHT: u32 = 760;

/// The font family every text uses; the embedded font is registered under this name.
pub const FONT: &str = "sans-serif";
/// Chart title size, pixels.
pub const TITLE_SIZE: u32 = 24;
/// Axis description ("latency (ms)") size, pixels.
pub const AXIS_DESC_SIZE: u32 = 18;
/// Tick label size, pixels.
pub const LABEL_SIZE: u32 = 15;
/// Legend text size, pixels.
pub const LEGEND_SIZE: u32 = 15;
/// Value printed above a bar, pixels.
pub const VALUE_SIZE: u32 = 13;

/// Space around the plot, pixels.
pub const MARGIN: u32 = 16;
/// Width of the y label area (tick labels + axis description), pixels.
pub const Y_LABEL_AREA: u32 = 90;
/// Height of the x label area, pixels.
pub const X_LABEL_AREA: u32 = 60;
/// Line width of data series, pixels.
pub const LINE_WIDTH: u32 = 3;
/// Line width of theory and reference lines, pixels.
pub const REF_WIDTH: u32 = 2;
/// Radius of the point markers on measured series, pixels.
pub const POINT_SIZE: u32 = 4;
/// Dash length and gap of dashed lines, pixels.
pub const DASH: (u32, u32) = (10, 6);

/// Background.
pub const BACKGROUND: RGBColor = RGBColor(255, 255, 255);
/// Text and axes.
pub const INK: RGBColor = RGBColor(0, 0, 0);
/// Theory lines and quoted reference values (e.g. Kaazing's 871 B): neutral grey, always dashed.
pub const THEORY: RGBColor = RGBColor(90, 90, 90);
/// Over-capacity answers (503) in the overload timeline: not a transport colour.
pub const REJECTED: RGBColor = RGBColor(204, 121, 167);
/// Other errors in the overload timeline.
pub const ERROR: RGBColor = RGBColor(213, 94, 0);

/// The colour of a transport, identical in every chart.
pub fn transport_color(t: Transport) -> RGBColor {
    match t {
        Transport::Poll => RGBColor(230, 159, 0),      // orange
        Transport::Longpoll => RGBColor(86, 180, 233), // sky blue
        Transport::Sse => RGBColor(0, 158, 115),       // bluish green
        Transport::Ws => RGBColor(0, 114, 178),        // blue
    }
}

/// Shape of the point markers of a transport's measured series: a second cue besides colour, so series that
/// lie on top of each other and grey-scale prints stay readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Polling.
    Circle,
    /// Long-polling.
    Square,
    /// SSE.
    Triangle,
    /// WebSocket.
    Diamond,
}

/// The marker of a transport, identical in every chart.
pub fn transport_marker(t: Transport) -> Marker {
    match t {
        Transport::Poll => Marker::Circle,
        Transport::Longpoll => Marker::Square,
        Transport::Sse => Marker::Triangle,
        Transport::Ws => Marker::Diamond,
    }
}

/// The embedded font: DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE-DejaVu.txt`), from the Debian
/// package `fonts-dejavu-core` 2.37. Embedded so charts render the same on a fresh machine with no font
/// library installed.
static FONT_BYTES: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Registers the embedded font with plotters, once per process. Every drawing entry point calls it.
pub fn register_font() -> Result<(), Error> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok { Ok(()) } else { Err(Error::Font) }
}

/// Writes a number for a tick label or a table: few significant digits, thousands as `k`/`M` above 10,000,
/// no trailing zeros (`0.5`, `12`, `1.5k`, `20k`, `1M`).
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return "-".to_owned();
    }
    let a = v.abs();
    if a >= 1e6 {
        return format!("{}M", trim(v / 1e6, 2));
    }
    if a >= 1e4 {
        return format!("{}k", trim(v / 1e3, 1));
    }
    if a >= 100.0 {
        return format!("{v:.0}");
    }
    if a >= 10.0 {
        return trim(v, 1);
    }
    if a >= 1.0 {
        return trim(v, 2);
    }
    if a == 0.0 {
        return "0".to_owned();
    }
    // Below 1: keep two significant digits.
    let decimals = (-a.log10().floor()) as usize + 1;
    trim(v, decimals.min(9))
}

/// Like [`format_number`] but with thousands separators for integers up to a million: tables read better.
pub fn format_table(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1000.0 && v.abs() < 1e9 && v.fract().abs() < 1e-9 {
        let s = format!("{:.0}", v.abs());
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 { format!("-{out}") } else { out }
    } else if v.is_finite() && v.abs() >= 1000.0 {
        format_table(v.round())
    } else {
        format_number(v)
    }
}

/// Writes an axis tick: like [`format_number`], but thousands as `k` from 1,000 so a log axis reads
/// `100, 1k, 10k` rather than `100, 1000, 10k`.
pub fn format_tick(v: f64) -> String {
    if v.is_finite() && (1e3..1e6).contains(&v.abs()) { format!("{}k", trim(v / 1e3, 1)) } else { format_number(v) }
}

fn trim(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(0.5), "0.5");
        assert_eq!(format_number(0.015), "0.015");
        assert_eq!(format_number(0.0123), "0.012");
        assert_eq!(format_number(1.526), "1.53");
        assert_eq!(format_number(6.6), "6.6");
        assert_eq!(format_number(12.0), "12");
        assert_eq!(format_number(871.0), "871");
        assert_eq!(format_number(1000.0), "1000");
        assert_eq!(format_number(20000.0), "20k");
        assert_eq!(format_number(15000.0), "15k");
        assert_eq!(format_number(1e6), "1M");
        assert_eq!(format_tick(1000.0), "1k");
        assert_eq!(format_tick(2500.0), "2.5k");
        assert_eq!(format_tick(500.0), "500");
        assert_eq!(format_table(100000.0), "100,000");
        assert_eq!(format_table(1234.4), "1,234");
        assert_eq!(format_table(871.0), "871");
    }

    #[test]
    fn every_transport_has_its_own_colour() {
        let mut colours: Vec<_> = Transport::ALL.iter().map(|t| transport_color(*t)).collect();
        colours.extend([THEORY, REJECTED, ERROR]);
        for (i, a) in colours.iter().enumerate() {
            for b in &colours[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn font_registers() {
        register_font().unwrap();
        register_font().unwrap();
    }
}
