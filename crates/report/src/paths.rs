//! Where every result file lives. The one place that knows the layout of `results/`, used by the suite when
//! it writes data and by the report when it reads data and writes charts and pages.
//!
//! ```text
//! results/
//!   README.md  index.html  index.json
//!   <experiment>/data.json  data.csv  <chart>.svg  <chart>.png
//! ```

use std::path::{Path, PathBuf};

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
    /// `<experiment>/<chart>.<ext>`.
    Chart {
        /// Experiment name.
        experiment: &'a str,
        /// Chart name (file stem).
        chart: &'a str,
        /// Image format.
        format: ImageFormat,
    },
    /// `README.md`: the report as rendered by a code host.
    Readme,
    /// `index.html`: the self-contained report page.
    Html,
    /// `index.json`: experiments, charts and verdicts for the classroom page's charts tab.
    Index,
}

impl ResultFile<'_> {
    /// Path relative to the results directory, with `/` separators (also used as a link in README/HTML).
    pub fn relative(&self) -> String {
        match self {
            ResultFile::Data(e) => format!("{e}/data.json"),
            ResultFile::Csv(e) => format!("{e}/data.csv"),
            ResultFile::Chart { experiment, chart, format } => format!("{experiment}/{chart}.{}", format.ext()),
            ResultFile::Readme => "README.md".to_owned(),
            ResultFile::Html => "index.html".to_owned(),
            ResultFile::Index => "index.json".to_owned(),
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
        let chart = ResultFile::Chart { experiment: "rtt", chart: "latency", format: ImageFormat::Png };
        assert_eq!(chart.path(out), Path::new("results/rtt/latency.png"));
        assert_eq!(ResultFile::Readme.path(out), Path::new("results/README.md"));
        assert_eq!(ResultFile::Html.relative(), "index.html");
        assert_eq!(ResultFile::Index.relative(), "index.json");
    }
}
