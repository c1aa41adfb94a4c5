//! Writing the pages: `README.md` (for a code host), `index.html` (self-contained, charts inline as SVG),
//! `index.json` (for the classroom page's charts tab) and each experiment's `data.csv`. All of them are
//! made from [`RenderedExperiment`]s, i.e. from data files and the charts already drawn from them.

pub mod csv;
pub mod html;
pub mod index;
pub mod markdown;

use std::collections::BTreeSet;

use crate::RenderedExperiment;
use crate::data::Machine;
use crate::verdict::Outcome;

/// The sentence every page opens with: what the numbers are and how to get them again.
pub(crate) const PROVENANCE: &str = "Rendered by `feedlab report` from each experiment's `data.json`; nothing \
    here is typed in. Every figure is measured on the machine named for its run, except reference values \
    marked *quoted* (with their source) and values marked *computed* (with how).";

/// One line describing a machine and commit.
pub(crate) fn machine_line(m: &Machine) -> String {
    let field = |s: &str| if s.is_empty() { "unknown".to_owned() } else { s.to_owned() };
    format!(
        "commit {}, {}, {} CPUs, {} GiB, {}",
        field(&m.commit),
        field(&m.date),
        m.cpus,
        crate::style::format_number(m.mem_gib),
        field(&m.os)
    )
}

/// Distinct machines/commits across experiments (usually one: a full suite run).
pub(crate) fn runs(experiments: &[RenderedExperiment]) -> Vec<String> {
    experiments.iter().map(|e| machine_line(&e.machine)).collect::<BTreeSet<_>>().into_iter().collect()
}

/// An outcome for summary tables: plain words (no emoji, which a fresh machine may lack a font for), the
/// contradicted claims in capitals so they stand out without colour.
pub(crate) fn mark(o: Outcome) -> &'static str {
    match o {
        Outcome::Supported => "supported",
        Outcome::NotSupported => "NOT SUPPORTED",
        Outcome::Inconclusive => "inconclusive",
    }
}
