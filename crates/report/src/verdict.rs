//! Verdicts: for each claim of the classic explanation an experiment tests, whether the measurement supports
//! it. A verdict is always computed from the data by a small pure function (tested both ways in the
//! experiment modules), never typed in, and carries the numbers it was decided on, worded in both languages
//! from the same values (`texts.toml`).

use feedlab_contract::Spread;
use serde::Serialize;

use crate::text::{Lang, Text, tr};

/// Whether the measurement supports a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The measurement agrees with the claim within the stated threshold.
    Supported,
    /// The measurement contradicts the claim.
    NotSupported,
    /// The data cannot decide (a step is missing, the run was too small, a quantity was zero).
    Inconclusive,
}

impl Outcome {
    /// Words used in the report.
    pub fn words(self) -> Text {
        match self {
            Outcome::Supported => tr!(OUTCOME_SUPPORTED),
            Outcome::NotSupported => tr!(OUTCOME_NOT_SUPPORTED),
            Outcome::Inconclusive => tr!(OUTCOME_INCONCLUSIVE),
        }
    }

    /// The name of the outcome in `index.json` and the page's CSS class (`not-supported`).
    pub fn class(self) -> &'static str {
        match self {
            Outcome::Supported => "supported",
            Outcome::NotSupported => "not-supported",
            Outcome::Inconclusive => "inconclusive",
        }
    }

    /// `Supported` when `ok`, else `NotSupported`.
    pub fn from_bool(ok: bool) -> Outcome {
        if ok { Outcome::Supported } else { Outcome::NotSupported }
    }
}

/// One tested claim with its computed outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The claim in the classic explanation's words.
    pub claim: Text,
    /// Where the claim comes from.
    pub source: Text,
    /// What the data says.
    pub outcome: Outcome,
    /// The measured numbers and the threshold that decided the outcome.
    pub evidence: Text,
}

impl Verdict {
    /// The paragraph printed under the chart (Markdown, also used as plain text).
    pub fn paragraph(&self, lang: Lang) -> String {
        let (source, claim, evidence) = (&self.source, &self.claim, &self.evidence);
        tr!(VERDICT_MD, source = source, claim = claim, evidence = evidence, outcome = self.outcome.words())[lang]
            .to_owned()
    }
}

/// `a / b`, or `None` when it is not a finite number (b = 0, missing data).
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    let r = a / b;
    r.is_finite().then_some(r)
}

/// Supported when `a >= factor * b` with both measured and positive; inconclusive when either is missing or
/// not positive.
pub fn at_least_times(a: Option<f64>, b: Option<f64>, factor: f64) -> Outcome {
    match (a, b) {
        (Some(a), Some(b)) if a > 0.0 && b > 0.0 => Outcome::from_bool(a >= factor * b),
        _ => Outcome::Inconclusive,
    }
}

/// Supported when `measured` lies within `rel` (a share) plus `abs` of `expected`.
pub fn close_to(measured: f64, expected: f64, rel: f64, abs: f64) -> bool {
    (measured - expected).abs() <= expected.abs() * rel + abs
}

/// Whether `low` was measured below `high`, each over several rounds: supported when the median of `low` is
/// the lower one and the ranges do not overlap, not supported when the median of `high` is lower and they
/// do not overlap, inconclusive (too close to call) when they overlap, whichever median is lower: a
/// difference inside the spread of repeated measurements would flip between runs.
pub fn below(low: &Spread, high: &Spread) -> Outcome {
    if low.overlaps(high) { Outcome::Inconclusive } else { Outcome::from_bool(low.median < high.median) }
}

/// Combines per-item outcomes: any `NotSupported` wins, then any `Inconclusive`, else `Supported`; no items is
/// inconclusive.
pub fn all(outcomes: impl IntoIterator<Item = Outcome>) -> Outcome {
    let mut seen = false;
    let mut worst = Outcome::Supported;
    for o in outcomes {
        seen = true;
        match o {
            Outcome::NotSupported => return Outcome::NotSupported,
            Outcome::Inconclusive => worst = Outcome::Inconclusive,
            Outcome::Supported => {}
        }
    }
    if seen { worst } else { Outcome::Inconclusive }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_least_times_both_ways() {
        assert_eq!(at_least_times(Some(250.0), Some(2.0), 100.0), Outcome::Supported);
        assert_eq!(at_least_times(Some(150.0), Some(2.0), 100.0), Outcome::NotSupported);
        assert_eq!(at_least_times(Some(150.0), None, 100.0), Outcome::Inconclusive);
        assert_eq!(at_least_times(Some(150.0), Some(0.0), 100.0), Outcome::Inconclusive);
    }

    #[test]
    fn below_needs_ranges_apart() {
        let s = |min: f64, median: f64, max: f64| Spread { median, min, max };
        assert_eq!(below(&s(20.0, 25.0, 30.0), &s(50.0, 55.0, 60.0)), Outcome::Supported);
        assert_eq!(below(&s(50.0, 55.0, 60.0), &s(20.0, 25.0, 30.0)), Outcome::NotSupported);
        // Overlapping: too close to call, either way round.
        assert_eq!(below(&s(20.0, 25.0, 50.0), &s(45.0, 55.0, 60.0)), Outcome::Inconclusive);
        assert_eq!(below(&s(45.0, 55.0, 60.0), &s(20.0, 25.0, 50.0)), Outcome::Inconclusive);
        assert_eq!(below(&s(1.0, 1.0, 1.0), &s(1.0, 1.0, 1.0)), Outcome::Inconclusive);
    }

    #[test]
    fn combining() {
        assert_eq!(all([Outcome::Supported, Outcome::Supported]), Outcome::Supported);
        assert_eq!(all([Outcome::Supported, Outcome::Inconclusive]), Outcome::Inconclusive);
        assert_eq!(all([Outcome::Inconclusive, Outcome::NotSupported]), Outcome::NotSupported);
        assert_eq!(all([]), Outcome::Inconclusive);
    }

    #[test]
    fn closeness() {
        assert!(close_to(510.0, 500.0, 0.05, 0.0));
        assert!(!close_to(600.0, 500.0, 0.1, 5.0));
        assert!(close_to(3.0, 0.0, 0.1, 5.0));
    }

    #[test]
    fn paragraph_names_claim_source_and_outcome() {
        let v =
            Verdict { claim: "C.".into(), source: "S".into(), outcome: Outcome::NotSupported, evidence: "E.".into() };
        let p = v.paragraph(Lang::En);
        assert!(p.contains("C.") && p.contains("(S)") && p.contains("E.") && p.contains("not supported"));
        let p = v.paragraph(Lang::Zh);
        assert!(p.contains("C.") && p.contains("（S）") && p.contains("E.") && p.contains("不支持"), "{p}");
    }
}
