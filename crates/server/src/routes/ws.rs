//! `GET /ws?after=N`: the feed over WebSocket (RFC 6455), one text frame per message.
//!
//! The client sends one HTTP request with `Upgrade: websocket` and a random `Sec-WebSocket-Key`; the server
//! answers `101 Switching Protocols` with `Sec-WebSocket-Accept` = base64(SHA-1(key + the RFC's GUID)), and
//! from then on both sides speak frames on the same TCP connection: a server-to-client text frame costs
//! 2 header bytes up to 125 bytes of payload, 4 up to 65,535. No more HTTP heads. The client may publish
//! (`{"type":"publish","body":"..."}`); the server pings every 15 s and closes a client silent for 45 s.
//!
//! Shape: the handshake (checked by actix-http) returns the 101 whose body is the connection itself
//! ([`Connection`]). actix writes whatever the body yields, so each time actix polls it, the connection
//! 1. reads what the client sent (pings to answer, publishes, a close), frame by frame;
//! 2. yields its control frames (pongs, error replies, pings, and last the close);
//! 3. yields the feed after its cursor, every pending message in one item (`fanout/`), or waits.
//!
//! A server frame is the same bytes for every client, so each message's frame ([`text_frame`]) is built once
//! at publish; the worker's hub wakes the connection, its heartbeats and timeouts come from the hub's sweep,
//! and no task, channel or timer exists per connection.
//!
//! For the protocol inspector, a connection tagged with a `client=` id (the page's; the harness tags none)
//! keeps the last data frame each way in that client's stats: what went out is the pre-built buffer itself
//! (a clone costs a reference count, under a lock nothing but `/inspect` contends), what came in is copied
//! before actix unmasks it.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_http::ws::{CloseCode, CloseReason, Frame, Item, OpCode, Parser};
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{MessageStream, Session};
use bytes::{Bytes, BytesMut};
use bytestring::ByteString;
use feedlab_contract::Transport;
use feedlab_feed::{Entry, Gap};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use tokio::sync::OwnedSemaphorePermit;

use crate::backend::{PublishError, Publishing};
use crate::config::MAX_MESSAGE_BYTES;
use crate::error::ApiError;
use crate::fanout::{Cutoff, Framing, Hub, Subscription, Wire};
use crate::middleware::frame_guard::Guarded;
use crate::query::FeedQuery;
use crate::routes::frames::{Incoming, Reassembly, Whole, fragment_len, invalid_utf8};
use crate::state::AppState;
use crate::stats::{Channel, ClientStats, Meter};
use futures_util::FutureExt;

/// The subprotocol spoken on `/ws`, selected when the client offers it.
pub const SUBPROTOCOL: &str = "feedlab.v1";

/// How long `/echo`'s close frame may take to queue before the connection is simply dropped.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// RFC 6455 5.5: a control frame carries at most 125 bytes, so a close reason at most 123 after its code.
const MAX_CLOSE_REASON_BYTES: usize = 123;

/// Upgrades to WebSocket; the connection lives in the response body.
pub async fn ws(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    meter: web::ReqData<Meter>,
) -> Result<HttpResponse, ApiError> {
    state.check_enabled(Transport::Ws)?;
    state.check_origin(&req)?;
    let query = FeedQuery::parse(req.query_string())?;
    state.catch_up(&query, query.after).await;
    let cursor = state.start_cursor(&query, query.after)?;
    let slot = state.hold_stream()?;
    let mut response = actix_http::ws::handshake(req.head())
        .map_err(|err| ApiError::bad("Upgrade", format!("not a valid WebSocket handshake: {err}")))?;
    if let Some(protocol) = select_protocol(&req, &[SUBPROTOCOL]) {
        response.insert_header((header::SEC_WEBSOCKET_PROTOCOL, protocol));
    }
    let meter = meter.into_inner();
    let inspected = meter.client.clone();
    let connection = Connection {
        incoming: Incoming::new(body.into_inner(), MAX_MESSAGE_BYTES, inspected.is_some()),
        inspected,
        fragments: Reassembly::new(MAX_MESSAGE_BYTES),
        publisher: AppState::publisher_key(&req, query.client.as_deref()),
        publish_meter: meter.for_channel(Channel::Publish),
        subscription: Hub::of(&state).subscribe(cursor, meter, true),
        control: VecDeque::new(),
        close: None,
        finished: false,
        publishing: None,
        _slot: slot,
    };
    let response = response
        .message_body(BoxBody::new(connection))
        .map_err(|err| ApiError::bad("Upgrade", format!("could not answer the handshake: {err}")))?;
    Ok(response.into())
}

