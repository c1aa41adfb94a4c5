//! The validated configuration of one bench run.
//!
//! The command line ([`crate::cli::BenchArgs`]) and the experiment suite both end up here: raw input is
//! checked once ([`BenchConfig::validate`]) and everything after works with a [`BenchConfig`] that is known
//! to make sense, so no client task has to second-guess its settings.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use feedlab_contract::procfs;

use crate::Error;
use crate::headers::RequestHeaders;
use crate::net;

pub use feedlab_contract::units::{parse_duration, parse_rate};
pub use feedlab_contract::{HttpVersion, Transport};

/// How long clients keep listening after publishing stops, so the last messages can arrive before the
/// harness counts what is missing. Longer than any sane delivery path (poll interval and RTT are added).
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(5);

/// How long to wait for streaming clients (SSE, WebSocket) to connect before the measured window opens
/// anyway; a client that is not connected by then is measured from whenever it manages to.
pub const DEFAULT_RAMP_TIMEOUT: Duration = Duration::from_secs(30);

/// Long-poll hold time asked of the server; DESIGN.md's default, under common proxies' 60 s idle cut.
pub const DEFAULT_LONGPOLL_TIMEOUT: Duration = Duration::from_secs(25);

/// Largest publish payload accepted: the contract caps a body at 64 KiB, so more is a typo.
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// The server to measure: where to connect and what to call it in `Host`. Sent to `--procs` workers as
/// its URL (and resolved again there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Target {
    /// As given, for the result file (`http://127.0.0.1:8080`).
    pub url: String,
    /// `host:port` as it goes in the `Host` header.
    pub authority: String,
    /// Resolved socket address the clients (or the relay) connect to.
    pub addr: SocketAddr,
}

impl Target {
    /// Parses `http://host[:port]` (no path; the contract's endpoints are at the root).
    pub fn parse(url: &str) -> Result<Self, Error> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            Error::Config(format!(
                "--target {url:?}: must start with http:// (the harness speaks plain HTTP/1.1 and h2c, no TLS)"
            ))
        })?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(Error::Config(format!("--target {url:?}: expected http://host:port with no path")));
        }
        let with_port =
            if authority.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) && !authority.ends_with(']') {
                authority.to_string()
            } else {
                format!("{authority}:80")
            };
        let addr = with_port
            .to_socket_addrs()
            .map_err(|e| Error::Config(format!("--target {url:?}: cannot resolve: {e}")))?
            .next()
            .ok_or_else(|| Error::Config(format!("--target {url:?}: resolves to no address")))?;
        Ok(Target { url: url.to_string(), authority: authority.to_string(), addr })
    }
}

impl TryFrom<String> for Target {
    type Error = Error;

    fn try_from(url: String) -> Result<Self, Error> {
        Target::parse(&url)
    }
}

impl From<Target> for String {
    fn from(t: Target) -> String {
        t.url
    }
}

/// Everything one run needs, validated. Build it with [`BenchConfig::new`] and adjust the public fields,
/// then call [`BenchConfig::validate`] (done by [`crate::run_bench`] too). Serializable: a `--procs`
/// coordinator hands each worker process its share as JSON ([`crate::workers`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchConfig {
    /// Server to measure: the publisher's, and the first of the clients' targets.
    pub target: Target,
    /// `--target` given again: more servers of the same feed (nodes sharing one Redis feed). Client `i`
    /// starts on target `i mod n` of `[target, more_targets...]`, round-robin.
    pub more_targets: Vec<Target>,
    /// `--hop`: each reconnect (a `--chaos` drop, a dropped connection, a refusal) moves the client to
    /// the next target, cursor and epoch kept. An epoch change is no reason to move: the client follows
    /// the feed of the node it just reached.
    pub hop: bool,
    /// `--procs`: worker processes the clients are spread over (1 = this process runs them itself).
    pub procs: usize,
    /// The executable started as a worker (`feedlab bench --worker`); None = this process's own.
    pub worker_exe: Option<PathBuf>,
    /// Transport every client uses.
    pub transport: Transport,
    /// Number of simulated clients.
    pub clients: usize,
    /// Measured window: how long the harness publishes and clients follow.
    pub duration: Duration,
    /// Messages per second the harness publishes (0 = none; useful against a server with its ticker on).
    pub rate: f64,
    /// Poll transport: time between two polls of one client.
    pub poll_interval: Duration,
    /// Long-poll: `timeout_ms` asked of the server.
    pub longpoll_timeout: Duration,
    /// `limit=` sent with poll and long-poll requests (None = server default).
    pub limit: Option<u32>,
    /// Request headers clients send.
    pub headers: RequestHeaders,
    /// HTTP version of the HTTP transports (poll, long-poll, SSE).
    pub http: HttpVersion,
    /// Publish body size in bytes.
    pub payload: usize,
    /// Simulated round-trip time (zero = connect directly).
    pub rtt: Duration,
    /// Pollers reuse their connection (HTTP keep-alive) when true; open one per request otherwise.
    pub keep_alive: bool,
    /// Local addresses client sockets bind to before connecting; empty = let the kernel choose.
    pub source_addrs: Vec<IpAddr>,
    /// See [`DEFAULT_DRAIN`].
    pub drain: Duration,
    /// See [`DEFAULT_RAMP_TIMEOUT`].
    pub ramp_timeout: Duration,
    /// Seed for the pollers' random phases and the chaos schedule (None = from the OS), so a run can be
    /// repeated exactly.
    pub seed: Option<u64>,
    /// `--chaos`: share of the clients whose connection is dropped abruptly every second of the window
    /// (0 = none, 1 = all); they reconnect with their cursor ([`crate::chaos`]).
    pub chaos: f64,
    /// `--server-pid`, once per server process on this machine (several: the nodes of one feed), whose CPU
    /// a bench samples from `/proc/PID/stat` at the edges of the ramp-up and of the steady window
    /// ([`crate::run`]), summed. A soak samples memory instead, through
    /// [`crate::soak::SoakConfig::server_pid`].
    pub server_pids: Vec<u32>,
    /// `socketio-ws`: open the WebSocket directly instead of upgrading a polling session (as browsers do
    /// by default).
    pub socketio_direct: bool,
}

