//! Socket.IO's polling transport (`socketio-polling`): Engine.IO's long-polling, and the polling start of
//! an upgrading `socketio-ws` client ([`Polling`]).
//!
//! Like feedlab's long-poll, a `GET` is held until there is news; unlike it, there is a session (`sid`)
//! instead of a cursor, the server batches every packet that piled up while no `GET` was waiting into one
//! answer (`\x1e` between them), and the client has things to say (its connect, its pongs), which go in
//! `POST`s on a second connection because the first one is busy holding the `GET`, as a browser's
//! connection pool does. Each connection carries one request at a time, so a `POST` waits for the
//! previous one and takes every packet queued meanwhile (Engine.IO's client batches them the same way).
//!
//! Requests: `GET /socket.io/?EIO=4&transport=polling&t=<cache buster>` opens the session;
//! `GET|POST /socket.io/?EIO=4&transport=polling&sid=<sid>&t=<cache buster>` follow. A `POST` is answered
//! `ok`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use feedlab_contract::HttpVersion;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::net::TcpStream;

use super::super::ctx::Ctx;
use super::super::error::ClientError;
use super::super::http::{HttpConn, ok, request};
use super::super::stream::{self, Streaming};
use super::protocol::{self, Handshake, PONG, SEPARATOR};
use super::{Class, Effect, Heartbeat, Session, count};
use crate::config::Transport;
use crate::counting::{LiveBytes, WireCounters};
use crate::headers::RequestHeaders;
use crate::net::Connector;
use crate::record::{ClientRecord, now_us};

/// The `ok` a server answers every `POST` with.
const POSTED: &[u8] = b"ok";

/// Runs one Socket.IO polling client until the run ends.
pub async fn run(ctx: &Ctx, idx: usize, rec: ClientRecord) -> ClientRecord {
    let client = Client { idx, session: Session::default(), headers: Headers::new(ctx), seed: ctx.seed ^ idx as u64 };
    stream::run(ctx, idx, rec, client).await
}

/// A polling client: what outlives a session.
#[derive(Debug)]
struct Client {
    idx: usize,
    session: Session,
    headers: Headers,
    /// Seeds each session's cache busters.
    seed: u64,
}

impl Streaming for Client {
    type Conn = Polling;
    type Item = Polled;

    async fn open(&mut self, ctx: &Ctx, rec: &mut ClientRecord, tcp: TcpStream) -> Result<Polling, ClientError> {
        self.seed = self.seed.wrapping_add(1);
        let (mut polling, _) =
            Polling::start(ctx, self.idx, rec, tcp, &mut self.session, &self.headers, self.seed).await?;
        polling.until_connected(ctx, rec, &mut self.session).await?;
        Ok(polling)
    }

    async fn next(polling: &mut Polling) -> Option<Result<Polled, ClientError>> {
        Some(polling.next().await)
    }

    fn take(&mut self, ctx: &Ctx, rec: &mut ClientRecord, polling: &mut Polling, item: Polled) {
        if let Err(e) = polling.take(ctx, rec, &mut self.session, item) {
            polling.failed = Some(e);
        }
    }

    /// Like a page being closed: the connections just go (the server notices its held `GET` ending).
    async fn close(_polling: Polling) {}
}

/// The headers of a client's polling requests: its profile's (see [`RequestHeaders::request_headers`]),
/// and on `POST`s the `Content-Type` Engine.IO's client sets, for the browser profile (a bare client
/// needs none).
#[derive(Debug, Clone)]
pub(super) struct Headers {
    get: Vec<(String, String)>,
    post: Vec<(String, String)>,
}

impl Headers {
    pub(super) fn new(ctx: &Ctx) -> Self {
        let cfg = &ctx.cfg;
        let get = cfg.headers.request_headers(Transport::SocketioPolling, &cfg.target.authority, true);
        let mut post = get.clone();
        if let RequestHeaders::Browser(_) = cfg.headers {
            post.push(("Content-Type".to_owned(), "text/plain;charset=UTF-8".to_owned()));
        }
        Headers { get, post }
    }
}

/// Where a session's connections come from, so a request can open a new one itself: Node closes a
/// kept-alive connection after 5 s idle, and the `POST` connection idles between two pongs (25 s), so
/// a browser (and this client) opens a new one for the next `POST`.
#[derive(Debug, Clone)]
struct Link {
    connector: Connector,
    idx: usize,
    wire: Arc<WireCounters>,
    live: Arc<LiveBytes>,
}

/// What one request came back with.
struct Exchanged {
    /// Its connection, for the next request (none if a new one could not be opened).
    conn: Option<HttpConn>,
    /// It needed a new connection (to be counted).
    reconnected: bool,
    /// The answer's body.
    answer: Result<Bytes, ClientError>,
}

/// One request on its own connection, which comes back with the answer: the future owns the connection,
/// so a held `GET` and a `POST` can be in flight at once and raced in `select!`.
type Exchange = Pin<Box<dyn Future<Output = Exchanged> + Send>>;

