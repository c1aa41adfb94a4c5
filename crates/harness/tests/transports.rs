//! Each transport against the real server: figures that follow from the protocols, not from a past run.

mod common;

use std::time::Duration;

use common::{assert_clean, bench, config, get_json, server};
use feedlab_harness::headers::default_fixture_path;
use feedlab_harness::{BrowserFixture, RequestHeaders, Transport};

/// RFC 6455: a server-to-client frame with up to 125 payload bytes has a 2-byte header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_small_messages_cost_two_bytes_of_framing() {
    let server = server();
    let mut c = config(&server, Transport::Ws);
    c.payload = 10;
    let r = bench(c).await;
    assert_clean(&r);
    // Every message is a single frame whose payload is the message JSON.
    assert!(r.bytes.body <= 125 * r.integrity.delivered, "messages are not all <= 125 bytes: {r:#?}");
    assert_eq!(r.bytes.framing, 2 * r.integrity.delivered, "{r:#?}");
    assert_eq!(r.overhead_bytes_per_message, Some(2.0));
    // One upgrade per client; no HTTP heads after it.
    assert_eq!((r.requests, r.connections), (r.clients, r.clients));
    assert_eq!((r.bytes.request_headers, r.bytes.response_headers), (0, 0));
    assert!(r.bytes.handshake > 0);
    assert!(r.setup_bytes_per_message.unwrap() > 0.0);
    // Every byte read or written is in exactly one category (client close frames are control).
    let b = r.bytes;
    assert_eq!(b.sent + b.received, b.body + b.framing + b.handshake + b.control, "{b:#?}");
}

/// RFC 6455: 126..=65535 payload bytes need the 16-bit extended length, a 4-byte header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_medium_messages_cost_four_bytes_of_framing() {
    let server = server();
    let mut c = config(&server, Transport::Ws);
    c.payload = 300;
    let r = bench(c).await;
    assert_clean(&r);
    assert!(r.bytes.body > 126 * r.integrity.delivered && r.bytes.body <= 65_535 * r.integrity.delivered, "{r:#?}");
    assert_eq!(r.bytes.framing, 4 * r.integrity.delivered, "{r:#?}");
}

/// Pollers ask on a fixed schedule: duration / interval requests each (one more to drain, at most).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pollers_make_duration_over_interval_requests() {
    let server = server();
    let mut c = config(&server, Transport::Poll);
    c.poll_interval = Duration::from_millis(250);
    c.rate = 2.0;
    let per_client = (c.duration.as_secs_f64() / c.poll_interval.as_secs_f64()).round() as u64;
    let r = bench(c).await;
    assert_clean(&r);
    let got = r.requests as f64 / r.clients as f64;
    assert!((got - per_client as f64).abs() <= 1.0, "{got} requests per client, expected {per_client} +- 1");
    // Polling twice as often as messages come: some answers are necessarily empty.
    assert!(r.empty_responses > 0);
    // Kept alive: one connection per client.
    assert_eq!(r.connections, r.clients);
    let rl = r.request_latency_us.expect("pollers report request latency");
    assert_eq!(rl.count, r.requests);
    // All of a poll answer that is not a message is overhead: the envelope at least.
    assert!(r.bytes.framing >= r.requests * r#"{"messages":[],"next":0}"#.len() as u64, "{r:#?}");
}

/// A poller that is done keeps its connection until every poller is (so a mass close cannot delay the last
/// ones), and the run lets them all go as soon as the last one is done, not at the drain's deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn done_pollers_linger_until_the_last_one_is_done() {
    let server = server();
    let mut c = config(&server, Transport::Poll);
    c.clients = 20;
    c.poll_interval = Duration::from_millis(200);
    c.drain = Duration::from_secs(10);
    let deadline = c.drain + c.poll_interval;
    let r = bench(c).await;
    assert_clean(&r);
    // Every poller had the last id within a poll interval or two of the end; waiting for the deadline (or
    // the grace after it) would take 10 s more.
    assert!(r.drain_s < deadline.as_secs_f64() / 2.0, "drain took {} s", r.drain_s);
    assert_eq!(r.connections, r.clients, "lingering connections are the same kept-alive ones: {r:#?}");
}

/// Without keep-alive each poll opens its own connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pollers_without_keep_alive_open_a_connection_per_request() {
    let server = server();
    let mut c = config(&server, Transport::Poll);
    c.keep_alive = false;
    c.duration = Duration::from_secs(2);
    let r = bench(c).await;
    assert_clean(&r);
    assert_eq!(r.connections, r.requests);
    assert!(!r.keep_alive);
}

/// Long-poll: the server holds each request until there is news, so one request per delivered batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_poll_makes_one_request_per_batch() {
    let server = server();
    let r = bench(config(&server, Transport::Longpoll)).await;
    assert_clean(&r);
    // No hold timed out (25 s > the run), so every answer carried at least one message ...
    assert_eq!(r.empty_responses, 0);
    let answers = r.request_latency_us.unwrap().count;
    assert!(answers <= r.integrity.delivered, "{r:#?}");
    // ... and every request was answered, except possibly one held request per client at the very end.
    assert!(r.requests >= answers && r.requests <= answers + r.clients, "{r:#?}");
    // At 5 msg/s on loopback each message goes out before the next is published: one request each.
    assert!(answers * 2 > r.integrity.delivered, "{answers} answers for {} messages", r.integrity.delivered);
}

