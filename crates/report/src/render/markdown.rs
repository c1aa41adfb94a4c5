//! `results/README.md`: the report as a code host renders it. Charts are linked as PNG (rendered the same
//! everywhere), with a link to the SVG next to each. One README per language (`README.zh.md`), each linking
//! the others.

use std::fmt::Write as _;

use super::{languages, machine_line, mark, runs};
use crate::RenderedExperiment;
use crate::experiments::Table;
use crate::paths::ResultFile;
use crate::text::{Lang, Text, tr};
use crate::verdict::Outcome;

/// The whole README in one language.
pub fn readme(experiments: &[RenderedExperiment], lang: Lang) -> String {
    let mut md = String::new();
    // unwrap: writing to a String cannot fail (here and below).
    let w = &mut md;
    let link = |_, label: &str, href: &str| format!("[{label}]({href})");
    writeln!(w, "# {}\n", &tr!(PAGE_TITLE)[lang]).unwrap();
    writeln!(w, "{}\n", languages(lang, ResultFile::Readme, link)).unwrap();
    writeln!(w, "{}\n", &tr!(PAGE_INTRO_MD, provenance = tr!(PAGE_PROVENANCE))[lang]).unwrap();
    writeln!(w, "{}\n", &tr!(PAGE_RUNS, runs = runs(experiments, lang))[lang]).unwrap();

    writeln!(w, "## {}\n", &tr!(PAGE_GLANCE)[lang]).unwrap();
    let header = [tr!(PAGE_EXPERIMENT), tr!(PAGE_CLAIM), tr!(PAGE_VERDICT)].map(|h| h[lang].to_owned());
    writeln!(w, "| {} |\n|---|---|---|", header.join(" | ")).unwrap();
    for e in experiments {
        for v in &e.section.verdicts {
            writeln!(
                w,
                "| [{}](#{}) | {} | {} |",
                e.section.experiment,
                anchor(&e.section.title[lang]),
                esc(&v.claim[lang]),
                &mark(v.outcome)[lang]
            )
            .unwrap();
        }
    }
    writeln!(w, "\n## {}\n", &tr!(PAGE_DISAGREE)[lang]).unwrap();
    let disagree: Vec<_> = experiments
        .iter()
        .flat_map(|e| e.section.verdicts.iter().map(move |v| (e, v)))
        .filter(|(_, v)| v.outcome == Outcome::NotSupported)
        .collect();
    if disagree.is_empty() {
        writeln!(w, "{}", &tr!(PAGE_NOWHERE_MD)[lang]).unwrap();
    }
    for (e, v) in disagree {
        let (experiment, claim, source, evidence) = (&e.section.experiment, &v.claim, &v.source, &v.evidence);
        let item = tr!(PAGE_DISAGREE_MD, experiment = experiment, claim = claim, source = source, evidence = evidence);
        writeln!(w, "- {}", &item[lang]).unwrap();
    }

    for e in experiments {
        let s = &e.section;
        writeln!(w, "\n## {}\n", &s.title[lang]).unwrap();
        writeln!(w, "`{}` — {}\n", s.experiment, &s.intro[lang]).unwrap();
        let quick = if e.quick { tr!(PAGE_QUICK) } else { Text::default() };
        writeln!(w, "*{}*\n", &tr!(PAGE_RUN, machine = machine_line(&e.machine), quick = quick)[lang]).unwrap();
        for n in &s.notes {
            writeln!(w, "> **{}** {}\n", &tr!(PAGE_NOTE)[lang], &n[lang]).unwrap();
        }
        for c in e.charts_in(lang) {
            let image = format!("![{}]({})", c.title, c.png_rel);
            writeln!(w, "{}\n", &tr!(PAGE_IMAGE_MD, image = image, svg = format!("[SVG]({})", c.svg_rel))[lang])
                .unwrap();
        }
        for v in &s.verdicts {
            writeln!(w, "{}\n", v.paragraph(lang)).unwrap();
        }
        for t in &s.tables {
            table(w, t, lang);
        }
        let link = |f: ResultFile| format!("[{p}]({p})", p = f.relative());
        let data =
            tr!(PAGE_DATA, data = link(ResultFile::Data(&s.experiment)), csv = link(ResultFile::Csv(&s.experiment)));
        writeln!(w, "{}", &data[lang]).unwrap();
    }
    md
}

fn table(w: &mut String, t: &Table, lang: Lang) {
    let row = |cells: &[Text]| cells.iter().map(|c| esc(&c[lang])).collect::<Vec<_>>().join(" | ");
    writeln!(w, "{}\n", &t.caption[lang]).unwrap();
    writeln!(w, "| {} |", row(&t.header)).unwrap();
    writeln!(w, "|{}", "---|".repeat(t.header.len())).unwrap();
    for r in &t.rows {
        writeln!(w, "| {} |", row(r)).unwrap();
    }
    writeln!(w).unwrap();
}

/// Escapes a table cell: pipes would end the cell, newlines the row.
fn esc(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// GitHub-style heading anchor.
pub(crate) fn anchor(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => Some(c),
            ' ' => Some('-'),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_and_escapes() {
        assert_eq!(anchor("Latency vs. poll interval (ms)"), "latency-vs-poll-interval-ms");
        assert_eq!(esc("a|b\nc"), "a\\|b c");
    }
}