fn exchange(link: Link, conn: Option<HttpConn>, req: Request<Full<Bytes>>) -> Exchange {
    Box::pin(async move {
        let (mut conn, reconnected) = match conn {
            Some(conn) if !conn.is_closed() => (conn, false),
            _ => match HttpConn::open(&link.connector, link.idx, &link.wire, &link.live, HttpVersion::Http11).await {
                Ok(conn) => (conn, true),
                Err(e) => return Exchanged { conn: None, reconnected: false, answer: Err(e) },
            },
        };
        let answer = async {
            let resp = ok(conn.send(req).await?).await?;
            Ok(resp.into_body().collect().await?.to_bytes())
        }
        .await;
        Exchanged { conn: Some(conn), reconnected, answer }
    })
}

/// What came back.
#[derive(Debug)]
pub(super) enum Polled {
    /// A `GET` was answered with this body (packets separated by `\x1e`).
    Answer {
        body: Bytes,
        /// Its connection was new (the last one had closed).
        reconnected: bool,
    },
    /// A `POST` was answered `ok`.
    Posted {
        /// The class of what it carried, for its `ok`.
        class: Class,
        /// Its connection was new.
        reconnected: bool,
    },
}

/// One side of a session (the `GET`s or the `POST`s): its connection between two requests, or the
/// request in flight.
enum Side {
    Idle(Option<HttpConn>),
    Busy(Exchange, Class),
}

/// An open polling session: the `GET` side, the `POST` side, what waits to be posted.
pub(super) struct Polling {
    sid: String,
    headers: Headers,
    link: Link,
    /// The `GET` held by the server, or its connection between two (the class is unused).
    get: Side,
    /// The `POST` in flight with the class its `ok` is counted in, or its connection between two.
    post: Side,
    /// Packets waiting for the `POST` connection (Engine.IO's write buffer).
    outbox: Vec<(String, Class)>,
    /// Set by [`Polling::pause`]: answers no longer start the next `GET` (an upgrade is under way).
    paused: bool,
    /// The session's heartbeat.
    pub(super) heartbeat: Heartbeat,
    /// An error found while taking an answer, returned by the next [`Polling::next`].
    failed: Option<ClientError>,
    rng: SmallRng,
}

impl std::fmt::Debug for Polling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Polling").field("sid", &self.sid).field("outbox", &self.outbox).finish_non_exhaustive()
    }
}

impl Polling {
    /// Opens a session on `tcp` (connected, its connection and first request counted): the handshake
    /// `GET`, then the namespace connect (resuming `session` when it can) posted on a second connection and
    /// the next `GET` sent, both in flight on return, as Socket.IO's client has them right after the open
    /// packet. [`Polling::until_connected`] waits for the answer.
    pub(super) async fn start(
        ctx: &Ctx,
        idx: usize,
        rec: &mut ClientRecord,
        tcp: TcpStream,
        session: &mut Session,
        headers: &Headers,
        seed: u64,
    ) -> Result<(Polling, Handshake), ClientError> {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut get = HttpConn::over(tcp, &rec.wire, &ctx.live.bytes, HttpVersion::Http11).await?;
        let path = format!("{}?EIO=4&transport=polling&t={}", protocol::PATH, cache_buster(&mut rng));
        let resp = ok(get.send(request(Method::GET, &path, &headers.get, Bytes::new())).await?).await?;
        let body = resp.into_body().collect().await?.to_bytes();
        let Effect::Opened(handshake) = session.take(ctx, rec, utf8(&body)?, 0)? else {
            return Err(ClientError::Protocol("the polling handshake did not answer an open packet".into()));
        };
        let link = Link {
            connector: ctx.connector(idx, rec).clone(),
            idx,
            wire: rec.wire.clone(),
            live: ctx.live.bytes.clone(),
        };
        let mut polling = Polling {
            sid: handshake.sid.clone(),
            headers: headers.clone(),
            link,
            get: Side::Idle(Some(get)),
            // The GET connection is busy holding polls from now on: POSTs open their own.
            post: Side::Idle(None),
            outbox: Vec::new(),
            paused: false,
            heartbeat: Heartbeat::new(&handshake),
            failed: None,
            rng,
        };
        polling.send(ctx, rec, session.connect_packet(), Class::Handshake);
        polling.poll(ctx, rec);
        Ok((polling, handshake))
    }

    /// Polls until the namespace connect is answered (delivering whatever comes with it).
    pub(super) async fn until_connected(
        &mut self,
        ctx: &Ctx,
        rec: &mut ClientRecord,
        session: &mut Session,
    ) -> Result<(), ClientError> {
        loop {
            let item = self.next().await?;
            if self.take(ctx, rec, session, item)? {
                return Ok(());
            }
        }
    }

    fn path(&mut self) -> String {
        format!("{}?EIO=4&transport=polling&sid={}&t={}", protocol::PATH, self.sid, cache_buster(&mut self.rng))
    }

    /// Sends the next `GET` (it is held until the server has packets).
    fn poll(&mut self, ctx: &Ctx, rec: &mut ClientRecord) {
        if let Side::Idle(conn) = &mut self.get {
            let conn = conn.take();
            let req = request(Method::GET, &self.path(), &self.headers.get, Bytes::new());
            ctx.request_sent(rec);
            self.get = Side::Busy(exchange(self.link.clone(), conn, req), Class::Control);
        }
    }