/// SSE: one request per client, then only event fields and chunk lines per message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_pays_its_heads_once() {
    let server = server();
    let r = bench(config(&server, Transport::Sse)).await;
    assert_clean(&r);
    assert_eq!((r.requests, r.connections), (r.clients, r.clients));
    // Heads are setup; each message costs at least "id: N\ndata: " and two line ends.
    let min_event = "id: 1\ndata: \n\n".len() as u64;
    assert!(r.bytes.framing >= min_event * r.integrity.delivered, "{r:#?}");
    assert_eq!(r.overhead_bytes_per_message, Some(r.bytes.framing as f64 / r.integrity.delivered as f64));
    assert_eq!(
        r.setup_bytes_per_message,
        Some((r.bytes.request_headers + r.bytes.response_headers) as f64 / r.integrity.delivered as f64)
    );
    let b = r.bytes;
    assert_eq!(b.sent + b.received, b.request_headers + b.response_headers + b.body + b.framing + b.control);
}

/// The server reconstructs header bytes from parsed heads; the harness counts the socket. Within 1%.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_header_counts_match_the_wire() {
    let browser = RequestHeaders::Browser(BrowserFixture::load(&default_fixture_path()).unwrap());
    let runs = [
        (Transport::Poll, RequestHeaders::Minimal),
        (Transport::Longpoll, RequestHeaders::Minimal),
        (Transport::Sse, RequestHeaders::Minimal),
        (Transport::Poll, browser.clone()),
        (Transport::Sse, browser),
    ];
    for (transport, headers) in runs {
        let server = server();
        let mut c = config(&server, transport);
        c.headers = headers;
        c.duration = Duration::from_secs(2);
        c.poll_interval = Duration::from_millis(200);
        let r = bench(c).await;
        assert_clean(&r);
        let stats = get_json(&server, "/stats").await;
        let s = &stats["transports"][transport.name()];
        // The harness's start-cursor probe is a `GET /poll` too: the server counted it with the polls.
        let (probe_req, probe_resp, probe_n) = match transport {
            Transport::Poll => (r.publish.probe_request_headers, r.publish.probe_response_headers, 1),
            _ => (0, 0, 0),
        };
        for (ours, theirs) in [
            // Requests abandoned at the end (held long-polls) were never answered, so never counted there.
            (r.bytes.request_headers - r.unanswered_request_headers + probe_req, &s["request_header_bytes"]),
            (r.bytes.response_headers + probe_resp, &s["response_header_bytes"]),
        ] {
            let theirs = theirs.as_u64().unwrap_or_else(|| panic!("no header counts in /stats: {stats}"));
            let diff = (ours as f64 - theirs as f64).abs() / ours as f64;
            assert!(diff <= 0.01, "{transport}: harness {ours} vs server {theirs} header bytes ({stats})");
        }
        assert_eq!(s["requests"].as_u64(), Some(r.requests - r.unanswered_requests + probe_n), "{transport}: {stats}");
    }
}

/// The relay delays each direction by half the round trip: no message can arrive sooner than that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtt_relay_delays_delivery() {
    let server = server();
    let mut c = config(&server, Transport::Ws);
    c.rtt = Duration::from_millis(200);
    c.duration = Duration::from_secs(2);
    let r = bench(c).await;
    assert_clean(&r);
    assert!(r.latency_us.min >= 100_000, "{:?}", r.latency_us);
    assert_eq!(r.rtt_ms, 200.0);
}

/// Over capacity the server answers 503 + Retry-After: counted per kind, clients back off and keep going,
/// and because they resume from their cursor, the ones that got in late still receive every message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_capacity_503s_are_counted_not_fatal() {
    let server = feedlab_server::testing::TestServer::start(feedlab_server::Config {
        max_streams: 2,
        ..feedlab_server::Config::default()
    });
    let mut c = config(&server, Transport::Sse);
    c.clients = 4;
    c.duration = std::time::Duration::from_secs(2);
    c.ramp_timeout = std::time::Duration::from_millis(500);
    let r = bench(c).await;
    assert!(r.errors.get("http_503").copied().unwrap_or(0) >= 2, "{:?}", r.errors);
    // Two clients got a stream at once; the other two got in when those finished, with the backlog.
    assert_eq!(r.connections, r.requests);
    assert!(r.requests > r.clients, "{r:#?}");
    assert_eq!(r.integrity.delivered, r.clients * r.published, "{r:#?}");
    assert_eq!((r.integrity.lost, r.integrity.duplicated, r.integrity.reordered), (0, 0, 0));
}

/// Past one address's ports, sockets are bound to several loopback source addresses before connecting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_can_connect_from_several_source_addresses() {
    let server = server();
    for transport in [Transport::Poll, Transport::Ws] {
        let mut c = config(&server, transport);
        c.duration = Duration::from_secs(2);
        c.source_addrs = vec!["127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap()];
        c.rtt = if transport == Transport::Ws { Duration::from_millis(20) } else { Duration::ZERO };
        let r = bench(c).await;
        assert_clean(&r);
        assert_eq!(r.source_addrs, 2);
    }
}
