//! `feedlab-report`: charts and the results pages, rendered only from result files.
//!
//! The suite (`feedlab run`) writes `results/<experiment>/data.json` (the contract's
//! [`feedlab_contract::data::ExperimentData`]); this crate reads those files strictly ([`data::load`]) and
//! writes, without re-running anything:
//!
//! - per experiment, `data.csv` and every chart as SVG and PNG (`<experiment>/<chart>.svg|png`);
//! - `README.md` (for a code host), `index.html` (self-contained) and `index.json` (the classroom page's
//!   charts tab), each with one section per experiment: charts, tables of measured values, and for every
//!   claim of the classic explanation the experiment tests, a verdict computed from the data.
//!
//! Everything is written in English and in Chinese (`README.zh.md`, `index.zh.html`, `index.zh.json`,
//! `<chart>.zh.svg|png`), from the same shaping: each text is a [`Text`] in both languages (`text`, with
//! the catalogue `texts.toml`), so both reports carry the same numbers and verdicts.
//!
//! The pipeline is `data` (read) -> `experiments` (shape: charts as plain descriptions, tables, verdicts) ->
//! `draw` (plotters, one file per chart kind, constants in `style`) and `render` (pages). File locations come
//! from `paths` only. Charts use embedded fonts (DejaVu Sans; for Chinese, a subset of Noto Sans CJK SC;
//! `fonts/`), so no system font library is needed.
#![warn(missing_docs)]

pub mod chart;
pub mod cli;
pub mod data;
pub mod draw;
pub mod error;
pub mod experiments;
pub mod kaazing;
pub mod paths;
pub mod render;
pub mod style;
pub mod text;
pub mod verdict;

use std::path::{Path, PathBuf};

pub use data::ExperimentData;
pub use error::Error;
pub use text::{Lang, Text};

use data::Machine;
use error::io;
use experiments::Section;
use paths::{ImageFormat, ResultFile};

/// One chart as written in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    /// Chart name (the English file stem).
    pub name: String,
    /// The language of its texts.
    pub lang: Lang,
    /// Title (alt text), in `lang`.
    pub title: String,
    /// Full path of the SVG.
    pub svg: PathBuf,
    /// Full path of the PNG.
    pub png: PathBuf,
    /// SVG path relative to the results directory (`/`-separated, for links).
    pub svg_rel: String,
    /// PNG path relative to the results directory.
    pub png_rel: String,
}

/// One experiment as rendered: its report section and the files written for it.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedExperiment {
    /// Charts, tables and verdicts shaped from the data.
    pub section: Section,
    /// The machine and commit of the run.
    pub machine: Machine,
    /// Whether it was a `--quick` run.
    pub quick: bool,
    /// Charts written (SVG and PNG each), every chart in every language: chart by chart, each in
    /// [`Lang::ALL`] order.
    pub charts: Vec<ChartFile>,
    /// The `data.csv` written.
    pub csv: PathBuf,
}

impl RenderedExperiment {
    /// The charts of one language, in the section's order.
    pub fn charts_in(&self, lang: Lang) -> impl Iterator<Item = &ChartFile> {
        self.charts.iter().filter(move |c| c.lang == lang)
    }
}

/// The pages written in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct Pages {
    /// Their language.
    pub lang: Lang,
    /// `README.md` / `README.zh.md`.
    pub readme: PathBuf,
    /// `index.html` / `index.zh.html`.
    pub html: PathBuf,
    /// `index.json` / `index.zh.json`.
    pub index: PathBuf,
}

/// Everything `render_all` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Experiments in report order.
    pub experiments: Vec<RenderedExperiment>,
    /// The pages, per language in [`Lang::ALL`] order.
    pub pages: Vec<Pages>,
}

impl Rendered {
    /// The pages of one language.
    pub fn pages(&self, lang: Lang) -> &Pages {
        &self.pages[lang.index()]
    }
}

