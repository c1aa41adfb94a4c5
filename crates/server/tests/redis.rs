//! One feed shared by two servers through a real `redis-server` (started per test on a unix socket): what a
//! node publishes every node serves, over every transport, with the single server's contract (contiguous
//! ids, gaps, the epoch answer) and through a Redis outage.
//!
//! Without `redis-server` on PATH each test prints `SKIPPED redis: redis-server not found` and passes,
//! unless `FEEDLAB_REDIS_REQUIRED=1` (CI), when it fails.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use feedlab_server::config::FeedSource;
use feedlab_server::redis_server::{RedisOptions, RedisServer};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// How long anything here may take to show up: a node's tail is a round trip behind, an epoch check a
/// second; this only bounds a broken run.
const WITHIN: Duration = Duration::from_secs(10);

/// A redis-server of this test's own, or `None` (the test then passes) when there is none and it is not
/// required.
fn redis(options: RedisOptions) -> Option<RedisServer> {
    if RedisServer::program().is_none() {
        assert!(
            std::env::var("FEEDLAB_REDIS_REQUIRED").as_deref() != Ok("1"),
            "redis-server not found, and FEEDLAB_REDIS_REQUIRED=1"
        );
        println!("SKIPPED redis: redis-server not found");
        return None;
    }
    Some(RedisServer::start_with(options).expect("redis-server starts"))
}

/// A node on `redis`'s feed: no publish rate limit (the tests publish in bursts from one address); one
/// worker, so that every read of a node goes through the same copy of its feed (the worker's mirror).
fn node(redis: &RedisServer, retention: usize) -> TestServer {
    TestServer::start(Config {
        feed: FeedSource::Redis { url: redis.url(), key: "test".into() },
        retention,
        publish_per_client_per_s: 0,
        workers: 1,
        ..Config::default()
    })
}

fn ids(answer: &serde_json::Value) -> Vec<u64> {
    answer["messages"].as_array().unwrap().iter().map(|m| m["id"].as_u64().unwrap()).collect()
}

/// POST /messages, whatever the answer.
async fn try_publish(server: &TestServer, body: &str) -> Answer {
    let json = serde_json::json!({"body": body, "from": "test"}).to_string();
    request(server, "POST", "/messages", &[("content-type", "application/json")], &json).await
}

