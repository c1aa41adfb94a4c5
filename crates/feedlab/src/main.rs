//! The `feedlab` binary: parses the command line, sets up logging and hands each subcommand to its library.
//!
//! Thin on purpose (mini-redis, oha): `serve` lives in `feedlab-server`, `bench` and `floor` in `feedlab-harness`,
//! `run` in `feedlab-suite` and `report` in `feedlab-report`. Errors become exit codes here: bad input is 2
//! (as clap does for a bad flag), any other failure 1.

use std::process::ExitCode;

use clap::Parser;
use feedlab::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = match cli.command {
        Command::Serve(args) => feedlab_server::cli::serve(args),
        Command::Bench(args) => feedlab_harness::cli::bench(args),
        Command::Floor(args) => feedlab_harness::cli::floor(args),
        Command::Run(args) => feedlab_suite::cli::run(args),
        Command::Report(args) => feedlab_report::cli::report(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Usage errors found after parsing (a port in use, a bad experiment file) are clap errors too, so
            // they print and exit exactly like a bad flag.
            if let Some(usage) = err.downcast_ref::<clap::Error>() {
                usage.exit();
            }
            eprintln!("feedlab: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
