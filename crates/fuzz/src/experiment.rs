//! The experiment file parser (`feedlab_suite::Experiment::parse`): TOML into the raw shape, then
//! validated and expanded into steps.
//!
//! Input: the text of an experiment file (input that is not UTF-8 is skipped: the loader refuses it
//! before parsing). Checked: the full and `--quick` variants load or fail together, with the same error
//! (both are built on every load); an error names the file; a loaded experiment has 1 to
//! [`limits::MAX_STEPS`] steps, the variant asked for, and an estimate no shorter than its measured windows.

use std::path::Path;
use std::time::Duration;

use feedlab_suite::Experiment;
use feedlab_suite::experiment::limits;

/// The name the input is loaded under: a valid experiment name, so errors come from the text.
const FILE: &str = "experiments/fuzz.toml";

/// Loads `data` as an experiment file; panics on a finding.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = Path::new(FILE);
    match (Experiment::parse(file, text, false), Experiment::parse(file, text, true)) {
        (Ok(full), Ok(quick)) => {
            for (experiment, is_quick) in [(full, false), (quick, true)] {
                assert_eq!(experiment.quick, is_quick);
                assert!((1..=limits::MAX_STEPS).contains(&experiment.steps.len()), "{} steps", experiment.steps.len());
                let windows: Duration = experiment.steps.iter().map(|s| s.duration).sum();
                assert!(experiment.estimate() >= windows, "the estimate is shorter than the steps");
            }
        }
        (Err(full), Err(quick)) => {
            let (full, quick) = (full.to_string(), quick.to_string());
            assert_eq!(full, quick, "the variants fail differently");
            assert!(full.starts_with(&format!("{FILE}: ")), "the error does not name the file: {full}");
        }
        (full, quick) => panic!("one variant loads and the other does not: {full:?} / {quick:?}"),
    }
}
