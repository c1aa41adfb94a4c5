//! `GET /ws?after=N`: the feed over WebSocket (RFC 6455), one text frame per message.
//!
//! The client sends one HTTP request with `Upgrade: websocket` and a random `Sec-WebSocket-Key`; the server
//! answers `101 Switching Protocols` with `Sec-WebSocket-Accept` = base64(SHA-1(key + the RFC's GUID)), and
//! from then on both sides speak frames on the same TCP connection: a server-to-client text frame costs
//! 2 header bytes up to 125 bytes of payload, 4 up to 65,535. No more HTTP heads. The client may publish
//! (`{"type":"publish","body":"..."}`); the server pings every 15 s and closes a client silent for 45 s.
//!
//! Shape: the handshake spawns the session and returns the 101; the session is
//! `let reason = loop { select! { shutdown, client frame, feed, heartbeat } }; close(reason)`.

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{
    AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, MessageStream, ProtocolError, Session,
};
use feedlab_contract::Transport;
use feedlab_feed::Cursor;
use serde::Deserialize;
use tokio::sync::OwnedSemaphorePermit;

use crate::config::MAX_MESSAGE_BYTES;
use crate::error::ApiError;
use crate::middleware::frame_guard::{Guarded, is_refusal};
use crate::query::FeedQuery;
use crate::state::AppState;
use crate::stats::{Channel, Counter, Meter};
use futures_util::FutureExt;

/// The subprotocol spoken on `/ws`, selected when the client offers it.
pub const SUBPROTOCOL: &str = "feedlab.v1";

/// Messages read from the feed per pass; each is still its own frame.
const SEND_BATCH: usize = 256;

/// How long a close frame may take to queue before the connection is simply dropped.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Upgrades to WebSocket and spawns the session.
pub async fn ws(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    meter: web::ReqData<Meter>,
) -> Result<HttpResponse, ApiError> {
    state.check_enabled(Transport::Ws)?;
    state.check_origin(&req)?;
    let query = FeedQuery::parse(req.query_string())?;
    let first = state.read_for(&query, query.cursor())?;
    let cursor = query.after.unwrap_or(first.next);
    let slot = state.hold_stream()?;
    let (response, session_ws, stream) = handshake(&req, body, &[SUBPROTOCOL])?;
    let publisher = AppState::publisher_key(&req, query.client.as_deref());
    let session = FeedSession { state: state.get_ref().clone(), meter: meter.into_inner(), publisher, cursor };
    actix_web::rt::spawn(session.run(session_ws, stream, slot));
    Ok(response)
}

/// The RFC 6455 handshake (actix-ws), with a refused handshake turned into our JSON 400 naming the header.
/// Frames up to [`MAX_MESSAGE_BYTES`]; fragmented messages reassembled, up to the same size.
pub(super) fn handshake(
    req: &HttpRequest,
    body: web::Payload,
    protocols: &[&str],
) -> Result<(HttpResponse, Session, AggregatedMessageStream), ApiError> {
    let (response, session, stream) = upgrade(req, body, protocols, MAX_MESSAGE_BYTES)?;
    let stream =
        stream.max_frame_size(MAX_MESSAGE_BYTES).aggregate_continuations().max_continuation_size(MAX_MESSAGE_BYTES);
    Ok((response, session, stream))
}

/// [`handshake`] without its reassembly: frames one by one, for `/echo`, which reassembles itself. The
/// client's bytes pass the [`frame_guard`](crate::middleware::frame_guard) first, so no frame declared over `max_frame`
/// bytes is ever buffered.
pub(super) fn upgrade(
    req: &HttpRequest,
    body: web::Payload,
    protocols: &[&str],
    max_frame: usize,
) -> Result<(HttpResponse, Session, MessageStream), ApiError> {
    let guarded: actix_http::BoxedPayloadStream = Box::pin(Guarded::new(body.into_inner(), max_frame));
    let mut payload = actix_web::dev::Payload::from(guarded);
    // web::Payload has no public constructor; its extractor wraps any dev::Payload and is ready at once.
    let body = <web::Payload as actix_web::FromRequest>::from_request(req, &mut payload)
        .now_or_never()
        .and_then(Result::ok)
        .ok_or_else(|| ApiError::bad("Upgrade", "request body unavailable"))?;
    actix_ws::handle_with_protocols(req, body, protocols)
        .map_err(|err| ApiError::bad("Upgrade", format!("not a valid WebSocket handshake: {err}")))
}

