//! Writing `results/<experiment>/data.json`: the contract's [`ExperimentData`], built step by step.
//!
//! Each step is the contract's [`Step`]: what the experiment file asked for ([`params`], [`storm_params`]),
//! the harness's `BenchResult` as `run_bench` returned it (the same type the report reads, so the file is
//! valid against `crates/contract/schema/bench.schema.json` without any copying), what the server process
//! cost and, for the overload experiment, its per-second timeline.
//!
//! The file is rewritten (atomically: temporary file, then rename) after every step, so an interrupted or
//! failed run keeps every step that finished.

use std::path::{Path, PathBuf};

use feedlab_contract::data::{DATA_SCHEMA_VERSION, ExperimentData, Machine, Params, Role, Step};
use feedlab_contract::{FeedKind, HeaderProfile};
use feedlab_report::paths::{ResultFile, experiment_dir};

use crate::Error;
use crate::experiment::{Experiment, StepPlan, Storm};

/// Milliseconds of a duration, as the data file writes them.
fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The parameters of a planned step, for `params`.
pub fn params(step: &StepPlan) -> Params {
    let duration_s = step.duration.as_secs_f64();
    Params {
        poll_interval_ms: step.poll_interval.map(ms),
        payload_bytes: Some(step.payload_bytes),
        limit: step.limit.map(u64::from),
        socketio_direct: step.socketio_direct,
        recovery: step.recovery,
        // Absent for the one in-memory process every other experiment runs, so their files do not change.
        nodes: (step.nodes != 1).then_some(step.nodes),
        feed: (step.feed != FeedKind::Memory).then_some(step.feed),
        ..Params::new(step.transport, step.clients, duration_s, step.headers, step.rate_per_s, ms(step.rtt))
    }
}

/// The parameters of the storm's own step: it publishes nothing, so it has no payload.
pub fn storm_params(storm: &Storm) -> Params {
    // The storm's clients send the harness's default header set, directly, and publish nothing.
    let headers = HeaderProfile::default();
    Params {
        poll_interval_ms: Some(ms(storm.poll_interval)),
        role: Some(Role::Storm),
        start_s: Some(storm.start.as_secs_f64()),
        ..Params::new(storm.transport, storm.clients, storm.duration.as_secs_f64(), headers, 0.0, 0.0)
    }
}

/// The data file of one experiment, filled step by step.
#[derive(Debug)]
pub struct Recorder {
    out: PathBuf,
    data: ExperimentData,
}

impl Recorder {
    /// An empty data file for `experiment` under `out` (nothing is written until the first step).
    pub fn new(out: &Path, experiment: &Experiment, machine: Machine) -> Recorder {
        Recorder {
            out: out.to_owned(),
            data: ExperimentData {
                schema_version: DATA_SCHEMA_VERSION,
                experiment: experiment.name.clone(),
                title: experiment.title.clone(),
                machine,
                quick: experiment.quick,
                steps: Vec::new(),
                floor: None,
            },
        }
    }

    /// Keeps the floor measured for this experiment (written with the next step).
    pub fn set_floor(&mut self, floor: feedlab_contract::FloorResult) {
        self.data.floor = Some(floor);
    }

    /// Steps recorded so far.
    pub fn len(&self) -> usize {
        self.data.steps.len()
    }

    /// True before the first step.
    pub fn is_empty(&self) -> bool {
        self.data.steps.is_empty()
    }

    /// Adds a finished step and rewrites the data file.
    pub fn push(&mut self, step: Step) -> Result<PathBuf, Error> {
        self.data.steps.push(step);
        if self.data.steps.len() == 1 {
            self.clear_old_files()?;
        }
        self.write()
    }

    /// Path of the data file.
    pub fn path(&self) -> PathBuf {
        ResultFile::Data(&self.data.experiment).path(&self.out)
    }

    /// The document as recorded so far.
    pub fn data(&self) -> &ExperimentData {
        &self.data
    }

    fn write(&self) -> Result<PathBuf, Error> {
        let path = self.path();
        let dir = experiment_dir(&self.out, &self.data.experiment);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let tmp = path.with_extension("json.tmp");
        // unwrap: plain structs of numbers, strings and maps with string keys always serialize.
        let text = serde_json::to_string_pretty(&self.data).unwrap() + "\n";
        std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        Ok(path)
    }

    /// Removes the charts and CSV of an earlier run of this experiment, once this run has data to replace
    /// them (a chart this run no longer draws must not linger next to new data).
    fn clear_old_files(&self) -> Result<(), Error> {
        let dir = experiment_dir(&self.out, &self.data.experiment);
        let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(()) };
        for entry in entries.flatten() {
            let path = entry.path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
            let stale = matches!(ext, "svg" | "png") || path.file_name().is_some_and(|n| n == "data.csv");
            if stale && path.is_file() {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system temp dir.
    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("feedlab-record-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_report_reads_back_what_is_recorded() {
        // A measured step from the committed results: the harness's result exactly as it was written.
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../results/overload/data.json");
        let committed = feedlab_report::data::load(&committed).unwrap();
        let experiment =
            Experiment::parse(Path::new("experiments/overload.toml"), "[steps]\nduration_s = 5\n", true).unwrap();
        let out = temp_dir("roundtrip");
        let mut rec = Recorder::new(&out, &experiment, committed.machine.clone());
        for step in &committed.steps {
            rec.push(step.clone()).unwrap();
        }
        let back = feedlab_report::data::load(&rec.path()).unwrap();
        assert_eq!(&back, rec.data());
        assert_eq!(back.steps, committed.steps);
        assert!(back.quick && back.experiment == "overload");
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn params_say_what_the_file_asked() {
        let e = Experiment::parse(
            Path::new("experiments/demo.toml"),
            "[steps]\ntransport = \"poll\"\npoll_interval_ms = 250\nrtt_ms = 50\nlimit = 7\n[storm]\nclients = 5\nstart_s = 1\nduration_s = 2\n",
            false,
        )
        .unwrap();
        let p = params(&e.steps[0]);
        assert_eq!((p.poll_interval_ms, p.rtt_ms, p.limit, p.role), (Some(250.0), 50.0, Some(7), None));
        assert_eq!(p.payload_bytes, Some(crate::experiment::limits::DEFAULT_PAYLOAD_BYTES));
        let s = storm_params(&e.storm.unwrap());
        assert_eq!((s.role, s.start_s, s.rate_per_s, s.payload_bytes), (Some(Role::Storm), Some(1.0), 0.0, None));
    }
}
