//! Where every result file lives. The one place that knows the layout of `results/`, used by the suite when
//! it writes data and by the report when it reads data and writes charts and pages.
//!
//! ```text
//! results/
//!   README.md  index.html  index.json               English
//!   README.zh.md  index.zh.html  index.zh.json      Chinese
//!   <experiment>/data.json  data.csv  <chart>.svg  <chart>.png  <chart>.zh.svg  <chart>.zh.png
//! ```
//!
//! English keeps the names the report always had; every other language adds its [`Lang::suffix`].

use std::path::{Path, PathBuf};

use crate::text::Lang;

/// The default results directory, relative to the working directory.
pub const DEFAULT_OUT: &str = "results";

/// Image formats every chart is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Scalable vector graphics (inlined into index.html).
    Svg,
    /// Portable network graphics (linked from README.md: code hosts render it everywhere).
    Png,
}

impl ImageFormat {
    /// Both formats, in the order they are written.
    pub const ALL: [ImageFormat; 2] = [ImageFormat::Svg, ImageFormat::Png];

    /// File extension without the dot.
    pub fn ext(self) -> &'static str {
        match self {
            ImageFormat::Svg => "svg",
            ImageFormat::Png => "png",
        }
    }
}

/// A file in the results directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFile<'a> {
    /// `<experiment>/data.json`: the measurements.
    Data(&'a str),
    /// `<experiment>/data.csv`: one row per step, for spreadsheets.
    Csv(&'a str),
    /// `<experiment>/<chart>[.<lang>].<ext>`.
    Chart {
        /// Experiment name.
        experiment: &'a str,
        /// Chart name (file stem).
        chart: &'a str,
        /// The language of its texts.
        lang: Lang,
        /// Image format.
        format: ImageFormat,
    },
    /// `README[.<lang>].md`: the report as rendered by a code host.
    Readme(Lang),
    /// `index[.<lang>].html`: the self-contained report page.
    Html(Lang),
    /// `index[.<lang>].json`: experiments, charts and verdicts for the classroom page's charts tab.
    Index(Lang),
}

impl ResultFile<'_> {
    /// Path relative to the results directory, with `/` separators (also used as a link in README/HTML).
    pub fn relative(&self) -> String {
        match self {
            ResultFile::Data(e) => format!("{e}/data.json"),
            ResultFile::Csv(e) => format!("{e}/data.csv"),
            ResultFile::Chart { experiment, chart, lang, format } => {
                format!("{experiment}/{chart}{}.{}", lang.suffix(), format.ext())
            }
            ResultFile::Readme(lang) => format!("README{}.md", lang.suffix()),
            ResultFile::Html(lang) => format!("index{}.html", lang.suffix()),
            ResultFile::Index(lang) => format!("index{}.json", lang.suffix()),
        }
    }

    /// Full path under `out`.
    pub fn path(&self, out: &Path) -> PathBuf {
        self.relative().split('/').fold(out.to_path_buf(), |p, part| p.join(part))
    }
}

/// The directory of one experiment.
pub fn experiment_dir(out: &Path, experiment: &str) -> PathBuf {
    out.join(experiment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let out = Path::new("results");
        assert_eq!(ResultFile::Data("rtt").path(out), Path::new("results/rtt/data.json"));
        assert_eq!(ResultFile::Csv("rtt").relative(), "rtt/data.csv");
        let chart = ResultFile::Chart { experiment: "rtt", chart: "latency", lang: Lang::En, format: ImageFormat::Png };
        assert_eq!(chart.path(out), Path::new("results/rtt/latency.png"));
        let chart = ResultFile::Chart { experiment: "rtt", chart: "latency", lang: Lang::Zh, format: ImageFormat::Svg };
        assert_eq!(chart.path(out), Path::new("results/rtt/latency.zh.svg"));
        assert_eq!(ResultFile::Readme(Lang::En).path(out), Path::new("results/README.md"));
        assert_eq!(ResultFile::Readme(Lang::Zh).path(out), Path::new("results/README.zh.md"));
        assert_eq!(ResultFile::Html(Lang::En).relative(), "index.html");
        assert_eq!(ResultFile::Html(Lang::Zh).relative(), "index.zh.html");
        assert_eq!(ResultFile::Index(Lang::En).relative(), "index.json");
        assert_eq!(ResultFile::Index(Lang::Zh).relative(), "index.zh.json");
    }
}
