//! `results/index.json`: what the classroom page's charts tab reads — every experiment with its charts (paths
//! relative to `results/`) and verdict paragraphs. One per language, of the same shape: `index.zh.json` lists
//! the Chinese charts and texts.

use serde::Serialize;

use crate::RenderedExperiment;
use crate::data::Machine;
use crate::paths::ResultFile;
use crate::text::Lang;
use crate::verdict::Outcome;

/// The whole `index.json`.
#[derive(Debug, Serialize)]
pub struct Index<'a> {
    /// Always `"feedlab report"`.
    pub generator: &'static str,
    /// Experiments in report order.
    pub experiments: Vec<IndexExperiment<'a>>,
}

/// One experiment in `index.json`.
#[derive(Debug, Serialize)]
pub struct IndexExperiment<'a> {
    /// Name (directory).
    pub experiment: &'a str,
    /// Section title.
    pub title: &'a str,
    /// Whether the run was `--quick`.
    pub quick: bool,
    /// Machine and commit of the run.
    pub machine: &'a Machine,
    /// `<experiment>/data.json`.
    pub data: String,
    /// `<experiment>/data.csv`.
    pub csv: String,
    /// Charts in display order.
    pub charts: Vec<IndexChart<'a>>,
    /// Verdicts in display order.
    pub verdicts: Vec<IndexVerdict<'a>>,
    /// Caveats.
    pub notes: Vec<&'a str>,
}

/// One chart in `index.json`.
#[derive(Debug, Serialize)]
pub struct IndexChart<'a> {
    /// File stem.
    pub name: &'a str,
    /// Title (alt text).
    pub title: &'a str,
    /// SVG path relative to `results/`.
    pub svg: &'a str,
    /// PNG path relative to `results/`.
    pub png: &'a str,
}

/// One verdict in `index.json`.
#[derive(Debug, Serialize)]
pub struct IndexVerdict<'a> {
    /// The claim.
    pub claim: &'a str,
    /// Its source.
    pub source: &'a str,
    /// `supported`, `not-supported` or `inconclusive`.
    pub outcome: Outcome,
    /// The numbers.
    pub evidence: &'a str,
    /// The full paragraph as in the README (Markdown).
    pub paragraph: String,
}

/// Builds the index of one language.
pub fn index(experiments: &[RenderedExperiment], lang: Lang) -> Index<'_> {
    Index {
        generator: "feedlab report",
        experiments: experiments
            .iter()
            .map(|e| IndexExperiment {
                experiment: &e.section.experiment,
                title: &e.section.title[lang],
                quick: e.quick,
                machine: &e.machine,
                data: ResultFile::Data(&e.section.experiment).relative(),
                csv: ResultFile::Csv(&e.section.experiment).relative(),
                charts: e
                    .charts_in(lang)
                    .map(|c| IndexChart { name: &c.name, title: &c.title, svg: &c.svg_rel, png: &c.png_rel })
                    .collect(),
                verdicts: e
                    .section
                    .verdicts
                    .iter()
                    .map(|v| IndexVerdict {
                        claim: &v.claim[lang],
                        source: &v.source[lang],
                        outcome: v.outcome,
                        evidence: &v.evidence[lang],
                        paragraph: v.paragraph(lang),
                    })
                    .collect(),
                notes: e.section.notes.iter().map(|n| &n[lang]).collect(),
            })
            .collect(),
    }
}
