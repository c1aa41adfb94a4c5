//! A `redis-server` of its own, for the tests and the suite: started on a unix socket in a fresh directory
//! (no TCP port: `--port 0`), without persistence unless asked, and killed when dropped.
//!
//! Plain processes and blocking sockets, no async runtime: the suite spawns processes and waits for them, and
//! a test may start one before its runtime exists. [`RedisServer::command`] speaks just enough RESP for what
//! a test does to the server itself (`PING`, `FLUSHALL`); the server's own connections use the redis crate.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The program started, unless `FEEDLAB_REDIS_SERVER` names another.
pub const PROGRAM: &str = "redis-server";

/// How long a start may take before it counts as failed: redis-server is up in milliseconds, an
/// append-only file of a test replays in less than this.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a stop waits for redis-server to exit after SIGTERM (it writes the append-only file first).
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How a server is started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedisOptions {
    /// Keep an append-only file (fsync every write), so a restarted server has every message it had
    /// acknowledged; off by default, as a cache-like Redis often runs.
    pub append_only: bool,
}

/// A running `redis-server` (see the module docs); killed on drop, its directory removed.
#[derive(Debug)]
pub struct RedisServer {
    program: PathBuf,
    options: RedisOptions,
    /// The server's working directory: its socket and, with `append_only`, its files.
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    /// The redis-server to start: `FEEDLAB_REDIS_SERVER`, else [`PROGRAM`] found on `PATH`; `None` when
    /// there is none.
    pub fn program() -> Option<PathBuf> {
        if let Some(program) = std::env::var_os("FEEDLAB_REDIS_SERVER") {
            return Some(PathBuf::from(program));
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).map(|dir| dir.join(PROGRAM)).find(|candidate| candidate.is_file())
    }

    /// Starts a server without persistence and waits until it answers `PING`.
    pub fn start() -> io::Result<Self> {
        Self::start_with(RedisOptions::default())
    }

    /// Starts a server with `options` and waits until it answers `PING`.
    pub fn start_with(options: RedisOptions) -> io::Result<Self> {
        let program = Self::program()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{PROGRAM} not found on PATH")))?;
        static STARTED: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "feedlab-redis-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let mut server = RedisServer { program, options, dir, child: None };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> io::Result<()> {
        let append_only = if self.options.append_only { "yes" } else { "no" };
        let child = Command::new(&self.program)
            .args(["--port", "0", "--unixsocket"])
            .arg(self.socket())
            .args(["--unixsocketperm", "700", "--save", "", "--appendonly", append_only])
            .args(["--appendfsync", "always", "--dir"])
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        self.child = Some(child);
        let started = Instant::now();
        loop {
            if let Ok(reply) = self.command(&["PING"])
                && reply == "+PONG"
            {
                return Ok(());
            }
            if let Some(status) = self.child.as_mut().and_then(|child| child.try_wait().ok().flatten()) {
                self.child = None;
                return Err(io::Error::other(format!("{} exited at start: {status}", self.program.display())));
            }
            if started.elapsed() > START_TIMEOUT {
                self.kill();
                return Err(io::Error::new(io::ErrorKind::TimedOut, "redis-server did not answer PING"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The unix socket it listens on.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("redis.sock")
    }

    /// The URL for `feedlab serve --feed`: `redis+unix:///.../redis.sock`.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    /// The process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops the server as an operator would (SIGTERM: with `append_only` it writes its file first) and
    /// waits for it to exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        // SIGTERM through kill(1) keeps this module free of unsafe code; SIGKILL if that fails.
        let terminated = Command::new("kill").arg(child.id().to_string()).status().is_ok_and(|s| s.success());
        let started = Instant::now();
        while terminated && started.elapsed() < STOP_TIMEOUT {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts it again on the same socket and directory (with `append_only`, with the data it had).
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop();
        self.spawn()
    }

    /// Sends one command (its arguments as text) on a fresh connection and returns the reply's first line
    /// (`+PONG`, `+OK`, `-ERR ...`, `:42`), or for a bulk string its text (`INFO clients`).
    pub fn command(&self, args: &[&str]) -> io::Result<String> {
        send(&self.socket(), args)
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One RESP command on a fresh connection to `socket`; the first line of the reply.
fn send(socket: &Path, args: &[&str]) -> io::Result<String> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes())?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let line = line.trim_end();
    match line.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
        Some(len) => {
            // The bulk string and its CRLF.
            let mut body = vec![0; len + 2];
            reader.read_exact(&mut body)?;
            body.truncate(len);
            String::from_utf8(body).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        }
        None => Ok(line.to_owned()),
    }
}

impl RedisServer {
    /// Clients connected to the server now, not counting the connection that asks (`INFO clients`).
    pub fn connected_clients(&self) -> io::Result<u64> {
        let info = self.command(&["INFO", "clients"])?;
        info.lines()
            .find_map(|l| l.strip_prefix("connected_clients:"))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .map(|n| n.saturating_sub(1))
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("no connected_clients in {info:?}")))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
