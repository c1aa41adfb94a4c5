//! The server under test as a child process: `feedlab serve --addr 127.0.0.1:0 ...`, fresh for every
//! experiment (or step), so no state, counter or leaked connection of one measurement reaches the next.
//! Socket.IO's steps run against the Socket.IO peer (`node peers/socketio/server.mjs`, found by
//! [`crate::peer`]), started the same way: it prints the same listening line.
//!
//! Its own process also keeps its CPU and memory apart from the harness's in `/proc`, and its open files
//! apart from the harness's (each process may hold 20,000 here). The child
//! - prints `feedlab listening on http://ADDR` on stdout once bound: that line gives the port;
//! - runs in its own process group, so a Ctrl-C on the terminal reaches only the suite, which then stops the
//!   server itself after keeping what was measured;
//! - gets SIGTERM when the suite's main thread dies (`PR_SET_PDEATHSIG`), so it never outlives a crash;
//! - logs at `warn` (unless `RUST_LOG` says otherwise) into a pipe whose last lines go into error messages.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::Error;

/// How long the server may take to print its listening line (a cold debug build on a loaded machine).
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the server may take to exit after SIGTERM before it is killed: DESIGN 3 promises 5 s.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Lines of the server's stderr kept for error messages.
const STDERR_TAIL: usize = 40;

/// The line the server prints once bound, before the URL.
const LISTENING: &str = "feedlab listening on ";

/// How to start a server: the program and the arguments before `--addr`.
#[derive(Debug, Clone)]
pub struct ServerCommand {
    /// The `feedlab` binary.
    pub program: PathBuf,
    /// Arguments before the suite's own (`serve`).
    pub args: Vec<String>,
}

impl ServerCommand {
    /// This very binary's `serve` subcommand (`feedlab run` is started as the `feedlab` binary).
    pub fn current_exe() -> Result<ServerCommand, Error> {
        let program = std::env::current_exe().map_err(|e| Error::Server(format!("cannot find this binary: {e}")))?;
        Ok(ServerCommand { program, args: vec!["serve".to_owned()] })
    }

    /// `program args...`, for messages.
    pub fn display(&self) -> String {
        let mut s = self.program.display().to_string();
        for a in &self.args {
            s += " ";
            s += a;
        }
        s
    }
}

/// A running server child.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    /// Its address (`127.0.0.1:PORT`).
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`, for the harness.
    pub url: String,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

impl ServerProcess {
    /// Starts a server with `args` after `--addr 127.0.0.1:0` and waits for its listening line. Call from
    /// the main thread: the child's parent-death signal follows the thread that started it.
    pub fn start(command: &ServerCommand, args: &[String]) -> Result<ServerProcess, Error> {
        ServerProcess::start_at(command, SocketAddr::from(([127, 0, 0, 1], 0)), args, None)
    }

    /// Like [`ServerProcess::start`] on `addr`; with `echo`, every line the server logs is also printed to
    /// stderr after that prefix (`feedlab cluster` shows its nodes' logs).
    pub fn start_at(
        command: &ServerCommand,
        addr: SocketAddr,
        args: &[String],
        echo: Option<String>,
    ) -> Result<ServerProcess, Error> {
        let mut cmd = Command::new(&command.program);
        cmd.args(&command.args).args(["--addr", &addr.to_string()]).args(args);
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        if std::env::var_os("RUST_LOG").is_none() && echo.is_none() {
            cmd.env("RUST_LOG", "warn");
        }
        cmd.process_group(0);
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| Error::Server(format!("cannot start {}: {e}", command.display())))?;

        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(pipe) = child.stderr.take() {
            let tail = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    tracing::debug!(target: "feedlab_suite::server", "{line}");
                    if let Some(prefix) = &echo {
                        eprintln!("{prefix}{line}");
                    }
                    // unwrap: poisoned only if this thread panicked, and it is the only writer.
                    let mut t = tail.lock().unwrap();
                    if t.len() == STDERR_TAIL {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            });
        }
        let (tx, rx) = mpsc::channel();
        if let Some(pipe) = child.stdout.take() {
            std::thread::spawn(move || {
                // Keep reading after the first line, so the server never blocks on a full pipe.
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let mut server = ServerProcess { child, addr, url: String::new(), stderr };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left.min(Duration::from_millis(100))) {
                Ok(line) => {
                    if let Some(url) = line.trim().strip_prefix(LISTENING) {
                        let addr = url.strip_prefix("http://").and_then(|a| a.parse().ok());
                        let Some(addr) = addr else {
                            return Err(server.failed(&format!("unexpected listening line {line:?}")));
                        };
                        server.addr = addr;
                        server.url = url.to_owned();
                        tracing::debug!(pid = server.pid(), %url, "server started");
                        return Ok(server);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) if left.is_zero() => {
                    return Err(server.failed(&format!("no listening line within {START_TIMEOUT:?}")));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Give stderr's reader a moment to collect the reason.
                    let _ = server.child.wait();
                    std::thread::sleep(Duration::from_millis(50));
                    return Err(server.failed("exited before listening"));
                }
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                std::thread::sleep(Duration::from_millis(50));
                return Err(server.failed(&format!("exited before listening ({status})")));
            }
        }
    }

    /// The child's process id (for `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the child is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// An error carrying the server's last stderr lines.
    pub fn failed(&mut self, what: &str) -> Error {
        // unwrap: see the reader thread.
        let tail: Vec<String> = self.stderr.lock().unwrap().iter().cloned().collect();
        let status = match self.child.try_wait() {
            Ok(Some(s)) => format!(" ({s})"),
            _ => String::new(),
        };
        let log =
            if tail.is_empty() { String::new() } else { format!("; its last log lines:\n  {}", tail.join("\n  ")) };
        Error::Server(format!("{what}{status}{log}"))
    }

    /// Stops the server: SIGTERM, then SIGKILL if it has not exited within [`STOP_TIMEOUT`]. Returns
    /// whether it exited cleanly on SIGTERM.
    pub fn stop(mut self) -> bool {
        self.terminate()
    }

    fn terminate(&mut self) -> bool {
        // Already gone (a cluster signals all its nodes first): clean if it exited cleanly.
        if let Ok(Some(status)) = self.child.try_wait() {
            return status.success();
        }
        signal(self.pid(), libc::SIGTERM);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(status)) => return status.success(),
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(_) => break,
            }
        }
        tracing::warn!(pid = self.pid(), "server did not exit within {STOP_TIMEOUT:?} of SIGTERM; killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }
}

