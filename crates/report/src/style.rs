//! Every visual constant of the charts and pages in one place: size, fonts, spacing, the colour and marker of
//! each transport (the same in every chart, so a reader learns "blue is WebSocket" once), the page's CSS, and
//! how numbers are written on axes and in tables. The drawing code (`draw/`) and the HTML page take every
//! size, colour and font from here.
//!
//! Colours are the Okabe-Ito palette, chosen to stay distinguishable for colour-blind readers and in grey.

use std::sync::OnceLock;

use plotters::style::{FontStyle, RGBColor};

use crate::chart::LineKind;
use crate::data::Transport;
use crate::error::Error;
use crate::text::Lang;

/// Chart size in pixels (PNG) and user units (SVG): 16:9, readable when scaled to a page column.
pub const SIZE: (u32, u32) = (1000, 560);
/// Height of the second panel of a two-panel chart (the overload timeline), pixels.
pub const TWO_PANEL_HEIGHT: u32 = 760;

/// The font family every English text uses; the embedded DejaVu Sans is registered under this name.
pub const FONT: &str = "sans-serif";
/// The family name of the embedded Chinese font in the Chinese report page's `@font-face`.
pub const CJK_FAMILY: &str = "Feedlab CJK";
/// The font family every Chinese chart text uses, registered under this name with the embedded Chinese
/// font. plotters writes the name as it is into SVG's `font-family`, where it reads as a CSS list: the page
/// `index.zh.html` provides "Feedlab CJK"; an SVG opened alone falls back to the viewer's sans-serif.
pub const CJK_FONT: &str = "Feedlab CJK, sans-serif";

/// The font family of a language's charts.
pub fn font(lang: Lang) -> &'static str {
    match lang {
        Lang::En => FONT,
        Lang::Zh => CJK_FONT,
    }
}

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
/// Dash length and gap of a level line (a value that does not depend on x), pixels: shorter than [`DASH`]
/// so the two read apart.
pub const LEVEL_DASH: (u32, u32) = (4, 4);

/// How a line of each kind is drawn: its dash (length, gap; none for solid) and width, pixels. Measured
/// values are thick, references thin; second statistics and theory are dashed, levels dotted.
pub fn line_style(kind: LineKind) -> (Option<(u32, u32)>, u32) {
    match kind {
        LineKind::Measured => (None, LINE_WIDTH),
        LineKind::MeasuredDashed => (Some(DASH), LINE_WIDTH),
        LineKind::Level => (Some(LEVEL_DASH), REF_WIDTH),
        LineKind::Theory => (Some(DASH), REF_WIDTH),
    }
}

/// Space between a panel's edge and its axes, pixels.
pub const PLOT_MARGIN: u32 = 8;
/// How many tick labels an axis aims for (x, y).
pub const TICK_LABELS: (usize, usize) = (10, 8);
/// Opacity of the major and minor grid lines (over [`INK`]): present, never louder than the data.
pub const GRID_ALPHA: (f64, f64) = (0.15, 0.05);

/// Share of a bar group's width the bars take (the rest separates groups).
pub const BAR_GROUP_FILL: f64 = 0.8;
/// Share of a bar's slot left empty between neighbouring bars.
pub const BAR_GAP: f64 = 0.08;
/// Headroom above the tallest bar for its value label: a factor on log scales, a share on linear ones.
pub const BAR_HEADROOM: (f64, f64) = (1.6, 1.08);
/// Gap between a bar's top and its value label, pixels.
pub const BAR_VALUE_GAP: i32 = 3;

/// Width of the legend column right of the plot, pixels.
pub const LEGEND_WIDTH: u32 = 250;
/// Left padding of the legend column and top of its first row, pixels.
pub const LEGEND_ORIGIN: (i32, i32) = (12, 20);
/// Space between two legend rows besides the text height, pixels.
pub const LEGEND_ROW_GAP: i32 = 12;
/// Length of a legend entry's line sample, and half the height of a bar entry's box, pixels.
pub const LEGEND_SAMPLE: (i32, i32) = (34, 7);
/// Space between the sample and the text, and kept free at the column's right edge, pixels.
pub const LEGEND_TEXT_GAP: (i32, i32) = (8, 6);
/// Smallest legend text a long label is shrunk to, pixels.
pub const LEGEND_MIN_SIZE: f64 = 9.0;

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

