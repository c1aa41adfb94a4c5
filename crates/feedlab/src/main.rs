//! The `feedlab` binary: parses the command line, sets up logging and hands each subcommand to its library.
//!
//! Thin on purpose (mini-redis, oha): `serve` lives in `feedlab-server`, `bench` and `floor` in `feedlab-harness`,
//! `run` and `cluster` in `feedlab-suite` and `report` in `feedlab-report`. Errors become exit codes here: bad input is 2
//! (as clap does for a bad flag), any other failure 1.
//!
//! Logging (`tracing`) is for diagnostics. What `bench`, `run` and `report` tell a user is their own
//! output (a progress bar or plain lines, then a table); by default only their warnings and errors are
//! logged, read as `feedlab: warning: ...`, without timestamps or module paths. `-v`/`-vv` or `RUST_LOG` switch to the
//! full diagnostic format (time, level, module), as does `serve`, whose log is a service's log. Colours
//! only on a terminal, and never with `NO_COLOR`; log lines are printed above a progress bar, not through
//! it.

use std::fmt;
use std::process::ExitCode;

use clap::Parser;
use feedlab::{Cli, Command};
use feedlab_harness::cli::{Console, LogWriter};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, matches!(cli.command, Command::Serve(_) | Command::Cluster(_)));
    let result = match cli.command {
        Command::Serve(args) => feedlab_server::cli::serve(args),
        Command::Cluster(args) => feedlab_suite::cluster::cluster(args),
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

/// `verbose` is the count of `-v`; `service` is true for `serve`.
fn init_logging(verbose: u8, service: bool) {
    let from_env = EnvFilter::try_from_default_env().ok();
    let diagnostics = service || verbose > 0 || from_env.is_some();
    let filter = from_env.unwrap_or_else(|| {
        EnvFilter::new(match verbose {
            // A service logs what it does; a command's own output already says it.
            0 if service => "info",
            0 => "warn",
            1 => "debug",
            _ => "trace",
        })
    });
    let logs =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(|| LogWriter).with_ansi(Console::stderr().color);
    if diagnostics { logs.init() } else { logs.event_format(Plain).init() }
}

/// A log event as a user reads it: `feedlab: warning: <message> key=value`.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut w: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let (label, colour) = match *event.metadata().level() {
            Level::ERROR => ("error: ", "1;31"),
            Level::WARN => ("warning: ", "1;33"),
            Level::INFO => ("", ""),
            Level::DEBUG => ("debug: ", ""),
            Level::TRACE => ("trace: ", ""),
        };
        write!(w, "feedlab: ")?;
        if w.has_ansi_escapes() && !colour.is_empty() {
            write!(w, "\x1b[{colour}m{label}\x1b[0m")?;
        } else {
            write!(w, "{label}")?;
        }
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}
