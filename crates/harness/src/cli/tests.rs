//! Tests of the parent module (kept apart so the module itself reads as what it does).

use super::*;
use clap::Parser;

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    bench: BenchArgs,
}

#[test]
fn command_line_is_well_formed() {
    use clap::CommandFactory;
    Cli::command().debug_assert();
}

#[test]
fn parses_the_documented_flags() {
    let cli = Cli::try_parse_from([
        "bench",
        "--target",
        "http://127.0.0.1:9",
        "--transport",
        "poll",
        "--clients",
        "3",
        "--duration",
        "30s",
        "--rate",
        "1/s",
        "--poll-interval",
        "500ms",
        "--headers",
        "minimal",
        "--payload",
        "100",
        "--rtt",
        "100ms",
        "--keep-alive",
        "off",
        "--chaos",
        "10%/s",
        "--json",
        "out.json",
    ])
    .unwrap();
    let cfg = cli.bench.to_config().unwrap();
    assert_eq!(cfg.transport, Transport::Poll);
    assert_eq!(cfg.clients, 3);
    assert_eq!(cfg.poll_interval, Duration::from_millis(500));
    assert_eq!(cfg.rtt, Duration::from_millis(100));
    assert!(!cfg.keep_alive);
    assert_eq!(cfg.chaos, 0.1);
    assert!(cli.bench.to_soak_config().unwrap().is_none());
}

#[test]
fn several_targets_hop_and_procs() {
    let args = ["bench", "--transport", "ws", "--clients", "10", "--procs", "3", "--hop"];
    let cli =
        Cli::try_parse_from(args.iter().chain(&["--target", "http://127.0.0.1:1", "--target", "http://127.0.0.1:2"]))
            .unwrap();
    let cfg = cli.bench.to_config().unwrap();
    assert_eq!((cfg.procs, cfg.hop), (3, true));
    assert_eq!(cfg.targets().map(|t| t.addr.port()).collect::<Vec<_>>(), [1, 2]);
    // Each worker's share, and its number in the run.
    let plan = crate::workers::plan(&cfg).unwrap();
    assert_eq!(plan.iter().map(|(w, first)| (w.clients, *first)).collect::<Vec<_>>(), [(4, 0), (3, 4), (3, 7)]);
    assert!(plan.iter().all(|(w, _)| w.procs == 1));
    // A hop needs two targets; more workers than clients is a usage error; no --procs with --soak.
    let one = Cli::try_parse_from(["bench", "--transport", "ws", "--hop"]).unwrap();
    assert!(one.bench.to_config().is_err());
    let many = Cli::try_parse_from(["bench", "--transport", "ws", "--clients", "2", "--procs", "3"]).unwrap();
    assert!(many.bench.to_config().unwrap_err().to_string().contains("--procs 3 with --clients 2"));
    assert!(Cli::try_parse_from(["bench", "--soak", "1m", "--procs", "2"]).is_err());
}

#[test]
fn soak_flags() {
    let args = ["bench", "--soak", "10m", "--clients", "2000", "--server-pid", "1", "--chaos", "5%"];
    let cli = Cli::try_parse_from(args).unwrap();
    let soak = cli.bench.to_soak_config().unwrap().unwrap();
    assert_eq!(soak.base.duration, Duration::from_secs(600));
    assert_eq!(soak.server_pid, Some(1));
    assert_eq!(soak.groups().unwrap().iter().map(|g| g.clients).sum::<usize>(), 2000);
    assert!(soak.base.server_pids.is_empty());
    // --soak runs every transport: naming one is a usage error, as is a --server-pid of no process.
    assert!(Cli::try_parse_from(["bench", "--soak", "1m", "--transport", "ws"]).is_err());
    let me = std::process::id().to_string();
    let pid = Cli::try_parse_from(["bench", "--transport", "ws", "--server-pid", &me]).unwrap();
    assert_eq!(pid.bench.to_config().unwrap().server_pids, [std::process::id()]);
    let no_such = Cli::try_parse_from(["bench", "--transport", "ws", "--server-pid", "4294967295"]).unwrap();
    assert!(no_such.bench.to_config().unwrap_err().to_string().contains("--server-pid 4294967295"));
    assert!(Cli::try_parse_from(["bench", "--transport", "ws", "--chaos", "200%"]).is_err());
    assert!(Cli::try_parse_from(["bench"]).is_err());
}

#[test]
fn bad_values_are_usage_errors() {
    let cli = Cli::try_parse_from(["bench", "--transport", "ws", "--clients", "0"]).unwrap();
    let err = bench(cli.bench).unwrap_err();
    assert!(err.downcast_ref::<clap::Error>().is_some(), "{err:#}");
    assert!(Cli::try_parse_from(["bench", "--transport", "smoke-signals"]).is_err());
}

#[test]
fn the_bar_template_parses() {
    assert!(ProgressStyle::with_template(BAR).is_ok());
}
