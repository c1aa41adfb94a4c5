//! [`CountingStream`]: the one place where wire bytes are counted.
//!
//! Every client socket (and the publisher's) is a `TcpStream` wrapped in a `CountingStream`; hyper's HTTP/1
//! client and tokio-tungstenite both run on top of it, so what it counts is exactly what crossed the
//! socket, whatever those libraries buffer. It counts bytes as they are read or written, into a
//! [`WireCounters`] shared by all connections of one client, and sorts them by watching the byte stream:
//!
//! - **HTTP heads.** A write starts a request head; the head ends at the first CRLF CRLF (included).
//!   Bytes after it until the response head starts are the request body. The response head likewise runs
//!   from the first byte read after a request head up to and including its CRLF CRLF; everything read after
//!   it until the next request is response body *as on the wire* (chunked-encoding lines included). This
//!   relies on HTTP/1.1 without pipelining, which is what hyper's client does: a new request is written
//!   only after the previous response has been read to its end.
//! - **WebSocket.** A stream created with [`CountingStream::for_upgrade`] counts its first request and
//!   response heads as handshake, then switches to frames at the exact byte where the `101` head ends (the
//!   first frames often arrive in the same read as the head). From there it parses RFC 6455 frame headers
//!   in both directions (the `frames` module): header bytes of data frames (text, binary, continuation), payload
//!   bytes of data frames, and whole control frames (ping, pong, close: header and payload) are counted
//!   apart.
//! - **HTTP/2.** A stream created with [`CountingStream::for_h2`] carries prior-knowledge h2c: the `h2`
//!   module follows the frames both ways by their 9-byte headers. HEADERS and CONTINUATION frames (header
//!   included) are request or response head; DATA payload is body and DATA frame headers framing; the preface
//!   and SETTINGS are connection setup (`h2_setup`); every other frame (WINDOW_UPDATE, PING, SETTINGS acks,
//!   RST_STREAM, GOAWAY) is control (`h2_control`). HPACK is never parsed: a header block costs its length.
//! - Every byte read or written also goes to the run-wide live totals (progress bar, timeline).
//!
//! Not counted: TCP/IP headers, TLS (not used), and bytes the kernel sent for us (SYN, ACK, FIN).

mod frames;
mod h2;

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};

use feedlab_contract::bench::WireBytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use frames::FrameScanner;
use h2::{H2Scanner, Sinks};

/// Byte counters of one client (all its connections), or of the publisher. Atomics because hyper drives
/// the connection in its own task while the client reads the counters; every update is `Relaxed` since
/// the figures are only read as totals after the connection's traffic is done.
#[derive(Debug, Default)]
pub struct WireCounters {
    /// All bytes written.
    pub sent: AtomicU64,
    /// All bytes read.
    pub received: AtomicU64,
    /// HTTP request heads written (upgrade request excepted; HTTP/2: HEADERS and CONTINUATION frames).
    pub request_head: AtomicU64,
    /// HTTP request body bytes written (HTTP/2: DATA payload).
    pub request_body: AtomicU64,
    /// HTTP response heads read (`101` head excepted; HTTP/2: HEADERS and CONTINUATION frames).
    pub response_head: AtomicU64,
    /// Number of complete HTTP/1 response heads read (including the `101`; not counted over HTTP/2).
    pub responses: AtomicU64,
    /// HTTP response body bytes as on the wire (chunk lines included; HTTP/2: DATA payload).
    pub response_body: AtomicU64,
    /// WebSocket upgrade request head written.
    pub handshake_request: AtomicU64,
    /// WebSocket `101` (or refusal) response head read.
    pub handshake_response: AtomicU64,
    /// WebSocket data-frame header bytes read.
    pub ws_in_header: AtomicU64,
    /// WebSocket data-frame payload bytes read.
    pub ws_in_payload: AtomicU64,
    /// WebSocket control frames read (header + payload).
    pub ws_in_control: AtomicU64,
    /// WebSocket data-frame header bytes written (masked: 4 bytes of key included).
    pub ws_out_header: AtomicU64,
    /// WebSocket data-frame payload bytes written.
    pub ws_out_payload: AtomicU64,
    /// WebSocket control frames written (header + payload).
    pub ws_out_control: AtomicU64,
    /// HTTP/2 connection setup, both ways: the client preface and SETTINGS frames (acks excepted).
    pub h2_setup: AtomicU64,
    /// HTTP/2 DATA frame headers, both ways (9 bytes each).
    pub h2_data_header: AtomicU64,
    /// HTTP/2 control frames, both ways: WINDOW_UPDATE, PING, SETTINGS acks, RST_STREAM, GOAWAY, others.
    pub h2_control: AtomicU64,
}

