//! Header profiles on the wire: the harness sends exactly the profile's bytes, and the browser profile
//! is exactly the captured Chromium request.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use feedlab_contract::HttpVersion;
use feedlab_harness::clients::http::{HttpConn, request};
use feedlab_harness::counting::{LiveBytes, WireCounters};
use feedlab_harness::headers::default_fixture_path;
use feedlab_harness::net::Connector;
use feedlab_harness::{BrowserFixture, RequestHeaders, Transport};
use http_body_util::BodyExt;

fn render(request_line: &str, headers: &[(String, String)]) -> String {
    let lines: String = headers.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
    format!("{request_line}\r\n{lines}\r\n")
}

fn captured_host(f: &BrowserFixture) -> String {
    f.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("host")).unwrap().1.clone()
}

/// Replayed against the host it was captured from, the browser profile is the captured request, byte for byte.
#[test]
fn browser_profile_replays_the_capture() {
    let fixture = BrowserFixture::load(&default_fixture_path()).unwrap();
    let request_line = fixture.request.lines().next().unwrap().to_string();
    let host = captured_host(&fixture);
    let profile = RequestHeaders::Browser(fixture.clone());
    let headers = profile.request_headers(Transport::Poll, &host, true);
    assert_eq!(render(&request_line, &headers), fixture.request);
}

/// hyper adds nothing: the request head on the socket is exactly the request line plus the profile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wire_carries_exactly_the_profile() {
    let server = common::server();
    let authority = server.addr.to_string();
    let fixture = BrowserFixture::load(&default_fixture_path()).unwrap();
    let connector = Connector { addr: server.addr, sources: Arc::from(Vec::new()) };
    for profile in [RequestHeaders::Minimal, RequestHeaders::Browser(fixture)] {
        for transport in [Transport::Poll, Transport::Longpoll] {
            let counters = WireCounters::new();
            let live = Arc::new(LiveBytes::default());
            let mut conn = HttpConn::open(&connector, 0, &counters, &live, HttpVersion::Http11).await.unwrap();
            let path = "/poll?after=0";
            let headers = profile.request_headers(transport, &authority, true);
            let resp = conn.send(request(hyper::Method::GET, path, &headers, Bytes::new())).await.unwrap();
            assert_eq!(resp.status(), 200);
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            let expected = render(&format!("GET {path} HTTP/1.1"), &headers);
            assert_eq!(WireCounters::get(&counters.request_head), expected.len() as u64, "{}", profile.name());
            // The response head ends where the body starts: head + body = everything read.
            assert_eq!(
                WireCounters::get(&counters.response_head) + body.len() as u64,
                WireCounters::get(&counters.received)
            );
        }
    }
}
