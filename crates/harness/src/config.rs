//! The validated configuration of one bench run.
//!
//! The command line ([`crate::cli::BenchArgs`]) and the experiment suite both end up here: raw input is
//! checked once ([`BenchConfig::validate`]) and everything after works with a [`BenchConfig`] that is known
//! to make sense, so no client task has to second-guess its settings.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::headers::HeaderProfile;

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

/// The four ways a client can follow the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Ajax polling: `GET /poll` on a fixed schedule.
    Poll,
    /// Long-polling: `GET /longpoll`, held by the server until there is news, then asked again.
    Longpoll,
    /// Server-Sent Events: one `GET /sse` streaming `text/event-stream`.
    Sse,
    /// WebSocket: one upgraded connection on `/ws`, a text frame per message.
    Ws,
}

impl Transport {
    /// The name used on the command line and in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Poll => "poll",
            Transport::Longpoll => "longpoll",
            Transport::Sse => "sse",
            Transport::Ws => "ws",
        }
    }

    /// Whether the transport asks again and again over HTTP (so keep-alive matters).
    pub fn is_polling(self) -> bool {
        matches!(self, Transport::Poll | Transport::Longpoll)
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The server to measure: where to connect and what to call it in `Host`.
#[derive(Debug, Clone, PartialEq, Eq)]
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
            Error::Config(format!("--target {url:?}: must start with http:// (the harness speaks plain HTTP/1.1)"))
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

/// Everything one run needs, validated. Build it with [`BenchConfig::new`] and adjust the public fields,
/// then call [`BenchConfig::validate`] (done by [`crate::run_bench`] too).
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Server to measure.
    pub target: Target,
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
    pub headers: HeaderProfile,
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
}

impl BenchConfig {
    /// A configuration with the documented defaults: 1 client, 10 s, 1 msg/s, 1 s polls, 64-byte payload.
    pub fn new(target: Target, transport: Transport) -> Self {
        BenchConfig {
            target,
            transport,
            clients: 1,
            duration: Duration::from_secs(10),
            rate: 1.0,
            poll_interval: Duration::from_secs(1),
            longpoll_timeout: DEFAULT_LONGPOLL_TIMEOUT,
            limit: None,
            headers: HeaderProfile::Minimal,
            payload: 64,
            rtt: Duration::ZERO,
            keep_alive: true,
            source_addrs: Vec::new(),
            drain: DEFAULT_DRAIN,
            ramp_timeout: DEFAULT_RAMP_TIMEOUT,
            seed: None,
            chaos: 0.0,
        }
    }

    /// Checks the settings make sense together and that this process can open that many sockets
    /// (see [`crate::net::plan_sockets`]); fills `source_addrs` when more than one address is needed.
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
        if self.transport == Transport::Longpoll && self.longpoll_timeout.is_zero() {
            return Err(Error::Config("--longpoll-timeout must be longer than 0".into()));
        }
        if self.payload == 0 || self.payload > MAX_PAYLOAD {
            return Err(Error::Config(format!(
                "--payload {}: must be 1..={MAX_PAYLOAD} bytes (the contract rejects bodies over 64 KiB)",
                self.payload
            )));
        }
        crate::net::plan_sockets(self)?;
        Ok(())
    }
}

/// Parses a rate: `5`, `5/s`, `0.5/s`, `30/m`, `1/100ms` (messages per that period).
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let (count, per) = match s.split_once('/') {
        Some((c, p)) => (c, p),
        None => (s, "s"),
    };
    let count: f64 = count.trim().parse().map_err(|_| format!("{s:?}: expected N, N/s, N/m or N/<duration>"))?;
    let per = match per.trim() {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => parse_duration(other)?.as_secs_f64(),
    };
    if !(count.is_finite() && count >= 0.0 && per > 0.0) {
        return Err(format!("{s:?}: rate must be >= 0 per a positive period"));
    }
    Ok(count / per)
}

/// Parses a duration: `30s`, `100ms`, `2m`, `1.5s`, `250us`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num.parse().map_err(|_| format!("{s:?}: expected a number with a unit (100ms, 30s, 2m)"))?;
    let scale = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => return Err(format!("{s:?}: unknown unit {other:?} (use us, ms, s, m or h)")),
    };
    let secs = value * scale;
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("{s:?}: must be a non-negative duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("100ms").unwrap(), Duration::from_millis(100));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("10 parsecs").is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("1/s").unwrap(), 1.0);
        assert_eq!(parse_rate("5").unwrap(), 5.0);
        assert_eq!(parse_rate("30/m").unwrap(), 0.5);
        assert_eq!(parse_rate("1/100ms").unwrap(), 10.0);
        assert!(parse_rate("-1/s").is_err());
        assert!(parse_rate("x/s").is_err());
    }

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
