//! WebSocket: one upgraded connection, one text frame per message.
//!
//! The client sends an HTTP `GET /ws?after=<cursor>` with `Upgrade: websocket`, a random
//! `Sec-WebSocket-Key` and the `feedlab.v1` subprotocol; the server answers `101 Switching Protocols` and
//! from then on the TCP connection carries RFC 6455 frames instead of HTTP. Each message is one text
//! frame: a 2-byte header for payloads up to 125 bytes, 4 bytes up to 65,535, 10 beyond (server frames
//! are not masked; client frames carry a 4-byte mask). The server pings every 15 s and tungstenite answers
//! with a pong on its own. A gap (ids the server can no longer deliver) comes as a text frame
//! `{"type":"gap","from":a,"to":b}`. After a close (1013 from a server whose queue for this client
//! overflowed, 1001 when it shuts down), an error or a `--chaos` drop (the socket closed with no close
//! frame, as when a network vanishes) the client reconnects with `after=<last id>`.
//!
//! tokio-tungstenite runs over the same [`CountingStream`] as hyper,
//! created for an upgrade, so the handshake and every frame header are counted where they cross the wire.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message, http};

use super::ctx::Ctx;
use super::error::{ClientError, refusal};
use super::message::{Item, parse_item};
use super::stream::{self, Streaming};
use crate::counting::{CountingStream, WireCounters};
use crate::record::ClientRecord;

/// How long a client that is done waits for the server to answer its close frame before dropping the
/// socket: a clean close is the polite end, but a server that never answers must not hold the run.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// tungstenite's read buffer per connection. Its default, 128 KiB, is zeroed over its free part before every
/// read (`FrameCodec::read_in` resizes the buffer with zeros, then reads into it): at 1,000 clients x 200
/// msg/s that memset was 40% of the harness's CPU. The feed's frames are about a hundred bytes and a larger
/// frame still gets room for its whole length; 4 KiB also keeps 10,000 clients at 40 MiB instead of 1.25 GiB.
const READ_BUFFER: usize = 4 * 1024;

/// Runs one WebSocket client until the run ends.
pub async fn run(ctx: &Ctx, idx: usize, rec: ClientRecord) -> ClientRecord {
    stream::run(ctx, idx, rec, Ws { idx, headers: ctx.request_headers(true) }).await
}

/// A WebSocket client: the upgrade headers it sends (`Sec-WebSocket-Key` is added per connection).
#[derive(Debug)]
struct Ws {
    idx: usize,
    /// One set per target ([`Ctx::request_headers`]).
    headers: Vec<Vec<(String, String)>>,
}

impl Streaming for Ws {
    type Conn = WebSocketStream<CountingStream>;
    type Item = Message;

    async fn open(&mut self, ctx: &Ctx, rec: &mut ClientRecord, tcp: TcpStream) -> Result<Self::Conn, ClientError> {
        let query = format!("after={}{}", rec.tracker.cursor(), ctx.epoch_query(&rec.tracker));
        let headers = &self.headers[ctx.target(self.idx, rec)];
        upgrade(ctx, rec.wire.clone(), tcp, &format!("/ws?{query}"), headers).await
    }

    async fn next(ws: &mut Self::Conn) -> Option<Result<Message, ClientError>> {
        Some(match ws.next().await? {
            // The server closed (1013 when its queue for this client overflowed, 1001 when it shuts down).
            Ok(Message::Close(frame)) => Err(ClientError::WsClosed(frame.map_or(1005, |f| u16::from(f.code)))),
            Ok(msg) => Ok(msg),
            Err(e) => Err(ClientError::Ws(Box::new(e))),
        })
    }

    fn take(&mut self, ctx: &Ctx, rec: &mut ClientRecord, _ws: &mut Self::Conn, msg: Message) {
        match msg {
            Message::Text(text) => match parse_item(text.as_str()) {
                Ok(Item::Message(head)) => ctx.deliver(rec, head, text.len()),
                // The server announces ids it can no longer deliver; not a message, so its bytes stay
                // in framing.
                Ok(Item::Gap(gap)) => rec.tracker.gap(gap.from, gap.to),
                Err(e) => ctx.error(rec, &e),
            },
            Message::Binary(_) => ctx.error(rec, &ClientError::Protocol("binary frame on /ws".into())),
            // Pings are answered by tungstenite itself; pongs and raw frames carry nothing to check.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) | Message::Close(_) => {}
        }
    }

    async fn close(ws: Self::Conn) {
        close(ws).await;
    }
}

/// Opens a WebSocket on `tcp` (connected, its connection and request counted on `wire`) at `path` (with
/// its query), sending `headers` and a fresh `Sec-WebSocket-Key`; a refusal is read like any HTTP one.
/// Shared with Socket.IO's WebSocket transport.
pub(super) async fn upgrade(
    ctx: &Ctx,
    wire: Arc<WireCounters>,
    tcp: TcpStream,
    path: &str,
    headers: &[(String, String)],
) -> Result<WebSocketStream<CountingStream>, ClientError> {
    let stream = CountingStream::for_upgrade(tcp, wire, ctx.live.bytes.clone());
    // tungstenite wants an absolute ws:// URI; only its path and query go on the request line.
    let mut req = http::Request::builder().uri(format!("ws://{}{path}", ctx.cfg.target.authority));
    for (name, value) in headers {
        req = req.header(name, value);
    }
    let req = req
        .header("Sec-WebSocket-Key", generate_key())
        .body(())
        .map_err(|e| ClientError::Protocol(format!("cannot build the upgrade request: {e}")))?;
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    match tokio_tungstenite::client_async_with_config(req, stream, Some(config)).await {
        Ok((ws, _response)) => Ok(ws),
        Err(tungstenite::Error::Http(resp)) => {
            Err(refusal(resp.status().as_u16(), resp.headers(), resp.body().as_deref().unwrap_or_default()))
        }
        Err(e) => Err(ClientError::Ws(Box::new(e))),
    }
}

/// Close frame, then wait for the server's, within [`CLOSE_GRACE`].
pub(super) async fn close(mut ws: WebSocketStream<CountingStream>) {
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        let _ = ws.close(None).await;
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}
