//! The server's side of a step, second by second: the overload experiment's timeline.
//!
//! The harness sees its own clients; during an overload the interesting figures are the server's: how many
//! requests it answered, how many of them were 503s, and how fast it answered. Every second this sampler
//! reads `GET /stats` and turns its counters into per-second deltas ([`Sample`]):
//! - `requests_per_s`, `errors_per_s`, `rejected_503_per_s`: `/poll` + `/longpoll` requests, 4xx/5xx
//!   answers and 503 answers, as the server counted them (the probes below included);
//! - `delivered_per_s`: feed messages handed to clients over all four transports;
//! - `p99_us`: answer time of the suite's own probe, `GET /poll` on a fresh connection every
//!   [`PROBE_INTERVAL`] — a client arriving during the storm: how long it waits for its answer, 200 or 503.
//!   With ten probes a second, the nearest-rank 99th percentile is the slowest of them.
//!
//! All requests are HTTP/1.1 with `Connection: close`, written by hand on a tokio socket: the suite needs
//! nothing more, and the probe measures connect + request + full answer, as a new client would see it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use feedlab_contract::data::Sample;
use feedlab_harness::CancellationToken;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Time between two probe requests.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// A probe or `/stats` read slower than this is abandoned (and counted at this time: the answer never came).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// One HTTP/1.1 exchange on a fresh connection: status code and body.
pub async fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, format!("GET {path}: no answer")))??;
    parse_answer(&answer).ok_or_else(|| std::io::Error::other(format!("GET {path}: not an HTTP answer")))
}

/// Splits a raw HTTP/1.1 answer into its status code and body (a `Connection: close` answer's body is all
/// bytes after the head).
fn parse_answer(raw: &[u8]) -> Option<(u16, Vec<u8>)> {
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let status_line = std::str::from_utf8(&raw[..raw[..head_end].iter().position(|b| *b == b'\r')?]).ok()?;
    let code = status_line.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, raw[head_end + 4..].to_vec()))
}

/// The `/stats` counters the timeline needs, per transport.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default)]
struct Counters {
    requests: u64,
    errors: u64,
    rejected: u64,
    messages_delivered: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Transports {
    poll: Counters,
    longpoll: Counters,
    sse: Counters,
    ws: Counters,
}

#[derive(Debug, Deserialize)]
struct Stats {
    transports: Transports,
}

/// Running totals read from `/stats`: [requests, errors, 503s] of poll + long-poll, delivered overall.
fn totals(s: &Stats) -> [u64; 4] {
    let t = &s.transports;
    let asked = [t.poll, t.longpoll];
    [
        asked.iter().map(|c| c.requests).sum(),
        asked.iter().map(|c| c.errors).sum(),
        asked.iter().map(|c| c.rejected).sum(),
        [t.poll, t.longpoll, t.sse, t.ws].iter().map(|c| c.messages_delivered).sum(),
    ]
}

async fn read_totals(addr: SocketAddr) -> Option<[u64; 4]> {
    let (code, body) = get(addr, "/stats").await.ok()?;
    if code != 200 {
        return None;
    }
    serde_json::from_slice::<Stats>(&body).ok().map(|s| totals(&s))
}

/// Nearest-rank percentile of some durations, microseconds.
fn percentile_us(v: &mut [Duration], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort();
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1].as_secs_f64() * 1e6)
}

/// Samples the server at `addr` every second from `start` until `stop` is cancelled.
pub async fn record(addr: SocketAddr, start: Instant, stop: CancellationToken) -> Vec<Sample> {
    let probes: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let prober = tokio::spawn({
        let (probes, stop) = (probes.clone(), stop.clone());
        async move {
            let mut tick = tokio::time::interval(PROBE_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tick.tick() => {}
                }
                // Each probe runs on its own so a slow answer does not delay the next one.
                let probes = probes.clone();
                tokio::spawn(async move {
                    let sent = Instant::now();
                    let answer = get(addr, "/poll").await;
                    // An answer of any status counts, and so does no answer in time; a refused connection
                    // (the server gone) says nothing about answer time.
                    if answer.is_ok() || answer.is_err_and(|e| e.kind() == std::io::ErrorKind::TimedOut) {
                        // unwrap: poisoned only if a holder panicked; holders only push or take.
                        probes.lock().unwrap().push(sent.elapsed());
                    }
                });
            }
        }
    });
    let mut samples = Vec::new();
    let mut last = read_totals(addr).await.unwrap_or_default();
    let mut tick = tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        let Some(now) = read_totals(addr).await else { continue };
        let d = |i: usize| now[i].saturating_sub(last[i]) as f64;
        // unwrap: see above.
        let mut answered = std::mem::take(&mut *probes.lock().unwrap());
        samples.push(Sample {
            t_s: start.elapsed().as_secs_f64().round(),
            requests_per_s: d(0),
            errors_per_s: d(1),
            rejected_503_per_s: d(2),
            delivered_per_s: d(3),
            p99_us: percentile_us(&mut answered, 0.99),
        });
        last = now;
    }
    prober.abort();
    samples
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        let raw = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 2\r\n\r\n{\"error\":\"busy\"}";
        let (code, body) = parse_answer(raw).unwrap();
        assert_eq!((code, body.as_slice()), (503, &b"{\"error\":\"busy\"}"[..]));
        assert!(parse_answer(b"HTTP/1.1 200 OK\r\n").is_none());
    }

    #[test]
    fn stats_totals() {
        let s: Stats = serde_json::from_str(
            r#"{"head":5,"transports":{"poll":{"requests":10,"errors":4,"rejected":3,"messages_delivered":1},
               "longpoll":{"requests":2,"errors":1,"rejected":1,"messages_delivered":2},
               "sse":{"requests":1,"messages_delivered":30},"ws":{"messages_delivered":40},"echo":{},"publish":{}}}"#,
        )
        .unwrap();
        assert_eq!(totals(&s), [12, 5, 4, 73]);
    }

    #[test]
    fn percentiles() {
        let ms = |v: u64| Duration::from_millis(v);
        let mut v: Vec<Duration> = (1..=10).map(ms).collect();
        assert_eq!(percentile_us(&mut v, 0.99), Some(10_000.0));
        assert_eq!(percentile_us(&mut v, 0.5), Some(5_000.0));
        assert_eq!(percentile_us(&mut [], 0.99), None);
    }
}
