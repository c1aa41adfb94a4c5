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
//!   in both directions: header bytes of data frames (text, binary, continuation), payload bytes of data
//!   frames, and whole control frames (ping, pong, close: header and payload) are counted apart.
//! - Every byte read or written also goes to the run-wide live totals (progress bar, timeline).
//!
//! Not counted: TCP/IP headers, TLS (not used), and bytes the kernel sent for us (SYN, ACK, FIN).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};

use feedlab_contract::bench::WireBytes;
use feedlab_contract::rfc6455;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Byte counters of one client (all its connections), or of the publisher. Atomics because hyper drives
/// the connection in its own task while the client reads the counters; every update is `Relaxed` since
/// the figures are only read as totals after the connection's traffic is done.
#[derive(Debug, Default)]
pub struct WireCounters {
    /// All bytes written.
    pub sent: AtomicU64,
    /// All bytes read.
    pub received: AtomicU64,
    /// HTTP request heads written (upgrade request excepted).
    pub request_head: AtomicU64,
    /// HTTP request body bytes written.
    pub request_body: AtomicU64,
    /// HTTP response heads read (`101` head excepted).
    pub response_head: AtomicU64,
    /// Number of complete HTTP response heads read (including the `101`).
    pub responses: AtomicU64,
    /// HTTP response body bytes as on the wire (chunk lines included).
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
    /// client parsed out of them: `messages`, the message JSON bytes, and `comments`, the SSE comment
    /// bytes. A counter a transport does not use stays 0 (no frames over HTTP, no HTTP body after an
    /// upgrade), so one rule serves every transport:
    /// - framing: data-frame headers both ways, plus every body or data-frame payload byte that is neither
    ///   a message nor a comment (poll envelopes, chunk lines, SSE fields; a contract server sends no
    ///   other WebSocket payload, but any would be transport cost too);
    /// - control: WebSocket control frames both ways, and SSE comments.
    pub fn categorize(&self, messages: u64, comments: u64) -> WireBytes {
        let get = |c: &AtomicU64| c.load(Relaxed);
        let payload = get(&self.response_body) + get(&self.request_body) + get(&self.ws_in_payload);
        WireBytes {
            request_headers: get(&self.request_head),
            response_headers: get(&self.response_head),
            body: messages,
            framing: get(&self.ws_in_header)
                + get(&self.ws_out_header)
                + get(&self.ws_out_payload)
                + payload.saturating_sub(messages + comments),
            handshake: get(&self.handshake_request) + get(&self.handshake_response),
            control: get(&self.ws_in_control) + get(&self.ws_out_control) + comments,
            sent: get(&self.sent),
            received: get(&self.received),
        }
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

/// Where the HTTP side of a stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HttpSide {
    /// Inside a head; `matched` counts how much of CRLF CRLF was just seen.
    Head { matched: u8 },
    /// Past the head.
    Body,
}

/// A `TcpStream` that counts and sorts every byte crossing it. See the module documentation.
#[derive(Debug)]
pub struct CountingStream {
    inner: TcpStream,
    counters: Arc<WireCounters>,
    live: Arc<LiveBytes>,
    /// True until the upgrade response head ends (WebSocket streams only).
    upgrading: bool,
    write: HttpSide,
    read: HttpSide,
    /// Frame parsers, present once the connection is a WebSocket.
    frames: Option<(FrameScanner, FrameScanner)>,
}

impl CountingStream {
    /// Wraps a connected socket for plain HTTP.
    pub fn new(inner: TcpStream, counters: Arc<WireCounters>, live: Arc<LiveBytes>) -> Self {
        live.open.fetch_add(1, Relaxed);
        CountingStream {
            inner,
            counters,
            live,
            upgrading: false,
            write: HttpSide::Head { matched: 0 },
            read: HttpSide::Head { matched: 0 },
            frames: None,
        }
    }

    /// Wraps a socket that will carry one WebSocket upgrade and then frames.
    pub fn for_upgrade(inner: TcpStream, counters: Arc<WireCounters>, live: Arc<LiveBytes>) -> Self {
        let mut stream = Self::new(inner, counters, live);
        stream.upgrading = true;
        stream
    }

    fn count_written(&mut self, mut buf: &[u8]) {
        let c = &*self.counters;
        c.sent.fetch_add(buf.len() as u64, Relaxed);
        self.live.sent.fetch_add(buf.len() as u64, Relaxed);
        if let Some((out, _)) = &mut self.frames {
            out.scan(buf, &c.ws_out_header, &c.ws_out_payload, &c.ws_out_control);
            return;
        }
        while !buf.is_empty() {
            match self.write {
                HttpSide::Head { matched } => {
                    let (used, done, matched) = scan_head(buf, matched);
                    let head = if self.upgrading { &c.handshake_request } else { &c.request_head };
                    head.fetch_add(used as u64, Relaxed);
                    buf = &buf[used..];
                    if done {
                        self.write = HttpSide::Body;
                        // The answer to this request starts with the next byte read.
                        self.read = HttpSide::Head { matched: 0 };
                    } else {
                        self.write = HttpSide::Head { matched };
                    }
                }
                HttpSide::Body => {
                    c.request_body.fetch_add(buf.len() as u64, Relaxed);
                    buf = &[];
                }
            }
        }
    }

