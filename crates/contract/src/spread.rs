//! A figure measured several times: its median and range ([`Spread`]).
//!
//! One run of a noisy figure (CPU per message on a shared 2-core machine) can differ from the next by more
//! than the difference being judged, so figures that are compared are measured a few times and reported as
//! median, minimum and maximum; two spreads whose ranges overlap are too close to call ([`Spread::overlaps`]).

use serde::{Deserialize, Serialize};

/// Median and range of repeated measurements of one figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// The middle value (the mean of the two middle ones for an even count).
    pub median: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`; None when there is no finite value (NaNs and infinities are left out: a
    /// figure divided by a zero count is no measurement).
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
        Some(Spread { median, min: v[0], max: v[n - 1] })
    }

    /// Whether the two ranges share a value: then neither figure is reliably above the other.
    pub fn overlaps(&self, other: &Spread) -> bool {
        self.min <= other.max && other.min <= self.max
    }
}

impl std::fmt::Display for Spread {
    /// `16.4 (15.9-17.2)`: the median, then the range, at a precision that suits microsecond figures.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = f.precision().unwrap_or(1);
        write!(f, "{:.p$} ({:.p$}-{:.p$})", self.median, self.min, self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_range() {
        assert_eq!(Spread::of(&[3.0, 1.0, 2.0]), Some(Spread { median: 2.0, min: 1.0, max: 3.0 }));
        assert_eq!(Spread::of(&[4.0, 1.0, 2.0, 10.0]).unwrap().median, 3.0);
        assert_eq!(Spread::of(&[f64::NAN, 5.0, f64::INFINITY]), Some(Spread { median: 5.0, min: 5.0, max: 5.0 }));
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(format!("{:.2}", Spread::of(&[1.0, 2.0]).unwrap()), "1.50 (1.00-2.00)");
    }

    #[test]
    fn overlapping_ranges_are_too_close_to_call() {
        let a = Spread { median: 2.0, min: 1.0, max: 3.0 };
        assert!(a.overlaps(&Spread { median: 3.5, min: 3.0, max: 4.0 }));
        assert!(!a.overlaps(&Spread { median: 3.5, min: 3.1, max: 4.0 }));
    }
}
