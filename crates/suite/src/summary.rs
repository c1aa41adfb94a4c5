//! What `feedlab run` prints on stdout at the end: what ran, the verdict of every claim the experiments
//! test (as `feedlab_report` computed them for the report, in English), a tally, and where the report is.
//!
//! Plain text, one line per verdict in a file; on a terminal the claims are wrapped to its width and
//! (without `NO_COLOR`) the verdicts coloured.

use std::fmt::Write as _;

use feedlab_report::verdict::Outcome;
use feedlab_report::{Lang, Rendered};

/// Claims are not wrapped narrower than this, however narrow the terminal.
const MIN_CLAIM_WIDTH: usize = 30;

/// How the summary is laid out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Layout {
    /// Colour the verdicts.
    pub color: bool,
    /// Wrap the claims to this many columns (a terminal's width); `None` keeps each verdict on one line.
    pub width: Option<usize>,
}

/// The summary of a run whose report is `rendered`; `ran` is its first line (what ran, how long it took).
pub fn render(ran: &str, rendered: &Rendered, layout: Layout) -> String {
    let mut out = String::new();
    // unwrap-free: writing to a String cannot fail (here and below).
    let w = &mut out;
    let charts: usize = rendered.experiments.iter().map(|e| e.section.charts.len()).sum();
    let _ = writeln!(w, "{ran}; report of {} experiment(s), {charts} charts", rendered.experiments.len());

    let rows: Vec<(Outcome, &str, &str)> = rendered
        .experiments
        .iter()
        .flat_map(|e| {
            let experiment = e.section.experiment.as_str();
            e.section.verdicts.iter().map(move |v| (v.outcome, experiment, &v.claim[Lang::En]))
        })
        .collect();
    let _ = writeln!(w);
    if rows.is_empty() {
        let _ = writeln!(w, "No claim was tested by these experiments.");
    } else {
        let verdict_w = rows.iter().map(|r| word(r.0).len()).chain(["verdict".len()]).max().unwrap_or(0);
        let exp_w = rows.iter().map(|r| r.1.len()).chain(["experiment".len()]).max().unwrap_or(0);
        let _ = writeln!(w, "  {:verdict_w$}  {:exp_w$}  claim", "verdict", "experiment");
        let indent = 2 + verdict_w + 2 + exp_w + 2;
        let claim_w = layout.width.map(|cols| cols.saturating_sub(indent + 1).max(MIN_CLAIM_WIDTH));
        for (outcome, experiment, claim) in &rows {
            let verdict = paint(&format!("{:verdict_w$}", word(*outcome)), *outcome, layout.color);
            let lines = claim_w.map_or_else(|| vec![claim.to_string()], |cw| wrap(claim, cw));
            let _ = writeln!(w, "  {verdict}  {experiment:exp_w$}  {}", lines.join(&format!("\n{:indent$}", "")));
        }
        let mut tally: Vec<(Outcome, usize)> = Vec::new();
        for (outcome, ..) in &rows {
            match tally.iter_mut().find(|(o, _)| o == outcome) {
                Some((_, n)) => *n += 1,
                None => tally.push((*outcome, 1)),
            }
        }
        tally.sort_by_key(|(o, _)| rank(*o));
        let tally: Vec<String> = tally.iter().map(|(o, n)| format!("{n} {}", &o.words()[Lang::En])).collect();
        let claims = if rows.len() == 1 { "claim" } else { "claims" };
        let _ = writeln!(w, "{} {claims}: {}.", rows.len(), tally.join(", "));
    }

    let _ = writeln!(w);
    for p in &rendered.pages {
        let what = match p.lang {
            Lang::En => "Report".to_owned(),
            other => format!("In {}", &other.name()[Lang::En]),
        };
        let _ = writeln!(w, "{what}: {} and {}", p.readme.display(), p.html.display());
    }
    out
}

/// `text` split at spaces into lines of at most `width` characters (a longer word stands alone).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// The verdict as the report's table marks it: a claim the data contradicts stands out in capitals.
fn word(o: Outcome) -> String {
    let words = o.words()[Lang::En].to_owned();
    if o == Outcome::NotSupported { words.to_uppercase() } else { words }
}

