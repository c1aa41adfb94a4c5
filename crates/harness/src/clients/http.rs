//! HTTP/1.1 plumbing shared by the HTTP transports and the publisher: hyper's client over a
//! [`CountingStream`], requests with a header profile, and the poll answer format.
//!
//! hyper 1's `client::conn::http1` is the bare connection-level client: one TCP connection, requests one
//! after another, no pool and no hidden headers (it adds `Content-Length` for a body and nothing else; the
//! harness sets `Host` itself). That keeps every header byte on the wire one the profile chose.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{ClientError, Ctx, MessageHead, parse_message, refusal};
use crate::counting::{CountingStream, LiveBytes, WireCounters};
use crate::net::Connector;
use crate::record::{ClientRecord, Lost};

/// One HTTP/1.1 connection.
#[derive(Debug)]
pub struct HttpConn {
    sender: SendRequest<Full<Bytes>>,
}

impl HttpConn {
    /// Connects and hands the socket, wrapped in a [`CountingStream`], to hyper.
    pub async fn open(
        connector: &Connector,
        idx: usize,
        counters: &Arc<WireCounters>,
        live: &Arc<LiveBytes>,
    ) -> Result<Self, ClientError> {
        let tcp = connector.connect(idx).await.map_err(ClientError::Connect)?;
        let io = TokioIo::new(CountingStream::new(tcp, counters.clone(), live.clone()));
        // Title case only changes how names look (`User-Agent`, not `user-agent`), never their length.
        let (sender, conn) = http1::Builder::new().title_case_headers(true).handshake(io).await?;
        // hyper's connection future does the actual reading and writing; it ends when the socket closes.
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(HttpConn { sender })
    }

    /// Sends one request and returns the answer with its body still to read.
    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> Result<Response<Incoming>, ClientError> {
        self.sender.ready().await?;
        Ok(self.sender.send_request(req).await?)
    }

    /// Whether the server (or an error) closed the connection.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// Builds a request with `headers` in order (the profile's, `Host` first).
pub fn request(method: Method, path: &str, headers: &[(String, String)], body: Bytes) -> Request<Full<Bytes>> {
    let mut req = Request::new(Full::new(body));
    *req.method_mut() = method;
    match path.parse() {
        Ok(uri) => *req.uri_mut() = uri,
        // Paths are built by the harness from numbers; a failure here is a bug worth seeing in the errors.
        Err(e) => tracing::error!(%path, error = %e, "invalid request path"),
    }
    let map = req.headers_mut();
    for (name, value) in headers {
        match (hyper::header::HeaderName::try_from(name.as_str()), hyper::header::HeaderValue::try_from(value.as_str()))
        {
            (Ok(n), Ok(v)) => {
                map.append(n, v);
            }
            _ => tracing::warn!(%name, "skipping a header that is not valid HTTP"),
        }
    }
    req
}

/// A poll or long-poll client's HTTP side: one connection kept alive, or one per request.
#[derive(Debug)]
pub struct Poller {
    conn: Option<HttpConn>,
    keep_alive: bool,
    headers: Vec<(String, String)>,
}

impl Poller {
    /// A poller sending the run's header profile for its transport.
    pub fn new(ctx: &Ctx) -> Self {
        let cfg = &ctx.cfg;
        Poller {
            conn: None,
            keep_alive: cfg.keep_alive,
            headers: cfg.headers.request_headers(cfg.transport, &cfg.target.authority, cfg.keep_alive),
        }
    }

    /// Whether the next request will open a new connection.
    pub fn needs_connect(&self) -> bool {
        self.conn.as_ref().is_none_or(HttpConn::is_closed)
    }

    /// Whether a connection is open (kept alive between requests, or carrying one).
    pub fn is_connected(&self) -> bool {
        !self.needs_connect()
    }

    /// Drops the connection at once, answer in flight or not (`--chaos`): the socket closes without
    /// waiting for anything.
    pub fn drop_connection(&mut self) {
        self.conn = None;
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
        let reused = self.conn.as_ref().is_some_and(|c| !c.is_closed());
        match self.get_once(ctx, idx, rec, path).await {
            Err(ClientError::Http(e)) if reused && (e.is_incomplete_message() || e.is_canceled()) => {
                ctx.error(rec, &ClientError::StaleKeepAlive(e));
                self.get_once(ctx, idx, rec, path).await
            }
            other => other,
        }
    }

    /// Opens a connection unless one is open (so a caller can gate the connect alone, not the request).
    pub async fn connect(&mut self, ctx: &Ctx, idx: usize, rec: &mut ClientRecord) -> Result<(), ClientError> {
        if self.conn.as_ref().is_none_or(HttpConn::is_closed) {
            if self.conn.take().is_some() {
                // A kept-alive connection the server closed: the new one is a reconnect.
                rec.connection_lost(Lost::Other);
            }
            let conn = HttpConn::open(&ctx.connector, idx, &rec.wire, &ctx.live.bytes).await?;
            ctx.connected(idx, rec);
            self.conn = Some(conn);
        }
        Ok(())
    }

    async fn get_once(
        &mut self,
        ctx: &Ctx,
        idx: usize,
        rec: &mut ClientRecord,
        path: &str,
    ) -> Result<Bytes, ClientError> {
        self.connect(ctx, idx, rec).await?;
        // unwrap: `connect` set it when it was missing.
        let conn = self.conn.as_mut().unwrap();
        rec.requests += 1;
        ctx.live.requests.fetch_add(1, Relaxed);
        let answer = async {
            let resp = conn.send(request(Method::GET, path, &self.headers, Bytes::new())).await?;
            let status = resp.status();
            if status != StatusCode::OK {
                let (head, body) = resp.into_parts();
                let body = body.collect().await?.to_bytes();
                return Err(refusal(status.as_u16(), &head.headers, &body));
            }
            Ok(resp.into_body().collect().await?.to_bytes())
        }
        .await;
        if answer.is_err() {
            self.conn = None;
            rec.connection_lost(Lost::Other);
        } else if !self.keep_alive {
            self.conn = None;
        }
        answer
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

/// `"gap": {"from": a, "to": b}`.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Gap {
    /// First undeliverable id.
    pub from: u64,
    /// Last undeliverable id.
    pub to: u64,
}

/// Parses a poll answer and records its messages; returns (messages in it, the `next` cursor).
pub fn take_page(ctx: &Ctx, rec: &mut ClientRecord, body: &[u8]) -> Result<(usize, u64), ClientError> {
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
    Ok((page.messages.len(), page.next))
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
