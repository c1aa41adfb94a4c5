//! The push path's fan-out: every connection of every worker thread gets each message once and in order,
//! a burst leaves as one write per connection, and a stalled reader is cut off while the others carry on.

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;

fn id_of(text: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(text).ok()?["id"].as_u64()
}

/// Reads a WebSocket's message ids until it has `want` of them.
async fn ws_ids(mut ws: Ws, want: usize) -> Vec<u64> {
    let mut ids = Vec::new();
    while ids.len() < want {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(WsMessage::Text(text)))) => ids.extend(id_of(&text)),
            Ok(Some(Ok(_))) => {}
            other => panic!("websocket interrupted after {} ids: {other:?}", ids.len()),
        }
    }
    ids
}

/// Reads an SSE stream's event ids until it has `want` of them.
async fn sse_ids(mut stream: TcpStream, want: usize) -> Vec<u64> {
    let mut text = String::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let ids: Vec<u64> = text.lines().filter_map(|l| l.strip_prefix("id: ")?.trim().parse().ok()).collect();
        if ids.len() >= want {
            return ids;
        }
        let n =
            tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await.expect("sse stalled").unwrap();
        assert!(n > 0, "stream ended after {} ids", ids.len());
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

async fn open_sse(server: &TestServer) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let req = format!("GET /sse?after=0 HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr);
    stream.write_all(req.as_bytes()).await.unwrap();
    stream
}

/// A masked client text frame (RFC 6455 5.3: every client frame is masked; a zero key keeps the bytes).
fn client_text(payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut frame = vec![0x81, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(payload);
    frame
}

/// A raw WebSocket connection on `/ws`, its 101 read.
async fn raw_ws(server: &TestServer) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let req = format!(
        "GET /ws?after=0 HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).await.unwrap(), 1, "handshake refused");
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    stream
}

/// Data segments the kernel has received on `stream` (Linux `TCP_INFO`): each write the server makes is at
/// least one segment, so this counts the server's writes to this socket (from above).
fn data_segments_in(stream: &TcpStream) -> u32 {
    use std::os::fd::AsRawFd;
    // SAFETY: `tcp_info` is plain integers; getsockopt writes at most `len` bytes into it.
    unsafe {
        let mut info: libc::tcp_info = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        let rc = libc::getsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        );
        assert_eq!(rc, 0, "getsockopt(TCP_INFO): {}", std::io::Error::last_os_error());
        info.tcpi_data_segs_in
    }
}

/// Server frames (unmasked) in `bytes`: (opcode, payload) each, and the bytes left over (a partial frame).
fn server_frames(bytes: &[u8]) -> (Vec<(u8, Vec<u8>)>, usize) {
    let mut frames = Vec::new();
    let mut i = 0;
    while i + 2 <= bytes.len() {
        let (len, header) = match bytes[i + 1] & 0x7F {
            126 if i + 4 <= bytes.len() => (u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize, 4),
            126 => break,
            127 => panic!("no 64-bit lengths expected"),
            n => (n as usize, 2),
        };
        if i + header + len > bytes.len() {
            break;
        }
        frames.push((bytes[i] & 0x0F, bytes[i + header..i + header + len].to_vec()));
        i += header + len;
    }
    (frames, bytes.len() - i)
}

/// Every stream and held long-poll, on both worker threads (actix hands connections to its workers in turn),
/// gets each message exactly once and in order, whether published one by one or in a burst.
#[tokio::test]
async fn every_connection_on_every_worker_gets_each_message_once_in_order() {
    const EACH: usize = 20;
    let server = TestServer::start(Config { workers: 2, publish_per_client_per_s: 0, ..Config::default() });
    let mut websockets = Vec::new();
    for _ in 0..EACH {
        websockets.push(ws_connect(&server, "/ws?after=0", &[]).await.unwrap().0);
    }
    let mut streams = Vec::new();
    for _ in 0..EACH {
        streams.push(open_sse(&server).await);
    }
    let addr = server.addr;
    let longpolls: Vec<_> = (0..EACH)
        .map(|_| {
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let req = format!(
                    "GET /longpoll?after=0&timeout_ms=20000 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
                );
                stream.write_all(req.as_bytes()).await.unwrap();
                let mut answer = Vec::new();
                stream.read_to_end(&mut answer).await.unwrap();
                String::from_utf8_lossy(&answer).into_owned()
            })
        })
        .collect();
    for (transport, want) in [("ws", EACH as i64), ("sse", EACH as i64), ("longpoll", EACH as i64)] {
        assert_eq!(wait_open(&server, transport, want, Duration::from_secs(10)).await, want, "{transport} open");
    }

    // One by one, then a burst of publish frames in a single write.
    const ONE_BY_ONE: u64 = 10;
    const BURST: u64 = 40;
    for i in 0..ONE_BY_ONE {
        publish(&server, &format!("one {i}")).await;
    }
    let mut publisher = raw_ws(&server).await;
    let burst: Vec<u8> =
        (0..BURST).flat_map(|i| client_text(format!(r#"{{"type":"publish","body":"b{i}"}}"#).as_bytes())).collect();
    publisher.write_all(&burst).await.unwrap();

    let total = (ONE_BY_ONE + BURST) as usize;
    let want: Vec<u64> = (1..=total as u64).collect();
    let readers: Vec<_> = websockets.into_iter().map(|ws| tokio::spawn(ws_ids(ws, total))).collect();
    for reader in readers {
        assert_eq!(reader.await.unwrap(), want, "a websocket");
    }
    let readers: Vec<_> = streams.into_iter().map(|s| tokio::spawn(sse_ids(s, total))).collect();
    for reader in readers {
        assert_eq!(reader.await.unwrap(), want, "an event stream");
    }
    for longpoll in longpolls {
        let answer = longpoll.await.unwrap();
        let body = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
        let value: serde_json::Value = serde_json::from_str(body).unwrap();
        let ids: Vec<u64> = value["messages"].as_array().unwrap().iter().map(|m| m["id"].as_u64().unwrap()).collect();
        assert!(!ids.is_empty() && ids == want[..ids.len()], "a long-poll answered {ids:?}");
    }
    // Counted once per delivery: every reader, and the raw publisher (a /ws client from after=0 too).
    for (transport, want) in [("ws", (EACH + 1) * total), ("sse", EACH * total)] {
        assert_eq!(
            wait_stat(&server, transport, "messages_delivered", want as u64, Duration::from_secs(10)).await,
            want as u64,
            "{transport}"
        );
    }
}

/// Messages published while a connection waits its turn leave in one write: 100 publish frames sent in one
/// write reach a reader as one TCP segment (the server sets TCP_NODELAY, so each write is at least one).
/// One worker thread, so that the whole burst is published before the reader's turn comes.
#[tokio::test]
async fn a_burst_leaves_in_one_write_per_connection() {
    const BURST: usize = 100;
    let server = TestServer::start(Config { workers: 1, publish_per_client_per_s: 0, ..Config::default() });
    let mut reader = raw_ws(&server).await;
    let mut publisher = raw_ws(&server).await;
    assert_eq!(wait_open(&server, "ws", 2, Duration::from_secs(5)).await, 2);
    let before = data_segments_in(&reader);

    let burst: Vec<u8> =
        (0..BURST).flat_map(|i| client_text(format!(r#"{{"type":"publish","body":"m{i}"}}"#).as_bytes())).collect();
    publisher.write_all(&burst).await.unwrap();

    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let frames = loop {
        let (frames, _) = server_frames(&bytes);
        if frames.len() >= BURST {
            break frames;
        }
        let n =
            tokio::time::timeout(Duration::from_secs(5), reader.read(&mut buf)).await.expect("burst stalled").unwrap();
        assert!(n > 0);
        bytes.extend_from_slice(&buf[..n]);
    };
    let ids: Vec<u64> = frames
        .iter()
        .filter(|(opcode, _)| *opcode == 1)
        .filter_map(|(_, p)| id_of(std::str::from_utf8(p).unwrap()))
        .collect();
    assert_eq!(ids, (1..=BURST as u64).collect::<Vec<_>>());
    let segments = data_segments_in(&reader) - before;
    // All of it is pending when the reader's turn comes: one write (a second at most, should the publisher's
    // frames have been read in two parts). A 32-message queue per connection would take four.
    assert!(segments <= 2, "{BURST} frames arrived in {segments} segments: the burst was not coalesced");
}

/// A reader that stops reading is cut off (1013) while readers on both workers get everything.
#[tokio::test]
async fn a_stalled_reader_is_cut_off_while_the_others_get_everything() {
    // 4.8 MB: more than a loopback socket's send buffer takes from a reader that never reads (about 3 MB
    // here), so the server's writes to the stalled reader block.
    const MESSAGES: u64 = 1200;
    let server = TestServer::start(Config {
        workers: 2,
        send_stall: Duration::from_millis(500),
        publish_per_client_per_s: 0,
        ..Config::default()
    });
    // Tiny receive buffer and no reading: the server's writes to it block soon.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stalled = socket.connect(server.addr).await.unwrap();
    let url = format!("ws://{}/ws?after=0", server.addr);
    let (stalled, _) = tokio_tungstenite::client_async(url.as_str(), stalled).await.unwrap();
    let mut readers = Vec::new();
    for _ in 0..6 {
        let (ws, _) = ws_connect(&server, "/ws?after=0", &[]).await.unwrap();
        readers.push(tokio::spawn(ws_ids(ws, MESSAGES as usize)));
    }
    // The publisher is a /ws client too: it reads what it is sent, so it is no stalled reader itself.
    let (mut publisher, mut echoes) = ws_connect(&server, "/ws", &[]).await.unwrap().0.split();
    let echoes = tokio::spawn(async move { while let Some(Ok(_)) = echoes.next().await {} });
    let body = "x".repeat(4000);
    for _ in 0..MESSAGES {
        publisher
            .send(WsMessage::text(serde_json::json!({"type": "publish", "body": body}).to_string()))
            .await
            .unwrap();
    }
    for reader in readers {
        assert_eq!(reader.await.unwrap(), (1..=MESSAGES).collect::<Vec<_>>());
    }
    assert_eq!(
        wait_stat(&server, "ws", "slow_reader_closes", 1, Duration::from_secs(10)).await,
        1,
        "the stalled reader was cut off"
    );
    drop((stalled, publisher));
    echoes.abort();
}
