//! A reader that stops reading is cut off at the queue limit without slowing anyone else, and recovers every
//! message by reconnecting with its cursor.

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message as WsMessage;

const MESSAGES: u64 = 1500;
const BODY: usize = 2000;

fn config() -> Config {
    Config { send_stall: Duration::from_millis(500), publish_per_client_per_s: 0, ..Config::default() }
}

/// A socket whose kernel receive buffer is tiny, so a reader that stops reading fills the server's queue soon.
async fn small_buffer_stream(server: &TestServer) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(server.addr).await.unwrap()
}

/// Publishes `MESSAGES` bodies of `BODY` bytes over one keep-alive connection.
async fn publish_burst(server: &TestServer) {
    use http_body_util::Full;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let body = serde_json::json!({"body": "x".repeat(BODY), "from": "burst"}).to_string();
    for _ in 0..MESSAGES {
        let req = hyper::Request::post("/messages")
            .header("host", server.addr.to_string())
            .header("content-type", "application/json")
            .body(Full::new(bytes::Bytes::from(body.clone())))
            .unwrap();
        let res = sender.send_request(req).await.unwrap();
        assert_eq!(res.status(), 201);
    }
}

fn id_of(text: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(text).ok()?["id"].as_u64()
}

/// Reads a WebSocket until it ends; returns the ids received and the close code, if any.
async fn drain_ws(mut ws: Ws) -> (Vec<u64>, Option<u16>) {
    let mut ids = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(WsMessage::Text(text)))) => ids.extend(id_of(&text)),
            Ok(Some(Ok(WsMessage::Close(frame)))) => return (ids, frame.map(|f| u16::from(f.code))),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_))) | Ok(None) | Err(_) => return (ids, None),
        }
    }
}

#[tokio::test]
async fn stalled_websocket_is_cut_off_and_recovers_by_cursor() {
    let server = TestServer::start(config());
    let url = format!("ws://{}/ws?after=0", server.addr);
    let (slow, _) = tokio_tungstenite::client_async(url.as_str(), small_buffer_stream(&server).await).await.unwrap();
    let (fast, _) = ws_connect(&server, "/ws?after=0", &[]).await.unwrap();
    let fast_reader = tokio::spawn(async move {
        let mut fast = fast;
        let mut ids = Vec::new();
        while (ids.len() as u64) < MESSAGES {
            match tokio::time::timeout(Duration::from_secs(20), fast.next()).await {
                Ok(Some(Ok(WsMessage::Text(text)))) => ids.extend(id_of(&text)),
                Ok(Some(Ok(_))) => {}
                other => panic!("fast reader interrupted: {other:?}"),
            }
        }
        ids
    });

    publish_burst(&server).await;
    let fast_ids = fast_reader.await.unwrap();
    assert_eq!(fast_ids, (1..=MESSAGES).collect::<Vec<_>>(), "the fast reader got everything, in order");
    assert_eq!(
        wait_stat(&server, "ws", "slow_reader_closes", 1, Duration::from_secs(20)).await,
        1,
        "the stalled reader was cut off"
    );

    // The slow client wakes up: it reads what was queued for it, sees the close, and resumes by cursor.
    let (mut got, code) = drain_ws(slow).await;
    assert!(code.is_none() || code == Some(1013), "close code {code:?}");
    assert!((got.len() as u64) < MESSAGES, "it was cut off before the end");
    let cursor = *got.last().unwrap_or(&0);
    let (again, _) = ws_connect(&server, &format!("/ws?after={cursor}"), &[]).await.unwrap();
    let rest = tokio::spawn(async move {
        let mut again = again;
        let mut ids = Vec::new();
        while ids.last().copied() != Some(MESSAGES) {
            match tokio::time::timeout(Duration::from_secs(10), again.next()).await {
                Ok(Some(Ok(WsMessage::Text(text)))) => ids.extend(id_of(&text)),
                Ok(Some(Ok(_))) => {}
                other => panic!("resume interrupted: {other:?}"),
            }
        }
        ids
    });
    got.extend(rest.await.unwrap());
    assert_eq!(got, (1..=MESSAGES).collect::<Vec<_>>(), "nothing lost, nothing repeated");
}

#[tokio::test]
async fn stalled_sse_stream_is_ended_and_resumes_from_last_event_id() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start(config());
    let mut slow = small_buffer_stream(&server).await;
    slow.write_all(format!("GET /sse?after=0 HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr).as_bytes()).await.unwrap();
    wait_open(&server, "sse", 1, Duration::from_secs(5)).await;

    publish_burst(&server).await;
    assert_eq!(
        wait_stat(&server, "sse", "slow_reader_closes", 1, Duration::from_secs(20)).await,
        1,
        "the stalled stream was ended"
    );

    // Read what was queued; the response ends (last chunk) after the cut-off.
    let mut text = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => {
                text.extend_from_slice(&buf[..n]);
                if text.ends_with(b"0\r\n\r\n") {
                    break;
                }
            }
        }
    }
    let text = String::from_utf8_lossy(&text);
    let ids: Vec<u64> = text.lines().filter_map(|l| l.strip_prefix("id: ")?.trim().parse().ok()).collect();
    assert!(!ids.is_empty() && (ids.len() as u64) < MESSAGES, "got {} of {MESSAGES}", ids.len());
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    let last = *ids.last().unwrap();
    // Resume like EventSource, and check the rest arrives from last + 1.
    let answer = get(&server, &format!("/poll?after={last}&limit=10000")).await.json();
    let rest: Vec<u64> = answer["messages"].as_array().unwrap().iter().map(|m| m["id"].as_u64().unwrap()).collect();
    assert_eq!(rest, ((last + 1)..=MESSAGES).collect::<Vec<_>>());
    let mut resumed = TcpStream::connect(server.addr).await.unwrap();
    resumed
        .write_all(
            format!("GET /sse?after=0 HTTP/1.1\r\nHost: {}\r\nLast-Event-ID: {last}\r\n\r\n", server.addr).as_bytes(),
        )
        .await
        .unwrap();
    let mut seen = String::new();
    while !seen.contains(&format!("id: {MESSAGES}\n")) {
        let n = tokio::time::timeout(Duration::from_secs(10), resumed.read(&mut buf))
            .await
            .expect("resume stalled")
            .unwrap();
        assert!(n > 0);
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let resumed_ids: Vec<u64> = seen.lines().filter_map(|l| l.strip_prefix("id: ")?.trim().parse().ok()).collect();
    assert_eq!(resumed_ids.first(), Some(&(last + 1)));
}
