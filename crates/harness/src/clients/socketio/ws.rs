//! Socket.IO's WebSocket transport (`socketio-ws`): one Engine.IO packet per text frame.
//!
//! Two ways in, as Socket.IO's client offers them:
//! - **Upgrade** (the default, what browsers do): open a polling session ([`Polling`]), then a WebSocket
//!   at `/socket.io/?EIO=4&transport=websocket&sid=<sid>`; send `2probe`, and on `3probe` stop polling
//!   (the held `GET` is ended by the server's noop), send `5`: the session now lives on the WebSocket and
//!   the polling connections close.
//! - **Direct** (`--socketio-direct`, the client's `transports: ["websocket"]`): the WebSocket at
//!   `/socket.io/?EIO=4&transport=websocket`, whose first frame is the open packet; then the namespace
//!   connect `40` and its answer, on the WebSocket.
//!
//! From then on each message is a frame `42["message",{...}]`; the server's pings are frames `2` (not
//! WebSocket pings), answered with frames `3`.

use std::pin::pin;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::super::ctx::Ctx;
use super::super::error::ClientError;
use super::super::stream::{self, Streaming};
use super::super::ws::{close, upgrade};
use super::polling::{Headers, Polling};
use super::protocol::{self, PONG, PROBE, PROBE_ANSWER, UPGRADE};
use super::{Class, Effect, Heartbeat, Session, count};
use crate::config::Transport;
use crate::counting::{CountingStream, WireCounters};
use crate::record::ClientRecord;
use feedlab_contract::rfc6455;

/// Runs one Socket.IO WebSocket client until the run ends.
pub async fn run(ctx: &Ctx, idx: usize, rec: ClientRecord) -> ClientRecord {
    let cfg = &ctx.cfg;
    let client = Client {
        idx,
        direct: cfg.socketio_direct,
        session: Session::default(),
        poll_headers: Headers::new(ctx),
        ws_headers: cfg.headers.request_headers(Transport::SocketioWs, &cfg.target.authority, true),
        seed: ctx.seed ^ idx as u64,
    };
    stream::run(ctx, idx, rec, client).await
}

/// A WebSocket client: what outlives a connection.
#[derive(Debug)]
struct Client {
    idx: usize,
    /// Start on the WebSocket instead of upgrading a polling session.
    direct: bool,
    session: Session,
    poll_headers: Headers,
    ws_headers: Vec<(String, String)>,
    /// Seeds each session's cache busters.
    seed: u64,
}

/// An open session on a WebSocket.
#[derive(Debug)]
struct Conn {
    ws: WebSocketStream<CountingStream>,
    /// The server pinged and the pong is not sent yet.
    pong_due: bool,
    heartbeat: Heartbeat,
    /// The server ended the session (found by [`Streaming::take`], returned by the next read).
    failed: Option<ClientError>,
}

/// Bytes of a frame carrying `payload` bytes: from the server (unmasked) or the client (masked).
fn frame(payload: usize, masked: bool) -> usize {
    payload + rfc6455::header_len(payload as u64, masked)
}

impl Conn {
    /// The next text frame, after sending a pong that is due; an error when the server closed, a frame is
    /// not text, or the heartbeat stopped. Cancel-safe once the pong is out.
    async fn read(&mut self) -> Result<Utf8Bytes, ClientError> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        if self.pong_due {
            self.ws.send(Message::text(PONG)).await.map_err(|e| ClientError::Ws(Box::new(e)))?;
            self.pong_due = false;
        }
        loop {
            let heartbeat = self.heartbeat;
            let msg = tokio::select! {
                m = self.ws.next() => m.ok_or(ClientError::StreamEnded)?.map_err(|e| ClientError::Ws(Box::new(e)))?,
                e = heartbeat.lost() => return Err(e),
            };
            match msg {
                Message::Text(text) => return Ok(text),
                Message::Close(f) => return Err(ClientError::WsClosed(f.map_or(1005, |f| u16::from(f.code)))),
                Message::Binary(_) => return Err(ClientError::Protocol("binary frame from Socket.IO".into())),
                // WebSocket-level pings (tungstenite answers them) and raw frames carry no packet.
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }

    /// Sends `packet` as a frame, counted in `class`.
    async fn send(&mut self, rec: &mut ClientRecord, packet: &str, class: Class) -> Result<(), ClientError> {
        count(rec, class, frame(packet.len(), true));
        self.ws.send(Message::text(packet)).await.map_err(|e| ClientError::Ws(Box::new(e)))
    }

    /// The server pinged: the connection lives on, and a pong is sent before the next read. Counted now,
    /// where the record is at hand.
    fn ping(&mut self, rec: &mut ClientRecord) {
        self.heartbeat.beat();
        self.pong_due = true;
        count(rec, Class::Control, frame(PONG.len(), true));
    }
}

impl Client {
    /// Takes one frame from the server; see [`Session::take`].
    fn take_frame(&mut self, ctx: &Ctx, rec: &mut ClientRecord, text: &str) -> Result<Effect, ClientError> {
        self.session.take(ctx, rec, text, rfc6455::header_len(text.len() as u64, false))
    }

    /// Reads until the namespace connect is answered (messages that come first are delivered).
    async fn until_connected(&mut self, ctx: &Ctx, rec: &mut ClientRecord, conn: &mut Conn) -> Result<(), ClientError> {
        loop {
            let text = conn.read().await?;
            match self.take_frame(ctx, rec, &text)? {
                Effect::Connected => return Ok(()),
                Effect::Pong => conn.ping(rec),
                Effect::Nothing => {}
                Effect::Opened(_) | Effect::ProbeAnswered => {
                    return Err(ClientError::Protocol(format!("unexpected before the connect answer: {text:?}")));
                }
            }
        }
    }

