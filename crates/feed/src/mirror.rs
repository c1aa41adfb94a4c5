//! A mirror: one thread's own copy of the newest part of the feed.
//!
//! A server pushing one message to thousands of connections reads the feed thousands of times. Reading the
//! shared [`Feed`] each time means taking its lock and bumping the reference counts of its bytes from every
//! core at once: atomics on cache lines that bounce between cores, once per delivery. A mirror is copied from
//! the feed once per message per thread ([`Mirror::sync`]: one lock, deep copies, see [`Unshared`]) and then
//! read by that thread alone, with no lock and no shared counter. It keeps only the newest `capacity`
//! messages; a cursor older than that reads the feed itself, which is what [`Mirror::read_with`] says.

use crate::feed::{Cursor, CursorError, Feed, Log, View};
use crate::message::Unshared;

/// One thread's copy of the newest messages of a feed (see the module docs).
#[derive(Debug)]
pub struct Mirror<W> {
    log: Log<W>,
    /// The feed's epoch the copy belongs to: when the feed starts over ([`Feed::restart`]), so does the copy.
    epoch: u64,
}

impl<W: Unshared> Mirror<W> {
    /// An empty mirror of `feed` from its current head on, keeping at most `capacity` messages.
    pub fn new(feed: &Feed<W>, capacity: usize) -> Self {
        Self { log: Log::new(feed.head() + 1, capacity), epoch: feed.epoch() }
    }

    /// The newest id copied.
    pub fn head(&self) -> u64 {
        self.log.head()
    }

    /// Copies what `feed` published since the last sync, at most the newest `capacity` messages, under one
    /// read lock. Cheap when there is nothing new (one atomic load).
    pub fn sync(&mut self, feed: &Feed<W>) {
        let epoch = feed.epoch();
        if epoch != self.epoch {
            // The feed started over: nothing copied belongs to it any more.
            self.epoch = epoch;
            self.log.restart_at(1);
        }
        if feed.head() <= self.log.head() {
            return;
        }
        // unwrap: poisoned only if a publisher panicked holding it, and publish cannot panic there.
        let log = feed.log.read().unwrap();
        let newest = log.head();
        let capacity = self.log.retention() as u64;
        // Too far behind to keep contiguity with what we hold: start again from the newest `capacity`.
        let from = self.log.head().max(newest.saturating_sub(capacity)).max(log.first_id() - 1);
        if from != self.log.head() {
            self.log.restart_at(from + 1);
        }
        for entry in log.since(from) {
            self.log.push(entry.unshared());
        }
    }

    /// Like [`Feed::read_with`], from the copy: `Err(f)` hands `f` back when the cursor is older than the
    /// copy (read the feed then: it knows the older messages, or the gap).
    pub fn read_with<R, F: FnOnce(View<'_, W>) -> R>(
        &self,
        cursor: Cursor,
        limit: usize,
        f: F,
    ) -> Result<Result<R, CursorError>, F> {
        match cursor {
            Cursor::After(after) if after + 1 < self.log.first_id() => Err(f),
            _ => Ok(self.log.view(cursor, limit).map(f)),
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::Kind;

    fn feed() -> Feed<Bytes> {
        Feed::with_encoding(100, |id, json| Bytes::from(format!("{id}:{json}")))
    }

    fn ids<W>(view: View<'_, W>) -> Vec<u64> {
        view.entries.map(|e| e.id).collect()
    }

    #[test]
    fn a_mirror_reads_what_the_feed_reads_from_its_own_copies() {
        let feed = feed();
        feed.publish(Kind::Chat, "a", "before");
        let mut mirror = Mirror::new(&feed, 10);
        assert_eq!(mirror.head(), 1);
        for body in ["one", "two", "three"] {
            feed.publish(Kind::Chat, "a", body);
        }
        mirror.sync(&feed);
        assert_eq!(mirror.head(), 4);
        let copied = mirror.read_with(Cursor::After(1), 10, |view| view.to_batch()).ok().unwrap().unwrap();
        let shared = feed.read(Cursor::After(1), 10).unwrap();
        assert_eq!(copied.entries.iter().map(|e| e.id).collect::<Vec<_>>(), vec![2, 3, 4]);
        for (copy, original) in copied.entries.iter().zip(&shared.entries) {
            assert_eq!((&copy.json, &copy.wire), (&original.json, &original.wire));
            // Same bytes, different allocations: no reference count is shared with the feed.
            assert_ne!(copy.wire.as_ptr(), original.wire.as_ptr());
            assert_ne!(copy.json.as_ptr(), original.json.as_ptr());
        }
        assert_eq!(copied.next, 4);
    }

    #[test]
    fn a_cursor_older_than_the_copy_is_handed_back_to_the_feed() {
        let feed = feed();
        let mut mirror = Mirror::new(&feed, 3);
        for _ in 0..10 {
            feed.publish(Kind::Tick, "", "");
        }
        mirror.sync(&feed);
        // Only the newest three were copied.
        assert_eq!(mirror.read_with(Cursor::After(7), 10, ids).ok().unwrap().unwrap(), vec![8, 9, 10]);
        assert!(mirror.read_with(Cursor::After(6), 10, ids).is_err(), "7 is not in the copy");
        assert_eq!(mirror.read_with(Cursor::After(10), 10, ids).ok().unwrap().unwrap(), Vec::<u64>::new());
        assert_eq!(
            mirror.read_with(Cursor::After(11), 10, ids).ok().unwrap().unwrap_err(),
            CursorError::Ahead { after: 11, head: 10 }
        );
        // Limits apply as in the feed.
        assert_eq!(mirror.read_with(Cursor::After(7), 2, ids).ok().unwrap().unwrap(), vec![8, 9]);
    }

    #[test]
    fn a_feed_that_starts_over_empties_the_copy() {
        let feed = feed();
        let mut mirror = Mirror::new(&feed, 10);
        for _ in 0..5 {
            feed.publish(Kind::Tick, "", "");
        }
        mirror.sync(&feed);
        feed.restart(feed.epoch() + 1);
        feed.publish(Kind::Chat, "a", "new");
        mirror.sync(&feed);
        assert_eq!(mirror.head(), 1);
        let copied = mirror.read_with(Cursor::After(0), 10, |view| view.to_batch()).ok().unwrap().unwrap();
        assert_eq!(copied.entries[0].message().body, "new");
        // Restarted without news yet: the copy is empty too, and an old cursor is ahead.
        feed.restart(feed.epoch() + 1);
        mirror.sync(&feed);
        assert_eq!(
            mirror.read_with(Cursor::After(1), 10, ids).ok().unwrap().unwrap_err(),
            CursorError::Ahead { after: 1, head: 0 }
        );
    }

    #[test]
    fn syncing_again_copies_only_the_new_messages_and_keeps_ids_contiguous() {
        let feed = feed();
        let mut mirror = Mirror::new(&feed, 4);
        for round in 0..5 {
            for _ in 0..round {
                feed.publish(Kind::Tick, "", "");
            }
            mirror.sync(&feed);
            let head = feed.head();
            assert_eq!(mirror.head(), head);
            let from = head.saturating_sub(4);
            let want: Vec<u64> = (from + 1..=head).collect();
            assert_eq!(mirror.read_with(Cursor::After(from), 100, ids).ok().unwrap().unwrap(), want);
        }
    }
}