/// What a client may send on `feedlab.v1`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ClientMessage {
    Publish {
        body: String,
        #[serde(default)]
        from: String,
    },
}

/// One client's feed session.
struct FeedSession {
    state: AppState,
    meter: Meter,
    /// Who publishes from this connection, for the chat rate limit.
    publisher: String,
    /// The last id sent.
    cursor: u64,
}

impl FeedSession {
    async fn run(self, mut ws: Session, mut incoming: AggregatedMessageStream, _slot: OwnedSemaphorePermit) {
        let FeedSession { state, meter, publisher, mut cursor } = self;
        let _open = meter.open();
        let publish_meter = meter.for_channel(Channel::Publish);
        let stall = state.config.send_stall;
        let mut head = state.feed.subscribe();
        let period = state.config.heartbeat;
        let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let mut last_heard = Instant::now();

        let reason: Option<CloseReason> = loop {
            tokio::select! {
                biased;
                _ = state.shutdown.cancelled() => break Some((CloseCode::Away, "server shutting down").into()),
                frame = incoming.recv() => {
                    let Some(frame) = frame else { break None };
                    last_heard = Instant::now();
                    match frame {
                        Ok(AggregatedMessage::Text(text)) => {
                            publish_meter.ws_received(text.len());
                            let reply = handle_text(&state, &publisher, &text);
                            if let Some(reply) = reply
                                && send(&mut ws, &meter, stall, reply).await.is_err()
                            {
                                break None;
                            }
                        }
                        Ok(AggregatedMessage::Binary(bytes)) => {
                            meter.ws_received(bytes.len());
                            break Some((CloseCode::Unsupported, "feedlab.v1 takes text frames only").into());
                        }
                        Ok(AggregatedMessage::Ping(payload)) => {
                            meter.ws_received(payload.len());
                            meter.ws_sent(payload.len());
                            if ws.pong(&payload).await.is_err() {
                                break None;
                            }
                        }
                        Ok(AggregatedMessage::Pong(payload)) => meter.ws_received(payload.len()),
                        Ok(AggregatedMessage::Close(reason)) => break reason.or(Some(CloseCode::Normal.into())),
                        Err(err) => break Some(protocol_close(&err)),
                    }
                }
                changed = async { head.wait_for(|&newest| newest > cursor).await.map(|_| ()) } => {
                    if changed.is_err() {
                        break Some(CloseCode::Away.into());
                    }
                    match drain(&mut ws, &state, &meter, stall, &mut cursor).await {
                        Ok(()) => {}
                        Err(Stop::Slow) => {
                            meter.add(Counter::SlowReaderCloses, 1);
                            break Some(CloseReason { code: CloseCode::Again, description: Some(format!("too slow; reconnect with after={cursor}")) });
                        }
                        Err(Stop::Gone) => break None,
                    }
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > state.config.client_timeout {
                        break Some(CloseReason { code: CloseCode::Policy, description: Some("no pong within the client timeout".into()) });
                    }
                    meter.ws_sent(0);
                    if ws.ping(b"").await.is_err() {
                        break None;
                    }
                }
            }
        };
        close(ws, &meter, reason).await;
    }
}

/// Sends the close frame (if the connection still takes one) and lets the session end.
pub(super) async fn close(ws: Session, meter: &Meter, reason: Option<CloseReason>) {
    if let Some(reason) = reason {
        let payload = 2 + reason.description.as_ref().map_or(0, String::len);
        meter.ws_sent(payload);
        tracing::debug!(code = ?reason.code, "closing websocket");
        let _ = tokio::time::timeout(CLOSE_GRACE, ws.close(Some(reason))).await;
    }
}

