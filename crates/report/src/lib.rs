//! placeholder until this crate is built.
pub mod cli {
    //! Command line of this crate's subcommand.
    /// Arguments (placeholder).
    #[derive(Debug, clap::Args)]
    pub struct ReportArgs {}
    /// Entry point (placeholder).
    pub fn report(_args: ReportArgs) -> anyhow::Result<()> {
        anyhow::bail!("not built yet")
    }
}
