//! `results/index.html`: the same report as the README in one self-contained file. Charts are inlined as
//! SVG (their text uses the reader's sans-serif font), so the page works when opened from disk or mailed.

use std::fmt::Write as _;

use super::{PROVENANCE, machine_line, mark, runs};
use crate::RenderedExperiment;
use crate::experiments::Table;
use crate::paths::ResultFile;
use crate::style;
use crate::verdict::{Outcome, Verdict};

/// The whole page. `svgs[i][j]` is the SVG text of chart `j` of experiment `i`.
pub fn page(experiments: &[RenderedExperiment], svgs: &[Vec<String>]) -> String {
    let mut h = String::new();
    // unwrap: writing to a String cannot fail (here and below).
    let w = &mut h;
    writeln!(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">").unwrap();
    writeln!(w, "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">").unwrap();
    writeln!(w, "<title>feedlab results</title><style>{}</style></head><body>", style::PAGE_CSS).unwrap();
    writeln!(w, "<h1>feedlab results</h1>\n<p>{}</p>", inline_md(PROVENANCE)).unwrap();
    writeln!(w, "<p>Runs: {}.</p>", esc(&runs(experiments).join("; "))).unwrap();

    writeln!(w, "<h2>Verdicts at a glance</h2>\n<table><tr><th>experiment</th><th>claim</th><th>verdict</th></tr>")
        .unwrap();
    for e in experiments {
        for v in &e.section.verdicts {
            writeln!(
                w,
                "<tr><td><a href=\"#{id}\">{id}</a></td><td class=\"text\">{}</td><td class=\"text {}\">{}</td></tr>",
                esc(&v.claim),
                class(v.outcome),
                mark(v.outcome),
                id = esc(&e.section.experiment)
            )
            .unwrap();
        }
    }
    writeln!(w, "</table>\n<h2>Where the measurement disagrees with the documents</h2><ul>").unwrap();
    let mut any = false;
    for e in experiments {
        for v in e.section.verdicts.iter().filter(|v| v.outcome == Outcome::NotSupported) {
            any = true;
            writeln!(w, "<li><strong>{}</strong>: {}</li>", esc(&e.section.experiment), verdict_html(v)).unwrap();
        }
    }
    if !any {
        writeln!(w, "<li>Nowhere: every claim tested was supported, or the data could not decide.</li>").unwrap();
    }
    writeln!(w, "</ul>").unwrap();

    for (i, e) in experiments.iter().enumerate() {
        let s = &e.section;
        writeln!(w, "<section id=\"{}\">\n<h2>{}</h2>", esc(&s.experiment), esc(&s.title)).unwrap();
        writeln!(w, "<p><code>{}</code> — {}</p>", esc(&s.experiment), esc(&s.intro)).unwrap();
        writeln!(
            w,
            "<p><em>Run: {}{}.</em></p>",
            esc(&machine_line(&e.machine)),
            if e.quick { ", quick mode" } else { "" }
        )
        .unwrap();
        for n in &s.notes {
            writeln!(w, "<p class=\"note\"><strong>Note:</strong> {}</p>", inline_md(n)).unwrap();
        }
        for (j, c) in e.charts.iter().enumerate() {
            let svg = svgs.get(i).and_then(|v| v.get(j)).map_or("", String::as_str);
            writeln!(
                w,
                "<figure role=\"img\" aria-label=\"{t}\">{}<figcaption>{t} (<a href=\"{}\">SVG</a>, <a href=\"{}\">PNG</a>)</figcaption></figure>",
                strip_prolog(svg),
                esc(&c.svg_rel),
                esc(&c.png_rel),
                t = esc(&c.title)
            )
            .unwrap();
        }
        for v in &s.verdicts {
            writeln!(w, "<p>{}</p>", verdict_html(v)).unwrap();
        }
        for t in &s.tables {
            table(w, t);
        }
        writeln!(
            w,
            "<p>Data: <a href=\"{d}\">{d}</a>, <a href=\"{c}\">{c}</a>.</p>\n</section>",
            d = esc(&ResultFile::Data(&s.experiment).relative()),
            c = esc(&ResultFile::Csv(&s.experiment).relative())
        )
        .unwrap();
    }
    writeln!(w, "</body></html>").unwrap();
    h
}

fn verdict_html(v: &Verdict) -> String {
    format!(
        "<strong>Claim</strong> ({}): {} <strong>Measured:</strong> {} <strong class=\"{}\">Verdict: {}.</strong>",
        esc(&v.source),
        esc(&v.claim),
        esc(&v.evidence),
        class(v.outcome),
        v.outcome.words()
    )
}

fn class(o: Outcome) -> &'static str {
    match o {
        Outcome::Supported => "supported",
        Outcome::NotSupported => "not-supported",
        Outcome::Inconclusive => "inconclusive",
    }
}

fn table(w: &mut String, t: &Table) {
    writeln!(w, "<table><caption>{}</caption><tr>", esc(&t.caption)).unwrap();
    for h in &t.header {
        write!(w, "<th>{}</th>", esc(h)).unwrap();
    }
    writeln!(w, "</tr>").unwrap();
    for r in &t.rows {
        write!(w, "<tr>").unwrap();
        for c in r {
            write!(w, "<td>{}</td>", esc(c)).unwrap();
        }
        writeln!(w, "</tr>").unwrap();
    }
    writeln!(w, "</table>").unwrap();
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes, then turns the only Markdown our own sentences use (`code`, *emphasis*) into HTML.
fn inline_md(s: &str) -> String {
    let e = esc(s);
    let mut out = String::new();
    let (mut code, mut em) = (false, false);
    for c in e.chars() {
        match c {
            '`' => {
                out.push_str(if code { "</code>" } else { "<code>" });
                code = !code;
            }
            '*' if !code => {
                out.push_str(if em { "</em>" } else { "<em>" });
                em = !em;
            }
            c => out.push(c),
        }
    }
    out
}

/// Drops an XML declaration or doctype before `<svg`, which is not allowed inside HTML.
fn strip_prolog(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |i| &svg[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(inline_md("run `feedlab` *quoted* <b>"), "run <code>feedlab</code> <em>quoted</em> &lt;b&gt;");
        assert_eq!(strip_prolog("<?xml version=\"1.0\"?>\n<svg></svg>"), "<svg></svg>");
    }
}