/// Polls `path` until `done` says yes, or panics after [`WITHIN`].
async fn poll_until(server: &TestServer, path: &str, done: impl Fn(&Answer) -> bool) -> Answer {
    let deadline = Instant::now() + WITHIN;
    loop {
        let answer = get(server, path).await;
        if done(&answer) {
            return answer;
        }
        assert!(Instant::now() < deadline, "{path}: still {} {}", answer.status, answer.body);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn epoch(server: &TestServer) -> u64 {
    get(server, "/time").await.json()["epoch"].as_u64().unwrap()
}

#[tokio::test]
async fn published_on_one_node_read_on_the_other_over_all_four_transports() {
    let Some(redis) = redis(RedisOptions::default()) else { return };
    let (a, b) = (node(&redis, 1000), Arc::new(node(&redis, 1000)));
    assert_eq!(get(&b, "/settings").await.json()["feed"], "redis");
    assert_eq!(stats(&b).await["feed"]["backend"], "redis");
    // Both nodes on Redis's epoch (the tails adopt it at start).
    let deadline = Instant::now() + WITHIN;
    while epoch(&a).await != epoch(&b).await {
        assert!(Instant::now() < deadline, "the nodes never agreed on an epoch");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // On node B: a held long-poll, an event stream and a WebSocket, all from cursor 0.
    let held = tokio::spawn({
        let b = Arc::clone(&b);
        async move { get(&b, "/longpoll?after=0&timeout_ms=20000").await.json() }
    });
    let mut sse = open_sse(&b, "/sse?after=0", "").await;
    let (mut ws, _) = ws_connect(&b, "/ws?after=0", &[]).await.unwrap();
    for transport in ["longpoll", "sse", "ws"] {
        assert_eq!(wait_open(&b, transport, 1, WITHIN).await, 1, "{transport} open on B");
    }

    // Published on node A: acknowledged once A has it (read-your-writes on A).
    let id = publish(&a, "from A").await;
    assert_eq!(id, 1);
    let on_a = get(&a, "/poll?after=0").await.json();
    assert_eq!((ids(&on_a), on_a["messages"][0]["body"].clone()), (vec![1], "from A".into()));

    // Node B serves it on every transport, the same message.
    let polled = poll_until(&b, "/poll?after=0", |answer| !ids(&answer.json()).is_empty()).await.json();
    assert_eq!(polled["messages"][0], on_a["messages"][0], "the same id, ts, kind, from and body");
    assert_eq!(polled["epoch"], on_a["epoch"]);
    let longpolled = tokio::time::timeout(WITHIN, held).await.unwrap().unwrap();
    assert_eq!(longpolled["messages"][0], on_a["messages"][0]);
    let events = sse_events(&mut sse, 1).await;
    assert_eq!(events[0].0, Some(1));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&events[0].1).unwrap(), on_a["messages"][0]);
    let frame = tokio::time::timeout(WITHIN, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(frame.to_text().unwrap()).unwrap(), on_a["messages"][0]);

    // The other way, over WebSocket: a chat line sent to B is message 2 on A.
    ws.send(WsMessage::text(r#"{"type":"publish","body":"from B's socket","from":"ana"}"#)).await.unwrap();
    let frame = tokio::time::timeout(WITHIN, ws.next()).await.unwrap().unwrap().unwrap();
    let echoed: serde_json::Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert_eq!((echoed["id"].as_u64(), echoed["body"].as_str()), (Some(2), Some("from B's socket")));
    let on_a = poll_until(&a, "/poll?after=1", |answer| ids(&answer.json()) == [2]).await.json();
    assert_eq!(on_a["messages"][0], echoed);

    // A client that read id 3 on A and asks B at once is given a moment, not a 409.
    let three = publish(&a, "three").await;
    let asked = get(&b, &format!("/poll?after={three}")).await;
    assert_eq!(asked.status, 200, "{}", asked.body);

    // What a publish costs with the Redis hop (POST to 201, which waits for the node's own tail); printed
    // for the record, never asserted (a debug build, on a shared machine).
    let started = Instant::now();
    for n in 0..20 {
        publish(&a, &format!("timed {n}")).await;
    }
    println!("redis: one publish, POST to 201 on a fresh connection: {:?} on average", started.elapsed() / 20);
}

#[tokio::test]
async fn a_late_node_backfills_and_ids_stay_contiguous_under_concurrent_publishes() {
    let Some(redis) = redis(RedisOptions::default()) else { return };
    let (a, b) = (Arc::new(node(&redis, 1000)), Arc::new(node(&redis, 1000)));
    let publishers: Vec<_> = (0..8)
        .map(|p| {
            let server = Arc::clone(if p % 2 == 0 { &a } else { &b });
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..25 {
                    ids.push(publish(&server, &format!("p{p} n{n}")).await);
                }
                ids
            })
        })
        .collect();
    let mut all = Vec::new();
    for publisher in publishers {
        all.extend(publisher.await.unwrap());
    }
    all.sort_unstable();
    assert_eq!(all, (1..=200).collect::<Vec<_>>(), "every id once, none skipped, across both nodes");

    // Both nodes and a node started now hold the same 200 messages in the same order.
    let late = node(&redis, 1000);
    let reference = get(&a, "/poll?after=0&limit=1000").await.json();
    assert_eq!(ids(&reference), (1..=200).collect::<Vec<_>>());
    for server in [&*b, &late] {
        let answer = poll_until(server, "/poll?after=0&limit=1000", |answer| {
            answer.status == 200 && ids(&answer.json()).len() == 200
        })
        .await
        .json();
        assert_eq!(answer["messages"], reference["messages"]);
        assert_eq!(answer["epoch"], reference["epoch"]);
    }
}

#[tokio::test]
async fn trimming_gives_a_gap_on_every_node() {
    let Some(redis) = redis(RedisOptions::default()) else { return };
    let a = node(&redis, 5);
    for n in 1..=300 {
        publish(&a, &format!("m{n}")).await;
    }
    // Redis trims the stream to about the retention (whole nodes of entries at a time, `MAXLEN ~`): a node
    // started now sees only what is left, and tells an old cursor what it missed.
    let late = node(&redis, 5);
    for server in [&a, &late] {
        let answer = poll_until(server, "/poll?after=0", |answer| ids(&answer.json()).last() == Some(&300)).await;
        let answer = answer.json();
        let first = ids(&answer)[0];
        assert_eq!(ids(&answer), (first..=300).collect::<Vec<_>>());
        assert_eq!(answer["gap"], serde_json::json!({"from": 1, "to": first - 1}));
    }
    let kept: u64 = redis.command(&["XLEN", "test:stream"]).unwrap().trim_start_matches(':').parse().unwrap();
    assert!(kept < 300, "Redis trimmed the stream: {kept} entries kept");
}

#[tokio::test]
async fn flushall_gives_the_409_epoch_answer_and_ids_start_again() {
    let Some(redis) = redis(RedisOptions::default()) else { return };
    let (a, b) = (Arc::new(node(&redis, 1000)), node(&redis, 1000));
    // A read first, so each node's worker keeps its own copy of what follows (its mirror).
    for server in [&*a, &b] {
        assert_eq!(get(server, "/poll").await.status, 200);
    }
    for n in 1..=3 {
        publish(&a, &format!("m{n}")).await;
    }
    // Both nodes have read the old feed from their copies.
    for server in [&*a, &b] {
        poll_until(server, "/poll?after=0", |answer| ids(&answer.json()) == [1, 2, 3]).await;
    }
    let old = epoch(&b).await;
    let (mut ws, _) = ws_connect(&b, "/ws?after=3", &[]).await.unwrap();
    wait_open(&b, "ws", 1, WITHIN).await;
    let held = tokio::spawn({
        let a = Arc::clone(&a);
        async move { get(&a, "/longpoll?after=3&timeout_ms=20000").await }
    });
    wait_open(&a, "longpoll", 1, WITHIN).await;

    assert_eq!(redis.command(&["FLUSHALL"]).unwrap(), "+OK");

    // Within about a second each node notices, starts over, and answers an old cursor with the epoch 409.
    for server in [&*a, &b] {
        let refused = poll_until(server, &format!("/poll?after=3&epoch={old}"), |answer| answer.status == 409).await;
        let body = refused.json();
        assert_eq!(body["field"], "epoch", "{body}");
        assert_ne!(body["epoch"].as_u64(), Some(old));
    }
    // A held long-poll is answered with it too, instead of reading the new feed from the old cursor.
    let held = tokio::time::timeout(WITHIN, held).await.unwrap().unwrap();
    assert_eq!((held.status, held.json()["field"].clone()), (409, "epoch".into()), "{}", held.body);
    // An open stream is closed with 1012 (service restart): its cursor means nothing in the new feed.
    let closed = tokio::time::timeout(WITHIN, ws.next()).await.expect("no close").unwrap().unwrap();
    match closed {
        WsMessage::Close(Some(close)) => assert_eq!(u16::from(close.code), 1012),
        other => panic!("expected close 1012, got {other:?}"),
    }
    // The new feed starts at 1, on both nodes, under one new epoch.
    assert_eq!(publish(&b, "after the flush").await, 1);
    for server in [&*a, &b] {
        let answer = poll_until(server, "/poll?after=0", |answer| ids(&answer.json()) == [1]).await.json();
        assert_eq!(answer["messages"][0]["body"], "after the flush", "the new message, not the old copy");
    }
    assert_eq!(epoch(&a).await, epoch(&b).await);
}

#[tokio::test]
async fn redis_stopped_refuses_publishes_with_503_and_started_again_loses_nothing() {
    let Some(mut redis) = redis(RedisOptions { append_only: true }) else { return };
    let (a, b) = (node(&redis, 1000), node(&redis, 1000));
    for n in 1..=3 {
        publish(&a, &format!("m{n}")).await;
    }
    poll_until(&b, "/poll?after=0", |answer| ids(&answer.json()) == [1, 2, 3]).await;
    let before = epoch(&a).await;

    redis.stop();
    // Publishing is refused with 503, Retry-After and the usual JSON error...
    let refused = try_publish(&a, "during the outage").await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert!(refused.headers.contains_key("retry-after"));
    assert_eq!(refused.headers["content-type"], "application/json");
    assert!(refused.json()["error"].as_str().unwrap().contains("Redis"), "{}", refused.body);
    let (mut ws, _) = ws_connect(&b, "/ws", &[]).await.unwrap();
    ws.send(WsMessage::text(r#"{"type":"publish","body":"also refused"}"#)).await.unwrap();
    let reply = tokio::time::timeout(WITHIN, ws.next()).await.unwrap().unwrap().unwrap();
    let reply: serde_json::Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
    assert_eq!(reply["type"], "error", "{reply}");
    // ...while reads go on from what each node has.
    for server in [&a, &b] {
        assert_eq!(ids(&get(server, "/poll?after=0").await.json()), vec![1, 2, 3]);
    }

    redis.restart().expect("redis-server starts again");
    // The nodes reconnect by themselves; with the append-only file the same feed goes on: same epoch, the
    // acknowledged messages kept, the next id 4.
    let deadline = Instant::now() + WITHIN;
    let id = loop {
        let answer = try_publish(&a, "after the outage").await;
        if answer.status == 201 {
            break answer.json()["id"].as_u64().unwrap();
        }
        assert!(Instant::now() < deadline, "publishing never resumed: {}", answer.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(id, 4);
    let on_b = poll_until(&b, "/poll?after=0", |answer| ids(&answer.json()) == [1, 2, 3, 4]).await.json();
    assert_eq!(on_b["messages"][3]["body"], "after the outage");
    assert_eq!((epoch(&a).await, epoch(&b).await), (before, before));
    let feed = stats(&a).await["feed"].clone();
    assert!(feed["errors"].as_u64().unwrap() > 0 && feed["reconnects"].as_u64().unwrap() > 0, "{feed}");
}

#[tokio::test]
async fn redis_restarted_without_persistence_is_a_new_feed() {
    let Some(mut redis) = redis(RedisOptions::default()) else { return };
    let a = node(&redis, 1000);
    publish(&a, "lost with the restart").await;
    let old = epoch(&a).await;
    redis.restart().expect("redis-server starts again");
    // Nothing was kept: the node starts over under a new epoch, and an old cursor gets the 409 epoch answer.
    let refused = poll_until(&a, &format!("/poll?after=1&epoch={old}"), |answer| answer.status == 409).await;
    assert_eq!(refused.json()["field"], "epoch");
    let deadline = Instant::now() + WITHIN;
    loop {
        let answer = try_publish(&a, "first of the new feed").await;
        if answer.status == 201 {
            assert_eq!(answer.json()["id"], 1);
            break;
        }
        assert!(Instant::now() < deadline, "publishing never resumed: {}", answer.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn reuse_port_lets_two_servers_share_one_port() {
    let first = feedlab_server::bind("127.0.0.1:0".parse().unwrap(), true).unwrap();
    let addr = first.local_addr().unwrap();
    let second = feedlab_server::bind(addr, true).expect("a second listener on the same port");
    assert_eq!(
        feedlab_server::bind(addr, false).unwrap_err().kind(),
        std::io::ErrorKind::AddrInUse,
        "without the flag the port is taken"
    );
    let servers = [TestServer::start_on(first, Config::default()), TestServer::start_on(second, Config::default())];
    assert_eq!(servers[0].addr, servers[1].addr);
    // Both answer on the one port (the kernel spreads connections; each answer is a whole answer).
    for _ in 0..10 {
        assert_eq!(get(&servers[0], "/time").await.status, 200);
    }
}

#[tokio::test]
async fn a_node_holds_two_redis_connections_whatever_its_clients() {
    let Some(redis) = redis(RedisOptions::default()) else { return };
    let (a, b) = (node(&redis, 100), node(&redis, 100));
    // Each node's tail connects once it starts and its publishing connection with the first publish.
    publish(&a, "warm a").await;
    publish(&b, "warm b").await;
    let before = redis.connected_clients().unwrap();
    assert_eq!(before, 4, "publish + tail per node");
    let (mut ws, mut sse) = (Vec::new(), Vec::new());
    for node in [&a, &b] {
        for _ in 0..20 {
            ws.push(ws_connect(node, "/ws?after=0", &[]).await.unwrap().0);
            sse.push(open_sse(node, "/sse?after=0", "").await);
        }
        wait_open(node, "ws", 20, WITHIN).await;
        wait_open(node, "sse", 20, WITHIN).await;
    }
    publish(&a, "to everyone").await;
    assert_eq!(redis.connected_clients().unwrap(), before, "no Redis connection per client");
}
