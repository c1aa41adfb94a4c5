//! Renders synthetic data (tests/common, invented numbers, temp dirs only) through the public API and the
//! CLI entry point, and checks every file that comes out, in English and in Chinese: valid SVG/PNG of the
//! expected size, pages that reference every chart and link each other, an index.json that lists them, the
//! Chinese pages and charts drawn entirely by the embedded Chinese font, and usage errors for bad input.

mod common;

use std::path::Path;

use std::collections::BTreeSet;

use feedlab_report::cli::{ReportArgs, report};
use feedlab_report::{Error, Lang, render_all, render_experiment};

/// Expected chart names per experiment.
const CHARTS: [(&str, &[&str]); 7] = [
    ("header-overhead", &["bytes-per-message", "bandwidth"]),
    ("latency-vs-interval", &["latency"]),
    ("idle-cost", &["requests", "bytes"]),
    ("message-rate", &["requests-per-message", "overhead-per-message", "latency"]),
    ("connection-scale", &["memory", "cpu", "p99"]),
    ("rtt", &["latency"]),
    ("overload", &["timeline"]),
];

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

fn render_synthetic(name: &str) -> (common::TempDir, feedlab_report::Rendered) {
    let dir = common::temp_dir(name);
    for d in common::all() {
        common::write(&dir, &d);
    }
    let rendered = render_all(&dir).expect("render_all");
    (dir, rendered)
}

#[test]
fn every_chart_is_a_valid_svg_and_png_of_the_right_size() {
    let (dir, rendered) = render_synthetic("charts");
    eprintln!("synthetic report rendered in {}", dir.display());
    assert_eq!(rendered.experiments.len(), CHARTS.len());
    for ((exp, charts), r) in CHARTS.iter().zip(&rendered.experiments) {
        assert_eq!(r.section.experiment, *exp, "report order");
        assert_eq!(r.charts.len(), charts.len() * Lang::ALL.len(), "{exp}: every chart in every language");
        for lang in Lang::ALL {
            let names: Vec<&str> = r.charts_in(lang).map(|c| c.name.as_str()).collect();
            assert_eq!(names, *charts, "{exp}");
            for (c, chart) in r.charts_in(lang).zip(&r.section.charts) {
                let expected = feedlab_report::draw::size_of(chart);
                let png = std::fs::read(&c.png).unwrap();
                assert_eq!(png_size(&png), expected, "{}", c.png.display());
                // A blank image compresses to almost nothing; a drawn chart does not.
                assert!(png.len() > 10_000, "{} suspiciously small", c.png.display());
                let svg = std::fs::read_to_string(&c.svg).unwrap();
                assert_eq!(svg_size(&svg), expected, "{}", c.svg.display());
                assert_eq!(c.title, &chart.title()[lang]);
                assert!(svg.contains(&c.title), "{} lacks its title", c.svg.display());
                let family = feedlab_report::style::font(lang);
                assert!(svg.contains(&format!("font-family=\"{family}\"")), "{}", c.svg.display());
            }
        }
        let (en, zh) = (r.charts_in(Lang::En).next().unwrap(), r.charts_in(Lang::Zh).next().unwrap());
        assert_ne!(en.title, zh.title, "{exp}: the Chinese chart has its own title");
        assert!(zh.png.to_string_lossy().ends_with(".zh.png") && !en.png.to_string_lossy().contains(".zh."));
        assert!(r.csv.is_file());
        let csv = std::fs::read_to_string(&r.csv).unwrap();
        let steps = common::all().into_iter().find(|d| d.experiment == *exp).unwrap().steps.len();
        assert_eq!(csv.lines().count(), steps + 1, "header + one row per step");
    }
}

/// The pages of one language, read back.
struct Pages {
    readme: String,
    html: String,
    index: serde_json::Value,
}

fn read_pages(rendered: &feedlab_report::Rendered, lang: Lang) -> Pages {
    let p = rendered.pages(lang);
    let read = |path: &Path| std::fs::read_to_string(path).unwrap();
    Pages { readme: read(&p.readme), html: read(&p.html), index: serde_json::from_str(&read(&p.index)).unwrap() }
}

