//! Shared by the integration tests: a real feedlab server on port 0 and a short bench against it.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use feedlab_contract::HttpVersion;
use feedlab_harness::clients::http::{HttpConn, request};
use feedlab_harness::counting::{LiveBytes, WireCounters};
use feedlab_harness::net::Connector;
use feedlab_harness::{BenchConfig, BenchResult, CancellationToken, Target, Transport, run_bench};
use feedlab_server::testing::TestServer;
use http_body_util::BodyExt;

/// A server with the default configuration (ticker off, so every message is one the harness published).
pub fn server() -> TestServer {
    TestServer::start(feedlab_server::Config::default())
}

/// A small, quick configuration: 3 clients, 3 s at 5 msg/s, a fixed seed.
pub fn config(server: &TestServer, transport: Transport) -> BenchConfig {
    let mut c = BenchConfig::new(Target::parse(&server.url()).unwrap(), transport);
    c.clients = 3;
    c.duration = Duration::from_secs(3);
    c.rate = 5.0;
    c.seed = Some(7);
    c
}

/// Runs a bench to the end.
pub async fn bench(config: BenchConfig) -> BenchResult {
    run_bench(config, None, CancellationToken::new()).await.unwrap()
}

/// Every client got every message exactly once, in order, without errors.
pub fn assert_clean(r: &BenchResult) {
    assert!(!r.cancelled);
    assert!(r.published > 0, "nothing was published: {r:#?}");
    assert_eq!(r.publish.errors, 0, "{r:#?}");
    assert_eq!(
        (r.integrity.lost, r.integrity.duplicated, r.integrity.reordered, r.integrity.gap_ids),
        (0, 0, 0, 0),
        "{r:#?}"
    );
    assert!(r.errors.is_empty(), "errors: {:?}", r.errors);
    // The server's ticker is off: every message is the harness's, and every client must have all of them.
    assert_eq!(r.integrity.delivered, r.published * r.clients, "{r:#?}");
    assert_eq!(r.integrity.expected, r.integrity.delivered);
    assert_eq!(r.latency_us.count, r.integrity.delivered);
}

/// `GET path` on the server as JSON, through the harness's own HTTP client.
pub async fn get_json(server: &TestServer, path: &str) -> serde_json::Value {
    let connector = Connector { addr: server.addr, sources: Arc::from(Vec::new()) };
    let (counters, live) = (WireCounters::new(), Arc::new(LiveBytes::default()));
    let mut conn = HttpConn::open(&connector, 0, &counters, &live, HttpVersion::Http11).await.unwrap();
    let headers = vec![("Host".to_string(), server.addr.to_string())];
    let resp = conn.send(request(hyper::Method::GET, path, &headers, Bytes::new())).await.unwrap();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&body).unwrap()
}
