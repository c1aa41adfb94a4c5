//! Several `--target`s: clients are assigned round-robin, and with `--hop` each reconnect moves a client
//! on to the next target. Two in-memory servers have two feeds (two epochs), so reaching the second is an
//! epoch change: reported as `epoch_changed`, never as loss. (Nodes of one shared feed, where a hop must
//! lose nothing, need the Redis feed: that test belongs with it.)

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
