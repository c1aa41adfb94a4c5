//! `feedlab cluster`: N `feedlab serve` processes (nodes) on one port and one shared feed, started and
//! stopped together.
//!
//! Each node is a whole server (its own workers, its own 20,000 open files) run with `--reuse-port`, so the
//! kernel spreads new connections over them; they share the feed through Redis (`--feed redis://...`), so a
//! client may reconnect to any node with its cursor. The suite starts its scale-out nodes with the same
//! code ([`Cluster`]). Every node's log is printed with its number; Ctrl-C or SIGTERM stops them all, and a
//! node that exits on its own stops the others (a cluster missing a node would serve a share of its clients
//! nothing).

use std::net::SocketAddr;
use std::time::Duration;

use feedlab_harness::cli::interrupted;

use crate::server::{Cluster, ServerCommand};

/// Start N server nodes on one port and one feed; stop them together.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// How many `feedlab serve` processes.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub nodes: u64,
    /// Address every node listens on (port 0: any free port, the same for all).
    #[arg(long, default_value = "127.0.0.1:8470")]
    pub addr: SocketAddr,
    /// `feedlab serve` options for every node (after `--`), e.g. `-- --feed redis://127.0.0.1:6379`. Several
    /// nodes need `--feed redis://...`: an in-memory feed is one process's own.
    #[arg(last = true, value_name = "SERVE OPTIONS")]
    pub serve: Vec<String>,
}

/// A usage error: printed and exited with code 2 by the binary, like a bad flag.
fn usage(msg: impl std::fmt::Display) -> anyhow::Error {
    clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("{msg}\n")).into()
}

/// How often the nodes are checked for one that exited.
const WATCH: Duration = Duration::from_millis(200);

/// Runs `feedlab cluster` until Ctrl-C, SIGTERM or a node's exit.
pub fn cluster(args: ClusterArgs) -> anyhow::Result<()> {
    if args.serve.iter().any(|a| a == "--addr" || a.starts_with("--addr=")) {
        return Err(usage("give the address to `feedlab cluster --addr`, not after `--`: every node shares it"));
    }
    let shared = args.serve.iter().any(|a| a == "--feed" || a.starts_with("--feed="));
    if args.nodes > 1 && !shared {
        return Err(usage(format!(
            "{} nodes need one shared feed: add `-- --feed redis://HOST:PORT` (each in-memory feed is one process's own)",
            args.nodes
        )));
    }
    let command = ServerCommand::current_exe()?;
    let mut cluster = Cluster::start(&command, args.addr, args.nodes, &args.serve, true)?;
    let url = &cluster.first().url;
    println!("feedlab cluster: {} node(s) listening on {url} (pids {:?})", args.nodes, cluster.pids());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let exited = rt.block_on(async {
        let watch = async {
            loop {
                tokio::time::sleep(WATCH).await;
                if let Some(node) = cluster.exited() {
                    return node.failed("a node exited");
                }
            }
        };
        tokio::select! {
            signal = interrupted() => {
                eprintln!("feedlab cluster: {signal}; stopping {} node(s)", args.nodes);
                None
            }
            failed = watch => Some(failed),
        }
    });
    let clean = cluster.stop();
    match exited {
        Some(e) => Err(e.into()),
        None if clean => Ok(()),
        None => anyhow::bail!("a node did not stop cleanly"),
    }
}