/// The tally's order: what the data supports first.
fn rank(o: Outcome) -> u8 {
    match o {
        Outcome::Supported => 0,
        Outcome::NotSupported => 1,
        Outcome::Inconclusive => 2,
    }
}

/// `text` in the outcome's colour (green, bold red, yellow) when `color`.
fn paint(text: &str, o: Outcome, color: bool) -> String {
    if !color {
        return text.to_owned();
    }
    let code = match o {
        Outcome::Supported => "32",
        Outcome::NotSupported => "1;31",
        Outcome::Inconclusive => "33",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use feedlab_report::experiments::Section;
    use feedlab_report::verdict::Verdict;
    use feedlab_report::{Pages, RenderedExperiment, Text};

    use super::*;

    fn experiment(name: &str, outcomes: &[Outcome]) -> RenderedExperiment {
        let verdicts = outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| Verdict {
                claim: Text::same(format!("claim {i} of {name}")),
                source: Text::default(),
                outcome: *o,
                evidence: Text::default(),
            })
            .collect();
        let section = Section {
            experiment: name.to_owned(),
            title: Text::default(),
            intro: Text::default(),
            charts: Vec::new(),
            tables: Vec::new(),
            verdicts,
            notes: Vec::new(),
        };
        RenderedExperiment {
            section,
            machine: Default::default(),
            quick: true,
            charts: Vec::new(),
            csv: PathBuf::from("x.csv"),
        }
    }

    fn rendered(experiments: Vec<RenderedExperiment>) -> Rendered {
        let pages = Lang::ALL
            .iter()
            .map(|l| Pages {
                lang: *l,
                readme: PathBuf::from(format!("out/README{}.md", l.suffix())),
                html: PathBuf::from(format!("out/index{}.html", l.suffix())),
                index: PathBuf::from(format!("out/index{}.json", l.suffix())),
            })
            .collect();
        Rendered { experiments, pages }
    }

    #[test]
    fn every_verdict_is_a_row_with_a_tally_and_the_report_paths() {
        use Outcome::*;
        let r = rendered(vec![
            experiment("rtt", &[Supported, Inconclusive]),
            experiment("message-rate", &[NotSupported, Supported]),
        ]);
        let text = render("feedlab run: 2 experiment(s), 9 steps in 40 s", &r, Layout::default());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "feedlab run: 2 experiment(s), 9 steps in 40 s; report of 2 experiment(s), 0 charts");
        assert_eq!(lines[2], "  verdict        experiment    claim");
        assert_eq!(lines[3], "  supported      rtt           claim 0 of rtt");
        assert_eq!(lines[5], "  NOT SUPPORTED  message-rate  claim 0 of message-rate");
        assert_eq!(lines[7], "4 claims: 2 supported, 1 not supported, 1 inconclusive.");
        assert_eq!(lines[9], "Report: out/README.md and out/index.html");
        assert_eq!(lines[10], "In Chinese: out/README.zh.md and out/index.zh.html");
        assert!(!text.contains('\x1b'), "no colour unless asked");
        let coloured = render("x", &r, Layout { color: true, width: None });
        assert!(coloured.contains("\x1b[1;31mNOT SUPPORTED\x1b[0m"), "{coloured}");
    }

    #[test]
    fn no_claims_is_said_plainly() {
        let text =
            render("feedlab run: 1 experiment(s)", &rendered(vec![experiment("custom", &[])]), Layout::default());
        assert!(text.contains("No claim was tested"), "{text}");
    }

    #[test]
    fn on_a_terminal_claims_wrap_under_their_column() {
        let mut e = experiment("rtt", &[Outcome::Supported]);
        e.section.verdicts[0].claim = Text::same("a pushed message arrives one one-way delay later, RTT/2 added");
        let layout = Layout { color: false, width: Some(2 + 9 + 2 + 10 + 2 + 30 + 1) };
        let text = render("x", &rendered(vec![e]), layout);
        let rows: Vec<&str> = text.lines().skip(3).take(3).collect();
        assert_eq!(
            rows,
            [
                "  supported  rtt         a pushed message arrives one",
                "                         one-way delay later, RTT/2",
                "                         added",
            ]
        );
    }

    #[test]
    fn wrapping_keeps_every_word() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("averyveryverylongword x", 5), ["averyveryverylongword", "x"]);
        assert_eq!(wrap("", 5), [""]);
    }
}
