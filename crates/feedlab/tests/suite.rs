//! `feedlab run --quick` through the real binary: every experiment of DESIGN 5 runs against a real server
//! child, and everything it writes is checked — data files that the report reads and whose embedded bench
//! results match the harness's committed schema, delivery integrity, server usage from /proc, the overload
//! timeline, CSV, every chart as a valid SVG and PNG of the report's sizes in every language, and pages that
//! reference them.
//! Plus the usage errors of `feedlab run` (exit code 2).
//!
//! The quick run takes about a minute and a half; set `FEEDLAB_KEEP_TEST_OUTPUT=1` to keep its directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use feedlab_report::Lang;
use feedlab_report::data::load;
use feedlab_report::experiments::KNOWN;
use feedlab_report::paths::{ImageFormat, ResultFile};
use feedlab_report::style::{SIZE, TWO_PANEL_HEIGHT};

/// The repository root: experiments/ lives there, and `git rev-parse` works there.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn feedlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_feedlab")).current_dir(repo()).args(args).output().unwrap()
}

/// A fresh temporary directory, removed when dropped unless FEEDLAB_KEEP_TEST_OUTPUT is set.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("feedlab-suite-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("FEEDLAB_KEEP_TEST_OUTPUT").is_some() {
            eprintln!("kept {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Charts the report draws per experiment (at least these; the overload run adds the storm's own timeline).
const CHARTS: [(&str, &[&str]); 7] = [
    ("header-overhead", &["bytes-per-message", "bandwidth"]),
    ("latency-vs-interval", &["latency"]),
    ("idle-cost", &["requests", "bytes"]),
    ("message-rate", &["requests-per-message", "overhead-per-message", "latency"]),
    ("connection-scale", &["memory", "cpu", "p99"]),
    ("rtt", &["latency"]),
    ("overload", &["timeline"]),
];

fn schema_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("crates/contract/schema/bench.schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 33, "PNG too short");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

/// Width and height attributes of an SVG document, after checking it is one complete `<svg>` element.
fn svg_size(text: &str) -> (u32, u32) {
    let start = text.find("<svg").expect("no <svg");
    assert!(text.trim_end().ends_with("</svg>"), "SVG not closed");
    let head = &text[start..start + text[start..].find('>').unwrap()];
    let attr = |name: &str| -> u32 {
        let at = head.find(&format!("{name}=\"")).unwrap_or_else(|| panic!("no {name} in {head}")) + name.len() + 2;
        head[at..at + head[at..].find('"').unwrap()].parse().unwrap()
    };
    (attr("width"), attr("height"))
}

/// Chart stems (`<stem>.png`) in an experiment directory.
/// The PNG file stems in `dir`: `latency` and its Chinese `latency.zh`.
fn pngs_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The charts in `dir`: the English PNGs' stems, which name the charts.
fn charts_in(dir: &Path) -> Vec<String> {
    let other = |stem: &String| Lang::ALL.iter().any(|l| !l.suffix().is_empty() && stem.ends_with(l.suffix()));
    pngs_in(dir).into_iter().filter(|stem| !other(stem)).collect()
}

#[test]
fn quick_run_writes_data_charts_and_report_for_every_experiment() {
    let out = TempDir::new("quick");
    let run = feedlab(&["run", "--quick", "--out", out.0.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "feedlab run --quick failed: {}\n{stderr}", run.status);
    // Shown only if a check below fails: the run's log, step by step.
    eprintln!("{stderr}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("7 experiment(s)"), "{stdout}");

    let schema = schema_validator();
    let read = |f: ResultFile| std::fs::read_to_string(f.path(&out.0)).unwrap();
    let pages: Vec<(Lang, String, String)> =
        Lang::ALL.iter().map(|l| (*l, read(ResultFile::Readme(*l)), read(ResultFile::Html(*l)))).collect();
    for l in Lang::ALL {
        assert!(ResultFile::Index(l).path(&out.0).is_file());
    }
    assert_eq!(KNOWN.map(|k| k.to_owned()), CHARTS.map(|c| c.0.to_owned()), "the test knows every experiment");

    for (exp, expected_charts) in CHARTS {
        let dir = out.0.join(exp);
        // data.json: readable by the report (strictly), quick, with machine facts and the harness results as
        // they are.
        let path = dir.join("data.json");
        let data = load(&path).unwrap_or_else(|e| panic!("{exp}: {e}"));
        assert_eq!(data.experiment, exp);
        assert!(data.quick, "{exp}: marked as a quick run");
        assert!(!data.steps.is_empty(), "{exp}: no steps");
        let m = &data.machine;
        assert!(m.cpus >= 1 && m.mem_gib > 0.0 && !m.os.is_empty() && m.date.ends_with('Z'), "{exp}: {m:?}");
        assert!(!m.commit.is_empty(), "{exp}: run inside the git checkout, so the commit is known");
        let raw: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (i, step) in data.steps.iter().enumerate() {
            let bench = &raw["steps"][i]["bench"];
            let errors: Vec<String> =
                schema.iter_errors(bench).map(|e| format!("{e} at {}", e.instance_path)).collect();
            assert!(
                errors.is_empty(),
                "{exp} step {}: bench result does not match schema.json: {errors:#?}",
                step.label
            );
            let b = &step.bench;
            assert!(!b.cancelled, "{exp} {}: not interrupted", step.label);
            let i = &b.integrity;
            assert_eq!((i.lost, i.duplicated, i.reordered), (0, 0, 0), "{exp} {}: exact delivery", step.label);
            assert!(step.params.transport == b.transport && step.params.clients > 0 && !step.label.is_empty());
            if step.params.role.is_none() {
                let srv = step.server.unwrap_or_else(|| panic!("{exp} {}: server usage from /proc", step.label));
                assert!(srv.rss_mib_start > 0.0 && srv.rss_mib_peak >= srv.rss_mib_start && srv.cpu_s >= 0.0);
            }
            if b.published > 0 {
                assert!(i.delivered > 0, "{exp} {}: published {} but delivered none", step.label, b.published);
            }
        }
        // data.csv: a header and one row per step.
        let csv = std::fs::read_to_string(dir.join("data.csv")).unwrap();
        assert_eq!(csv.lines().count(), data.steps.len() + 1, "{exp}: data.csv rows");

        // Charts: the expected ones at least, each an SVG and a PNG of the report's size in every language,
        // referenced by both pages of that language.
        let charts = charts_in(&dir);
        for name in expected_charts {
            assert!(charts.iter().any(|c| c == name), "{exp}: chart {name} missing from {charts:?}");
        }
        assert_eq!(pngs_in(&dir).len(), charts.len() * Lang::ALL.len(), "{exp}: every chart in every language");
        for chart in &charts {
            for (lang, readme, html) in &pages {
                let file = |format| ResultFile::Chart { experiment: exp, chart, lang: *lang, format };
                let (png_file, svg_file) = (file(ImageFormat::Png), file(ImageFormat::Svg));
                let png = std::fs::read(png_file.path(&out.0)).unwrap();
                let svg = std::fs::read_to_string(svg_file.path(&out.0)).unwrap();
                let (png_rel, svg_rel) = (png_file.relative(), svg_file.relative());
                let size = png_size(&png);
                assert!(size == SIZE || size == (SIZE.0, TWO_PANEL_HEIGHT), "{png_rel} is {size:?}");
                assert_eq!(svg_size(&svg), size, "{svg_rel}: SVG and PNG of one size");
                assert!(png.len() > 10_000, "{png_rel} suspiciously small for a drawn chart");
                for rel in [&png_rel, &svg_rel] {
                    assert!(readme.contains(&format!("]({rel})")), "{lang:?} README lacks {rel}");
                }
                assert!(html.contains(&format!("href=\"{svg_rel}\"")), "{lang:?} index.html lacks {svg_rel}");
            }
        }
    }

    // The overload step carries the server's own per-second timeline, and the storm went past the cap.
    let overload = load(&out.0.join("overload/data.json")).unwrap();
    let steady = &overload.steps[0];
    assert!(steady.timeline.len() >= 3, "timeline of {} samples", steady.timeline.len());
    let rejected: f64 = steady.timeline.iter().map(|s| s.rejected_503_per_s).sum();
    assert!(rejected > 0.0, "the storm should meet 503s: {:?}", steady.timeline);
    assert!(steady.timeline.iter().all(|s| s.p99_us.is_some_and(|p| p > 0.0)), "probe answer times every second");
    let storm = overload.steps.iter().find(|s| s.label.starts_with("storm:")).expect("the storm's own step");
    assert!(storm.bench.rejected_503() > 0);
}

#[test]
fn usage_errors_exit_2() {
    let out = TempDir::new("usage");
    let o = out.0.to_str().unwrap();
    let unknown = feedlab(&["run", "no-such-experiment", "--out", o]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("unknown experiment `no-such-experiment`") && stderr.contains("idle-cost"), "{stderr}");

    let bad_dir = out.0.join("experiments");
    std::fs::create_dir_all(&bad_dir).unwrap();
    std::fs::write(bad_dir.join("broken.toml"), "[steps]\nclients = 0\n").unwrap();
    let bad = feedlab(&["run", "--experiments-dir", bad_dir.to_str().unwrap(), "--out", o]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("broken.toml") && stderr.contains("`steps.clients`") && stderr.contains("1..=100000"),
        "{stderr}"
    );
    assert!(!out.0.join("broken").exists(), "nothing ran");

    let plan = feedlab(&["run", "--quick", "--dry-run"]);
    assert!(plan.status.success());
    let text = String::from_utf8_lossy(&plan.stdout);
    for exp in KNOWN {
        assert!(text.contains(&format!("{exp} (")), "--dry-run lists {exp}: {text}");
    }
}