/// Writes one experiment's charts (SVG + PNG, in every language) and `data.csv` under `out/<experiment>/`.
/// Does not touch the pages; call [`render_all`] afterwards to refresh README.md, index.html and index.json.
pub fn render_experiment(out: &Path, data: &ExperimentData) -> Result<RenderedExperiment, Error> {
    let name = data.experiment.as_str();
    if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\']) {
        return Err(Error::InvalidName { name: name.to_owned() });
    }
    let dir = paths::experiment_dir(out, name);
    io(&dir, std::fs::create_dir_all(&dir))?;
    let section = experiments::shape(data);
    let mut charts = Vec::new();
    for chart in &section.charts {
        for lang in Lang::ALL {
            let file = |format| ResultFile::Chart { experiment: name, chart: chart.name(), lang, format };
            let (svg, png) = (file(ImageFormat::Svg), file(ImageFormat::Png));
            draw::render(chart, lang, &svg.path(out), &png.path(out))?;
            charts.push(ChartFile {
                name: chart.name().to_owned(),
                lang,
                title: chart.title()[lang].to_owned(),
                svg: svg.path(out),
                png: png.path(out),
                svg_rel: svg.relative(),
                png_rel: png.relative(),
            });
        }
    }
    let csv = ResultFile::Csv(name).path(out);
    io(&csv, std::fs::write(&csv, render::csv::csv(data)))?;
    Ok(RenderedExperiment { section, machine: data.machine.clone(), quick: data.quick, charts, csv })
}

/// Finds every `out/<experiment>/data.json`, in report order (DESIGN 5 order, then others by name).
pub fn find_data(out: &Path) -> Result<Vec<PathBuf>, Error> {
    let no_data = || Error::NoData { dir: out.to_owned() };
    let entries = std::fs::read_dir(out).map_err(|_| no_data())?;
    let mut found: Vec<(usize, String, PathBuf)> = Vec::new();
    for entry in entries {
        let entry = io(out, entry)?;
        let data = entry.path().join("data.json");
        if data.is_file() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rank = experiments::KNOWN.iter().position(|k| *k == name).unwrap_or(usize::MAX);
            found.push((rank, name, data));
        }
    }
    if found.is_empty() {
        return Err(no_data());
    }
    found.sort();
    Ok(found.into_iter().map(|f| f.2).collect())
}

/// Reads every data file under `out`, renders every experiment, then writes README.md, index.html and
/// index.json in every language. All data files are read and checked before anything is written.
pub fn render_all(out: &Path) -> Result<Rendered, Error> {
    let mut all = Vec::new();
    for path in find_data(out)? {
        let data = data::load(&path)?;
        let dir = path.parent().and_then(Path::file_name).map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
        if data.experiment != dir {
            return Err(Error::Mismatch { path, found: data.experiment, dir });
        }
        all.push(data);
    }
    let experiments = all.iter().map(|d| render_experiment(out, d)).collect::<Result<Vec<_>, _>>()?;

    let mut pages = Vec::new();
    for lang in Lang::ALL {
        let mut svgs = Vec::new();
        for e in &experiments {
            let read = |c: &ChartFile| io(&c.svg, std::fs::read_to_string(&c.svg));
            svgs.push(e.charts_in(lang).map(read).collect::<Result<Vec<_>, _>>()?);
        }
        let readme = ResultFile::Readme(lang).path(out);
        io(&readme, std::fs::write(&readme, render::markdown::readme(&experiments, lang)))?;
        let html = ResultFile::Html(lang).path(out);
        io(&html, std::fs::write(&html, render::html::page(&experiments, &svgs, lang)))?;
        let index = ResultFile::Index(lang).path(out);
        // unwrap: the index holds only strings, numbers and enums, which always serialize.
        let json = serde_json::to_string_pretty(&render::index::index(&experiments, lang)).unwrap();
        io(&index, std::fs::write(&index, json + "\n"))?;
        pages.push(Pages { lang, readme, html, index });
    }
    Ok(Rendered { experiments, pages })
}
