//! `results/index.html`: the same report as the README in one self-contained file. Charts are inlined as
//! SVG (their text uses the reader's sans-serif font), so the page works when opened from disk or mailed.
//! One page per language (`index.zh.html`), each linking the others; the Chinese page embeds the charts'
//! Chinese font, which its text and its inline charts use, so it reads the same on a machine without CJK
//! fonts.

use std::fmt::Write as _;

use super::{languages, machine_line, mark, runs};
use crate::RenderedExperiment;
use crate::experiments::Table;
use crate::paths::ResultFile;
use crate::style;
use crate::text::{Lang, Text, tr};
use crate::verdict::{Outcome, Verdict};

/// The whole page in one language. `svgs[i][j]` is the SVG text of chart `j` of experiment `i` in `lang`.
pub fn page(experiments: &[RenderedExperiment], svgs: &[Vec<String>], lang: Lang) -> String {
    let mut h = String::new();
    // unwrap: writing to a String cannot fail (here and below).
    let w = &mut h;
    let title = &tr!(PAGE_TITLE)[lang];
    writeln!(w, "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">", lang.html()).unwrap();
    writeln!(w, "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">").unwrap();
    writeln!(w, "<title>{title}</title><style>{}{}</style></head><body>", style::PAGE_CSS, style::page_css(lang))
        .unwrap();
    let link = |l: Lang, name: &str, href: &str| {
        format!("<a href=\"{}\" hreflang=\"{}\">{}</a>", esc(href), l.html(), esc(name))
    };
    writeln!(w, "<h1>{title}</h1>\n<p>{}</p>", languages(lang, ResultFile::Html, link)).unwrap();
    writeln!(w, "<p>{}</p>", inline_md(&tr!(PAGE_PROVENANCE)[lang])).unwrap();
    writeln!(w, "<p>{}</p>", esc(&tr!(PAGE_RUNS, runs = runs(experiments, lang))[lang])).unwrap();

    let header =
        [tr!(PAGE_EXPERIMENT), tr!(PAGE_CLAIM), tr!(PAGE_VERDICT)].map(|h| format!("<th>{}</th>", esc(&h[lang])));
    writeln!(w, "<h2>{}</h2>\n<table><tr>{}</tr>", esc(&tr!(PAGE_GLANCE)[lang]), header.concat()).unwrap();
    for e in experiments {
        for v in &e.section.verdicts {
            writeln!(
                w,
                "<tr><td><a href=\"#{id}\">{id}</a></td><td class=\"text\">{}</td><td class=\"text {}\">{}</td></tr>",
                esc(&v.claim[lang]),
                v.outcome.class(),
                esc(&mark(v.outcome)[lang]),
                id = esc(&e.section.experiment)
            )
            .unwrap();
        }
    }
    writeln!(w, "</table>\n<h2>{}</h2><ul>", esc(&tr!(PAGE_DISAGREE)[lang])).unwrap();
    let mut any = false;
    for e in experiments {
        for v in e.section.verdicts.iter().filter(|v| v.outcome == Outcome::NotSupported) {
            any = true;
            writeln!(w, "<li><strong>{}</strong>: {}</li>", esc(&e.section.experiment), verdict_html(v, lang)).unwrap();
        }
    }
    if !any {
        writeln!(w, "<li>{}</li>", esc(&tr!(PAGE_NOWHERE_HTML)[lang])).unwrap();
    }
    writeln!(w, "</ul>").unwrap();

    for (i, e) in experiments.iter().enumerate() {
        let s = &e.section;
        writeln!(w, "<section id=\"{}\">\n<h2>{}</h2>", esc(&s.experiment), esc(&s.title[lang])).unwrap();
        writeln!(w, "<p><code>{}</code> — {}</p>", esc(&s.experiment), esc(&s.intro[lang])).unwrap();
        let quick = if e.quick { tr!(PAGE_QUICK) } else { Text::default() };
        writeln!(w, "<p><em>{}</em></p>", esc(&tr!(PAGE_RUN, machine = machine_line(&e.machine), quick = quick)[lang]))
            .unwrap();
        for n in &s.notes {
            writeln!(
                w,
                "<p class=\"note\"><strong>{}</strong> {}</p>",
                esc(&tr!(PAGE_NOTE)[lang]),
                inline_md(&n[lang])
            )
            .unwrap();
        }
        for (j, c) in e.charts_in(lang).enumerate() {
            let svg = svgs.get(i).and_then(|v| v.get(j)).map_or("", String::as_str);
            let link = |href: &str, name: &str| format!("<a href=\"{}\">{name}</a>", esc(href));
            let caption = tr!(
                PAGE_FIGCAPTION,
                title = esc(&c.title),
                svg = link(&c.svg_rel, "SVG"),
                png = link(&c.png_rel, "PNG")
            );
            writeln!(
                w,
                "<figure role=\"img\" aria-label=\"{}\">{}<figcaption>{}</figcaption></figure>",
                esc(&c.title),
                strip_prolog(svg),
                &caption[lang]
            )
            .unwrap();
        }
        for v in &s.verdicts {
            writeln!(w, "<p>{}</p>", verdict_html(v, lang)).unwrap();
        }
        for t in &s.tables {
            table(w, t, lang);
        }
        let link = |f: ResultFile| format!("<a href=\"{p}\">{p}</a>", p = esc(&f.relative()));
        let data =
            tr!(PAGE_DATA, data = link(ResultFile::Data(&s.experiment)), csv = link(ResultFile::Csv(&s.experiment)));
        writeln!(w, "<p>{}</p>\n</section>", &data[lang]).unwrap();
    }
    writeln!(w, "</body></html>").unwrap();
    h
}

/// A verdict's paragraph as HTML: every value escaped, the outcome coloured by its class.
fn verdict_html(v: &Verdict, lang: Lang) -> String {
    let html = tr!(
        VERDICT_HTML,
        source = esc(&v.source[lang]),
        claim = esc(&v.claim[lang]),
        evidence = esc(&v.evidence[lang]),
        class = v.outcome.class(),
        outcome = esc(&v.outcome.words()[lang])
    );
    html[lang].to_owned()
}

fn table(w: &mut String, t: &Table, lang: Lang) {
    writeln!(w, "<table><caption>{}</caption><tr>", esc(&t.caption[lang])).unwrap();
    for h in &t.header {
        write!(w, "<th>{}</th>", esc(&h[lang])).unwrap();
    }
    writeln!(w, "</tr>").unwrap();
    for r in &t.rows {
        write!(w, "<tr>").unwrap();
        for c in r {
            write!(w, "<td>{}</td>", esc(&c[lang])).unwrap();
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
