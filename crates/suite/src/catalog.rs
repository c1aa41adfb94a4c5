//! The experiments directory: which experiments exist (the `*.toml` file stems) and loading the ones asked
//! for, in report order (DESIGN 5's order, then any others by name).

use std::path::{Path, PathBuf};

use crate::Error;
use crate::experiment::{EXTENSION, Experiment};

/// Default experiments directory, relative to the working directory (the repository root).
pub const DEFAULT_DIR: &str = "experiments";

/// Experiment names and files in `dir`, in report order.
pub fn list(dir: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::experiment(
            dir,
            None,
            format!(
                "cannot read the experiments directory ({e}); run from the repository root or pass --experiments-dir"
            ),
        )
    })?;
    let mut found: Vec<(usize, String, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == EXTENSION) && path.is_file() {
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let rank = feedlab_report::experiments::KNOWN.iter().position(|k| *k == name).unwrap_or(usize::MAX);
            found.push((rank, name, path));
        }
    }
    if found.is_empty() {
        return Err(Error::experiment(dir, None, "no experiment files (*.toml) in this directory"));
    }
    found.sort();
    Ok(found.into_iter().map(|(_, n, p)| (n, p)).collect())
}

/// Loads the experiments named in `names` (all when empty), in report order. An unknown name is an error
/// listing the known ones; only the selected files are read, so one broken file does not block the others.
pub fn select(dir: &Path, names: &[String], quick: bool) -> Result<Vec<Experiment>, Error> {
    let all = list(dir)?;
    for name in names {
        if !all.iter().any(|(n, _)| n == name) {
            return Err(Error::UnknownExperiment {
                name: name.clone(),
                known: all.iter().map(|(n, _)| n.clone()).collect(),
            });
        }
    }
    all.iter()
        .filter(|(n, _)| names.is_empty() || names.contains(n))
        .map(|(_, path)| Experiment::load(path, quick))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed experiment files: DESIGN 5's, issue 11's `http2` and issue 13's `peers`, each valid in both variants.
    fn repo_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments")
    }

    #[test]
    fn the_committed_experiments_are_design_5s_http2_peers_and_load() {
        let names: Vec<String> = list(&repo_dir()).unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, feedlab_report::experiments::KNOWN);
        for quick in [false, true] {
            let all = select(&repo_dir(), &[], quick).unwrap();
            assert_eq!(all.len(), feedlab_report::experiments::KNOWN.len());
            assert!(all.iter().all(|e| e.quick == quick && !e.steps.is_empty()));
        }
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let err = select(&repo_dir(), &["idle-cost".into(), "nope".into()], true).unwrap_err();
        let msg = err.to_string();
        assert!(err.is_usage());
        assert!(
            msg.contains("unknown experiment `nope`") && msg.contains("header-overhead, latency-vs-interval"),
            "{msg}"
        );
        let picked = select(&repo_dir(), &["rtt".into(), "idle-cost".into()], true).unwrap();
        let names: Vec<&str> = picked.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["idle-cost", "rtt"], "report order");
    }

    #[test]
    fn a_missing_directory_says_what_to_do() {
        let err = list(Path::new("/nonexistent/experiments")).unwrap_err();
        assert!(err.to_string().contains("--experiments-dir"), "{err}");
    }
}
