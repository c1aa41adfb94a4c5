//! The axis scale every chart kind uses: linear or logarithmic, with ticks a reader can read (1-2-5 steps,
//! decades), as a plotters coordinate.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use crate::style;

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
        let (mut lo, mut hi) = bounds(values, log);
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
        let (lo, hi) = bounds(values, log);
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

/// Smallest and largest of the values a scale can show (finite; positive on a log scale); (inf, -inf) when
/// there are none.
fn bounds(values: impl IntoIterator<Item = f64>, log: bool) -> (f64, f64) {
    values
        .into_iter()
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
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
