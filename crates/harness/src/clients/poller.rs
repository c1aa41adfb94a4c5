//! What polling and long-polling share: a client that asks `GET <path>?after=<cursor>` and reads a page
//! of messages back, on one connection kept alive or on one per request ([`Poller`]).
//!
//! [`Poller::ask`] is the one step both repeat: send the request, wait for the answer (or for the client
//! to stop, or for a `--chaos` strike that drops the connection with the request in flight), record the
//! page's messages and the exchange. Poll and long-poll differ only in when they ask (a fixed schedule,
//! or again as soon as an answer comes) and in what a failure costs them, which stays in their files.
//!
//! The answer is the contract's page, `{"messages":[...],"next":N,"gap":null,"epoch":E}`; messages are
//! kept as raw JSON, so their exact wire length is what counts as message bytes.

use std::future::Future;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{HeaderMap, Method};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::ctx::Ctx;
use super::error::ClientError;
use super::http::{HttpConn, header_map, ok, request_with};
use super::message::{Gap, MessageHead, parse_message};
use crate::counting::WireCounters;
use crate::record::{ClientRecord, Exchange, Lost};

/// A poll or long-poll client's HTTP side: one connection kept alive, or one per request.
#[derive(Debug)]
pub struct Poller {
    conn: Option<HttpConn>,
    keep_alive: bool,
    /// Parsed once: the same headers go with every request to a target (one map per target).
    headers: Vec<HeaderMap>,
    /// Whether [`Poller::ask`] takes a connect permit ([`Ctx::connect_gate`]) before a new connection.
    gate_connects: bool,
}

/// What became of one [`Poller::ask`].
#[derive(Debug)]
pub enum Asked {
    /// An answer came, and its messages are recorded; or the request failed (not yet counted: what a
    /// failure costs is the transport's call).
    Answered(Result<(), ClientError>),
    /// The client stopped with the request in flight (counted as unanswered).
    Stopped,
    /// `--chaos` dropped the connection with the request in flight (counted as unanswered, and as a drop).
    Dropped,
}

impl Poller {
    /// A poller sending the run's header profile for its transport.
    pub fn new(ctx: &Ctx) -> Self {
        let keep_alive = ctx.cfg.keep_alive;
        Poller {
            conn: None,
            keep_alive,
            headers: ctx.request_headers(keep_alive).iter().map(|h| header_map(h)).collect(),
            gate_connects: false,
        }
    }

    /// Takes a connect permit before each new connection [`Poller::ask`] opens (the permit covers the
    /// connect only, never the request).
    pub fn gating_connects(mut self) -> Self {
        self.gate_connects = true;
        self
    }

    /// Whether a connection is open (kept alive between requests, or carrying one).
    pub fn is_connected(&self) -> bool {
        self.conn.as_ref().is_some_and(|c| !c.is_closed())
    }

    /// Drops the connection at once, answer in flight or not (`--chaos`): the socket closes without
    /// waiting for anything.
    pub fn drop_connection(&mut self) {
        self.conn = None;
    }

    /// Opens a connection unless one is open (so a caller can gate the connect alone, not the request).
    pub async fn connect(&mut self, ctx: &Ctx, idx: usize, rec: &mut ClientRecord) -> Result<(), ClientError> {
        if !self.is_connected() {
            if self.conn.take().is_some() {
                // A kept-alive connection the server closed: the new one is a reconnect (to the next
                // target, with `--hop`).
                rec.connection_lost(Lost::Other);
                rec.hops += 1;
            }
            let conn = HttpConn::open(ctx.connector(idx, rec), idx, &rec.wire, &ctx.live.bytes, ctx.cfg.http).await?;
            ctx.connected(idx, rec);
            self.conn = Some(conn);
        }
        Ok(())
    }

    /// [`Poller::connect`] holding a connect permit, so thousands of clients do not overflow the server's
    /// accept queue.
    pub async fn connect_gated(&mut self, ctx: &Ctx, idx: usize, rec: &mut ClientRecord) -> Result<(), ClientError> {
        if self.is_connected() {
            return Ok(());
        }
        let _permit = ctx.connect_gate.acquire().await.ok();
        self.connect(ctx, idx, rec).await
    }

