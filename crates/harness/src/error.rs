//! The harness library's error type.
//!
//! Run-level failures only: a client that meets a 503, a reset connection or a malformed answer does not
//! fail the run, it counts the error by kind in its record and carries on (that is a measurement).

/// Why a bench run could not be done.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration does not make sense or this machine cannot run it (open-file or port limits).
    /// The command line reports it as a usage error (exit code 2).
    #[error("{0}")]
    Config(String),
    /// The server could not be reached before the run started.
    #[error("cannot reach the server at {target}: {reason}")]
    Unreachable {
        /// The target URL.
        target: String,
        /// What went wrong.
        reason: String,
    },
    /// The server answered, but not as the contract (DESIGN.md section 2) says.
    #[error("the server at {target} does not follow the feedlab contract: {reason}")]
    Contract {
        /// The target URL.
        target: String,
        /// What was wrong with its answer.
        reason: String,
    },
    /// A `--procs` worker process died or broke the protocol; the run is stopped and the others killed.
    #[error("{0}")]
    Worker(String),
    /// Local I/O failed (binding the relay, writing the JSON file).
    #[error("{context}: {source}")]
    Io {
        /// What the harness was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps an I/O error with what the harness was doing.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }
}
