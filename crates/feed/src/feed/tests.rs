//! Tests of the parent module (kept apart so the module itself reads as what it does).

use std::sync::Arc;

use super::*;

fn ids(batch: &Batch) -> Vec<u64> {
    batch.entries.iter().map(|e| e.id).collect()
}

#[test]
fn ids_start_at_one_and_are_contiguous() {
    let feed = Feed::new(10);
    for n in 1..=5 {
        assert_eq!(feed.publish(Kind::Chat, "ana", "hi").id, n);
    }
    let batch = feed.read(Cursor::After(0), 100).unwrap();
    assert_eq!(ids(&batch), vec![1, 2, 3, 4, 5]);
    assert_eq!(batch.next, 5);
    assert_eq!(batch.gap, None);
}

#[test]
fn timestamps_never_go_backwards() {
    let feed = Feed::new(1000);
    let ts: Vec<u64> = (0..500).map(|_| feed.publish(Kind::Tick, "", "").ts).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn head_cursor_sees_only_new_messages() {
    let feed = Feed::new(10);
    feed.publish(Kind::Chat, "a", "old");
    let batch = feed.read(Cursor::Head, 10).unwrap();
    assert!(batch.entries.is_empty());
    assert_eq!(batch.next, 1);
    feed.publish(Kind::Chat, "a", "new");
    assert_eq!(ids(&feed.read(Cursor::After(batch.next), 10).unwrap()), vec![2]);
}

#[test]
fn empty_feed_reads_empty_at_zero() {
    let feed = Feed::new(10);
    let batch = feed.read(Cursor::Head, 10).unwrap();
    assert_eq!((batch.entries.len(), batch.next, batch.gap), (0, 0, None));
    assert_eq!(feed.read(Cursor::After(0), 10).unwrap().next, 0);
}

#[test]
fn limit_caps_a_batch_and_next_resumes() {
    let feed = Feed::new(100);
    for _ in 0..10 {
        feed.publish(Kind::Tick, "", "");
    }
    let first = feed.read(Cursor::After(0), 4).unwrap();
    assert_eq!(ids(&first), vec![1, 2, 3, 4]);
    let second = feed.read(Cursor::After(first.next), 4).unwrap();
    assert_eq!(ids(&second), vec![5, 6, 7, 8]);
}

#[test]
fn retention_drops_oldest_and_reports_gap() {
    let feed = Feed::new(3);
    for _ in 0..10 {
        feed.publish(Kind::Tick, "", "");
    }
    let batch = feed.read(Cursor::After(2), 100).unwrap();
    assert_eq!(batch.gap, Some(Gap { from: 3, to: 7 }));
    assert_eq!(ids(&batch), vec![8, 9, 10]);
    // A cursor exactly at the edge of retention has lost nothing.
    assert_eq!(feed.read(Cursor::After(7), 100).unwrap().gap, None);
}

#[test]
fn cursor_ahead_of_head_is_refused() {
    let feed = Feed::new(3);
    feed.publish(Kind::Tick, "", "");
    assert_eq!(feed.read(Cursor::After(5), 1).unwrap_err(), CursorError::Ahead { after: 5, head: 1 });
}

#[test]
fn json_is_the_wire_format() {
    let feed = Feed::new(3);
    let entry = feed.publish(Kind::Chat, "ana", "<b>hi</b> \"quoted\"");
    let value: serde_json::Value = serde_json::from_str(&entry.json).unwrap();
    assert_eq!(value["id"], 1);
    assert_eq!(value["kind"], "chat");
    assert_eq!(value["from"], "ana");
    assert_eq!(value["body"], "<b>hi</b> \"quoted\"");
    assert_eq!(value["ts"].as_u64(), Some(entry.ts));
    assert_eq!(entry.message().body, "<b>hi</b> \"quoted\"");
}

#[test]
fn many_publishers_get_distinct_contiguous_ids_in_log_order() {
    let feed = Arc::new(Feed::new(100_000));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let feed = Arc::clone(&feed);
            std::thread::spawn(move || {
                (0..1000).map(|_| feed.publish(Kind::Chat, &t.to_string(), "x").id).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<u64> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    all.sort_unstable();
    assert_eq!(all, (1..=8000).collect::<Vec<_>>());
    let batch = feed.read(Cursor::After(0), 10_000).unwrap();
    assert_eq!(ids(&batch), (1..=8000).collect::<Vec<_>>());
    assert!(batch.entries.windows(2).all(|w| w[0].ts <= w[1].ts));
}

#[test]
fn feeds_created_together_have_different_epochs_that_javascript_can_hold() {
    let epochs: std::collections::HashSet<u64> = (0..50).map(|_| Feed::new(1).epoch()).collect();
    assert!(epochs.len() >= 49, "{} distinct of 50", epochs.len());
    assert!(epochs.iter().all(|&e| e < 1 << 53));
}

fn message(id: u64) -> Message {
    Message { id, ts: 1000 + id, kind: Kind::Chat, from: "far".into(), body: format!("m{id}") }
}

#[test]
fn append_takes_ids_assigned_elsewhere_and_restarts_the_ring_past_a_hole() {
    let feed = Feed::new(10);
    for id in 1..=3 {
        assert_eq!(feed.append(&message(id)).map(|e| e.id), Some(id));
    }
    // Already stored: ignored, the head stays.
    assert!(feed.append(&message(2)).is_none());
    assert!(feed.append(&message(3)).is_none());
    assert_eq!(feed.head(), 3);
    let stored = feed.read(Cursor::After(0), 10).unwrap();
    assert_eq!(ids(&stored), vec![1, 2, 3]);
    assert_eq!(stored.entries[1].message(), message(2), "id and ts are the given ones");
    // Past a hole the ring starts again at the new id: older cursors get the explicit gap.
    assert_eq!(feed.append(&message(8)).map(|e| e.id), Some(8));
    assert_eq!(feed.head(), 8);
    let after_hole = feed.read(Cursor::After(3), 10).unwrap();
    assert_eq!((ids(&after_hole), after_hole.gap), (vec![8], Some(Gap { from: 4, to: 7 })));
    assert_eq!(feed.read(Cursor::After(7), 10).unwrap().gap, None);
    // A local publish goes on from there.
    assert_eq!(feed.publish(Kind::Tick, "", "").id, 9);
}

#[tokio::test]
async fn restart_starts_over_under_a_new_epoch_and_wakes_readers() {
    let feed = Feed::new(10);
    feed.publish(Kind::Chat, "a", "old");
    feed.publish(Kind::Chat, "a", "old");
    let old = feed.epoch();
    let mut rx = feed.subscribe();
    rx.borrow_and_update();
    feed.restart(old + 1);
    assert!(rx.has_changed().unwrap(), "readers are woken");
    assert_eq!((feed.epoch(), feed.head(), *rx.borrow()), (old + 1, 0, 0));
    // An old cursor is now ahead; the next message is 1 again.
    assert_eq!(feed.read(Cursor::After(2), 1).unwrap_err(), CursorError::Ahead { after: 2, head: 0 });
    assert_eq!(feed.append(&message(1)).map(|e| e.id), Some(1));
    assert_eq!(ids(&feed.read(Cursor::After(0), 10).unwrap()), vec![1]);
}

#[tokio::test]
async fn subscribers_wake_on_publish() {
    let feed = Arc::new(Feed::new(10));
    let mut rx = feed.subscribe();
    let waiter = tokio::spawn(async move { *rx.wait_for(|&head| head > 0).await.unwrap() });
    tokio::task::yield_now().await;
    feed.publish(Kind::Chat, "a", "b");
    assert_eq!(waiter.await.unwrap(), 1);
}