    /// One request: `GET path`, sent (on a new connection if needed) for the exchange intended at
    /// `intended`, unless `stop` resolves or `--chaos` strikes first. A page that comes back has its
    /// messages recorded, and the exchange (answer instant minus `intended`).
    pub async fn ask(
        &mut self,
        ctx: &Ctx,
        idx: usize,
        rec: &mut ClientRecord,
        path: &str,
        intended: Instant,
        stop: impl Future<Output = ()>,
    ) -> Asked {
        let head_before = WireCounters::get(&rec.wire.request_head);
        let answer = tokio::select! {
            a = async {
                if self.gate_connects {
                    self.connect_gated(ctx, idx, rec).await?;
                }
                self.get(ctx, idx, rec, path).await
            } => a,
            // A held request is abandoned when the client stops (it has every message, or is cancelled).
            _ = stop => {
                rec.unanswered(head_before);
                return Asked::Stopped;
            }
            // The request goes with its connection; the next one asks again from the cursor.
            _ = ctx.chaos.strike(idx) => {
                rec.unanswered(head_before);
                self.drop_connection();
                ctx.chaos_drop(rec);
                return Asked::Dropped;
            }
        };
        let page = answer.and_then(|body| take_page(ctx, rec, &body));
        Asked::Answered(page.map(|messages| {
            rec.exchange(&Exchange { intended, answered: Instant::now(), messages });
        }))
    }

    /// `GET path` and the whole answer body (200 only). Counts connections and requests in `rec`.
    ///
    /// A request on a kept-alive connection that the server closed at the same moment fails without an
    /// answer; like a browser, the poller then retries once on a new connection (counted as the error kind
    /// `keepalive_retry`, and as a second request).
    pub async fn get(
        &mut self,
        ctx: &Ctx,
        idx: usize,
        rec: &mut ClientRecord,
        path: &str,
    ) -> Result<Bytes, ClientError> {
        let mut reused = self.is_connected();
        loop {
            self.connect(ctx, idx, rec).await?;
            let headers = &self.headers[ctx.target(idx, rec)];
            // unwrap: `connect` set it when it was missing.
            let conn = self.conn.as_mut().unwrap();
            ctx.request_sent(rec);
            let answer = async {
                let resp = ok(conn.send(request_with(Method::GET, path, headers, Bytes::new())).await?).await?;
                rec.answered();
                Ok(resp.into_body().collect().await?.to_bytes())
            }
            .await;
            if answer.is_err() {
                self.conn = None;
                rec.connection_lost(Lost::Other);
            } else if !self.keep_alive {
                self.conn = None;
            }
            match answer {
                Err(ClientError::Http(e)) if reused && (e.is_incomplete_message() || e.is_canceled()) => {
                    ctx.error(rec, &ClientError::StaleKeepAlive(e));
                    reused = false;
                }
                other => return other,
            }
        }
    }
}

/// A `/poll` or `/longpoll` answer.
#[derive(Debug, Deserialize)]
pub struct Page<'a> {
    /// The messages, kept as raw JSON so their exact wire length is known.
    #[serde(borrow)]
    pub messages: Vec<&'a RawValue>,
    /// Cursor for the next request.
    pub next: u64,
    /// Ids the server can no longer deliver, when the cursor was older than its retention.
    #[serde(default)]
    pub gap: Option<Gap>,
    /// The feed's epoch (the run of the server it belongs to), when the server names it.
    #[serde(default)]
    pub epoch: Option<u64>,
}

/// Parses a poll answer and records its messages; returns how many it held.
pub fn take_page(ctx: &Ctx, rec: &mut ClientRecord, body: &[u8]) -> Result<usize, ClientError> {
    let page: Page<'_> =
        serde_json::from_slice(body).map_err(|e| ClientError::Protocol(format!("bad poll answer: {e}")))?;
    if let Some(gap) = page.gap {
        rec.tracker.gap(gap.from, gap.to);
    }
    for raw in &page.messages {
        let json = raw.get();
        let head: MessageHead = parse_message(json)?;
        ctx.deliver(rec, head, json.len());
    }
    Ok(page.messages.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_keeps_raw_message_bytes() {
        let body = br#"{"messages":[{"id":3,"ts":5,"kind":"chat","from":"a","body":"x"}],"next":3,"gap":null}"#;
        let page: Page<'_> = serde_json::from_slice(body).unwrap();
        assert_eq!(page.messages[0].get(), r#"{"id":3,"ts":5,"kind":"chat","from":"a","body":"x"}"#);
        assert_eq!(page.next, 3);
        assert!(page.gap.is_none());
    }
}
