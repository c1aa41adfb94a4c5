//! Experiment files (`experiments/<name>.toml`): loading, validation and expansion into steps.
//!
//! A file is read into [`raw::RawExperiment`] (key names and types only), then turned into an
//! [`Experiment`] (`validate`): defaults filled in from [`limits`], every value range-checked, the `[steps]`
//! sweep expanded into one [`StepPlan`] per combination (`sweep`), and each step checked against this
//! machine's socket limits by the harness's own planner. Both variants of a file, full and `--quick`, are
//! built on every load, so a bad `[quick]` table fails a full run too (and the other way round). Errors name
//! the file, the dotted key and what it allows. The result is the plan (`plan`): what runs, and how.
//!
//! ```toml
//! title = "Latency vs polling interval"
//! [steps]                       # the cartesian product of the lists below
//! transport = ["poll", "longpoll", "sse", "ws"]
//! poll_interval_ms = [100, 1000, 5000]   # poll steps only; other transports ignore this axis
//! clients = 100
//! rate_per_s = 2
//! duration_s = 12
//! [quick.steps]                 # --quick: any subset of the same keys
//! clients = 20
//! duration_s = 2
//! ```

pub mod limits;
mod plan;
pub mod raw;
mod sweep;
mod validate;

use std::path::Path;
use std::time::Duration;

use crate::Error;
pub use plan::{Experiment, ServerKind, ServerSettings, StepPlan, Storm, floor_config, floor_estimate};
use raw::RawExperiment;
use validate::Check;

/// File extension of experiment files.
pub const EXTENSION: &str = "toml";

impl Experiment {
    /// Reads, validates and expands one file; `quick` picks the variant returned (both are checked).
    pub fn load(file: &Path, quick: bool) -> Result<Experiment, Error> {
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        Experiment::parse(file, &text, quick)
    }

    /// Like [`Experiment::load`], from text already read; `file` names it in errors and gives its name.
    pub fn parse(file: &Path, text: &str, quick: bool) -> Result<Experiment, Error> {
        let name = name_of(file)?;
        let raw: RawExperiment = toml::from_str(text).map_err(|e| {
            let key = e.span().and_then(|s| raw::key_at(text, s.start));
            let hint = key
                .as_deref()
                .and_then(|k| limits::allowed(k.rsplit('.').next().unwrap_or(k)))
                .map(|a| format!(" (allowed: {a})"))
                .unwrap_or_default();
            let line =
                e.span().map(|s| format!(" (line {})", text[..s.start.min(text.len())].matches('\n').count() + 1));
            let message = format!("{}{hint}{}", e.message().trim_end(), line.unwrap_or_default());
            Error::experiment(file, key.as_deref(), message)
        })?;
        let check = Check { file };
        let full = check.build(&name, &raw, false)?;
        let quick_variant = check.build(&name, &raw, true)?;
        Ok(if quick { quick_variant } else { full })
    }

    /// Whether a step puts its feed on Redis (the suite then starts a `redis-server` for it).
    pub fn needs_redis(&self) -> bool {
        self.steps.iter().any(|s| s.feed == feedlab_contract::FeedKind::Redis)
    }

    /// Planned wall time of the whole experiment (for the ETA): its floor, if it measures one, and its steps.
    pub fn estimate(&self) -> Duration {
        let floor = if self.floor { floor_estimate(self.quick) } else { Duration::ZERO };
        floor + self.steps.iter().map(StepPlan::estimate).sum::<Duration>()
    }
}

/// The experiment name of a file: its stem, lowercase letters, digits and dashes.
fn name_of(file: &Path) -> Result<String, Error> {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let ok = !stem.is_empty()
        && !stem.starts_with('-')
        && stem.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(stem.to_owned())
    } else {
        Err(Error::experiment(
            file,
            None,
            "the file name is the experiment name: use lowercase letters, digits and dashes (e.g. idle-cost.toml)",
        ))
    }
}

#[cfg(test)]
mod tests;