/// The first subprotocol the client offers (`Sec-WebSocket-Protocol`, in its order) that we speak.
fn select_protocol<'a>(req: &'a HttpRequest, ours: &[&str]) -> Option<&'a str> {
    req.headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|offered| offered.split(',').map(str::trim))
        .find(|offered| ours.contains(offered))
}

/// A server-to-client text frame (RFC 6455 5.2): FIN and opcode 1 in the first byte, the payload length in
/// the next (7 bits, or 126 + 16 bits, or 127 + 64 bits), no mask, then the payload. Built once per message
/// at publish.
pub(crate) fn text_frame(text: &str) -> Bytes {
    let mut frame = BytesMut::new();
    Parser::write_message(&mut frame, text, OpCode::Text, true, false);
    frame.freeze()
}

/// The feed's messages as WebSocket frames.
struct Frames;

impl Framing for Frames {
    fn message(wire: &Wire) -> &Bytes {
        &wire.ws
    }

    /// A gap is a text frame of its own: `{"type":"gap","from":a,"to":b}`, all of it body.
    fn gap(gap: Gap, out: &mut BytesMut) -> usize {
        let text = format!("{{\"type\":\"gap\",\"from\":{},\"to\":{}}}", gap.from, gap.to);
        Parser::write_message(out, &text, OpCode::Text, true, false);
        text.len()
    }

