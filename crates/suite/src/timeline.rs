//! The server's side of a step, second by second: the overload experiment's timeline.
//!
//! The harness sees its own clients; during an overload the interesting figures are the server's: how many
//! requests it answered, how many of them were 503s, and how fast it answered. Every second this sampler
//! reads `GET /stats` and turns its counters into per-second deltas ([`Sample`]):
//! - `requests_per_s`, `errors_per_s`, `rejected_503_per_s`: requests, 4xx/5xx answers and 503 answers of
//!   the transports that send a request per answer (poll and long-poll), as the server counted them (the
//!   probes below included);
//! - `delivered_per_s`: feed messages handed to clients over every transport;
//! - `p99_us`: answer time of the suite's own probe, `GET /poll` on a fresh connection every
//!   [`PROBE_INTERVAL`] — a client arriving during the storm: how long it waits for its answer, 200 or 503.
//!   With ten probes a second, the nearest-rank 99th percentile is the slowest of them.
//!
//! Every request is one HTTP/1.1 exchange with `Connection: close` on a new socket, through hyper's bare
//! connection-level client, so the probe measures connect + request + full answer, as a new client would
//! see it. `/stats` is read strictly: a counter missing from a transport is an error naming it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use feedlab_contract::Transport;
use feedlab_contract::counters::{Counter, Counts};
use feedlab_contract::data::Sample;
use feedlab_harness::CancellationToken;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper::header::{CONNECTION, HOST};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Time between two probe requests.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// A probe or `/stats` read slower than this is abandoned (and counted at this time: the answer never came).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// One HTTP/1.1 exchange on a fresh connection: status and whole body.
pub async fn get(addr: SocketAddr, path: &str) -> std::io::Result<(StatusCode, Bytes)> {
    let exchange = async {
        let tcp = TcpStream::connect(addr).await?;
        let (mut sender, conn) = http1::handshake(TokioIo::new(tcp)).await.map_err(std::io::Error::other)?;
        let request = Request::get(path)
            .header(HOST, addr.to_string())
            .header(CONNECTION, "close")
            .body(Empty::<Bytes>::new())
            .map_err(std::io::Error::other)?;
        let answer = async move {
            let answer = sender.send_request(request).await?;
            let status = answer.status();
            Ok::<_, hyper::Error>((status, answer.into_body().collect().await?.to_bytes()))
        };
        // hyper's connection future does the reading and writing; it runs beside the exchange (and ends
        // once the answer is read and the request side dropped), so a timeout drops the socket with both.
        let (answer, _) = tokio::join!(answer, conn);
        answer.map_err(std::io::Error::other)
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, format!("GET {path}: no answer")))?
}

/// The part of `/stats` the timeline reads: the counters of every channel, by name.
#[derive(Debug, Deserialize)]
struct Stats {
    transports: BTreeMap<String, serde_json::Value>,
}

/// Running totals of the figures the timeline samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Totals {
    /// Requests of the transports that ask once per answer.
    requests: u64,
    /// Their 4xx/5xx answers.
    errors: u64,
    /// Their 503 answers.
    rejected: u64,
    /// Messages delivered over every transport.
    delivered: u64,
}

/// The totals in a `/stats` answer. Every transport must be there with every counter; other channels (the
/// echo WebSocket, publishing) are not read.
fn totals(body: &[u8]) -> Result<Totals, String> {
    let stats: Stats = serde_json::from_slice(body).map_err(|e| format!("/stats: {e}"))?;
    let mut totals = Totals::default();
    for t in Transport::FEEDLAB {
        let counts = stats.transports.get(t.name()).ok_or_else(|| format!("/stats: no `transports.{t}`"))?;
        let c = Counts::deserialize(counts).map_err(|e| format!("/stats: `transports.{t}`: {e}"))?;
        if t.request_per_answer() {
            totals.requests += c.count(Counter::Requests);
            totals.errors += c.count(Counter::Errors);
            totals.rejected += c.count(Counter::Rejected);
        }
        totals.delivered += c.count(Counter::MessagesDelivered);
    }
    Ok(totals)
}

