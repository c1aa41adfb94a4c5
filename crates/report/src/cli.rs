//! `feedlab report`: re-render every chart and page from the data files under `--out`, without re-running
//! anything.

use std::path::PathBuf;

use crate::paths::DEFAULT_OUT;

/// Arguments of `feedlab report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Results directory: reads DIR/<experiment>/data.json and writes the charts, DIR/README.md,
    /// DIR/index.html and DIR/index.json, in English and in Chinese (README.zh.md, ...).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_OUT)]
    pub out: PathBuf,
}

/// Runs `feedlab report`. Missing or malformed data is a usage error (a `clap::Error`, exit 2); failing to
/// write is an ordinary error.
pub fn report(args: ReportArgs) -> anyhow::Result<()> {
    let rendered = crate::render_all(&args.out).map_err(|e| {
        if e.is_bad_input() {
            anyhow::Error::new(clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("{e}\n")))
        } else {
            anyhow::Error::new(e)
        }
    })?;
    let charts: usize = rendered.experiments.iter().map(|e| e.section.charts.len()).sum();
    println!(
        "rendered {} experiments, {charts} charts (SVG + PNG) in English and Chinese:",
        rendered.experiments.len()
    );
    for p in &rendered.pages {
        println!("  {}, {}, {}", p.readme.display(), p.html.display(), p.index.display());
    }
    Ok(())
}