    /// After the 101, actix writes the body's bytes as they are.
    fn item_framing(_len: usize, _meter: &Meter) -> usize {
        0
    }
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

/// One client's connection, as the body of the 101 response (see the module docs).
struct Connection {
    /// Its place in the worker's hub: cursor, heartbeats, timeouts, counters.
    subscription: Subscription,
    /// The client's frames.
    incoming: Incoming,
    /// The stats of the connection's `client=` id, where the inspector's last frames are kept.
    inspected: Option<Arc<ClientStats>>,
    /// A fragmented message in progress.
    fragments: Reassembly,
    /// Who publishes from this connection, for the chat rate limit.
    publisher: String,
    /// Uploaded chat frames count as publish traffic, apart from delivery (DESIGN.md).
    publish_meter: Meter,
    /// Control frames to send before any more data: pongs, error replies, pings.
    control: VecDeque<Bytes>,
    /// The close to send once `control` is out; nothing is read or sent after it.
    close: Option<CloseReason>,
    /// The close went out, or the client is gone: the body ends.
    finished: bool,
    /// A chat message on its way into a shared feed (Redis); the client's next frames wait for it, so one
    /// connection's messages keep their order. Never set with the memory backend, which publishes at once.
    publishing: Option<LocalBoxFuture<'static, Result<Entry<Wire>, PublishError>>>,
    _slot: OwnedSemaphorePermit,
}

impl MessageBody for Connection {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Infallible>>> {
        let this = self.get_mut();
        if let Some(publishing) = this.publishing.as_mut()
            && let Poll::Ready(published) = publishing.as_mut().poll(cx)
        {
            this.publishing = None;
            if let Err(err) = published {
                this.reply_error(ApiError::from(err).to_string());
            }
        }
        if this.close.is_none() && !this.finished {
            this.read_client(cx);
            this.check_hub();
        }
        if this.finished {
            return Poll::Ready(None);
        }
        if let Some(frame) = this.control.pop_front() {
            return Poll::Ready(Some(Ok(frame)));
        }
        if let Some(reason) = this.close.take() {
            this.finished = true;
            return Poll::Ready(Some(Ok(this.close_frame(reason))));
        }
        match this.subscription.next::<Frames>(cx) {
            Some(frames) => {
                if let Some(client) = &this.inspected {
                    client.ws_sent(&frames);
                }
                Poll::Ready(Some(Ok(frames)))
            }
            None => Poll::Pending,
        }
    }
}

impl Connection {
    /// Handles every frame the client has sent so far.
    fn read_client(&mut self, cx: &mut Context<'_>) {
        while self.close.is_none() && self.publishing.is_none() {
            match self.incoming.poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    self.subscription.heard();
                    if let (Some(client), Some(raw)) = (&self.inspected, self.incoming.take_raw()) {
                        client.ws_received(raw);
                    }
                    self.on_frame(frame);
                }
                Poll::Ready(Some(Err(reason))) => self.close = Some(reason),
                Poll::Ready(None) => {
                    self.finished = true;
                    return;
                }
                Poll::Pending => return,
            }
        }
    }

    fn on_frame(&mut self, frame: Frame) {
        let meter = self.subscription.meter();
        match frame {
            Frame::Text(bytes) => {
                self.publish_meter.ws_received(bytes.len());
                match ByteString::try_from(bytes) {
                    Ok(text) => self.on_text(&text),
                    Err(_) => self.close = Some(invalid_utf8()),
                }
            }
            Frame::Binary(bytes) => {
                meter.ws_received(bytes.len());
                self.close = Some(binary_refused());
            }
            Frame::Continuation(item) => {
                let text = matches!(item, Item::FirstText(_)) || self.fragments.in_text();
                let received = if text { &self.publish_meter } else { meter };
                received.ws_received(fragment_len(&item));
                match self.fragments.push(item) {
                    Ok(Some(Whole::Text(text))) => self.on_text(&text),
                    Ok(Some(Whole::Binary(_))) => self.close = Some(binary_refused()),
                    Ok(None) => {}
                    Err(reason) => self.close = Some(reason),
                }
            }
            Frame::Ping(payload) => {
                meter.ws_received(payload.len());
                meter.ws_sent(payload.len());
                self.control.push_back(control_frame(OpCode::Pong, &payload));
            }
            Frame::Pong(payload) => meter.ws_received(payload.len()),
            // The closing handshake: answer with the client's own code (and reason).
            Frame::Close(reason) => self.close = Some(reason.unwrap_or_else(|| CloseCode::Normal.into())),
        }
    }

    /// A chat line: published through the feed (it comes back like everyone's), or an error reply.
    fn on_text(&mut self, text: &str) {
        match serde_json::from_str::<ClientMessage>(text) {
            Ok(ClientMessage::Publish { body, from }) => {
                match self.subscription.state().start_chat(&self.publisher, &from, &body) {
                    // The message itself comes back through the feed like everyone else's: no separate echo.
                    Ok(Publishing::Done(_)) => {}
                    Ok(Publishing::Pending(publishing)) => self.publishing = Some(publishing),
                    Err(err) => self.reply_error(err.to_string()),
                }
            }
            Err(err) => self.reply_error(format!("expected {{\"type\":\"publish\",\"body\":\"...\"}}: {err}")),
        }
    }

    /// Queues `{"type":"error","error":...}` for the client, counted.
    fn reply_error(&mut self, message: String) {
        let reply = serde_json::json!({"type": "error", "error": message}).to_string();
        self.subscription.meter().ws_sent(reply.len());
        self.control.push_back(control_frame(OpCode::Text, reply.as_bytes()));
    }

    /// Acts on what the hub's sweep found: a heartbeat due, or a reason to end the connection.
    fn check_hub(&mut self) {
        if let Some(why) = self.subscription.cutoff() {
            self.close = Some(match why {
                Cutoff::Shutdown => (CloseCode::Away, "server shutting down").into(),
                Cutoff::Stalled => CloseReason {
                    code: CloseCode::Again,
                    description: Some(format!("too slow; reconnect with after={}", self.subscription.cursor())),
                },
                Cutoff::Silent => CloseReason {
                    code: CloseCode::Policy,
                    description: Some("no pong within the client timeout".into()),
                },
                Cutoff::EpochChanged => CloseReason {
                    code: CloseCode::Restart,
                    description: Some("the feed started over (new epoch); reconnect without after".into()),
                },
            });
        } else if self.subscription.heartbeat_due() {
            self.subscription.meter().ws_sent(0);
            self.control.push_back(control_frame(OpCode::Ping, b""));
        }
    }

    /// The close frame for `reason` (its text cut to fit a control frame), counted.
    fn close_frame(&self, mut reason: CloseReason) -> Bytes {
        if let Some(text) = reason.description.as_mut() {
            truncate_at_char(text, MAX_CLOSE_REASON_BYTES);
        }
        let payload = 2 + reason.description.as_ref().map_or(0, String::len);
        self.subscription.meter().ws_sent(payload);
        tracing::debug!(code = ?reason.code, "closing websocket");
        let mut frame = BytesMut::new();
        Parser::write_close(&mut frame, Some(reason), false);
        frame.freeze()
    }
}

