//! Writing `results/<experiment>/data.json`: the report's [`ExperimentData`], with each step's harness
//! result embedded verbatim.
//!
//! The report reads only the harness fields it charts (its `BenchResult` mirror is deliberately partial), so
//! serializing through that mirror would drop the rest. Instead the document is built from the report's
//! structs and each step's `bench` is then replaced by the harness's own JSON, exactly as `feedlab bench
//! --json` writes it: the file stays readable by the report and valid against `crates/contract/schema/bench.schema.json`.
//!
//! The file is rewritten (atomically: temporary file, then rename) after every step, so an interrupted or
//! failed run keeps every step that finished.

use std::path::{Path, PathBuf};

use feedlab_report::data::{self, ExperimentData, HeaderProfile, Machine, Params, Sample, ServerUsage, Step};
use feedlab_report::paths::{ResultFile, experiment_dir};
use serde_json::Value;

use crate::Error;
use crate::experiment::{Experiment, Headers, StepPlan, Storm};

/// One finished step, as measured.
#[derive(Debug, Clone)]
pub struct StepRecord {
    /// Label for tables.
    pub label: String,
    /// What the experiment file asked for.
    pub params: Params,
    /// The harness's result.
    pub bench: feedlab_harness::BenchResult,
    /// What the server process cost during the step.
    pub server: Option<ServerUsage>,
    /// The server's per-second timeline (empty unless the experiment records one).
    pub timeline: Vec<Sample>,
}

/// The report's transport for the harness's.
pub fn transport(t: feedlab_harness::Transport) -> data::Transport {
    match t {
        feedlab_harness::Transport::Poll => data::Transport::Poll,
        feedlab_harness::Transport::Longpoll => data::Transport::Longpoll,
        feedlab_harness::Transport::Sse => data::Transport::Sse,
        feedlab_harness::Transport::Ws => data::Transport::Ws,
    }
}

/// The parameters of a planned step, for `params`.
pub fn params(step: &StepPlan) -> Params {
    let mut p = Params {
        transport: Some(transport(step.transport)),
        clients: Some(step.clients),
        poll_interval_ms: step.poll_interval.map(|i| i.as_secs_f64() * 1000.0),
        rate_per_s: Some(step.rate_per_s),
        headers: Some(match step.headers {
            Headers::Minimal => HeaderProfile::Minimal,
            Headers::Browser => HeaderProfile::Browser,
        }),
        rtt_ms: Some(step.rtt.as_secs_f64() * 1000.0),
        limit: step.limit.map(u64::from),
        extra: Default::default(),
    };
    p.extra.insert("duration_s".into(), step.duration.as_secs_f64().into());
    p.extra.insert("payload_bytes".into(), step.payload_bytes.into());
    p
}

/// The parameters of the storm's own step.
pub fn storm_params(storm: &Storm) -> Params {
    let mut p = Params {
        transport: Some(transport(storm.transport)),
        clients: Some(storm.clients),
        poll_interval_ms: Some(storm.poll_interval.as_secs_f64() * 1000.0),
        rate_per_s: Some(0.0),
        headers: Some(HeaderProfile::Minimal),
        rtt_ms: Some(0.0),
        ..Params::default()
    };
    p.extra.insert("role".into(), "storm".into());
    p.extra.insert("start_s".into(), storm.start.as_secs_f64().into());
    p.extra.insert("duration_s".into(), storm.duration.as_secs_f64().into());
    p
}

/// The data file of one experiment, filled step by step.
#[derive(Debug)]
pub struct Recorder {
    out: PathBuf,
    data: ExperimentData,
    /// Each step's harness result as the harness serializes it.
    benches: Vec<Value>,
}

impl Recorder {
    /// An empty data file for `experiment` under `out` (nothing is written until the first step).
    pub fn new(out: &Path, experiment: &Experiment, machine: Machine) -> Recorder {
        Recorder {
            out: out.to_owned(),
            data: ExperimentData {
                experiment: experiment.name.clone(),
                title: experiment.title.clone(),
                machine,
                quick: experiment.quick,
                steps: Vec::new(),
            },
            benches: Vec::new(),
        }
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
    pub fn push(&mut self, step: StepRecord) -> Result<PathBuf, Error> {
        // unwrap: the harness result is plain numbers, strings and maps with string keys.
        let verbatim = serde_json::to_value(&step.bench).unwrap();
        let bench: data::BenchResult = serde_json::from_value(verbatim.clone()).map_err(|e| {
            Error::io(self.path(), std::io::Error::other(format!("the report cannot read the harness result: {e}")))
        })?;
        self.data.steps.push(Step {
            label: step.label,
            params: step.params,
            bench,
            server: step.server,
            timeline: step.timeline,
        });
        self.benches.push(verbatim);
        if self.data.steps.len() == 1 {
            self.clear_old_files()?;
        }
        self.write()
    }

    /// Path of the data file.
    pub fn path(&self) -> PathBuf {
        ResultFile::Data(&self.data.experiment).path(&self.out)
    }

    /// The document: the report's structs with the verbatim harness results.
    pub fn to_json(&self) -> Value {
        // unwrap: see `push`; the report's structs are plain data too.
        let mut doc = serde_json::to_value(&self.data).unwrap();
        if let Some(steps) = doc.get_mut("steps").and_then(Value::as_array_mut) {
            for (step, bench) in steps.iter_mut().zip(&self.benches) {
                step["bench"] = bench.clone();
            }
        }
        doc
    }

    fn write(&self) -> Result<PathBuf, Error> {
        let path = self.path();
        let dir = experiment_dir(&self.out, &self.data.experiment);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let tmp = path.with_extension("json.tmp");
        // unwrap: a Value always serializes.
        let text = serde_json::to_string_pretty(&self.to_json()).unwrap() + "\n";
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
