//! Server-Sent Events: one long HTTP response the server keeps writing to.
//!
//! The client sends one `GET /sse?after=<start cursor>` with `Accept: text/event-stream`; the server
//! answers `200 text/event-stream` and then, per message, an event:
//!
//! ```text
//! id: 42
//! data: {"id":42,"ts":...,"kind":"chat","from":"ana","body":"hi"}
//!
//! ```
//!
//! and every 15 s a `:` comment line so proxies do not cut an idle stream. If the stream breaks, the
//! client reconnects with the same URL plus `Last-Event-ID: <last id>` and the server resumes after it;
//! that is EventSource's whole recovery story (after a `--chaos` drop or the server ending the stream
//! alike). The request and response heads are paid once per
//! connection (setup), then each message costs only its event fields and chunked-encoding line.
//!
//! The parser below is the event-stream format from the HTML standard, reduced to what the feed uses:
//! `data` (joined with `\n` if repeated), `id`, `event` (the feed's only named event is `gap`: ids the
//! server can no longer deliver), comments; `retry` is ignored.
//! Lines end with `\n` or `\r\n` (a lone `\r` line end is not supported).

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Method;
use hyper::body::Incoming;
use tokio::net::TcpStream;

use super::ctx::Ctx;
use super::error::ClientError;
use super::http::{HttpConn, ok, request};
use super::message::{Gap, parse_message};
use super::stream::{self, Streaming};
use crate::record::ClientRecord;

/// Runs one SSE client until the run ends.
pub async fn run(ctx: &Ctx, idx: usize, rec: ClientRecord) -> ClientRecord {
    let cfg = &ctx.cfg;
    let headers = cfg.headers.request_headers(cfg.transport, &cfg.target.authority, true);
    stream::run(ctx, idx, rec, Sse { headers, last_event_id: None, parser: EventParser::default() }).await
}

/// An SSE client: what it sends, and what outlives a connection.
#[derive(Debug)]
struct Sse {
    /// The profile's request headers (`Last-Event-ID` is added when resuming).
    headers: Vec<(String, String)>,
    /// The last `id:` received: sent back as `Last-Event-ID` to resume after it.
    last_event_id: Option<String>,
    /// The current connection's parser.
    parser: EventParser,
}

/// An open event stream: the connection and the response body it is reading.
struct Open {
    _conn: HttpConn,
    body: Incoming,
}

impl Streaming for Sse {
    type Conn = Open;
    type Item = Bytes;

    async fn open(&mut self, ctx: &Ctx, rec: &mut ClientRecord, tcp: TcpStream) -> Result<Open, ClientError> {
        // EventSource keeps the URL it was created with; resuming is the Last-Event-ID header's job. Only
        // after an epoch change does the client start over: a new URL at the new feed's head.
        let t = &rec.tracker;
        let path = format!("/sse?after={}{}", t.start(), ctx.epoch_query(t));
        if t.cursor() == t.start() {
            self.last_event_id = None;
        }
        let mut conn = HttpConn::over(tcp, &rec.wire, &ctx.live.bytes, ctx.cfg.http).await?;
        let mut h = self.headers.clone();
        if let Some(id) = &self.last_event_id {
            h.push(("Last-Event-ID".to_string(), id.clone()));
        }
        let resp = ok(conn.send(request(Method::GET, &path, &h, Bytes::new())).await?).await?;
        rec.answered();
        self.parser = EventParser::default();
        Ok(Open { _conn: conn, body: resp.into_body() })
    }

    async fn next(open: &mut Open) -> Option<Result<Bytes, ClientError>> {
        loop {
            match open.body.frame().await? {
                // Trailers carry no events.
                Ok(frame) => match frame.into_data() {
                    Ok(data) => return Some(Ok(data)),
                    Err(_) => continue,
                },
                Err(e) => return Some(Err(ClientError::Http(e))),
            }
        }
    }

    fn take(&mut self, ctx: &Ctx, rec: &mut ClientRecord, _open: &mut Open, data: Bytes) {
        for event in self.parser.push(&data) {
            if let Some(id) = event.id {
                self.last_event_id = Some(id);
            }
            if event.event.as_deref() == Some("gap") {
                // `event: gap` / `data: {"from":a,"to":b}`: ids the server can no longer deliver.
                match serde_json::from_str::<Gap>(&event.data) {
                    Ok(gap) => rec.tracker.gap(gap.from, gap.to),
                    Err(e) => ctx.error(rec, &ClientError::Protocol(format!("bad gap event: {e}"))),
                }
                continue;
            }
            match parse_message(&event.data) {
                Ok(head) => ctx.deliver(rec, head, event.data.len()),
                Err(e) => ctx.error(rec, &e),
            }
        }
        rec.in_band_control += std::mem::take(&mut self.parser.comment_bytes);
    }

    /// Dropping the body and the connection closes the socket: an event stream has no goodbye.
    async fn close(_open: Open) {}
}

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `id:` field, if the event had one.
    pub id: Option<String>,
    /// The `event:` field (the event type), if the event had one; the feed uses `gap`.
    pub event: Option<String>,
    /// The `data:` field(s), joined with `\n`.
    pub data: String,
}

/// Incremental event-stream parser: feed it body bytes as they come, get whole events out.
#[derive(Debug, Default)]
pub struct EventParser {
    /// Bytes of a line not yet ended.
    line: Vec<u8>,
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
    /// Bytes of comment lines seen (line end included): heartbeats, counted as control traffic.
    pub comment_bytes: u64,
}

impl EventParser {
    /// Feeds body bytes; returns the events they completed.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        let mut rest = bytes;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..pos]);
            rest = &rest[pos + 1..];
            let line = std::mem::take(&mut self.line);
            if let Some(event) = self.line_done(&line) {
                events.push(event);
            }
        }
        self.line.extend_from_slice(rest);
        events
    }

    fn line_done(&mut self, raw: &[u8]) -> Option<Event> {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.is_empty() {
            // Blank line: dispatch. An event without data is no event (per the standard).
            let event = self.event.take();
            let data = self.data.take()?;
            return Some(Event { id: self.id.take(), event, data });
        }
        if line[0] == b':' {
            self.comment_bytes += raw.len() as u64 + 1;
            return None;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (text.as_ref(), ""),
        };
        match field {
            "data" => match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            "id" => self.id = Some(value.to_string()),
            "event" => self.event = Some(value.to_string()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_anywhere() {
        let stream = b": hello\n\nid: 1\ndata: {\"id\":1}\n\nid: 2\r\ndata: {\"id\":2}\r\n\r\n";
        for split in 1..stream.len() {
            let mut p = EventParser::default();
            let mut events = p.push(&stream[..split]);
            events.extend(p.push(&stream[split..]));
            assert_eq!(events.len(), 2, "split at {split}");
            assert_eq!(events[0], Event { id: Some("1".into()), event: None, data: "{\"id\":1}".into() });
            assert_eq!(events[1].data, "{\"id\":2}");
            assert_eq!(p.comment_bytes, 8);
        }
    }

    #[test]
    fn multi_line_data_is_joined() {
        let mut p = EventParser::default();
        let e = p.push(b"data: a\ndata:b\n\n");
        assert_eq!(e[0].data, "a\nb");
        assert_eq!(e[0].id, None);
    }
}
