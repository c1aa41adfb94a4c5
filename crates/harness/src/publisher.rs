//! The harness's own publisher, and the probe that starts a run.
//!
//! Before clients start, [`Publisher::probe`] asks the server for its clock (`GET /time`) and the feed
//! head (`GET /poll` with no cursor answers `next` = the newest id), which also checks it speaks the contract at all.
//! During the measured window [`Publisher::publish`] sends `POST /messages` at `--rate` on a fixed schedule, one
//! keep-alive connection straight to the server (not through the `--rtt` relay: the relay simulates the
//! clients' network), and remembers the ids it got back: the last one is what every client must reach.
//! Its bytes are counted on its own [`WireCounters`], apart from delivery traffic.
//!
//! The probe also learns the feed's epoch (`GET /time` names it). If the publisher's connection breaks,
//! it asks `GET /time` again before publishing on a new one: a different epoch means the server restarted
//! and its ids began again, so the ids published from then on belong to the new feed (`first_id`, `last_id`
//! and `epoch` in [`Publish`] describe the feed the run ended on; `epoch_changes` counts restarts).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use bytes::Bytes;
use feedlab_contract::HttpVersion;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use http_body_util::BodyExt;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::clients::Live;
use crate::clients::http::{HttpConn, request};
use crate::config::Target;
use crate::counting::{LiveBytes, WireCounters};
use crate::net::Connector;
use crate::record::now_us;
use crate::result::{Publish, rate_kept};

/// The `from` the harness publishes as, so its messages are recognisable on the page and in logs.
pub const PUBLISHER_NAME: &str = "feedlab-bench";

/// Publishing connections open at most: publishes waiting for their answers at once. At 200 msg/s this
/// keeps the schedule while the server takes up to 160 ms per answer; beyond that the server, not the
/// publisher, is what cannot keep up. Inside the open files the socket plan keeps spare
/// ([`crate::net::FD_RESERVE`]).
pub const MAX_CONNECTIONS: usize = 32;

/// When and what [`Publisher::publish`] publishes.
#[derive(Debug, Clone, Copy)]
pub struct PublishPlan {
    /// When the window opens (the first publish).
    pub start: Instant,
    /// How long publishing goes on.
    pub duration: Duration,
    /// Messages per second (0: none).
    pub rate: f64,
    /// Body size, bytes.
    pub payload: usize,
    /// How long answers still on their way when the window closes are waited for.
    pub answer_grace: Duration,
}

/// What [`Publisher::probe`] learned (sent on to `--procs` workers: every client starts from it).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Probe {
    /// The feed head: clients start after it.
    pub head: u64,
    /// Server clock minus harness clock, in us (0 if the server has no `/time`).
    pub clock_offset_us: i64,
    /// The feed's epoch, when the server names one.
    pub epoch: Option<u64>,
}

/// The publisher's connection and counters.
#[derive(Debug)]
pub struct Publisher {
    target: Target,
    connector: Connector,
    counters: Arc<WireCounters>,
    /// Not shared with clients: publish bytes must stay out of the delivery figures.
    live: Arc<LiveBytes>,
    conn: Option<HttpConn>,
    /// Request and response head bytes of the `GET /poll` probe.
    probe_heads: (u64, u64),
    /// The feed epoch ids are being published in.
    epoch: Option<u64>,
}

#[derive(Deserialize)]
struct Head {
    next: u64,
}

#[derive(Deserialize)]
struct Time {
    us: i64,
    #[serde(default)]
    epoch: Option<u64>,
}

#[derive(Deserialize)]
struct Created {
    id: u64,
}

impl Publisher {
    /// A publisher connecting straight to the target.
    pub fn new(target: Target) -> Self {
        let connector = Connector { addr: target.addr, sources: Arc::from(Vec::new()) };
        Publisher {
            target,
            connector,
            counters: WireCounters::new(),
            live: Arc::default(),
            conn: None,
            probe_heads: (0, 0),
            epoch: None,
        }
    }

    fn unreachable(&self, reason: impl std::fmt::Display) -> Error {
        Error::Unreachable { target: self.target.url.clone(), reason: reason.to_string() }
    }

    fn contract(&self, reason: impl std::fmt::Display) -> Error {
        Error::Contract { target: self.target.url.clone(), reason: reason.to_string() }
    }

