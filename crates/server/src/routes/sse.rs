//! `GET /sse?after=N`: Server-Sent Events, one long HTTP response that never ends.
//!
//! The client sends one request; the server answers `200 text/event-stream` and then writes an event per
//! message (`id: 42\ndata: {...}\n\n`) into the same response, chunk by chunk. When the connection drops, the
//! browser's EventSource reconnects by itself and sends `Last-Event-ID: 42`, so the server resumes after the
//! last event the client saw. A comment line (`:`) every 15 s keeps proxies from cutting an idle stream.
//!
//! Shape: the handler checks the request, spawns the session and returns the response whose body is the
//! receiving end of a bounded channel; the session is `loop { select! { shutdown, client gone, feed,
//! heartbeat } }`.

use std::convert::Infallible;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use feedlab_contract::Transport;
use feedlab_feed::{Batch, Cursor};
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use crate::error::ApiError;
use crate::query::{FeedQuery, parse_u64};
use crate::state::AppState;
use crate::stats::{Counter, Meter};

/// Chunks queued between the session and the socket writer. Each chunk holds up to [`SEND_BATCH`] events, so
/// a stalled reader pins at most this many chunks (plus socket buffers) before it is cut off.
const QUEUE_CHUNKS: usize = 16;

/// Messages read from the feed per chunk: large enough to batch a burst, small enough to keep chunks modest.
const SEND_BATCH: usize = 256;

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
    // Resolve the cursor now, so a cursor from the future is a 409 and not a stream that never speaks.
    let cursor = state.read_for(&query, after.map_or(Cursor::Head, Cursor::After))?;
    let cursor = after.unwrap_or(cursor.next);
    let slot = state.hold_stream()?;

    let (tx, rx) = mpsc::channel::<Bytes>(QUEUE_CHUNKS);
    actix_web::rt::spawn(session(tx, state.into_inner().as_ref().clone(), meter.into_inner(), cursor, slot));

    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (Ok::<_, Infallible>(chunk), rx))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .streaming(body))
}

/// Why a stream ended (logged; the client sees the end of the response either way).
#[derive(Debug)]
enum End {
    Shutdown,
    ClientGone,
    SlowReader,
    FeedClosed,
}

async fn session(tx: mpsc::Sender<Bytes>, state: AppState, meter: Meter, mut cursor: u64, _slot: OwnedSemaphorePermit) {
    let _open = meter.open();
    let stall = state.config.send_stall;
    let mut head = state.feed.subscribe();
    let period = state.config.heartbeat;
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);

    let end = loop {
        tokio::select! {
            biased;
            _ = state.shutdown.cancelled() => break End::Shutdown,
            _ = tx.closed() => break End::ClientGone,
            changed = async { head.wait_for(|&newest| newest > cursor).await.map(|_| ()) } => {
                if changed.is_err() {
                    break End::FeedClosed;
                }
                match drain(&tx, &state, &meter, &mut cursor).await {
                    Ok(()) => {}
                    Err(end) => break end,
                }
            }
            _ = heartbeat.tick() => {
                let comment = Bytes::from_static(b":\n\n");
                meter.frame(0, comment.len() + meter.chunk_framing(comment.len()));
                if send(&tx, comment, stall).await.is_err() {
                    break End::ClientGone;
                }
            }
        }
    };
    if matches!(end, End::SlowReader) {
        meter.add(Counter::SlowReaderCloses, 1);
    }
    tracing::debug!(?end, cursor, "sse stream ended");
    // Dropping `tx` ends the response body: actix writes the last chunk and the client sees the stream end.
}

/// Sends everything after `cursor`, a chunk of up to [`SEND_BATCH`] events at a time.
async fn drain(tx: &mpsc::Sender<Bytes>, state: &AppState, meter: &Meter, cursor: &mut u64) -> Result<(), End> {
    loop {
        // unwrap-free: a cursor we advanced ourselves is never ahead of the feed.
        let Ok(batch) = state.read(Cursor::After(*cursor), SEND_BATCH) else { return Err(End::FeedClosed) };
        if batch.entries.is_empty() && batch.gap.is_none() {
            return Ok(());
        }
        let (chunk, payload) = encode(&batch);
        meter.add(Counter::Frames, batch.entries.len() as u64 + u64::from(batch.gap.is_some()));
        meter.add(Counter::BodyBytes, payload as u64);
        meter.add(Counter::FramingBytes, (chunk.len() - payload + meter.chunk_framing(chunk.len())) as u64);
        send(tx, chunk, state.config.send_stall).await?;
        meter.add(Counter::MessagesDelivered, batch.entries.len() as u64);
        *cursor = batch.next;
    }
}

/// Writes a batch as SSE events; returns the chunk and how many of its bytes are message JSON.
///
/// A gap becomes a named event (`event: gap`) so EventSource clients can listen for it apart from messages.
fn encode(batch: &Batch) -> (Bytes, usize) {
    use std::fmt::Write;
    /// `id: ` + up to 20 digits + `\ndata: ` + `\n\n`: the fields around one message's JSON.
    const FIELDS: usize = 4 + 20 + 7 + 2;
    let payload: usize = batch.entries.iter().map(|e| e.json.len()).sum();
    // Sized once: this runs per event per client, so no regrowth and no temporary strings.
    let mut out = String::with_capacity(payload + FIELDS * batch.entries.len() + 64);
    // unwrap (both writes): formatting into a String cannot fail.
    if let Some(gap) = batch.gap {
        write!(out, "event: gap\ndata: {{\"from\":{},\"to\":{}}}\n\n", gap.from, gap.to).unwrap();
    }
    for entry in &batch.entries {
        write!(out, "id: {}\ndata: {}\n\n", entry.id, &*entry.json).unwrap();
    }
    (Bytes::from(out), payload)
}

/// Queues a chunk; a reader that leaves the queue full for `stall` ([`crate::config::SEND_STALL_LIMIT`] by default) is
/// cut off.
async fn send(tx: &mpsc::Sender<Bytes>, chunk: Bytes, stall: std::time::Duration) -> Result<(), End> {
    match tokio::time::timeout(stall, tx.send(chunk)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End::ClientGone),
        Err(_) => Err(End::SlowReader),
    }
}

#[cfg(test)]
mod tests {
    use feedlab_feed::{Feed, Kind};

    use super::*;

    #[test]
    fn events_carry_id_and_data() {
        let feed = Feed::new(10);
        feed.publish(Kind::Chat, "a", "one");
        feed.publish(Kind::Chat, "a", "two");
        let batch = feed.read(Cursor::After(0), 10).unwrap();
        let (chunk, payload) = encode(&batch);
        let text = std::str::from_utf8(&chunk).unwrap();
        let events: Vec<&str> = text.split_terminator("\n\n").collect();
        assert_eq!(events.len(), 2);
        assert!(events[0].starts_with("id: 1\ndata: {\"id\":1,"));
        assert_eq!(payload, batch.entries.iter().map(|e| e.json.len()).sum::<usize>());
    }

    #[test]
    fn gap_is_a_named_event() {
        let feed = Feed::new(1);
        feed.publish(Kind::Tick, "", "");
        feed.publish(Kind::Tick, "", "");
        let (chunk, _) = encode(&feed.read(Cursor::After(0), 10).unwrap());
        assert!(std::str::from_utf8(&chunk).unwrap().starts_with("event: gap\ndata: {\"from\":1,\"to\":1}\n\n"));
    }
}