/// An unmasked control (or reply) frame.
fn control_frame(opcode: OpCode, payload: &[u8]) -> Bytes {
    let mut frame = BytesMut::new();
    Parser::write_message(&mut frame, payload, opcode, true, false);
    frame.freeze()
}

fn binary_refused() -> CloseReason {
    (CloseCode::Unsupported, "feedlab.v1 takes text frames only").into()
}

/// Cuts `text` to at most `max` bytes, at a character boundary.
fn truncate_at_char(text: &mut String, max: usize) {
    if text.len() > max {
        let end = (0..=max).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        text.truncate(end);
    }
}

/// `/echo`'s handshake, with actix-ws's session and frame reader: frames one by one (`/echo` reassembles
/// itself), a refused handshake turned into our JSON 400 naming the header. The client's bytes pass the
/// [`frame_guard`](crate::middleware::frame_guard) first, so no frame declared over `max_frame` bytes is ever
/// buffered.
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

/// Sends `/echo`'s close frame (if the connection still takes one) and lets the session end.
pub(super) async fn close(ws: Session, meter: &Meter, reason: Option<CloseReason>) {
    if let Some(reason) = reason {
        let payload = 2 + reason.description.as_ref().map_or(0, String::len);
        meter.ws_sent(payload);
        tracing::debug!(code = ?reason.code, "closing websocket");
        let _ = tokio::time::timeout(CLOSE_GRACE, ws.close(Some(reason))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_frames_have_the_rfc_header_sizes() {
        for len in [0usize, 5, 125, 126, 1000, 65_535, 65_536] {
            let text = "x".repeat(len);
            let frame = text_frame(&text);
            let header = feedlab_contract::rfc6455::header_len(len as u64, false);
            assert_eq!(frame.len(), header + len, "payload {len}");
            assert_eq!(frame[0], 0x81, "FIN + text");
            assert_eq!(&frame[header..], text.as_bytes());
        }
    }

    #[test]
    fn close_reasons_are_cut_at_a_character_boundary() {
        let mut text = "é".repeat(100);
        truncate_at_char(&mut text, MAX_CLOSE_REASON_BYTES);
        assert_eq!(text.len(), 122);
        let mut short = "ok".to_owned();
        truncate_at_char(&mut short, MAX_CLOSE_REASON_BYTES);
        assert_eq!(short, "ok");
    }
}
