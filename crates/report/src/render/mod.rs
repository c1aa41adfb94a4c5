//! Writing the pages: `README.md` (for a code host), `index.html` (self-contained, charts inline as SVG),
//! `index.json` (for the classroom page's charts tab) and each experiment's `data.csv`. All of them are
//! made from [`RenderedExperiment`]s, i.e. from data files and the charts already drawn from them. Each page
//! is written once per language, from the same sections, and links to its other languages.

pub mod csv;
pub mod html;
pub mod index;
pub mod markdown;

use std::collections::BTreeSet;

use crate::RenderedExperiment;
use crate::data::Machine;
use crate::paths::ResultFile;
use crate::text::{Lang, Text, tr};
use crate::verdict::Outcome;

/// One line describing a machine and commit.
pub(crate) fn machine_line(m: &Machine) -> Text {
    let field = |s: &str| if s.is_empty() { tr!(PAGE_UNKNOWN) } else { Text::same(s) };
    tr!(
        PAGE_MACHINE,
        commit = field(&m.commit),
        date = field(&m.date),
        cpus = m.cpus.to_string(),
        mem = crate::style::format_number(m.mem_gib),
        os = field(&m.os)
    )
}

/// Distinct machines/commits across experiments (usually one: a full suite run), joined for "Runs: ...".
pub(crate) fn runs(experiments: &[RenderedExperiment], lang: Lang) -> String {
    let lines: BTreeSet<String> = experiments.iter().map(|e| machine_line(&e.machine)[lang].to_owned()).collect();
    lines.into_iter().collect::<Vec<_>>().join(&tr!(LIST_SEMICOLON)[lang])
}

/// An outcome for summary tables: plain words (no emoji, which a fresh machine may lack a font for), the
/// contradicted claims marked so they stand out without colour.
pub(crate) fn mark(o: Outcome) -> Text {
    match o {
        Outcome::NotSupported => tr!(OUTCOME_NOT_SUPPORTED_MARK),
        o => o.words(),
    }
}

/// The line naming every language of a page by its own name: the page's own plain, the others as links
/// (`link(language, label, href)`) to the same page in that language, labelled with this page's name for it
/// too ("中文 (Chinese)"), which a reader without fonts for it can still read.
pub(crate) fn languages(
    current: Lang,
    page: fn(Lang) -> ResultFile<'static>,
    link: impl Fn(Lang, &str, &str) -> String,
) -> String {
    let name = |l: Lang| {
        if l == current {
            l.own_name()
        } else {
            let label = tr!(LANGUAGE_LINK, own = l.own_name(), name = l.name());
            link(l, &label[current], &page(l).relative())
        }
    };
    Lang::ALL.map(name).join(&tr!(LIST_LANGUAGES)[current])
}
