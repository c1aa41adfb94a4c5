//! Replays every committed input of every fuzz target through its check: the seeds, and each input a
//! fuzzing run ever found (`corpus/<target>/`), so a fixed finding stays fixed. Runs on stable, in
//! `cargo test`, without libFuzzer.

use std::fs;
use std::path::{Path, PathBuf};

use feedlab_fuzz::TARGETS;

fn dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(sub)
}

#[test]
fn every_committed_input_passes_its_target() {
    for target in TARGETS {
        let corpus = dir("corpus").join(target.name);
        let mut files: Vec<PathBuf> = fs::read_dir(&corpus)
            .unwrap_or_else(|e| panic!("{}: {e}", corpus.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(files.len() >= 3, "{}: a seed corpus has a handful of real inputs", corpus.display());
        for file in files {
            let data = fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| (target.check)(&data));
            assert!(outcome.is_ok(), "{} fails its target", file.display());
        }
    }
}

#[test]
fn every_target_has_a_libfuzzer_binary_and_nothing_else_does() {
    let mut binaries: Vec<String> = fs::read_dir(dir("fuzz_targets"))
        .unwrap()
        .map(|entry| entry.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    binaries.sort();
    let mut names: Vec<String> = TARGETS.iter().map(|t| t.name.to_owned()).collect();
    names.sort();
    assert_eq!(binaries, names);
    let manifest = fs::read_to_string(dir("Cargo.toml")).unwrap();
    for name in names {
        assert!(manifest.contains(&format!("path = \"fuzz_targets/{name}.rs\"")), "{name} is not a [[bin]]");
    }
}
