//! `--http 2` against the real server: every id once and in order over h2c, and the counting stream's
//! byte classes checked frame type by frame type against the raw bytes a recording proxy saw.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{assert_clean, bench, config, get_json, server};
use feedlab_contract::{HeaderProfile, HttpVersion};
use feedlab_harness::headers::default_fixture_path;
use feedlab_harness::{BenchConfig, BrowserFixture, RequestHeaders, Target, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn h2_config(server: &feedlab_server::testing::TestServer, transport: Transport) -> BenchConfig {
    let mut c = config(server, transport);
    c.http = HttpVersion::Http2;
    c
}

/// Poll, long-poll and SSE over h2: every client gets every id once and in order, one connection each, and
/// the server saw h2 requests (its head counters only the publisher's HTTP/1.1 probe).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_id_once_and_in_order_over_h2() {
    for transport in [Transport::Poll, Transport::Longpoll, Transport::Sse] {
        let server = server();
        let mut c = h2_config(&server, transport);
        c.poll_interval = Duration::from_millis(200);
        let r = bench(c).await;
        assert_clean(&r);
        assert_eq!(r.http_version, HttpVersion::Http2);
        assert_eq!(r.connections, r.clients, "{transport}: one h2 connection per client");
        assert!(r.bytes.handshake > 0 && r.bytes.control > 0, "{transport}: {:#?}", r.bytes);
        assert_eq!(r.first_exchange.requests, r.clients, "{transport}");
        let stats = get_json(&server, "/stats").await;
        let s = &stats["transports"][transport.name()];
        let answered = r.requests - r.unanswered_requests;
        assert_eq!(s["h2_requests"].as_u64(), Some(answered), "{transport}: {stats}");
        let probe = if transport == Transport::Poll { r.publish.probe_request_headers } else { 0 };
        assert_eq!(s["request_header_bytes"].as_u64(), Some(probe), "{transport}: {stats}");
    }
}

/// What a recording proxy saw on one connection: client-to-server and server-to-client bytes.
type Recorded = Arc<Mutex<Vec<(Vec<u8>, Vec<u8>)>>>;

/// A proxy in front of `upstream` that records every connection opening with the h2 preface (the clients;
/// the publisher speaks HTTP/1.1 and is only forwarded).
async fn recording_proxy(upstream: std::net::SocketAddr) -> (std::net::SocketAddr, Recorded) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let recorded: Recorded = Arc::default();
    let all = recorded.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let all = all.clone();
            tokio::spawn(async move {
                let server = TcpStream::connect(upstream).await.unwrap();
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                let (up, down) = tokio::join!(pipe(cr, sw), pipe(sr, cw));
                if up.starts_with(b"PRI * HTTP/2.0") {
                    all.lock().unwrap().push((up, down));
                }
            });
        }
    });
    (addr, recorded)
}

/// Copies one direction until EOF; returns what passed.
async fn pipe(mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                seen.extend_from_slice(&buf[..n]);
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
    seen
}

/// Bytes per h2 frame type (`"settings"` and `"settings-ack"` apart, `"preface"` too), header included,
/// with DATA split into `"data-header"` and `"data"`; parsed here independently of the harness.
fn by_frame_type(mut bytes: &[u8], preface: bool) -> BTreeMap<&'static str, u64> {
    let mut out = BTreeMap::new();
    if preface {
        *out.entry("preface").or_default() += 24;
        bytes = &bytes[24..];
    }
    while bytes.len() >= 9 {
        let len = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]) as usize;
        let name = match (bytes[3], bytes[4] & 1) {
            (0, _) => "data",
            (1, _) => "headers",
            (2, _) => "priority",
            (3, _) => "rst_stream",
            (4, 0) => "settings",
            (4, _) => "settings-ack",
            (6, _) => "ping",
            (7, _) => "goaway",
            (8, _) => "window_update",
            (9, _) => "continuation",
            _ => "other",
        };
        let whole = (9 + len).min(bytes.len());
        if name == "data" {
            *out.entry("data-header").or_default() += 9;
            *out.entry("data").or_default() += (whole - 9) as u64;
        } else {
            *out.entry(name).or_default() += whole as u64;
        }
        bytes = &bytes[whole..];
    }
    assert!(bytes.is_empty(), "a frame header cut short: {bytes:?}");
    out
}

/// Bytes of the GOAWAY frame a connection's server-to-client bytes end with (0 if they end otherwise).
fn trailing_goaway(bytes: &[u8]) -> u64 {
    trailing_frames(bytes, &[GOAWAY])
}

/// HTTP/2 frame types a connection's teardown writes: RST_STREAM (a request cut off) and GOAWAY.
const RST_STREAM: u8 = 3;
const GOAWAY: u8 = 7;

/// Bytes of the run of frames of `types` that `bytes` end with (0 if the last frame is of another type).
fn trailing_frames(mut bytes: &[u8], types: &[u8]) -> u64 {
    let mut run = 0;
    while bytes.len() >= 9 {
        let whole = (9 + u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]) as usize).min(bytes.len());
        run = if types.contains(&bytes[3]) { run + whole as u64 } else { 0 };
        bytes = &bytes[whole..];
    }
    run
}