impl WireCounters {
    /// A fresh set of counters, shared by the connections of one client.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Reads one counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Relaxed)
    }

    /// The result's byte categories (the contract's [`WireBytes`]) of these counters, given what the
    /// client parsed out of them: `messages`, the message JSON bytes; `control` and `handshake`, the
    /// bytes of bodies and data frames (headers included) that carry control (SSE comments, Engine.IO
    /// ping/pong) or connection setup (Engine.IO's open and upgrade, Socket.IO's connect). A counter a
    /// transport does not use stays 0 (no frames over HTTP, no HTTP body after an upgrade), so one rule
    /// serves every transport:
    /// - framing: data-frame headers both ways (WebSocket's and HTTP/2's), plus every body or data-frame payload byte that is none of
    ///   those (poll envelopes, chunk lines, SSE fields, Engine.IO packet types and separators, Socket.IO's
    ///   `["event",` and `]`; a contract server sends no other WebSocket payload, but any would be transport
    ///   cost too);
    /// - control: WebSocket and HTTP/2 control frames both ways, plus `control`;
    /// - handshake: the upgrade request and its `101` head, HTTP/2's preface and SETTINGS, plus `handshake`.
    pub fn categorize(&self, messages: u64, control: u64, handshake: u64) -> WireBytes {
        let get = |c: &AtomicU64| c.load(Relaxed);
        let data = get(&self.response_body)
            + get(&self.request_body)
            + get(&self.ws_in_payload)
            + get(&self.ws_out_payload)
            + get(&self.ws_in_header)
            + get(&self.ws_out_header)
            + get(&self.h2_data_header);
        WireBytes {
            request_headers: get(&self.request_head),
            response_headers: get(&self.response_head),
            body: messages,
            framing: data.saturating_sub(messages + control + handshake),
            handshake: get(&self.handshake_request) + get(&self.handshake_response) + get(&self.h2_setup) + handshake,
            control: get(&self.ws_in_control) + get(&self.ws_out_control) + get(&self.h2_control) + control,
            sent: get(&self.sent),
            received: get(&self.received),
        }
    }
}

impl WireCounters {
    /// Where one direction's h2 frames go: its heads and bodies, and the h2 counters both directions share.
    fn h2_sinks<'a>(&'a self, head: &'a AtomicU64, body: &'a AtomicU64) -> Sinks<'a> {
        Sinks { setup: &self.h2_setup, head, body, framing: &self.h2_data_header, control: &self.h2_control }
    }
}

/// Run-wide totals, shared by every stream of a run: what the progress bar and timeline show.
#[derive(Debug, Default)]
pub struct LiveBytes {
    /// Bytes written by all client sockets.
    pub sent: AtomicU64,
    /// Bytes read by all client sockets.
    pub received: AtomicU64,
    /// Client sockets open right now.
    pub open: AtomicU64,
}

/// Where one direction of a stream is in its HTTP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HttpSide {
    /// Inside a head; `matched` counts how much of CRLF CRLF was just seen.
    Head { matched: u8 },
    /// Past the head.
    Body,
}

impl HttpSide {
    /// Follows `buf` (the next bytes in this direction): returns how many of them belong to the current
    /// head (none once past it) and whether the head ended in them. The rest is body.
    fn advance(&mut self, buf: &[u8]) -> (usize, bool) {
        let HttpSide::Head { matched } = *self else { return (0, false) };
        let (used, done, matched) = scan_head(buf, matched);
        *self = if done { HttpSide::Body } else { HttpSide::Head { matched } };
        (used, done)
    }
}

/// A `TcpStream` that counts and sorts every byte crossing it. See the module documentation.
///
/// Generic over the socket only so the fuzz targets (`crates/fuzz`) can drive it with scripted reads and
/// writes; the harness always wraps a `TcpStream`.
#[derive(Debug)]
pub struct CountingStream<S = TcpStream> {
    inner: S,
    counters: Arc<WireCounters>,
    live: Arc<LiveBytes>,
    /// True until the upgrade response head ends (WebSocket streams only).
    upgrading: bool,
    write: HttpSide,
    read: HttpSide,
    /// Frame parsers, present once the connection is a WebSocket.
    frames: Option<(FrameScanner, FrameScanner)>,
    /// HTTP/2 frame parsers (sending, receiving), present from the start on an h2c connection.
    h2: Option<(H2Scanner, H2Scanner)>,
}

impl<S> CountingStream<S> {
    /// Wraps a connected socket for plain HTTP.
    pub fn new(inner: S, counters: Arc<WireCounters>, live: Arc<LiveBytes>) -> Self {
        live.open.fetch_add(1, Relaxed);
        CountingStream {
            inner,
            counters,
            live,
            upgrading: false,
            write: HttpSide::Head { matched: 0 },
            read: HttpSide::Head { matched: 0 },
            frames: None,
            h2: None,
        }
    }

