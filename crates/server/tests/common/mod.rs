//! Test clients for the server tests: hyper for HTTP, tokio-tungstenite for WebSocket, raw TCP for malformed
//! input and for counting the bytes the server actually sent.

#![allow(dead_code, unused_imports)]

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub use feedlab_contract::Transport;
pub use feedlab_server::Config;
pub use feedlab_server::testing::TestServer;

pub struct Answer {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 request on a fresh connection.
pub async fn request(server: &TestServer, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let mut req = Request::builder().method(method).uri(path).header("host", server.addr.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = sender.send_request(req.body(Full::new(Bytes::from(body.to_owned()))).unwrap()).await.unwrap();
    answer(res).await
}

/// One HTTP/2 request (h2c, prior knowledge, as `curl --http2-prior-knowledge`) on a fresh connection.
pub async fn request_h2(server: &TestServer, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let res = h2_response(server, method, path, headers).await;
    answer(res).await
}

/// The response of one HTTP/2 request, body still to read (a stream stays open while it is held).
pub async fn h2_response(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> hyper::Response<hyper::body::Incoming> {
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let mut req = Request::builder().method(method).uri(format!("http://{}{path}", server.addr));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    sender.send_request(req.body(Full::new(Bytes::new())).unwrap()).await.unwrap()
}

async fn answer(res: hyper::Response<hyper::body::Incoming>) -> Answer {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Answer { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
}

pub async fn get(server: &TestServer, path: &str) -> Answer {
    request(server, "GET", path, &[], "").await
}

pub async fn publish(server: &TestServer, body: &str) -> u64 {
    let answer = request(
        server,
        "POST",
        "/messages",
        &[("content-type", "application/json")],
        &serde_json::json!({"body": body, "from": "test"}).to_string(),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.json()["id"].as_u64().unwrap()
}

/// Sends raw bytes and reads until the server closes or goes quiet for `quiet`.
pub async fn raw(server: &TestServer, bytes: &[u8], quiet: Duration) -> Vec<u8> {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    read_until_quiet(&mut stream, quiet).await
}

pub async fn read_until_quiet(stream: &mut TcpStream, quiet: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(quiet, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return out,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// The bytes up to and including the blank line that ends an HTTP head.
pub fn head_of(bytes: &[u8]) -> &[u8] {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("no end of head") + 4;
    &bytes[..end]
}

pub async fn stats(server: &TestServer) -> serde_json::Value {
    get(server, "/stats").await.json()
}

pub async fn open_connections(server: &TestServer, transport: &str) -> i64 {
    stats(server).await["transports"][transport]["open_connections"].as_i64().unwrap()
}

/// Polls `/stats` until `transport` has `want` open connections, for at most `within`.
pub async fn wait_open(server: &TestServer, transport: &str, want: i64, within: Duration) -> i64 {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let open = open_connections(server, transport).await;
        if open == want || tokio::time::Instant::now() >= deadline {
            return open;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `/stats` until `transport`'s counter `field` reaches `want`, for at most `within`; returns the last value.
pub async fn wait_stat(server: &TestServer, transport: &str, field: &str, want: u64, within: Duration) -> u64 {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let got = stats(server).await["transports"][transport][field].as_u64().unwrap();
        if got >= want || tokio::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

pub async fn ws_connect(
    server: &TestServer,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<(Ws, hyper::Response<Option<Vec<u8>>>), tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{}{}", server.addr, path).into_client_request().unwrap();
    for (k, v) in headers {
        req.headers_mut().insert(hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
    }
    let stream = TcpStream::connect(server.addr).await.unwrap();
    tokio_tungstenite::client_async(req, stream).await
}

/// Reads SSE events (id, data) from a raw stream until `n` data events arrived.
pub async fn sse_events(stream: &mut tokio::net::TcpStream, n: usize) -> Vec<(Option<u64>, String)> {
    use tokio::io::AsyncReadExt;
    let mut text = String::new();
    let mut buf = [0u8; 4096];
    loop {
        // De-chunk loosely: events are whole lines, chunk sizes are lines of hex that never start with "id:"/"data:".
        let events: Vec<(Option<u64>, String)> = text
            .split("\n\n")
            .filter_map(|block| {
                let mut id = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data = Some(v.to_owned());
                    }
                }
                data.map(|d| (id, d))
            })
            .collect();
        if events.len() >= n {
            return events;
        }
        let read =
            tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.expect("sse stalled").unwrap();
        assert!(read > 0, "stream ended early: {text}");
        text.push_str(&String::from_utf8_lossy(&buf[..read]));
    }
}

pub async fn open_sse(server: &TestServer, path: &str, extra: &str) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n{extra}\r\n", server.addr);
    stream.write_all(req.as_bytes()).await.unwrap();
    stream
}