async fn read_totals(addr: SocketAddr) -> Result<Totals, String> {
    let (status, body) = get(addr, "/stats").await.map_err(|e| format!("/stats: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!("/stats: {status}"));
    }
    totals(&body)
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
    let mut warned = false;
    let mut last = read_totals(addr).await.unwrap_or_default();
    let mut tick = tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        let now = match read_totals(addr).await {
            Ok(now) => now,
            Err(e) => {
                // A second without a reading is left out of the timeline; say why once.
                if !std::mem::replace(&mut warned, true) {
                    tracing::warn!("overload timeline: {e}");
                }
                continue;
            }
        };
        let d = |f: fn(&Totals) -> u64| f(&now).saturating_sub(f(&last)) as f64;
        // unwrap: see above.
        let mut answered = std::mem::take(&mut *probes.lock().unwrap());
        samples.push(Sample {
            t_s: start.elapsed().as_secs_f64().round(),
            requests_per_s: d(|t| t.requests),
            errors_per_s: d(|t| t.errors),
            rejected_503_per_s: d(|t| t.rejected),
            delivered_per_s: d(|t| t.delivered),
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
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A one-shot server on a real socket: answers the first request with `answer`, returns what it read.
    async fn serve_once(answer: &'static [u8]) -> (SocketAddr, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                let mut byte = [0u8];
                if socket.read(&mut byte).await.unwrap() == 0 {
                    break;
                }
                head.push(byte[0]);
            }
            socket.write_all(answer).await.unwrap();
            socket.shutdown().await.unwrap();
            String::from_utf8(head).unwrap()
        });
        (addr, task)
    }

    #[tokio::test]
    async fn answers() {
        let (addr, server) = serve_once(
            b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 2\r\ncontent-length: 16\r\n\r\n{\"error\":\"busy\"}",
        )
        .await;
        let (code, body) = get(addr, "/poll").await.unwrap();
        assert_eq!((code.as_u16(), &body[..]), (503, &b"{\"error\":\"busy\"}"[..]));
        let head = server.await.unwrap().to_lowercase();
        assert!(head.starts_with("get /poll http/1.1\r\n"), "{head}");
        assert!(head.contains(&format!("host: {addr}\r\n")) && head.contains("connection: close\r\n"), "{head}");

        let (addr, _server) = serve_once(b"HTTP/1.1 200 OK\r\n").await;
        assert!(get(addr, "/poll").await.is_err(), "a head cut short is not an answer");
    }

    /// The counters of one channel, as the server's `/stats` writes them.
    fn counts(requests: i64, errors: i64, rejected: i64, delivered: i64) -> Counts {
        let mut c = Counts::default();
        for (counter, v) in [
            (Counter::Requests, requests),
            (Counter::Errors, errors),
            (Counter::Rejected, rejected),
            (Counter::MessagesDelivered, delivered),
        ] {
            c.0[counter.index()] = v;
        }
        c
    }

    #[test]
    fn stats_totals() {
        let stats = serde_json::json!({"head": 5, "transports": {
            "poll": counts(10, 4, 3, 1), "longpoll": counts(2, 1, 1, 2), "sse": counts(1, 0, 0, 30),
            "ws": counts(0, 0, 0, 40), "echo": {}, "publish": {}}});
        let t = totals(stats.to_string().as_bytes()).unwrap();
        assert_eq!([t.requests, t.errors, t.rejected, t.delivered], [12, 5, 4, 73]);
    }

    #[test]
    fn stats_are_read_strictly() {
        let stats = serde_json::json!({"transports": {
            "poll": counts(1, 0, 0, 0), "longpoll": counts(1, 0, 0, 0), "sse": counts(1, 0, 0, 0),
            "ws": {"requests": 1}}});
        let err = totals(stats.to_string().as_bytes()).unwrap_err();
        assert!(err.contains("`transports.ws`") && err.contains("missing field `empty_responses`"), "{err}");
        let err = totals(br#"{"transports": {"poll": {}}}"#).unwrap_err();
        assert!(err.contains("`transports.poll`"), "{err}");
        let err = totals(br#"{"head": 1}"#).unwrap_err();
        assert!(err.contains("missing field `transports`"), "{err}");
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