impl BenchConfig {
    /// A configuration with the documented defaults: 1 client, 10 s, 1 msg/s, 1 s polls, 64-byte payload.
    pub fn new(target: Target, transport: Transport) -> Self {
        BenchConfig {
            target,
            more_targets: Vec::new(),
            hop: false,
            procs: 1,
            worker_exe: None,
            transport,
            clients: 1,
            duration: Duration::from_secs(10),
            rate: 1.0,
            poll_interval: Duration::from_secs(1),
            longpoll_timeout: DEFAULT_LONGPOLL_TIMEOUT,
            limit: None,
            headers: RequestHeaders::Minimal,
            http: HttpVersion::Http11,
            payload: 64,
            rtt: Duration::ZERO,
            keep_alive: true,
            source_addrs: Vec::new(),
            drain: DEFAULT_DRAIN,
            ramp_timeout: DEFAULT_RAMP_TIMEOUT,
            seed: None,
            chaos: 0.0,
            server_pids: Vec::new(),
            socketio_direct: false,
        }
    }

    /// Checks the settings make sense together and that this process can open that many sockets
    /// (see [`net::plan_sockets`]); fills `source_addrs` when more than one address is needed.
    pub fn validate(&mut self) -> Result<(), Error> {
        if self.clients == 0 {
            return Err(Error::Config("--clients must be at least 1".into()));
        }
        if self.duration.is_zero() {
            return Err(Error::Config("--duration must be longer than 0".into()));
        }
        if !self.rate.is_finite() || self.rate < 0.0 {
            return Err(Error::Config(format!("--rate {}: must be a finite number >= 0", self.rate)));
        }
        if !(0.0..=1.0).contains(&self.chaos) {
            return Err(Error::Config(format!(
                "--chaos {}: must be a share of the clients between 0 and 1",
                self.chaos
            )));
        }
        if self.transport == Transport::Poll && self.poll_interval.is_zero() {
            return Err(Error::Config("--poll-interval must be longer than 0".into()));
        }
        if self.socketio_direct && self.transport != Transport::SocketioWs {
            return Err(Error::Config("--socketio-direct is for --transport socketio-ws".into()));
        }
        if self.transport == Transport::SocketioPolling && !self.keep_alive {
            return Err(Error::Config(
                "--keep-alive off: Socket.IO's polling keeps its connections alive, as browsers do".into(),
            ));
        }
        if self.transport == Transport::Longpoll && self.longpoll_timeout.is_zero() {
            return Err(Error::Config("--longpoll-timeout must be longer than 0".into()));
        }
        if self.http == HttpVersion::Http2 {
            if !self.transport.speaks_h2() {
                return Err(Error::Config(format!(
                    "--http 2 is for poll, longpoll and sse: {} upgrades from HTTP/1.1 (the server has no \
                     WebSocket over HTTP/2, RFC 8441)",
                    self.transport
                )));
            }
            if !self.keep_alive {
                return Err(Error::Config(
                    "--keep-alive off with --http 2: an h2 connection carries every request of its client".into(),
                ));
            }
        }
        if self.payload == 0 || self.payload > MAX_PAYLOAD {
            return Err(Error::Config(format!(
                "--payload {}: must be 1..={MAX_PAYLOAD} bytes (the contract rejects bodies over 64 KiB)",
                self.payload
            )));
        }
        for &pid in &self.server_pids {
            procfs::cpu_times(pid)
                .map_err(|e| Error::Config(format!("--server-pid {pid}: cannot read its CPU time: {e}")))?;
        }
        if self.procs == 0 {
            return Err(Error::Config("--procs must be at least 1".into()));
        }
        if self.procs > self.clients {
            return Err(Error::Config(format!(
                "--procs {} with --clients {}: every worker process needs at least one client",
                self.procs, self.clients
            )));
        }
        if self.hop && self.more_targets.is_empty() {
            return Err(Error::Config("--hop moves clients between targets: give --target more than once".into()));
        }
        if self.procs == 1 {
            self.source_addrs =
                net::plan_sockets(self.clients, !self.rtt.is_zero(), self.target.addr.ip(), &self.source_addrs)?;
        } else {
            // Each worker is a process of its own: the limits are checked per worker, on its share.
            crate::workers::plan(self)?;
        }
        Ok(())
    }

    /// Every target clients connect to, in `--target` order.
    pub fn targets(&self) -> impl Iterator<Item = &Target> {
        std::iter::once(&self.target).chain(&self.more_targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = Target::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(t.authority, "127.0.0.1:8080");
        assert_eq!(t.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(Target::parse("http://127.0.0.1/").unwrap().addr.port(), 80);
        assert!(Target::parse("https://example.com").is_err());
        assert!(Target::parse("http://127.0.0.1:8080/feed").is_err());
    }
}