    fn count_read(&mut self, mut buf: &[u8]) {
        let c = &*self.counters;
        c.received.fetch_add(buf.len() as u64, Relaxed);
        self.live.received.fetch_add(buf.len() as u64, Relaxed);
        while !buf.is_empty() {
            if let Some((_, inn)) = &mut self.frames {
                inn.scan(buf, &c.ws_in_header, &c.ws_in_payload, &c.ws_in_control);
                return;
            }
            match self.read {
                HttpSide::Head { matched } => {
                    let (used, done, matched) = scan_head(buf, matched);
                    let head = if self.upgrading { &c.handshake_response } else { &c.response_head };
                    head.fetch_add(used as u64, Relaxed);
                    buf = &buf[used..];
                    if done {
                        c.responses.fetch_add(1, Relaxed);
                        self.read = HttpSide::Body;
                        // A new request may follow this response.
                        self.write = HttpSide::Head { matched: 0 };
                        if self.upgrading {
                            // The head just ended: what follows are frames, in both directions.
                            self.upgrading = false;
                            self.frames = Some((FrameScanner::default(), FrameScanner::default()));
                        }
                    } else {
                        self.read = HttpSide::Head { matched };
                    }
                }
                HttpSide::Body => {
                    c.response_body.fetch_add(buf.len() as u64, Relaxed);
                    buf = &[];
                }
            }
        }
    }
}

impl Drop for CountingStream {
    fn drop(&mut self) {
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

/// The longest frame header: 2 bytes, a 64-bit length, a masking key.
const MAX_FRAME_HEADER: usize = 2 + 8 + rfc6455::MASK_KEY_BYTES;

/// Follows RFC 6455 frames in one direction, knowing only the bytes: header (2..14 bytes: opcode, mask
/// bit, 7/16/64-bit length, optional 4-byte mask key; sizes from [`rfc6455`]), then `length` payload bytes.
#[derive(Debug, Default)]
struct FrameScanner {
    /// Header bytes gathered so far (a header can be split across reads).
    header: [u8; MAX_FRAME_HEADER],
    have: usize,
    /// Payload bytes of the current frame still to come.
    payload_left: u64,
    /// Whether the current frame is a control frame (opcode >= 8).
    control: bool,
}

impl FrameScanner {
    fn scan(&mut self, mut buf: &[u8], header: &AtomicU64, payload: &AtomicU64, control: &AtomicU64) {
        while !buf.is_empty() {
            if self.payload_left > 0 {
                let n = (buf.len() as u64).min(self.payload_left);
                self.payload_left -= n;
                (if self.control { control } else { payload }).fetch_add(n, Relaxed);
                buf = &buf[n as usize..];
                continue;
            }
            // Gather header bytes one at a time until the header's full length is known and present.
            self.header[self.have] = buf[0];
            self.have += 1;
            buf = &buf[1..];
            if let Some((len, payload_len)) = self.header_complete() {
                self.control = self.header[0] & 0x08 != 0;
                (if self.control { control } else { header }).fetch_add(len as u64, Relaxed);
                self.payload_left = payload_len;
                self.have = 0;
            }
        }
    }

    /// When all header bytes are present: (header length, payload length).
    fn header_complete(&self) -> Option<(usize, u64)> {
        if self.have < 2 {
            return None;
        }
        let masked = self.header[1] & 0x80 != 0;
        let len7 = self.header[1] & 0x7f;
        let ext = rfc6455::extended_len_bytes(len7);
        let total = 2 + ext + if masked { rfc6455::MASK_KEY_BYTES } else { 0 };
        if self.have < total {
            return None;
        }
        let payload = match ext {
            0 => u64::from(len7),
            2 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
            // unwrap: the slice is exactly 8 bytes.
            _ => u64::from_be_bytes(self.header[2..10].try_into().unwrap()),
        };
        Some((total, payload))
    }
}

impl AsyncRead for CountingStream {
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

impl AsyncWrite for CountingStream {
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

    fn scan_all(frames: &[u8], chunk: usize) -> (u64, u64, u64) {
        let (h, p, c) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
        let mut s = FrameScanner::default();
        for part in frames.chunks(chunk) {
            s.scan(part, &h, &p, &c);
        }
        (h.into_inner(), p.into_inner(), c.into_inner())
    }

    #[test]
    fn frames_by_size_and_kind() {
        let mut wire = Vec::new();
        // Text frame, 5-byte payload: 2-byte header.
        wire.extend_from_slice(&[0x81, 5]);
        wire.extend_from_slice(b"hello");
        // Text frame, 300-byte payload: 2 + 2-byte length.
        wire.extend_from_slice(&[0x81, 126, 0x01, 0x2c]);
        wire.extend(std::iter::repeat_n(b'x', 300));
        // Masked pong with 2 payload bytes: 2 + 4-byte key + 2.
        wire.extend_from_slice(&[0x8a, 0x82, 1, 2, 3, 4, 9, 9]);
        // Text frame, 70,000-byte payload: 2 + 8-byte length.
        wire.extend_from_slice(&[0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
        wire.extend(std::iter::repeat_n(b'y', 70_000));
        for chunk in [1, 3, 7, 4096, wire.len()] {
            assert_eq!(scan_all(&wire, chunk), (2 + 4 + 10, 5 + 300 + 70_000, 8), "chunk {chunk}");
        }
    }
}