    /// Queues `packet` for the server and posts it (with whatever else is queued) when the `POST`
    /// connection is free.
    pub(super) fn send(&mut self, ctx: &Ctx, rec: &mut ClientRecord, packet: String, class: Class) {
        self.outbox.push((packet, class));
        self.flush(ctx, rec);
    }

    fn flush(&mut self, ctx: &Ctx, rec: &mut ClientRecord) {
        let Side::Idle(conn) = &mut self.post else { return };
        // Paused for an upgrade, Engine.IO's client holds its packets for the new transport.
        if self.outbox.is_empty() || self.paused {
            return;
        }
        let conn = conn.take();
        let class = self.outbox[0].1;
        let mut body = String::new();
        for (i, (packet, class)) in self.outbox.drain(..).enumerate() {
            if i > 0 {
                body.push(SEPARATOR);
            }
            count(rec, class, packet.len());
            body.push_str(&packet);
        }
        let req = request(Method::POST, &self.path(), &self.headers.post, Bytes::from(body));
        ctx.request_sent(rec);
        self.post = Side::Busy(exchange(self.link.clone(), conn, req), class);
    }

    /// Stops polling: the `GET` in flight is the last (an upgrade waits for it to end).
    pub(super) fn pause(&mut self) {
        self.paused = true;
    }

    /// Paused, with no request in flight: the session can move to another transport.
    pub(super) fn is_paused(&self) -> bool {
        self.paused && matches!((&self.get, &self.post), (Side::Idle(_), Side::Idle(_)))
    }

    /// Packets still waiting to be sent (an upgrading client sends them on the WebSocket).
    pub(super) fn take_outbox(&mut self) -> Vec<(String, Class)> {
        std::mem::take(&mut self.outbox)
    }

    /// The next answer to a `GET` or a `POST`; an error when a request failed or the heartbeat stopped.
    /// Cancel-safe: the requests in flight stay in `self`.
    pub(super) async fn next(&mut self) -> Result<Polled, ClientError> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let heartbeat = self.heartbeat;
        let (is_get, done, class) = tokio::select! {
            (done, class) = answer(&mut self.get) => (true, done, class),
            (done, class) = answer(&mut self.post) => (false, done, class),
            e = heartbeat.lost() => return Err(e),
        };
        let Exchanged { conn, reconnected, answer } = done;
        if is_get {
            self.get = Side::Idle(conn);
            return Ok(Polled::Answer { body: answer?, reconnected });
        }
        self.post = Side::Idle(conn);
        let body = answer?;
        if body != POSTED {
            let body = String::from_utf8_lossy(&body);
            return Err(ClientError::Protocol(format!("a POST was answered {body:?}, not ok")));
        }
        Ok(Polled::Posted { class, reconnected })
    }

    /// Takes what came back: a `GET`'s packets (messages delivered, a ping answered, the next `GET` sent
    /// unless paused), or a `POST`'s `ok` (the next queued packets posted). True when the answer held the
    /// namespace connect's acceptance.
    pub(super) fn take(
        &mut self,
        ctx: &Ctx,
        rec: &mut ClientRecord,
        session: &mut Session,
        item: Polled,
    ) -> Result<bool, ClientError> {
        match item {
            Polled::Answer { body, reconnected } => {
                if reconnected {
                    ctx.connected(self.link.idx, rec);
                }
                let mut connected = false;
                for packet in protocol::payload(utf8(&body)?) {
                    match session.take(ctx, rec, packet, 0)? {
                        Effect::Nothing => {}
                        Effect::Pong => {
                            self.heartbeat.beat();
                            self.send(ctx, rec, PONG.to_owned(), Class::Control);
                        }
                        Effect::Connected => connected = true,
                        Effect::Opened(_) | Effect::ProbeAnswered => {
                            return Err(ClientError::Protocol(format!("unexpected on polling: {packet:?}")));
                        }
                    }
                }
                if !self.paused {
                    self.poll(ctx, rec);
                }
                Ok(connected)
            }
            Polled::Posted { class, reconnected } => {
                if reconnected {
                    ctx.connected(self.link.idx, rec);
                }
                count(rec, class, POSTED.len());
                self.flush(ctx, rec);
                Ok(false)
            }
        }
    }
}

/// Resolves when `side`'s request is answered; never while it is idle.
async fn answer(side: &mut Side) -> (Exchanged, Class) {
    match side {
        Side::Busy(exchange, class) => (exchange.await, *class),
        Side::Idle(_) => std::future::pending().await,
    }
}

/// A cache buster from the client's generator (see [`protocol::cache_buster`]).
fn cache_buster(rng: &mut SmallRng) -> String {
    protocol::cache_buster(now_us() / 1000, rng.random())
}

fn utf8(body: &[u8]) -> Result<&str, ClientError> {
    std::str::from_utf8(body).map_err(|e| ClientError::Protocol(format!("a polling answer that is not UTF-8: {e}")))
}