/// Several servers on one port (`--reuse-port`: the kernel spreads connections over them), sharing one feed:
/// the scale-out experiment's nodes, and `feedlab cluster`. One node is a plain [`ServerProcess`].
#[derive(Debug)]
pub struct Cluster {
    /// The nodes, in start order; the first chose the port.
    pub nodes: Vec<ServerProcess>,
}

impl Cluster {
    /// Starts `nodes` servers with `args`: the first on `addr` (port 0: any free port), the others on the
    /// port it bound, all with `--reuse-port` when there is more than one. With `echo`, each node's log
    /// lines are printed to stderr after `node N | `.
    pub fn start(
        command: &ServerCommand,
        addr: SocketAddr,
        nodes: u64,
        args: &[String],
        echo: bool,
    ) -> Result<Cluster, Error> {
        let mut args = args.to_vec();
        if nodes > 1 {
            args.push("--reuse-port".to_owned());
        }
        let prefix = |n: u64| echo.then(|| format!("node {n} | "));
        let first = ServerProcess::start_at(command, addr, &args, prefix(1))?;
        let bound = first.addr;
        let mut cluster = Cluster { nodes: vec![first] };
        for n in 2..=nodes {
            // Dropping `cluster` on an error stops the nodes already started.
            cluster.nodes.push(ServerProcess::start_at(command, bound, &args, prefix(n))?);
        }
        Ok(cluster)
    }

    /// The first node (its address is every node's).
    pub fn first(&self) -> &ServerProcess {
        &self.nodes[0]
    }

    /// The nodes' process ids, in start order.
    pub fn pids(&self) -> Vec<u32> {
        self.nodes.iter().map(ServerProcess::pid).collect()
    }

    /// The first node that is not running, if any.
    pub fn exited(&mut self) -> Option<&mut ServerProcess> {
        self.nodes.iter_mut().find_map(|n| (!n.is_running()).then_some(n))
    }

    /// Stops every node (SIGTERM to all at once, then each is waited for). Whether all exited cleanly.
    pub fn stop(self) -> bool {
        for n in &self.nodes {
            signal(n.pid(), libc::SIGTERM);
        }
        self.nodes.into_iter().map(ServerProcess::stop).fold(true, |all, ok| all & ok)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Never leave a server behind, whatever path (error, panic) dropped it.
        if self.is_running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends `sig` to `pid`.
fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) on a pid this process spawned and has not reaped yet (so it cannot be reused).
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}