    /// Starts on the WebSocket: open packet, namespace connect, its answer.
    async fn open_direct(&mut self, ctx: &Ctx, rec: &mut ClientRecord, tcp: TcpStream) -> Result<Conn, ClientError> {
        let path = format!("{}?EIO=4&transport=websocket", protocol::PATH);
        let mut ws = upgrade(ctx, rec.wire.clone(), tcp, &path, &self.ws_headers).await?;
        let first = match ws.next().await {
            Some(Ok(Message::Text(text))) => text,
            other => return Err(ClientError::Protocol(format!("the WebSocket did not open with a packet: {other:?}"))),
        };
        let Effect::Opened(handshake) = self.take_frame(ctx, rec, &first)? else {
            return Err(ClientError::Protocol(format!("the WebSocket opened with {first:?}, not an open packet")));
        };
        let mut conn = Conn { ws, pong_due: false, heartbeat: Heartbeat::new(&handshake), failed: None };
        conn.send(rec, &self.session.connect_packet(), Class::Handshake).await?;
        self.until_connected(ctx, rec, &mut conn).await?;
        Ok(conn)
    }

    /// Starts on polling and upgrades, as browsers do (see the module docs).
    async fn open_upgrading(&mut self, ctx: &Ctx, rec: &mut ClientRecord, tcp: TcpStream) -> Result<Conn, ClientError> {
        self.seed = self.seed.wrapping_add(1);
        // Right after the open packet, as Socket.IO's client does: the namespace connect posted, the next
        // GET held, and the probe under way, all at once; whichever transport the connect's answer comes
        // on, it is awaited.
        let (mut polling, handshake) =
            Polling::start(ctx, self.idx, rec, tcp, &mut self.session, &self.poll_headers, self.seed).await?;
        if !handshake.upgrades.iter().any(|u| u == "websocket") {
            return Err(ClientError::Protocol(format!("no upgrade to websocket offered: {:?}", handshake.upgrades)));
        }
        let tcp = ctx.connector(self.idx, rec).connect(self.idx).await.map_err(ClientError::Connect)?;
        ctx.connected(self.idx, rec);
        ctx.request_sent(rec);
        let path = format!("{}?EIO=4&transport=websocket&sid={}", protocol::PATH, handshake.sid);
        let mut connected = false;
        let ws = {
            let mut probe = pin!(probe(ctx, rec.wire.clone(), tcp, path, &self.ws_headers));
            loop {
                tokio::select! {
                    ws = &mut probe => break ws?,
                    item = polling.next() => connected |= polling.take(ctx, rec, &mut self.session, item?)?,
                }
            }
        };
        count(rec, Class::Handshake, frame(PROBE.len(), true) + frame(PROBE_ANSWER.len(), false));
        // Pause: let the held GET end (the server answers it with a noop) and any POST finish.
        polling.pause();
        while !polling.is_paused() {
            let item = polling.next().await?;
            connected |= polling.take(ctx, rec, &mut self.session, item)?;
        }
        let mut conn = Conn { ws, pong_due: false, heartbeat: polling.heartbeat, failed: None };
        conn.send(rec, UPGRADE, Class::Handshake).await?;
        // What polling had not posted yet (a pong) goes on the WebSocket; the polling connections close.
        for (packet, class) in polling.take_outbox() {
            conn.send(rec, &packet, class).await?;
        }
        drop(polling);
        if !connected {
            self.until_connected(ctx, rec, &mut conn).await?;
        }
        Ok(conn)
    }
}

/// Opens the WebSocket of an upgrade and probes it: `2probe`, answered `3probe`. Counted by the caller.
async fn probe(
    ctx: &Ctx,
    wire: Arc<WireCounters>,
    tcp: TcpStream,
    path: String,
    headers: &[(String, String)],
) -> Result<WebSocketStream<CountingStream>, ClientError> {
    let mut ws = upgrade(ctx, wire, tcp, &path, headers).await?;
    ws.send(Message::text(PROBE)).await.map_err(|e| ClientError::Ws(Box::new(e)))?;
    match ws.next().await {
        Some(Ok(Message::Text(text))) if text.as_str() == PROBE_ANSWER => Ok(ws),
        other => Err(ClientError::Protocol(format!("the upgrade probe was answered {other:?}"))),
    }
}

impl Streaming for Client {
    type Conn = Conn;
    type Item = Utf8Bytes;

    async fn open(&mut self, ctx: &Ctx, rec: &mut ClientRecord, tcp: TcpStream) -> Result<Conn, ClientError> {
        if self.direct { self.open_direct(ctx, rec, tcp).await } else { self.open_upgrading(ctx, rec, tcp).await }
    }

    async fn next(conn: &mut Conn) -> Option<Result<Utf8Bytes, ClientError>> {
        Some(conn.read().await)
    }

    fn take(&mut self, ctx: &Ctx, rec: &mut ClientRecord, conn: &mut Conn, text: Utf8Bytes) {
        match self.take_frame(ctx, rec, &text) {
            Ok(Effect::Nothing) => {}
            Ok(Effect::Pong) => conn.ping(rec),
            Ok(_) => ctx.error(rec, &ClientError::Protocol(format!("unexpected once connected: {text:?}"))),
            // The server ended the session: reconnect.
            Err(ClientError::StreamEnded) => conn.failed = Some(ClientError::StreamEnded),
            // A malformed frame is counted; the connection carries on.
            Err(e) => ctx.error(rec, &e),
        }
    }

    /// Like a page being closed: the WebSocket's close frame, no Socket.IO disconnect packet.
    async fn close(conn: Conn) {
        close(conn.ws).await;
    }
}
