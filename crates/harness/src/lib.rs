//! placeholder until this crate is built.
pub mod cli {
    //! Command line of this crate's subcommand.
    /// Arguments (placeholder).
    #[derive(Debug, clap::Args)]
    pub struct BenchArgs {}
    /// Entry point (placeholder).
    pub fn bench(_args: BenchArgs) -> anyhow::Result<()> {
        anyhow::bail!("not built yet")
    }
}
