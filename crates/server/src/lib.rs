//! placeholder until this crate is built.
pub mod cli {
    //! Command line of `feedlab serve`.
    /// Arguments (placeholder).
    #[derive(Debug, clap::Args)]
    pub struct ServeArgs {}
    /// Entry point (placeholder).
    pub fn serve(_args: ServeArgs) -> anyhow::Result<()> {
        Ok(())
    }
}
