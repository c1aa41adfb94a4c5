//! Prior-knowledge HTTP/2 (h2c) beside HTTP/1.1 on the same port: the same answers, the same refusals, and
//! `/stats` counting h2 requests apart without pretending to know their head sizes.

mod common;

use std::time::Duration;

use common::*;
use http_body_util::BodyExt;

/// A bad query gets the same 400 JSON over h2 as over HTTP/1.1, on every HTTP endpoint.
#[tokio::test]
async fn bad_queries_get_the_same_400_over_h2() {
    let server = TestServer::start(Config::default());
    for path in ["/poll?after=abc", "/longpoll?timeout_ms=soon", "/sse?limit=0", "/poll?client=has%20space"] {
        let (h1, h2) = (get(&server, path).await, request_h2(&server, "GET", path, &[]).await);
        assert_eq!(h2.status, 400, "{path}: {}", h2.body);
        assert_eq!((h2.status, &h2.body), (h1.status, &h1.body), "{path}");
        assert_eq!(h2.headers["content-type"], h1.headers["content-type"], "{path}");
    }
    let bad_id = request_h2(&server, "GET", "/sse", &[("last-event-id", "banana")]).await;
    assert_eq!((bad_id.status, bad_id.json()["field"].as_str()), (400, Some("Last-Event-ID")));
}

/// Poll and long-poll answer the same page over h2; SSE streams the same events.
#[tokio::test]
async fn poll_longpoll_and_sse_answer_the_same_over_h2() {
    let server = TestServer::start(Config::default());
    publish(&server, "one").await;
    publish(&server, "two").await;
    for path in ["/poll?after=0", "/longpoll?after=1&timeout_ms=1000", "/poll?after=2"] {
        let (h1, h2) = (get(&server, path).await, request_h2(&server, "GET", path, &[]).await);
        assert_eq!((h2.status, h2.json()), (h1.status, h1.json()), "{path}");
    }

    let res = h2_response(&server, "GET", "/sse?after=0", &[("accept", "text/event-stream")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.version(), hyper::Version::HTTP_2);
    let mut body = res.into_body();
    let mut text = String::new();
    let read = async {
        while !text.contains("id: 2\n") {
            let frame = body.frame().await.expect("stream ended").unwrap();
            if let Ok(data) = frame.into_data() {
                text.push_str(&String::from_utf8_lossy(&data));
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read).await.expect("events over h2");
    assert!(text.starts_with("id: 1\ndata: {\"id\":1,"), "{text}");
    assert!(text.contains("\"body\":\"two\""), "{text}");
}

/// `/stats` counts h2 requests in `requests` and `h2_requests`, adds nothing to the head byte counters
/// for them, and says why.
#[tokio::test]
async fn stats_count_h2_requests_without_head_bytes() {
    let server = TestServer::start(Config::default());
    get(&server, "/poll").await;
    let before = stats(&server).await["transports"]["poll"].clone();
    for _ in 0..3 {
        assert_eq!(request_h2(&server, "GET", "/poll", &[]).await.status, 200);
    }
    let after = stats(&server).await;
    let poll = &after["transports"]["poll"];
    assert_eq!(poll["requests"], before["requests"].as_i64().unwrap() + 3);
    assert_eq!((before["h2_requests"].as_i64(), poll["h2_requests"].as_i64()), (Some(0), Some(3)));
    assert_eq!(poll["request_header_bytes"], before["request_header_bytes"]);
    assert_eq!(poll["response_header_bytes"], before["response_header_bytes"]);
    assert!(poll["body_bytes"].as_i64() > before["body_bytes"].as_i64(), "bodies are still counted: {poll}");
    assert!(after["h2_head_bytes"].as_str().is_some_and(|s| s.starts_with("not counted")), "{after}");
}
