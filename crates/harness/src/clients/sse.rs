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
    let headers = ctx.request_headers(true);
    stream::run(ctx, idx, rec, Sse { idx, headers, last_event_id: None, parser: EventParser::default() }).await
}

/// An SSE client: what it sends, and what outlives a connection.
#[derive(Debug)]
struct Sse {
    idx: usize,
    /// The profile's request headers, one set per target ([`Ctx::request_headers`]; `Last-Event-ID` is
    /// added when resuming).
    headers: Vec<Vec<(String, String)>>,
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
        let mut h = self.headers[ctx.target(self.idx, rec)].clone();
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
        let Sse { parser, last_event_id, .. } = self;
        parser.feed(&data, |event| {
            if let Some(id) = event.id {
                match last_event_id {
                    Some(last) => {
                        last.clear();
                        last.push_str(id);
                    }
                    None => *last_event_id = Some(id.to_owned()),
                }
            }
            if event.event == Some("gap") {
                // `event: gap` / `data: {"from":a,"to":b}`: ids the server can no longer deliver.
                match serde_json::from_str::<Gap>(event.data) {
                    Ok(gap) => rec.tracker.gap(gap.from, gap.to),
                    Err(e) => ctx.error(rec, &ClientError::Protocol(format!("bad gap event: {e}"))),
                }
                return;
            }
            match parse_message(event.data) {
                Ok(head) => ctx.deliver(rec, head, event.data.len()),
                Err(e) => ctx.error(rec, &e),
            }
        });
        rec.in_band_control += std::mem::take(&mut parser.comment_bytes);
    }

    /// Dropping the body and the connection closes the socket: an event stream has no goodbye.
    async fn close(_open: Open) {}
}

/// One dispatched event, owned ([`EventParser::push`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `id:` field, if the event had one.
    pub id: Option<String>,
    /// The `event:` field (the event type), if the event had one; the feed uses `gap`.
    pub event: Option<String>,
    /// The `data:` field(s), joined with `\n`.
    pub data: String,
}

/// One dispatched event, borrowed from the parser's buffers ([`EventParser::feed`]): what the receive path
/// reads, with no allocation per event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// The `id:` field, if the event had one.
    pub id: Option<&'a str>,
    /// The `event:` field, if the event had one.
    pub event: Option<&'a str>,
    /// The `data:` field(s), joined with `\n`.
    pub data: &'a str,
}

/// A field's value, kept in a buffer reused from event to event.
#[derive(Debug, Default)]
struct Field {
    value: String,
    present: bool,
}

impl Field {
    fn set(&mut self, value: &str) {
        self.value.clear();
        self.value.push_str(value);
        self.present = true;
    }

    fn get(&self) -> Option<&str> {
        self.present.then_some(self.value.as_str())
    }
}

/// Incremental event-stream parser: feed it body bytes as they come, get whole events out. Its buffers
/// (the line carried over from one chunk to the next, each field's value) are reused, so a stream of
/// events costs no allocation per event.
#[derive(Debug, Default)]
pub struct EventParser {
    /// Bytes of a line not yet ended.
    line: Vec<u8>,
    id: Field,
    event: Field,
    data: Field,
    /// Bytes of comment lines seen (line end included): heartbeats, counted as control traffic.
    pub comment_bytes: u64,
}

impl EventParser {
    /// Feeds body bytes; calls `on_event` with each event they complete.
    pub fn feed(&mut self, bytes: &[u8], mut on_event: impl FnMut(EventRef<'_>)) {
        let mut rest = bytes;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            if self.line.is_empty() {
                self.line_done(&rest[..pos], &mut on_event);
            } else {
                // The line began in an earlier chunk: complete it in its buffer, then give the buffer back.
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(&rest[..pos]);
                self.line_done(&line, &mut on_event);
                line.clear();
                self.line = line;
            }
            rest = &rest[pos + 1..];
        }
        self.line.extend_from_slice(rest);
    }

    /// Feeds body bytes; returns the events they completed (owned).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        self.feed(bytes, |e| {
            events.push(Event {
                id: e.id.map(str::to_owned),
                event: e.event.map(str::to_owned),
                data: e.data.to_owned(),
            })
        });
        events
    }

    fn line_done(&mut self, raw: &[u8], on_event: &mut impl FnMut(EventRef<'_>)) {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.is_empty() {
            // Blank line: dispatch. An event without data is no event (per the standard).
            if self.data.present {
                on_event(EventRef { id: self.id.get(), event: self.event.get(), data: &self.data.value });
            }
            self.id.present = false;
            self.event.present = false;
            self.data.present = false;
            return;
        }
        if line[0] == b':' {
            self.comment_bytes += raw.len() as u64 + 1;
            return;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match field {
            b"data" if self.data.present => {
                self.data.value.push('\n');
                self.data.value.push_str(&value);
            }
            b"data" => self.data.set(&value),
            b"id" => self.id.set(&value),
            b"event" => self.event.set(&value),
            _ => {}
        }
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