#[test]
fn pages_reference_every_chart_and_verdict() {
    let (dir, rendered) = render_synthetic("pages");
    assert_eq!(rendered.pages(Lang::En).readme, dir.join("README.md"));
    assert_eq!(rendered.pages(Lang::Zh).readme, dir.join("README.zh.md"));
    assert_eq!(rendered.pages(Lang::Zh).html, dir.join("index.zh.html"));
    assert_eq!(rendered.pages(Lang::Zh).index, dir.join("index.zh.json"));
    for lang in Lang::ALL {
        let Pages { readme, html, index } = read_pages(&rendered, lang);
        let mut inline_svgs = 0;
        for (i, r) in rendered.experiments.iter().enumerate() {
            assert!(readme.contains(&format!("## {}", &r.section.title[lang])));
            let ie = &index["experiments"][i];
            assert_eq!(ie["experiment"], r.section.experiment.as_str());
            assert_eq!(ie["title"], &r.section.title[lang]);
            for (j, c) in r.charts_in(lang).enumerate() {
                assert!(readme.contains(&format!("]({})", c.png_rel)), "README lacks {}", c.png_rel);
                assert!(readme.contains(&format!("]({})", c.svg_rel)), "README lacks {}", c.svg_rel);
                assert!(html.contains(&format!("href=\"{}\"", c.svg_rel)), "HTML lacks {}", c.svg_rel);
                assert_eq!(ie["charts"][j]["png"], c.png_rel.as_str());
                assert_eq!(ie["charts"][j]["title"], c.title.as_str());
                assert!(dir.join(ie["charts"][j]["svg"].as_str().unwrap()).is_file());
                inline_svgs += 1;
            }
            assert!(!r.section.verdicts.is_empty(), "{} has no verdict", r.section.experiment);
            for (j, v) in r.section.verdicts.iter().enumerate() {
                assert!(readme.contains(&v.paragraph(lang)), "README lacks verdict {:?}", v.claim);
                assert_eq!(ie["verdicts"][j]["claim"], &v.claim[lang]);
                assert_eq!(ie["verdicts"][j]["paragraph"], v.paragraph(lang).as_str());
            }
        }
        assert_eq!(html.matches("<svg").count(), inline_svgs, "every chart inline exactly once");
        assert!(!html.contains("<?xml"));
        assert!(html.contains(&format!("<html lang=\"{}\">", lang.html())));
        assert!(readme.contains("Quantum Leap in Scalability"));
        assert!(readme.contains("synthetic"), "run machine printed");
        // Each page names every language and links the others.
        for other in Lang::ALL.into_iter().filter(|l| *l != lang) {
            let (md, page) =
                if other == Lang::En { ("README.md", "index.html") } else { ("README.zh.md", "index.zh.html") };
            let link = format!("[{}", other.own_name());
            assert!(readme.contains(&link) && readme.contains(&format!("]({md})")), "{lang:?} README lacks {md}");
            assert!(html.contains(&format!("<a href=\"{page}\" hreflang=\"{}\"", other.html())), "{lang:?}: {page}");
        }
        // Rendering again gives the same pages.
        let again = render_all(&dir).unwrap();
        assert_eq!(std::fs::read_to_string(&again.pages(lang).readme).unwrap(), readme);
    }
    // The Kaazing table is there with its source, their numbers quoted and our 100k computed, in both.
    let en = read_pages(&rendered, Lang::En).readme;
    assert!(en.contains("| Kaazing polling (quoted) | 871 | 6.6 quoted | 66 quoted | 665 quoted |"), "{en}");
    assert!(en.contains("| Kaazing WebSocket (quoted) | 2 | 0.015 quoted | 0.153 quoted | 1.526 quoted |"));
    assert!(en.contains("computed"));
    let zh = read_pages(&rendered, Lang::Zh).readme;
    assert!(zh.contains("| Kaazing 轮询（引用） | 871 | 6.6 引用 | 66 引用 | 665 引用 |"), "{zh}");
    assert!(zh.contains("计算"));
    // The English page uses the viewer's fonts; the Chinese one embeds its own, for its text and its charts.
    assert!(!read_pages(&rendered, Lang::En).html.contains("@font-face"));
    let zh_html = read_pages(&rendered, Lang::Zh).html;
    assert!(zh_html.contains("@font-face{font-family:\"Feedlab CJK\";src:url(data:font/otf;base64,"));
    assert!(zh_html.contains("font-family=\"Feedlab CJK, sans-serif\""));
}

/// Every character of the Chinese README and of the Chinese charts' texts has a glyph in the embedded
/// Chinese font (read with ab_glyph, as plotters reads it): the Chinese charts are drawn with nothing else.
#[test]
fn chinese_pages_and_charts_are_covered_by_the_embedded_font() {
    use ab_glyph::Font as _;
    let font = ab_glyph::FontRef::try_from_slice(feedlab_report::style::CJK_FONT_BYTES).unwrap();
    let (_dir, rendered) = render_synthetic("zh-font");
    let mut text = read_pages(&rendered, Lang::Zh).readme;
    for r in &rendered.experiments {
        for c in r.charts_in(Lang::Zh) {
            let svg = std::fs::read_to_string(&c.svg).unwrap();
            // The contents of every <text> element.
            for part in svg.split("<text").skip(1) {
                let inner = &part[part.find('>').unwrap() + 1..part.find("</text>").unwrap()];
                text.push_str(inner);
            }
        }
    }
    assert!(text.contains('轮'), "there is Chinese text to check");
    let missing: BTreeSet<char> = text.chars().filter(|c| *c != '\n' && font.glyph_id(*c).0 == 0).collect();
    assert_eq!(missing, BTreeSet::new(), "re-run scripts/subset-cjk-font.py and commit crates/report/fonts/");
}