    /// Wraps a socket that will carry HTTP/2 with prior knowledge (h2c) from its first byte.
    pub fn for_h2(inner: S, counters: Arc<WireCounters>, live: Arc<LiveBytes>) -> Self {
        let mut stream = Self::new(inner, counters, live);
        stream.h2 = Some((H2Scanner::client_to_server(), H2Scanner::server_to_client()));
        stream
    }

    /// Wraps a socket that will carry one WebSocket upgrade and then frames.
    pub fn for_upgrade(inner: S, counters: Arc<WireCounters>, live: Arc<LiveBytes>) -> Self {
        let mut stream = Self::new(inner, counters, live);
        stream.upgrading = true;
        stream
    }

    fn count_written(&mut self, buf: &[u8]) {
        let c = &*self.counters;
        c.sent.fetch_add(buf.len() as u64, Relaxed);
        self.live.sent.fetch_add(buf.len() as u64, Relaxed);
        if let Some((out, _)) = &mut self.frames {
            out.scan(buf, &c.ws_out_header, &c.ws_out_payload, &c.ws_out_control);
            return;
        }
        if let Some((out, _)) = &mut self.h2 {
            out.scan(buf, &c.h2_sinks(&c.request_head, &c.request_body));
            return;
        }
        let (head, ended) = self.write.advance(buf);
        add(if self.upgrading { &c.handshake_request } else { &c.request_head }, head);
        add(&c.request_body, buf.len() - head);
        if ended {
            // The answer to this request starts with the next byte read.
            self.read = HttpSide::Head { matched: 0 };
        }
    }

    fn count_read(&mut self, buf: &[u8]) {
        let c = &*self.counters;
        c.received.fetch_add(buf.len() as u64, Relaxed);
        self.live.received.fetch_add(buf.len() as u64, Relaxed);
        if let Some((_, inn)) = &mut self.frames {
            inn.scan(buf, &c.ws_in_header, &c.ws_in_payload, &c.ws_in_control);
            return;
        }
        if let Some((_, inn)) = &mut self.h2 {
            inn.scan(buf, &c.h2_sinks(&c.response_head, &c.response_body));
            return;
        }
        let (head, ended) = self.read.advance(buf);
        add(if self.upgrading { &c.handshake_response } else { &c.response_head }, head);
        let rest = &buf[head..];
        if ended {
            c.responses.fetch_add(1, Relaxed);
            // A new request may follow this response.
            self.write = HttpSide::Head { matched: 0 };
            if self.upgrading {
                // The head just ended: what follows are frames, in both directions (the first ones often
                // arrive in this very read).
                self.upgrading = false;
                let (_, inn) = self.frames.insert((FrameScanner::default(), FrameScanner::default()));
                inn.scan(rest, &c.ws_in_header, &c.ws_in_payload, &c.ws_in_control);
                return;
            }
        }
        add(&c.response_body, rest.len());
    }
}

/// Adds `n` bytes to `counter` (no atomic operation for none).
fn add(counter: &AtomicU64, n: usize) {
    if n > 0 {
        counter.fetch_add(n as u64, Relaxed);
    }
}

impl<S> Drop for CountingStream<S> {
    fn drop(&mut self) {
        // An h2 frame header is classed by its fourth byte, so its bytes wait until all nine are in; a
        // connection that ended in the middle of one still carried them (found by fuzzing: `counting`).
        if let Some((out, inn)) = &mut self.h2 {
            out.cut_off_header(&self.counters.h2_control);
            inn.cut_off_header(&self.counters.h2_control);
        }
        self.live.open.fetch_sub(1, Relaxed);
    }
}

/// Scans `buf` for the end of an HTTP head, `matched` bytes of CRLF CRLF having been seen before it.
/// Returns (bytes belonging to the head, whether the head ended, new `matched`).
fn scan_head(buf: &[u8], mut matched: u8) -> (usize, bool, u8) {
    const END: &[u8; 4] = b"\r\n\r\n";
    for (i, &b) in buf.iter().enumerate() {
        matched = if b == END[matched as usize] {
            matched + 1
        } else if b == b'\r' {
            1
        } else {
            0
        };
        if matched == 4 {
            return (i + 1, true, 0);
        }
    }
    (buf.len(), false, matched)
}

impl<S: AsyncRead + Unpin> AsyncRead for CountingStream<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let res = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = res {
            this.count_read(&buf.filled()[before..]);
        }
        res
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CountingStream<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = res {
            this.count_written(&buf[..n]);
        }
        res
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_end_split_across_reads() {
        let first = b"HTTP/1.1 200 OK\r\nA: b\r\n\r";
        let (n, done, m) = scan_head(first, 0);
        assert_eq!((n, done, m), (first.len(), false, 3));
        let (n, done, _) = scan_head(b"\n{\"x\":1}", m);
        assert_eq!((n, done), (1, true));
        // A lone CR inside the head does not end it.
        assert_eq!(scan_head(b"a\r\r\n\r\nbody", 0), (6, true, 0));
    }
}
