//! The suite library's error type.
//!
//! Bad experiment files are the error a user meets most, so [`Error::Experiment`] always names the file, the
//! key (as a dotted TOML path, `quick.steps.clients`) and, where there is one, the allowed range. The command
//! line turns [`Error::is_usage`] errors into `clap` errors (exit code 2).

use std::path::PathBuf;

/// Why the suite could not load or run an experiment.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An experiment file is malformed or asks for something out of range.
    #[error("{}: {}{message}", file.display(), key.as_ref().map(|k| format!("`{k}`: ")).unwrap_or_default())]
    Experiment {
        /// The file.
        file: PathBuf,
        /// Dotted path of the offending key, when known.
        key: Option<String>,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The command line named an experiment that has no file.
    #[error("unknown experiment `{name}`; known: {}", known.join(", "))]
    UnknownExperiment {
        /// The name given.
        name: String,
        /// Experiment names found in the experiments directory.
        known: Vec<String>,
    },
    /// The server child process could not be started, or died.
    #[error("server: {0}")]
    Server(String),
    /// The harness refused or failed a step (the server unreachable, a configuration this machine cannot run).
    #[error("{experiment}, step `{step}`: {source}")]
    Harness {
        /// Experiment name.
        experiment: String,
        /// Step label.
        step: String,
        /// The harness's error.
        #[source]
        source: feedlab_harness::Error,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Rendering the report failed.
    #[error("report: {0}")]
    Report(#[from] feedlab_report::Error),
}

impl Error {
    /// True for errors in what the user asked for (bad files, unknown names): exit code 2, like a bad flag.
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::Experiment { .. } | Error::UnknownExperiment { .. })
    }

    /// An experiment-file error.
    pub(crate) fn experiment(file: &std::path::Path, key: Option<&str>, message: impl Into<String>) -> Self {
        Error::Experiment { file: file.to_owned(), key: key.map(str::to_owned), message: message.into() }
    }

    /// Wraps an I/O error with its path.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}
