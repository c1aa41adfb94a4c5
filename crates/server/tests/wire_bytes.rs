//! The server's reconstructed head bytes (`/stats`) against the bytes that really crossed the socket.

mod common;

use std::time::Duration;

use common::*;
use tokio::io::AsyncWriteExt;

async fn counters(server: &TestServer, transport: &str) -> (u64, u64) {
    let stats = stats(server).await;
    let t = &stats["transports"][transport];
    (t["request_header_bytes"].as_u64().unwrap(), t["response_header_bytes"].as_u64().unwrap())
}

#[tokio::test]
async fn poll_heads_match_the_socket_exactly() {
    let server = TestServer::start(Config::default());
    publish(&server, "x").await;
    let request = format!(
        "GET /poll?after=0 HTTP/1.1\r\nHost: {}\r\nUser-Agent: wire-test/1\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        server.addr
    );
    let answer = raw(&server, request.as_bytes(), Duration::from_millis(500)).await;
    let head = head_of(&answer);
    assert_eq!(
        counters(&server, "poll").await,
        (request.len() as u64, head.len() as u64),
        "{}",
        String::from_utf8_lossy(head)
    );
    let body_bytes = stats(&server).await["transports"]["poll"]["body_bytes"].as_u64().unwrap();
    assert_eq!(body_bytes as usize, answer.len() - head.len());
}

#[tokio::test]
async fn error_and_keep_alive_heads_match_the_socket() {
    let server = TestServer::start(Config::default());
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let one = format!("GET /poll?after=abc HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr);
    stream.write_all(one.as_bytes()).await.unwrap();
    let answer = read_until_quiet(&mut stream, Duration::from_millis(300)).await;
    let head = head_of(&answer).to_vec();
    assert!(head.starts_with(b"HTTP/1.1 400"));
    assert_eq!(
        counters(&server, "poll").await,
        (one.len() as u64, head.len() as u64),
        "{}",
        String::from_utf8_lossy(&head)
    );
}

#[tokio::test]
async fn sse_and_websocket_heads_match_the_socket() {
    let server = TestServer::start(Config::default());
    let sse_req = format!("GET /sse HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n", server.addr);
    let sse = raw(&server, sse_req.as_bytes(), Duration::from_millis(300)).await;
    assert_eq!(
        counters(&server, "sse").await,
        (sse_req.len() as u64, head_of(&sse).len() as u64),
        "{}",
        String::from_utf8_lossy(head_of(&sse))
    );

    let ws_req = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: feedlab.v1\r\n\r\n",
        server.addr
    );
    let ws = raw(&server, ws_req.as_bytes(), Duration::from_millis(300)).await;
    assert_eq!(
        counters(&server, "ws").await,
        (ws_req.len() as u64, head_of(&ws).len() as u64),
        "{}",
        String::from_utf8_lossy(head_of(&ws))
    );
}