#[test]
fn render_experiment_alone_writes_its_charts() {
    let dir = common::temp_dir("one");
    let r = render_experiment(&dir, &common::rtt()).unwrap();
    assert!(dir.join("rtt/latency.svg").is_file() && dir.join("rtt/latency.png").is_file());
    assert!(dir.join("rtt/latency.zh.svg").is_file() && dir.join("rtt/latency.zh.png").is_file());
    assert!(dir.join("rtt/data.csv").is_file());
    assert!(!dir.join("README.md").exists(), "pages are render_all's job");
    assert_eq!(r.charts_in(Lang::En).count(), 1);
    assert_eq!(r.charts_in(Lang::Zh).count(), 1);
    let mut bad = common::rtt();
    bad.experiment = "../escape".into();
    assert!(matches!(render_experiment(&dir, &bad), Err(Error::InvalidName { .. })));
}

fn usage_error(out: &Path) -> clap::Error {
    let err = report(ReportArgs { out: out.to_owned() }).expect_err("should fail");
    match err.downcast::<clap::Error>() {
        Ok(e) => e,
        Err(other) => panic!("not a usage error: {other:#}"),
    }
}

#[test]
fn bad_input_is_a_usage_error() {
    let empty = common::temp_dir("empty");
    let e = usage_error(&empty);
    assert_eq!(e.kind(), clap::error::ErrorKind::InvalidValue);
    assert!(e.to_string().contains("no experiment data"), "{e}");

    let e = usage_error(&empty.join("does-not-exist"));
    assert!(e.to_string().contains("no experiment data"), "{e}");

    let malformed = common::temp_dir("malformed");
    std::fs::create_dir_all(malformed.join("rtt")).unwrap();
    std::fs::write(malformed.join("rtt/data.json"), "{\"experiment\": \"rtt\", \"steps\": [").unwrap();
    let e = usage_error(&malformed);
    assert!(e.to_string().contains("rtt/data.json"), "{e}");
    assert!(!malformed.join("README.md").exists(), "nothing written on bad input");

    let mismatch = common::temp_dir("mismatch");
    common::write(&mismatch, &common::rtt());
    std::fs::rename(mismatch.join("rtt"), mismatch.join("other")).unwrap();
    let e = usage_error(&mismatch);
    assert!(e.to_string().contains("\"other\""), "{e}");
}

/// Writes the synthetic rtt data with one edit to its JSON, and returns the usage error `feedlab report` gives.
fn refused(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let dir = common::temp_dir(name);
    common::write(&dir, &common::rtt());
    let path = dir.join("rtt/data.json");
    let mut doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut doc);
    std::fs::write(&path, doc.to_string()).unwrap();
    let e = usage_error(&dir).to_string();
    assert!(e.contains("rtt/data.json"), "names the file: {e}");
    assert!(!dir.join("README.md").exists(), "nothing written on bad input");
    e
}

#[test]
fn strict_reading_names_the_file_and_the_field() {
    let e = refused("missing", |d| {
        d["steps"][2]["bench"]["latency_us"].as_object_mut().unwrap().remove("p99");
    });
    assert!(e.contains("field `steps[2].bench.latency_us`: missing field `p99`"), "{e}");
    let e = refused("version", |d| d["schema_version"] = 7.into());
    assert!(e.contains("field `schema_version`: 7 is not the feedlab data file layout"), "{e}");
    let e = refused("alias", |d| d["steps"][0]["params"]["transport"] = "websocket".into());
    assert!(e.contains("field `steps[0].params.transport`: unknown variant `websocket`"), "{e}");
}

#[test]
fn cli_renders_and_defaults_to_results() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ReportArgs,
    }
    assert_eq!(Cli::parse_from(["report"]).args.out, Path::new("results"));
    let (dir, _) = render_synthetic("cli");
    let args = Cli::parse_from(["report", "--out", dir.to_str().unwrap()]).args;
    report(args).unwrap();
    assert!(dir.join("index.html").is_file());
    assert!(dir.join("index.zh.html").is_file());
}
