//! Several `--target`s: clients are assigned round-robin, and with `--hop` each reconnect moves a client
//! on to the next target. Two in-memory servers have two feeds (two epochs), so reaching the second is an
//! epoch change: reported as `epoch_changed`, never as loss. Two nodes of one feed on Redis share ids and
//! epoch, so there a hop must lose nothing.

mod common;

use std::time::Duration;

use common::{bench, config, server};
use feedlab_harness::{Target, Transport};

/// 4 WebSocket clients over two servers: clients 0 and 2 on the first (the one published to), 1 and 3 on
/// the second, whose feed answers their cursor with a 409 epoch: each counts one `epoch_changed` and
/// follows the second feed, into which nothing is published, so it is owed nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_are_assigned_round_robin() {
    let (a, b) = (server(), server());
    let mut c = config(&a, Transport::Ws);
    c.clients = 4;
    c.duration = Duration::from_secs(2);
    c.drain = Duration::from_millis(500);
    c.more_targets = vec![Target::parse(&b.url()).unwrap()];
    let r = bench(c).await;
    assert!(r.published > 0, "{r:#?}");
    assert_eq!(r.errors.get("epoch_changed"), Some(&2), "{:?}", r.errors);
    assert_eq!(r.integrity.delivered, r.published * 2, "only the first server's clients get messages: {r:#?}");
    assert_eq!((r.integrity.expected, r.integrity.lost), (r.integrity.delivered, 0), "{r:#?}");
    assert_eq!(r.targets, [a.url(), b.url()]);
    assert!(!r.hop);
}

/// With `--hop` and `--chaos`, clients go back and forth between the two feeds: every move to the other
/// feed is an `epoch_changed`, and nothing is counted lost or duplicated for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hop_to_another_feed_is_an_epoch_change_not_a_loss() {
    let (a, b) = (server(), server());
    let mut c = config(&a, Transport::Ws);
    c.clients = 6;
    c.duration = Duration::from_secs(4);
    c.drain = Duration::from_millis(500);
    c.chaos = 0.5;
    c.hop = true;
    c.more_targets = vec![Target::parse(&b.url()).unwrap()];
    let r = bench(c).await;
    assert!(r.chaos.drops > 0, "{r:#?}");
    // Every drop moved its client to the other feed: one epoch change each (and one per client starting on
    // the second server), unless the drop came in the drain.
    let changes = r.errors.get("epoch_changed").copied().unwrap_or(0);
    assert!(changes > 3, "{:?} after {} drops", r.errors, r.chaos.drops);
    assert_eq!((r.integrity.lost, r.integrity.duplicated, r.integrity.reordered), (0, 0, 0), "{r:#?}");
    assert!(r.hop);
}

/// A hop needs somewhere to go.
#[test]
fn hop_needs_two_targets() {
    let mut c = feedlab_harness::BenchConfig::new(Target::parse("http://127.0.0.1:9").unwrap(), Transport::Ws);
    c.hop = true;
    assert!(c.validate().unwrap_err().to_string().contains("--target more than once"));
}

/// Two nodes of one feed on a real redis-server (started here on a unix socket; the test passes with a
/// SKIPPED line without one, unless `FEEDLAB_REDIS_REQUIRED=1`): clients of every transport move to the other
/// node on every reconnect, chaos dropping a third of them a second, and lose nothing, with no epoch change:
/// a cursor means the same on every node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hopping_between_nodes_of_one_feed_loses_nothing() {
    use feedlab_server::config::FeedSource;
    use feedlab_server::redis_server::RedisServer;
    if RedisServer::program().is_none() {
        assert!(std::env::var("FEEDLAB_REDIS_REQUIRED").as_deref() != Ok("1"), "no redis-server, and it is required");
        println!("SKIPPED redis: redis-server not found");
        return;
    }
    let redis = RedisServer::start().expect("redis-server starts");
    let node = || {
        feedlab_server::testing::TestServer::start(feedlab_server::Config {
            feed: FeedSource::Redis { url: redis.url(), key: "hop".into() },
            publish_per_client_per_s: 0,
            ..feedlab_server::Config::default()
        })
    };
    let (a, b) = (node(), node());
    for transport in [Transport::Poll, Transport::Longpoll, Transport::Sse, Transport::Ws] {
        let mut c = config(&a, transport);
        c.clients = 8;
        c.rate = 20.0;
        c.duration = Duration::from_secs(3);
        c.drain = Duration::from_secs(2);
        c.poll_interval = Duration::from_millis(100);
        c.chaos = 0.3;
        c.hop = true;
        c.more_targets = vec![Target::parse(&b.url()).unwrap()];
        let r = bench(c).await;
        assert!(r.published > 0 && r.chaos.drops > 0, "{transport}: {r:#?}");
        let i = &r.integrity;
        assert_eq!((i.lost, i.duplicated, i.reordered), (0, 0, 0), "{transport}: {r:#?}");
        assert_eq!(i.delivered, i.expected, "{transport}: {r:#?}");
        assert_eq!(r.errors.get("epoch_changed"), None, "{transport}: one feed, one epoch: {:?}", r.errors);
    }
}
