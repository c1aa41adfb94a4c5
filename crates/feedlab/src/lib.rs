//! The `feedlab` command line, public so tests can `Cli::parse_from` it (as oha does).

use clap::{Parser, Subcommand};

/// Settle ajax polling vs long-polling vs Server-Sent Events vs WebSocket with measurements.
///
/// One server publishes one message feed through all four transports (`serve`); a load harness measures
/// requests, header bytes, framing, latency and loss on the wire (`bench`); `floor` measures what the kernel
/// alone charges for a push on this machine; the experiment suite runs the classic comparisons and writes
/// charts and a report (`run`, `report`).
#[derive(Debug, Parser)]
#[command(name = "feedlab", version, propagate_version = true)]
pub struct Cli {
    /// Diagnostic logs on stderr, with timestamps and module paths: -v debug, -vv trace (RUST_LOG overrides).
    /// Without it, bench, run and report print their own output and plain `feedlab: warning: ...` lines.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the feed through /poll, /longpoll, /sse and /ws, and the classroom page at /.
    Serve(feedlab_server::cli::ServeArgs),
    /// Start N `serve` nodes on one port (SO_REUSEPORT) sharing one feed on Redis; stop them together.
    ///
    /// Example: `feedlab cluster --nodes 6 --addr 127.0.0.1:8470 -- --feed redis://127.0.0.1:6379`. The
    /// options after `--` are every node's `feedlab serve` options. Each node's log is printed with its
    /// number; Ctrl-C or SIGTERM stops all of them, and a node that exits stops the others.
    Cluster(feedlab_suite::cluster::ClusterArgs),
    /// Simulate N clients of one transport against a server and measure them on the wire.
    ///
    /// On a terminal a progress bar shows the clients connecting, then the measured window with its time
    /// left; in a file or a pipe there is no bar and no escape code. The summary table goes to stdout. Ctrl-C
    /// or SIGTERM ends the run early with the table (and --json) of what was measured, marked partial.
    Bench(feedlab_harness::cli::BenchArgs),
    /// Measure the kernel's floor: thread CPU per send() of a small frame to one of N idle loopback TCP
    /// sockets with a live epoll reader, for 1, 4 and 16 frames per send.
    Floor(feedlab_harness::cli::FloorArgs),
    /// Run the experiment suite (experiments/*.toml) and write results/ with charts and a report.
    ///
    /// Progress goes to stderr: on a terminal, a progress bar with the time left by the plan (the estimates
    /// --dry-run prints) and each finished step printed above it; in a file or a pipe, one plain line per
    /// finished step, with the planned time left, and no colours or escape codes. At the end stdout gets
    /// the verdict of every claim the experiments test and where the report is (DIR/README.md and
    /// DIR/index.html, and their Chinese versions).
    ///
    /// -v adds diagnostic logs with timestamps and modules (-v debug, -vv trace, RUST_LOG overrides);
    /// NO_COLOR turns colours off.
    ///
    /// Ctrl-C or SIGTERM ends the running step early and keeps it with every finished step, stops the
    /// server, and still renders the report; a second one quits at once.
    Run(feedlab_suite::cli::RunArgs),
    /// Re-render results/ charts and report from their data files without re-running.
    Report(feedlab_report::cli::ReportArgs),
}
