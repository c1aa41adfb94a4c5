//! `results/README.md`: the report as a code host renders it. Charts are linked as PNG (rendered the same
//! everywhere), with a link to the SVG next to each.

use std::fmt::Write as _;

use super::{PROVENANCE, machine_line, mark, runs};
use crate::RenderedExperiment;
use crate::experiments::Table;
use crate::paths::ResultFile;
use crate::verdict::Outcome;

/// The whole README.
pub fn readme(experiments: &[RenderedExperiment]) -> String {
    let mut md = String::new();
    // unwrap: writing to a String cannot fail (here and below).
    let w = &mut md;
    writeln!(w, "# feedlab results\n").unwrap();
    writeln!(w, "{PROVENANCE} Re-render with `feedlab report --out results`.\n").unwrap();
    writeln!(w, "Runs: {}.\n", runs(experiments).join("; ")).unwrap();

    writeln!(w, "## Verdicts at a glance\n").unwrap();
    writeln!(w, "| experiment | claim | verdict |\n|---|---|---|").unwrap();
    for e in experiments {
        for v in &e.section.verdicts {
            writeln!(
                w,
                "| [{}](#{}) | {} | {} |",
                e.section.experiment,
                anchor(&e.section.title),
                esc(&v.claim),
                mark(v.outcome)
            )
            .unwrap();
        }
    }
    writeln!(w, "\n## Where the measurement disagrees with the documents\n").unwrap();
    let disagree: Vec<_> = experiments
        .iter()
        .flat_map(|e| e.section.verdicts.iter().map(move |v| (e, v)))
        .filter(|(_, v)| v.outcome == Outcome::NotSupported)
        .collect();
    if disagree.is_empty() {
        writeln!(w, "Nowhere: every claim tested was supported, or the data could not decide (marked inconclusive).")
            .unwrap();
    }
    for (e, v) in disagree {
        writeln!(w, "- **{}** — {} ({}) Measured: {}", e.section.experiment, v.claim, v.source, v.evidence).unwrap();
    }

    for e in experiments {
        let s = &e.section;
        writeln!(w, "\n## {}\n", s.title).unwrap();
        writeln!(w, "`{}` — {}\n", s.experiment, s.intro).unwrap();
        writeln!(w, "*Run: {}{}.*\n", machine_line(&e.machine), if e.quick { ", quick mode" } else { "" }).unwrap();
        for n in &s.notes {
            writeln!(w, "> **Note:** {n}\n").unwrap();
        }
        for c in &e.charts {
            writeln!(w, "![{}]({}) ([SVG]({}))\n", c.title, c.png_rel, c.svg_rel).unwrap();
        }
        for v in &s.verdicts {
            writeln!(w, "{}\n", v.paragraph()).unwrap();
        }
        for t in &s.tables {
            table(w, t);
        }
        writeln!(
            w,
            "Data: [{data}]({data}), [{csv}]({csv}).",
            data = ResultFile::Data(&s.experiment).relative(),
            csv = ResultFile::Csv(&s.experiment).relative()
        )
        .unwrap();
    }
    md
}

fn table(w: &mut String, t: &Table) {
    writeln!(w, "{}\n", t.caption).unwrap();
    writeln!(w, "| {} |", t.header.iter().map(|h| esc(h)).collect::<Vec<_>>().join(" | ")).unwrap();
    writeln!(w, "|{}", "---|".repeat(t.header.len())).unwrap();
    for r in &t.rows {
        writeln!(w, "| {} |", r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")).unwrap();
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
