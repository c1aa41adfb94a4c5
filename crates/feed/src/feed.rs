//! The feed: an append-only log with contiguous ids, a bounded retention ring and cursor reads.
//!
//! Every transport is a different way of asking the same question, "what is there after id N?", so the feed
//! offers exactly that ([`Feed::read`]) plus a way to wait until the answer is non-empty ([`Feed::subscribe`]).
//! Nothing here knows about HTTP. The feed alone owns message storage: a slow client holds a cursor, not a
//! private queue, so it costs no memory per message until it is actually sent.

use std::collections::VecDeque;
use std::sync::RwLock;

use serde::Serialize;
use tokio::sync::watch;

use crate::message::{Entry, Kind, Message, now_us};

/// How many messages the feed keeps by default: at the 1,000 msg/s top of the suite that is 100 s of history,
/// plenty for a client that reconnects after a drop; older cursors get an explicit [`Gap`].
pub const DEFAULT_RETENTION: usize = 100_000;

/// Where a read starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// Only messages published from now on (a client with no `after`).
    Head,
    /// Messages with `id > n`.
    After(u64),
}

/// Ids a client asked for that the feed no longer retains: loss is reported, never silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// First id that can no longer be delivered.
    pub from: u64,
    /// Last id that can no longer be delivered.
    pub to: u64,
}

/// The answer to one read.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Messages with ids `> cursor`, oldest first, at most the limit asked for.
    pub entries: Vec<Entry>,
    /// The cursor for the next read: the last id returned, or where the client already was.
    pub next: u64,
    /// Set when the cursor was older than the retained window.
    pub gap: Option<Gap>,
}

/// Why a read was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// The client claims to have seen ids this feed never published (typically a cursor from before a restart).
    #[error("cursor {after} is ahead of the newest message {head}")]
    Ahead {
        /// The cursor asked for.
        after: u64,
        /// The newest id of this feed.
        head: u64,
    },
}

/// The message feed shared by every transport.
#[derive(Debug)]
pub struct Feed {
    log: RwLock<Log>,
    /// The newest id, broadcast so waiting readers wake on publish. A `watch` keeps only the latest value,
    /// which is all a cursor-reader needs: it re-reads the log from its own cursor.
    head: watch::Sender<u64>,
    /// Identifies this feed's lifetime: an in-memory feed starts again at id 1 after a restart, and the epoch
    /// lets a client tell "my cursor belongs to an older feed" from "nothing new".
    epoch: u64,
}

#[derive(Debug)]
struct Log {
    /// The retained messages, oldest first; ids are contiguous so `entries[i].id == first_id + i`.
    entries: VecDeque<Entry>,
    /// Id of `entries[0]` (or of the next message when empty).
    first_id: u64,
    retention: usize,
}

impl Feed {
    /// An empty feed keeping the last `retention` messages (at least 1).
    pub fn new(retention: usize) -> Self {
        let (head, _) = watch::channel(0);
        Self {
            log: RwLock::new(Log { entries: VecDeque::new(), first_id: 1, retention: retention.max(1) }),
            head,
            epoch: new_epoch(),
        }
    }

    /// Appends a message and wakes every waiting reader. Returns the stored entry.
    pub fn publish(&self, kind: Kind, from: &str, body: &str) -> Entry {
        let entry = {
            // unwrap: the lock is only poisoned if a holder panicked, and no code below can panic while holding it.
            let mut log = self.log.write().unwrap();
            let id = log.first_id + log.entries.len() as u64;
            // Assigning id and ts under one lock keeps both monotonic in publish order.
            let ts = now_us();
            let entry = Entry::new(&Message { id, ts, kind, from: from.to_owned(), body: body.to_owned() });
            log.entries.push_back(entry.clone());
            if log.entries.len() > log.retention {
                log.entries.pop_front();
                log.first_id += 1;
            }
            entry
        };
        self.head.send_replace(entry.id);
        entry
    }

    /// Messages after `cursor`, at most `limit` of them (a `limit` of 0 is treated as 1).
    pub fn read(&self, cursor: Cursor, limit: usize) -> Result<Batch, CursorError> {
        // unwrap: see `publish`.
        let log = self.log.read().unwrap();
        let head = log.first_id + log.entries.len() as u64 - 1;
        let after = match cursor {
            Cursor::Head => head,
            Cursor::After(after) if after > head => return Err(CursorError::Ahead { after, head }),
            Cursor::After(after) => after,
        };
        let oldest = log.first_id;
        let gap = (after + 1 < oldest).then(|| Gap { from: after + 1, to: oldest - 1 });
        let start = after.max(oldest - 1) + 1;
        let skip = (start - oldest) as usize;
        let entries: Vec<Entry> = log.entries.iter().skip(skip).take(limit.max(1)).cloned().collect();
        let next = entries.last().map_or(start - 1, |e| e.id);
        Ok(Batch { entries, next, gap })
    }

    /// The newest published id (0 before the first message).
    pub fn head(&self) -> u64 {
        *self.head.borrow()
    }

    /// A receiver of the newest id: `rx.wait_for(|&head| head > after)` waits for something to read.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    /// This feed's epoch (microseconds at creation), constant for its lifetime.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// How many messages are retained at most.
    pub fn retention(&self) -> usize {
        // unwrap: see `publish`.
        self.log.read().unwrap().retention
    }
}

/// Random bits added to an epoch, so two feeds created in the same microsecond still differ.
const EPOCH_RANDOM_BITS: u32 = 20;

/// A fresh epoch: the creation time in microseconds plus random low bits. It stays below 2^53, so a browser's
/// JavaScript number holds it exactly (microseconds since 1970 need about 51 bits until the year 2100).
fn new_epoch() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS per process and differs per instance: enough randomness here
    // without a dependency.
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    now_us() + (random & ((1 << EPOCH_RANDOM_BITS) - 1))
}

impl Default for Feed {
    fn default() -> Self {
        Self::new(DEFAULT_RETENTION)
    }
}

#[cfg(test)]
mod tests {
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

    #[tokio::test]
    async fn subscribers_wake_on_publish() {
        let feed = Arc::new(Feed::new(10));
        let mut rx = feed.subscribe();
        let waiter = tokio::spawn(async move { *rx.wait_for(|&head| head > 0).await.unwrap() });
        tokio::task::yield_now().await;
        feed.publish(Kind::Chat, "a", "b");
        assert_eq!(waiter.await.unwrap(), 1);
    }
}