/// The close code for a frame the codec refused: too big 1009, bad UTF-8 1007, anything else 1002.
pub(super) fn protocol_close(err: &ProtocolError) -> CloseReason {
    let (code, text) = match err {
        ProtocolError::Overflow => (CloseCode::Size, format!("message over the {MAX_MESSAGE_BYTES} byte limit")),
        // actix reports both bad UTF-8 and set reserved bits as InvalidData; only the first is 1007.
        ProtocolError::Io(io)
            if io.kind() == std::io::ErrorKind::InvalidData && io.to_string().to_lowercase().contains("utf-8") =>
        {
            (CloseCode::Invalid, "text frame is not valid UTF-8".to_owned())
        }
        // Our frame guard refused a declared length before buffering it.
        ProtocolError::Io(io) if is_refusal(io) => {
            (CloseCode::Size, format!("frame over the {MAX_MESSAGE_BYTES} byte limit"))
        }
        // A fragmented message over the limit is a plain I/O error from actix-ws's reassembly.
        ProtocolError::Io(io) if io.to_string().contains("maximum continuation size") => {
            (CloseCode::Size, format!("message over the {MAX_MESSAGE_BYTES} byte limit"))
        }
        other => (CloseCode::Protocol, format!("protocol error: {other}")),
    };
    CloseReason { code, description: Some(text) }
}

/// Handles a client text frame; returns a reply for the client, if any.
fn handle_text(state: &AppState, publisher: &str, text: &str) -> Option<String> {
    let error = |message: String| Some(serde_json::json!({"type": "error", "error": message}).to_string());
    match serde_json::from_str::<ClientMessage>(text) {
        Ok(ClientMessage::Publish { body, from }) => match state.publish_chat(publisher, &from, &body) {
            // The message itself comes back through the feed like everyone else's: no separate echo.
            Ok(_) => None,
            Err(err) => error(err.to_string()),
        },
        Err(err) => error(format!("expected {{\"type\":\"publish\",\"body\":\"...\"}}: {err}")),
    }
}

enum Stop {
    Slow,
    Gone,
}

/// Sends one text frame, counting it; a queue full for `stall` ([`crate::config::SEND_STALL_LIMIT`] by default) means the
/// reader stalled.
async fn send(
    ws: &mut Session,
    meter: &Meter,
    stall: std::time::Duration,
    text: impl Into<bytestring::ByteString>,
) -> Result<(), Stop> {
    let text = text.into();
    let len = text.len();
    match tokio::time::timeout(stall, ws.text(text)).await {
        Ok(Ok(())) => {
            meter.ws_sent(len);
            Ok(())
        }
        Ok(Err(_closed)) => Err(Stop::Gone),
        Err(_elapsed) => Err(Stop::Slow),
    }
}

/// Sends everything after `cursor`, one frame per message; a gap is announced as `{"type":"gap",...}`.
async fn drain(
    ws: &mut Session,
    state: &AppState,
    meter: &Meter,
    stall: std::time::Duration,
    cursor: &mut u64,
) -> Result<(), Stop> {
    loop {
        let Ok(batch) = state.read(Cursor::After(*cursor), SEND_BATCH) else { return Err(Stop::Gone) };
        if let Some(gap) = batch.gap {
            send(ws, meter, stall, format!("{{\"type\":\"gap\",\"from\":{},\"to\":{}}}", gap.from, gap.to)).await?;
        }
        if batch.entries.is_empty() {
            *cursor = batch.next;
            return Ok(());
        }
        for entry in &batch.entries {
            send(ws, meter, stall, entry.json.clone()).await?;
            meter.add(Counter::MessagesDelivered, 1);
            *cursor = entry.id;
        }
    }
}