/// The counting stream's classes are exactly the raw frames': HEADERS+CONTINUATION each way are the heads;
/// the preface and SETTINGS the handshake; acks, WINDOW_UPDATE, PING, RST_STREAM, GOAWAY the control;
/// DATA headers and payload the body and framing. Minimal and browser headers, poll and SSE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_byte_classes_match_the_raw_frames() {
    let browser = RequestHeaders::Browser(BrowserFixture::load(&default_fixture_path()).unwrap());
    for (transport, headers) in [
        (Transport::Poll, RequestHeaders::Minimal),
        (Transport::Poll, browser.clone()),
        (Transport::Sse, browser),
        (Transport::Longpoll, RequestHeaders::Minimal),
    ] {
        let server = server();
        let (proxy, recorded) = recording_proxy(server.addr).await;
        let mut c = h2_config(&server, transport);
        c.target = Target::parse(&format!("http://{proxy}")).unwrap();
        c.headers = headers;
        c.poll_interval = Duration::from_millis(200);
        c.duration = Duration::from_secs(2);
        let r = bench(c).await;
        assert_clean(&r);
        // The proxy records a connection once both directions have closed.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while recorded.lock().unwrap().len() < r.clients as usize && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let conns = recorded.lock().unwrap().clone();
        assert_eq!(conns.len() as u64, r.clients, "{transport}");
        let (mut up, mut down) = (BTreeMap::new(), BTreeMap::new());
        for (sent, received) in &conns {
            for (k, v) in by_frame_type(sent, true) {
                *up.entry(k).or_insert(0u64) += v;
            }
            for (k, v) in by_frame_type(received, false) {
                *down.entry(k).or_insert(0u64) += v;
            }
        }
        let sum = |m: &BTreeMap<&str, u64>, keys: &[&str]| -> u64 {
            keys.iter().map(|k| m.get(k).copied().unwrap_or(0)).sum()
        };
        let control = ["settings-ack", "window_update", "ping", "rst_stream", "goaway", "priority", "other"];
        let b = r.bytes;
        // The server says goodbye (GOAWAY) as the client closes; the proxy may have passed it on after the
        // client stopped reading. What the client never read must be exactly such trailing frames (17 bytes:
        // a 9-byte frame header, the last stream id and the error code, no debug data).
        let raw_received: u64 = conns.iter().map(|c| c.1.len() as u64).sum();
        let unread = raw_received - b.received;
        let trailing: u64 = conns.iter().map(|c| trailing_goaway(&c.1)).sum();
        assert!(
            unread <= trailing && unread.is_multiple_of(17),
            "{unread} unread bytes, {trailing} in trailing GOAWAYs"
        );
        *down.entry("goaway").or_default() -= unread;
        // Likewise the client's own teardown, which hyper may write as the connection is dropped after the
        // bench has read its counters: a GOAWAY, and an RST_STREAM before it when a request was still open.
        // Only such trailing frames may be missing from what was counted sent.
        let raw_sent: u64 = conns.iter().map(|c| c.0.len() as u64).sum();
        let unsent = raw_sent.checked_sub(b.sent).expect("counted more bytes sent than the proxy saw");
        let trailing_up: u64 =
            conns.iter().map(|c| trailing_frames(&c.0[24.min(c.0.len())..], &[RST_STREAM, GOAWAY])).sum();
        assert!(
            unsent <= trailing_up,
            "{unsent} sent bytes uncounted, {trailing_up} in the client's trailing teardown frames"
        );
        let label = format!("{transport} {}: up {up:?} down {down:?} counted {b:#?}", r.headers);
        assert_eq!(b.request_headers, sum(&up, &["headers", "continuation"]), "{label}");
        assert_eq!(b.response_headers, sum(&down, &["headers", "continuation"]), "{label}");
        assert_eq!(b.handshake, sum(&up, &["preface", "settings"]) + sum(&down, &["settings"]), "{label}");
        // SSE comments would be control inside DATA; a 2 s run sends none (the heartbeat is 15 s).
        // Both teardown frames are control: what was never counted comes off that class.
        assert_eq!(b.control, sum(&up, &control) - unsent + sum(&down, &control), "{label}");
        let data = sum(&up, &["data", "data-header"]) + sum(&down, &["data", "data-header"]);
        assert_eq!(b.body + b.framing, data, "{label}");
        assert!(up.contains_key("settings-ack") && down.contains_key("settings-ack"), "{label}");
        // What the first request paid is part of the heads, and HPACK makes later requests cheaper.
        let first = r.first_exchange;
        assert!(first.request_headers > 0 && first.request_headers <= b.request_headers, "{label}");
        if transport == Transport::Poll {
            // Later requests send only what changed (the path) and refer to the table for the rest: cheaper
            // than the first, and with the browser's dozen headers, less than half of it.
            let later = (b.request_headers - first.request_headers) as f64 / (r.requests - r.clients) as f64;
            let first = first.request_headers as f64 / r.clients as f64;
            let factor = if r.headers == HeaderProfile::Browser { 2.0 } else { 1.0 };
            assert!(later * factor < first, "{later} B per later request, {first} B first: {label}");
        }
    }
}
