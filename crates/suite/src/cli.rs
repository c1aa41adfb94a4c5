//! Command line of this crate's subcommand.
/// Arguments (placeholder).
#[derive(Debug, clap::Args)]
pub struct RunArgs {}
/// Entry point (placeholder).
pub fn run(_args: RunArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