/// The colour of each transport, in [`Transport::ALL`] order: orange, sky blue, bluish green, blue; then
/// Socket.IO's two, away from all of those: brown (polling) and purple (WebSocket).
const TRANSPORT_COLORS: [RGBColor; Transport::ALL.len()] = [
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 158, 115),
    RGBColor(0, 114, 178),
    RGBColor(153, 102, 51),
    RGBColor(102, 51, 153),
];

/// The colour of a transport, identical in every chart.
pub fn transport_color(t: Transport) -> RGBColor {
    TRANSPORT_COLORS[t.index()]
}

/// Shape of the point markers of a transport's measured series: a second cue besides colour, so series that
/// lie on top of each other and grey-scale prints stay readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Polling, and every series that is not a transport's.
    Circle,
    /// Long-polling.
    Square,
    /// SSE.
    Triangle,
    /// WebSocket.
    Diamond,
    /// Socket.IO polling.
    TriangleDown,
    /// Socket.IO WebSocket.
    Plus,
}

/// The marker of each transport, in [`Transport::ALL`] order.
const TRANSPORT_MARKERS: [Marker; Transport::ALL.len()] =
    [Marker::Circle, Marker::Square, Marker::Triangle, Marker::Diamond, Marker::TriangleDown, Marker::Plus];

/// The marker of a transport, identical in every chart.
pub fn transport_marker(t: Transport) -> Marker {
    TRANSPORT_MARKERS[t.index()]
}

/// The stylesheet of `index.html`: notes edged in polling's orange, verdicts coloured by outcome.
pub const PAGE_CSS: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45;color:#111}\
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}\
th:first-child,td:first-child{text-align:left}th{background:#f3f3f3;text-align:left}td.text{text-align:left}figure{margin:1em 0}\
figure svg{max-width:100%;height:auto;border:1px solid #eee}.note{background:#fff7e0;border-left:4px solid #e69f00;padding:.5em 1em}\
.supported{color:#006e4f}.not-supported{color:#b3003b}.inconclusive{color:#555}caption{text-align:left;font-style:italic;padding:.3em 0}";

/// The embedded font: DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE-DejaVu.txt`), from the Debian
/// package `fonts-dejavu-core` 2.37. Embedded so charts render the same on a fresh machine with no font
/// library installed.
static FONT_BYTES: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// The embedded Chinese font: Noto Sans CJK SC (SIL Open Font License, `fonts/LICENSE-NotoSansCJK.txt`),
/// cut down by `scripts/subset-cjk-font.py` to printable ASCII and the characters of `texts.toml`, so one
/// font draws every character of a Chinese chart (plotters has no per-glyph fallback). A test reads its
/// character map against the catalogue.
pub static CJK_FONT_BYTES: &[u8] = include_bytes!("../fonts/noto-sans-sc-report.otf");

/// Registers the embedded fonts with plotters, once per process. Every drawing entry point calls it.
pub fn register_font() -> Result<(), Error> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        let register = |name, bytes| plotters::style::register_font(name, FontStyle::Normal, bytes).is_ok();
        register(FONT, FONT_BYTES) && register(CJK_FONT, CJK_FONT_BYTES)
    });
    if ok { Ok(()) } else { Err(Error::Font) }
}

/// The stylesheet a language's page adds to [`PAGE_CSS`]: for Chinese, the embedded Chinese font as a
/// `data:` URL (the page stays one file that works offline, on a machine without CJK fonts too), used by
/// the text and by the inline charts, whose SVG text names [`CJK_FONT`].
pub fn page_css(lang: Lang) -> String {
    use base64::Engine as _;
    match lang {
        Lang::En => String::new(),
        Lang::Zh => format!(
            "@font-face{{font-family:\"{CJK_FAMILY}\";src:url(data:font/otf;base64,{}) format(\"opentype\")}}\
             body{{font-family:\"{CJK_FAMILY}\",sans-serif}}",
            base64::engine::general_purpose::STANDARD.encode(CJK_FONT_BYTES)
        ),
    }
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
    fn every_transport_has_its_own_marker() {
        let markers: Vec<_> = Transport::ALL.iter().map(|t| transport_marker(*t)).collect();
        for (i, a) in markers.iter().enumerate() {
            assert!(!markers[i + 1..].contains(a), "{markers:?}");
        }
    }

    #[test]
    fn font_registers() {
        register_font().unwrap();
        register_font().unwrap();
    }
}
