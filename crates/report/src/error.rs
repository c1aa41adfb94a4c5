//! The report library's error type: what can go wrong reading result files and writing charts and pages.

use std::path::PathBuf;

/// Everything `render_all` / `render_experiment` can fail with. Each variant names the file involved so a
/// user can fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No `data.json` under the results directory: nothing to render.
    #[error("no experiment data found: expected {dir}/<experiment>/data.json (run `feedlab run` first)")]
    NoData {
        /// The results directory searched.
        dir: PathBuf,
    },
    /// A data file exists but is not valid experiment data: the contract's strict reader says which file,
    /// which field and why (another schema version, a missing field, a name that is not a transport).
    #[error("not a valid experiment data file: {0}")]
    BadData(feedlab_contract::ReadError),
    /// A data file names a different experiment than its directory.
    #[error("{path}: says experiment {found:?} but lives in directory {dir:?}")]
    Mismatch {
        /// The offending file.
        path: PathBuf,
        /// The `experiment` field.
        found: String,
        /// The directory name.
        dir: String,
    },
    /// An experiment name that cannot be a directory name.
    #[error("invalid experiment name {name:?}: it becomes a directory under the results directory")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Drawing a chart failed (plotters' backend error, as text: its error type is generic per backend).
    #[error("drawing {path}: {message}")]
    Plot {
        /// The chart file being written.
        path: PathBuf,
        /// What plotters reported.
        message: String,
    },
    /// An embedded font could not be loaded (only if a committed font file were corrupt).
    #[error("an embedded chart font could not be loaded")]
    Font,
}

impl Error {
    /// `true` when the error is about the input (missing or malformed data), which the CLI reports as a usage
    /// error (exit 2) rather than a failure.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Error::NoData { .. } | Error::BadData(_) | Error::Mismatch { .. } | Error::InvalidName { .. })
    }
}

/// Shorthand for I/O results that name their file.
pub(crate) fn io<T>(path: &std::path::Path, r: std::io::Result<T>) -> Result<T, Error> {
    r.map_err(|source| Error::Io { path: path.to_owned(), source })
}
