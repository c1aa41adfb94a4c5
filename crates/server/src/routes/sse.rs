//! `GET /sse?after=N`: Server-Sent Events, one long HTTP response that never ends.
//!
//! The client sends one request; the server answers `200 text/event-stream` and then writes an event per
//! message (`id: 42\ndata: {...}\n\n`) into the same response, chunk by chunk. When the connection drops, the
//! browser's EventSource reconnects by itself and sends `Last-Event-ID: 42`, so the server resumes after the
//! last event the client saw. A comment line (`:`) every 15 s keeps proxies from cutting an idle stream.
//!
//! Shape: the handler checks the request and returns the response whose body is the stream itself
//! ([`EventStream`]): each time actix polls it, it yields every event after its cursor as one chunk (the
//! event bytes built at publish, [`event`], when one is pending), a heartbeat when the hub's sweep says one
//! is due, or the end of the stream when the hub cut it off (server shutdown, or a reader that stopped
//! reading). The worker's hub wakes it when the feed moves (`fanout/`).

use std::convert::Infallible;
use std::fmt::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::{Bytes, BytesMut};
use feedlab_contract::Transport;
use feedlab_feed::Gap;
use tokio::sync::OwnedSemaphorePermit;

use crate::error::ApiError;
use crate::fanout::{Framing, Hub, Subscription, Wire};
use crate::query::{FeedQuery, parse_u64};
use crate::state::AppState;
use crate::stats::Meter;

/// The heartbeat: a comment line, which EventSource ignores.
const HEARTBEAT: &[u8] = b":\n\n";

/// Opens the event stream.
pub async fn sse(
    req: HttpRequest,
    state: web::Data<AppState>,
    meter: web::ReqData<Meter>,
) -> Result<HttpResponse, ApiError> {
    state.check_enabled(Transport::Sse)?;
    state.check_origin(&req)?;
    let query = FeedQuery::parse(req.query_string())?;
    // EventSource puts the original URL (with its old `after`) on every reconnect, plus Last-Event-ID with
    // where it really is: the header wins.
    let after = match req.headers().get("last-event-id") {
        Some(value) => Some(parse_u64("Last-Event-ID", value.to_str().unwrap_or("<not text>"))?),
        None => query.after,
    };
    state.catch_up(&query, after).await;
    // Resolve the cursor now, so a cursor from the future is a 409 and not a stream that never speaks.
    let cursor = state.start_cursor(&query, after)?;
    let slot = state.hold_stream()?;
    let events =
        EventStream { subscription: Hub::of(&state).subscribe(cursor, meter.into_inner(), false), _slot: slot };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .body(events))
}

/// One message as an SSE event: `id: N\ndata: JSON\n\n`. Built once per message at publish.
pub(crate) fn event(id: u64, json: &str) -> Bytes {
    /// `id: ` + up to 20 digits + `\ndata: ` + `\n\n`: the fields around the JSON.
    const FIELDS: usize = 4 + 20 + 7 + 2;
    let mut out = BytesMut::with_capacity(json.len() + FIELDS);
    // unwrap: formatting into a BytesMut cannot fail.
    write!(out, "id: {id}\ndata: {json}\n\n").unwrap();
    out.freeze()
}

/// The feed's messages as SSE events.
struct Events;

impl Framing for Events {
    fn message(wire: &Wire) -> &Bytes {
        &wire.sse
    }

    /// A gap is a named event (`event: gap`), so EventSource clients can listen for it apart from messages.
    /// All of it counts as framing: it carries no message.
    fn gap(gap: Gap, out: &mut BytesMut) -> usize {
        // unwrap: formatting into a BytesMut cannot fail.
        write!(out, "event: gap\ndata: {{\"from\":{},\"to\":{}}}\n\n", gap.from, gap.to).unwrap();
        0
    }

    /// Each item the body yields becomes one HTTP/1.1 chunk (or an h2 DATA frame the server cannot see).
    fn item_framing(len: usize, meter: &Meter) -> usize {
        meter.chunk_framing(len)
    }
}

/// The body of one client's event stream (see the module docs).
struct EventStream {
    /// Its place in the worker's hub: cursor, heartbeats, stall cut-off, counters.
    subscription: Subscription,
    _slot: OwnedSemaphorePermit,
}

impl MessageBody for EventStream {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Infallible>>> {
        let subscription = &self.subscription;
        // Ending the body makes actix write the last chunk: the client sees the stream end.
        if subscription.cutoff().is_some() {
            return Poll::Ready(None);
        }
        if subscription.heartbeat_due() {
            subscription.meter().frame(0, HEARTBEAT.len() + subscription.meter().chunk_framing(HEARTBEAT.len()));
            return Poll::Ready(Some(Ok(Bytes::from_static(HEARTBEAT))));
        }
        match subscription.next::<Events>(cx) {
            Some(chunk) => Poll::Ready(Some(Ok(chunk))),
            None => Poll::Pending,
        }
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        let cutoff = self.subscription.cutoff();
        tracing::debug!(?cutoff, cursor = self.subscription.cursor(), "sse stream ended");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_id_and_data() {
        let json = r#"{"id":1,"body":"one"}"#;
        let event = event(1, json);
        let text = std::str::from_utf8(&event).unwrap();
        assert_eq!(text, format!("id: 1\ndata: {json}\n\n"));
        assert_eq!(text.split_terminator("\n\n").count(), 1);
    }

    #[test]
    fn gap_is_a_named_event() {
        let mut out = BytesMut::new();
        assert_eq!(Events::gap(Gap { from: 1, to: 1 }, &mut out), 0);
        assert!(std::str::from_utf8(&out).unwrap().starts_with("event: gap\ndata: {\"from\":1,\"to\":1}\n\n"));
    }
}