    /// One request on the kept-alive connection (reopened if the server closed it).
    async fn exchange(&mut self, method: Method, path: &str, body: Bytes) -> Result<(StatusCode, Bytes), String> {
        if self.conn.as_ref().is_none_or(HttpConn::is_closed) {
            self.conn = None;
            let conn = HttpConn::open(&self.connector, 0, &self.counters, &self.live, HttpVersion::Http11)
                .await
                .map_err(|e| e.to_string())?;
            self.conn = Some(conn);
        }
        // unwrap: set just above when it was missing.
        let conn = self.conn.as_mut().unwrap();
        let mut headers = vec![("Host".to_string(), self.target.authority.clone())];
        if method == Method::POST {
            headers.push(("Content-Type".to_string(), "application/json".to_string()));
        }
        let result = async {
            let resp = conn.send(request(method, path, &headers, body)).await.map_err(|e| e.to_string())?;
            let status = resp.status();
            let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
            Ok((status, body))
        }
        .await;
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    /// Reads the server clock offset, then the feed head.
    ///
    /// A server on this machine (a loopback target, with or without the `--rtt` relay) reads the same clock
    /// as the harness: its offset is 0 by definition, and estimating it anyway would add the estimate's
    /// error (up to half a round trip) to every latency, which pushed sub-millisecond push latencies below
    /// zero. Only a remote server's offset is estimated.
    pub async fn probe(&mut self) -> Result<Probe, Error> {
        let same_clock = self.target.addr.ip().is_loopback();
        // NTP-style: the server read its clock somewhere between send and receive; assume the middle.
        let t0 = now_us() as i64;
        let clock_offset_us = match self.exchange(Method::GET, "/time", Bytes::new()).await {
            Ok((StatusCode::OK, body)) => match serde_json::from_slice::<Time>(&body) {
                Ok(time) => {
                    self.epoch = time.epoch;
                    if same_clock { 0 } else { time.us - (t0 + now_us() as i64) / 2 }
                }
                Err(_) => 0,
            },
            Ok(_) => {
                tracing::warn!("the server has no usable GET /time; assuming its clock is the harness's");
                0
            }
            Err(e) => return Err(self.unreachable(e)),
        };
        let (req0, resp0) =
            (WireCounters::get(&self.counters.request_head), WireCounters::get(&self.counters.response_head));
        let (status, body) =
            self.exchange(Method::GET, "/poll", Bytes::new()).await.map_err(|e| self.unreachable(e))?;
        self.probe_heads = (
            WireCounters::get(&self.counters.request_head) - req0,
            WireCounters::get(&self.counters.response_head) - resp0,
        );
        if status != StatusCode::OK {
            return Err(self.contract(format!("GET /poll answered {status}")));
        }
        let head: Head = serde_json::from_slice(&body)
            .map_err(|e| self.contract(format!("GET /poll: {e}: {}", String::from_utf8_lossy(&body))))?;
        Ok(Probe { head: head.next, clock_offset_us, epoch: self.epoch })
    }

    /// After a publishing connection broke: has the server restarted? Asks `GET /time` for the epoch; if
    /// it changed, ids published from now on belong to a new feed. True when it changed.
    async fn check_epoch(&mut self, stats: &mut Publish) -> bool {
        if self.epoch.is_none() {
            return false;
        }
        let Ok((StatusCode::OK, body)) = self.exchange(Method::GET, "/time", Bytes::new()).await else { return false };
        if let Ok(Time { epoch: Some(epoch), .. }) = serde_json::from_slice::<Time>(&body)
            && Some(epoch) != self.epoch
        {
            tracing::warn!(epoch, "the server's feed changed epoch (it restarted); publishing into the new feed");
            self.epoch = Some(epoch);
            stats.epoch_changes += 1;
            stats.first_id = None;
            stats.last_id = None;
            return true;
        }
        false
    }

    /// Publishes at `plan.rate` per second from `plan.start` for `plan.duration` (or until `cancel`); ids
    /// published are reported through `live.published` as they come.
    ///
    /// The schedule is open-loop: each publish goes out at its instant whether or not earlier ones have
    /// been answered, on an idle connection or a new one (up to [`MAX_CONNECTIONS`] at once), so a server
    /// slow to answer does not slow the offered load down. Only when every connection is busy does a
    /// publish wait, and its lag is recorded. After the window, answers still on their way get
    /// `plan.answer_grace`; the ones that do not come are errors.
    pub async fn publish(&mut self, plan: PublishPlan, live: &Live, cancel: &CancellationToken) -> Publish {
        let mut stats = Publish { epoch: self.epoch, ..Publish::default() };
        let PublishPlan { start, duration, rate, payload, answer_grace } = plan;
        let end = start + duration;
        if rate > 0.0 {
            let body =
                Bytes::from(serde_json::json!({ "body": "x".repeat(payload), "from": PUBLISHER_NAME }).to_string());
            let period = Duration::from_secs_f64(1.0 / rate);
            let mut idle: Vec<HttpConn> = self.conn.take().into_iter().collect();
            // The probe's connection is the first one published on.
            let reused = idle.len() as u64;
            let mut in_flight = FuturesUnordered::new();
            // Bumped when the feed's epoch changes: answers to requests sent before belong to the old feed.
            let mut generation = 0u64;
            let mut check_epoch = false;
            let mut opened = 0u64;
            let mut k: u32 = 0;
            let answers_end = tokio::time::sleep_until(end + answer_grace);
            tokio::pin!(answers_end);
            loop {
                let due = start + period * k;
                let scheduling = due < end;
                // Cancelled: answers on their way are abandoned (they were counted as requests).
                if cancel.is_cancelled() || (!scheduling && in_flight.is_empty()) {
                    break;
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(due), if scheduling && in_flight.len() < MAX_CONNECTIONS => {
                        stats.max_lag_us = stats.max_lag_us.max(due.elapsed().as_micros() as u64);
                        let mut conn = idle.pop();
                        // A kept-alive connection the server closed: it may have restarted, as after a failure.
                        if conn.as_ref().is_some_and(HttpConn::is_closed) {
                            conn = None;
                            check_epoch = true;
                        }
                        if check_epoch {
                            check_epoch = false;
                            if self.check_epoch(&mut stats).await {
                                generation += 1;
                            }
                        }
                        stats.requests += 1;
                        let post = self.post(conn, body.clone());
                        in_flight.push(async move { (generation, post.await) });
                        k += 1;
                    }
                    Some((sent_in, (conn, new, answer))) = in_flight.next() => {
                        opened += u64::from(new);
                        match conn {
                            Some(conn) => idle.push(conn),
                            // The connection broke: the server may have restarted (asked before the next publish).
                            None => check_epoch = true,
                        }
                        if Self::published(answer, sent_in == generation, &mut stats) {
                            live.published.fetch_add(1, Relaxed);
                        }
                    }
                    _ = &mut answers_end, if !scheduling => {
                        tracing::debug!(unanswered = in_flight.len(), "publishes unanswered after the window");
                        stats.errors += in_flight.len() as u64;
                        break;
                    }
                    _ = cancel.cancelled() => {}
                }
            }
            stats.connections = Some(opened + if stats.requests > 0 { reused } else { 0 });
        }
        // The window lasts its full duration even after the last publish: pollers keep polling in it.
        tokio::select! {
            _ = tokio::time::sleep_until(end) => {}
            _ = cancel.cancelled() => {}
        }
        if rate > 0.0 {
            // Over the window: its full length, or until it was cancelled.
            let window_s = start.elapsed().as_secs_f64().min(duration.as_secs_f64());
            let achieved = if window_s > 0.0 { live.published.load(Relaxed) as f64 / window_s } else { 0.0 };
            stats.achieved_rate_per_s = Some(achieved);
            stats.rate_kept = Some(rate_kept(rate, achieved, stats.max_lag_us));
        }
        (stats.probe_request_headers, stats.probe_response_headers) = self.probe_heads;
        stats.epoch = self.epoch;
        stats.sent_bytes = WireCounters::get(&self.counters.sent);
        stats.received_bytes = WireCounters::get(&self.counters.received);
        stats
    }

    /// One `POST /messages` on `conn` (or a new connection): the connection back if it is still usable,
    /// whether it was opened for this request, and the answer.
    fn post(
        &self,
        conn: Option<HttpConn>,
        body: Bytes,
    ) -> impl Future<Output = (Option<HttpConn>, bool, Result<(StatusCode, Bytes), String>)> + use<> {
        let (connector, counters, live) = (self.connector.clone(), self.counters.clone(), self.live.clone());
        let headers = vec![
            ("Host".to_string(), self.target.authority.clone()),
            ("Content-Type".to_string(), "application/json".to_string()),
        ];
        async move {
            let (mut conn, new) = match conn {
                Some(conn) => (conn, false),
                None => match HttpConn::open(&connector, 0, &counters, &live, HttpVersion::Http11).await {
                    Ok(conn) => (conn, true),
                    Err(e) => return (None, false, Err(e.to_string())),
                },
            };
            let answer = async {
                let resp =
                    conn.send(request(Method::POST, "/messages", &headers, body)).await.map_err(|e| e.to_string())?;
                let status = resp.status();
                let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
                Ok((status, body))
            }
            .await;
            let conn = (answer.is_ok() && !conn.is_closed()).then_some(conn);
            (conn, new, answer)
        }
    }

    /// Records the answer to one publish; true if it published a message. `current`: the request was sent
    /// in the feed epoch the run is now in (an id from an older one is not this feed's).
    fn published(answer: Result<(StatusCode, Bytes), String>, current: bool, stats: &mut Publish) -> bool {
        match answer {
            Ok((StatusCode::CREATED, body)) => match serde_json::from_slice::<Created>(&body) {
                Ok(Created { id }) => {
                    if current {
                        stats.first_id = Some(stats.first_id.map_or(id, |f| f.min(id)));
                        stats.last_id = Some(stats.last_id.map_or(id, |l| l.max(id)));
                    }
                    true
                }
                Err(_) => {
                    stats.errors += 1;
                    false
                }
            },
            Ok((status, _)) => {
                tracing::debug!(%status, "publish refused");
                stats.errors += 1;
                false
            }
            Err(e) => {
                tracing::debug!(error = %e, "publish failed");
                stats.errors += 1;
                false
            }
        }
    }
}
