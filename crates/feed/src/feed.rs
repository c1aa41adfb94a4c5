//! The feed: an append-only log with contiguous ids, a bounded retention ring and cursor reads.
//!
//! Every transport is a different way of asking the same question, "what is there after id N?", so the feed
//! offers exactly that ([`Feed::read`], or [`Feed::read_with`] to look without copying) plus a way to wait
//! until the answer is non-empty ([`Feed::subscribe`]).
//! Nothing here knows about HTTP. The feed alone owns message storage: a slow client holds a cursor, not a
//! private queue, so it costs no memory per message until it is actually sent.

use std::collections::VecDeque;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use tokio::sync::watch;

use crate::message::{Encode, Entry, Kind, Message, now_us};

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

/// The answer to one read, copied out of the feed (see [`Feed::read_with`] for a read that copies nothing).
#[derive(Debug, Clone)]
pub struct Batch<W = ()> {
    /// Messages with ids `> cursor`, oldest first, at most the limit asked for.
    pub entries: Vec<Entry<W>>,
    /// The cursor for the next read: the last id returned, or where the client already was.
    pub next: u64,
    /// Set when the cursor was older than the retained window.
    pub gap: Option<Gap>,
}

/// The answer to one read, seen in place while the feed is locked ([`Feed::read_with`]).
#[derive(Debug)]
pub struct View<'a, W> {
    /// Messages with ids `> cursor`, oldest first, at most the limit asked for. The iterator knows its length
    /// and can be cloned, so a reader can size its output before writing it.
    pub entries: std::collections::vec_deque::Iter<'a, Entry<W>>,
    /// The cursor for the next read when every entry is taken: the last id, or where the client already was.
    pub next: u64,
    /// Set when the cursor was older than the retained window.
    pub gap: Option<Gap>,
}

impl<W: Clone> View<'_, W> {
    /// Copies the view out (reference-count bumps, no byte copies).
    pub fn to_batch(&self) -> Batch<W> {
        Batch { entries: self.entries.clone().cloned().collect(), next: self.next, gap: self.gap }
    }
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

/// The message feed shared by every transport. `W` is what the server builds per message for its transports
/// ([`Entry::wire`]); nothing by default.
#[derive(Debug)]
pub struct Feed<W = ()> {
    pub(crate) log: RwLock<Log<W>>,
    /// The newest id, readable without the lock: "anything after my cursor?" is the question every idle
    /// connection asks, and an atomic load of a line written once per publish costs nothing to share.
    newest: AtomicU64,
    /// The newest id, broadcast so waiting readers wake on publish. A `watch` keeps only the latest value,
    /// which is all a cursor-reader needs: it re-reads the log from its own cursor.
    head: watch::Sender<u64>,
    /// Identifies this feed's lifetime: an in-memory feed starts again at id 1 after a restart, and the epoch
    /// lets a client tell "my cursor belongs to an older feed" from "nothing new". Atomic because a feed fed
    /// from elsewhere ([`Feed::restart`]) starts over under the new epoch of its source.
    epoch: AtomicU64,
    /// Builds each message's [`Entry::wire`] at publish.
    encode: Encode<W>,
}

/// A window of contiguous entries: the feed's retained messages, or a [`Mirror`](crate::Mirror)'s copy of
/// the newest of them. Reads from a cursor, with the gap and the limit, are written once, here.
#[derive(Debug)]
pub(crate) struct Log<W> {
    /// The retained messages, oldest first; ids are contiguous so `entries[i].id == first_id + i`.
    entries: VecDeque<Entry<W>>,
    /// Id of `entries[0]` (or of the next message when empty).
    first_id: u64,
    retention: usize,
}

impl<W> Log<W> {
    /// An empty window whose next message will be `first_id`, keeping at most `retention` entries.
    pub(crate) fn new(first_id: u64, retention: usize) -> Self {
        Self { entries: VecDeque::new(), first_id, retention: retention.max(1) }
    }

    /// The newest id (`first_id - 1` when empty).
    pub(crate) fn head(&self) -> u64 {
        self.first_id + self.entries.len() as u64 - 1
    }

    /// How many entries are kept at most.
    pub(crate) fn retention(&self) -> usize {
        self.retention
    }

    /// Id of the oldest entry kept (or of the next one, when empty).
    pub(crate) fn first_id(&self) -> u64 {
        self.first_id
    }

    /// Appends the entry with id `head() + 1`, dropping the oldest past the retention.
    pub(crate) fn push(&mut self, entry: Entry<W>) {
        debug_assert_eq!(entry.id, self.head() + 1);
        self.entries.push_back(entry);
        if self.entries.len() > self.retention {
            self.entries.pop_front();
            self.first_id += 1;
        }
    }

    /// Empties the window; the next entry pushed must be `first_id`.
    pub(crate) fn restart_at(&mut self, first_id: u64) {
        self.entries.clear();
        self.first_id = first_id;
    }

    /// Entries after `cursor`, at most `limit` (0 is treated as 1).
    pub(crate) fn view(&self, cursor: Cursor, limit: usize) -> Result<View<'_, W>, CursorError> {
        let head = self.head();
        let after = match cursor {
            Cursor::Head => head,
            Cursor::After(after) if after > head => return Err(CursorError::Ahead { after, head }),
            Cursor::After(after) => after,
        };
        let oldest = self.first_id;
        let gap = (after + 1 < oldest).then(|| Gap { from: after + 1, to: oldest - 1 });
        let start = after.max(oldest - 1) + 1;
        let skip = (start - oldest) as usize;
        let take = limit.max(1).min(self.entries.len() - skip);
        let next = start - 1 + take as u64;
        Ok(View { entries: self.entries.range(skip..skip + take), next, gap })
    }

    /// Entries after `after` (all of them, oldest first): what a mirror copies.
    pub(crate) fn since(&self, after: u64) -> std::collections::vec_deque::Iter<'_, Entry<W>> {
        let skip = (after + 1).saturating_sub(self.first_id).min(self.entries.len() as u64) as usize;
        self.entries.range(skip..)
    }
}

impl Feed {
    /// An empty feed keeping the last `retention` messages (at least 1), with nothing built per transport.
    pub fn new(retention: usize) -> Self {
        Self::with_encoding(retention, |_, _| ())
    }
}

impl<W> Feed<W> {
    /// An empty feed keeping the last `retention` messages (at least 1), building each message's
    /// [`Entry::wire`] with `encode` at publish.
    pub fn with_encoding(retention: usize, encode: Encode<W>) -> Self {
        let (head, _) = watch::channel(0);
        Self {
            log: RwLock::new(Log::new(1, retention)),
            newest: AtomicU64::new(0),
            head,
            epoch: AtomicU64::new(new_epoch()),
            encode,
        }
    }

    /// Appends a message and wakes every waiting reader. Returns the stored entry.
    pub fn publish(&self, kind: Kind, from: &str, body: &str) -> Entry<W>
    where
        W: Clone,
    {
        let entry = {
            // unwrap: the lock is only poisoned if a holder panicked, and no code below can panic while holding it.
            let mut log = self.log.write().unwrap();
            let id = log.head() + 1;
            // Assigning id and ts under one lock keeps both monotonic in publish order.
            let ts = now_us();
            let message = Message { id, ts, kind, from: from.to_owned(), body: body.to_owned() };
            let entry = Entry::encoded(&message, self.encode);
            log.push(entry.clone());
            // Under the lock, so the newest id never runs ahead of what the log holds.
            self.newest.store(id, Ordering::Release);
            entry
        };
        self.head.send_replace(entry.id);
        entry
    }

    /// Stores a message whose id and timestamp were assigned elsewhere (a shared feed's source, e.g. a Redis
    /// stream) and wakes every waiting reader. `id == head + 1` is appended; `id > head + 1` starts the
    /// ring again at `id`, so older cursors get the explicit [`Gap`] for the ids this feed never saw;
    /// `id <= head` was already stored and is ignored. Returns the stored entry, or `None` when ignored.
    pub fn append(&self, message: &Message) -> Option<Entry<W>>
    where
        W: Clone,
    {
        let entry = {
            // unwrap: see `publish`.
            let mut log = self.log.write().unwrap();
            let head = log.head();
            if message.id <= head {
                return None;
            }
            if message.id > head + 1 {
                log.restart_at(message.id);
            }
            let entry = Entry::encoded(message, self.encode);
            log.push(entry.clone());
            self.newest.store(message.id, Ordering::Release);
            entry
        };
        self.head.send_replace(entry.id);
        entry.into()
    }

    /// Starts over, empty, under `epoch` (the next message is id 1): what a feed fed from elsewhere does when
    /// its source started over (a flushed or restarted Redis). A client sending the old epoch then gets the
    /// epoch answer, as after a server restart. Waiting readers are woken to see it.
    pub fn restart(&self, epoch: u64) {
        {
            // unwrap: see `publish`.
            let mut log = self.log.write().unwrap();
            log.restart_at(1);
            // Both under the lock: a reader that sees the new head sees the new epoch.
            self.epoch.store(epoch, Ordering::Release);
            self.newest.store(0, Ordering::Release);
        }
        self.head.send_replace(0);
    }

    /// Messages after `cursor`, at most `limit` of them (a `limit` of 0 is treated as 1), copied out.
    pub fn read(&self, cursor: Cursor, limit: usize) -> Result<Batch<W>, CursorError>
    where
        W: Clone,
    {
        self.read_with(cursor, limit, |view| view.to_batch())
    }

    /// Messages after `cursor`, at most `limit` (0 is treated as 1), seen in place by `f` under one read lock:
    /// nothing is copied or allocated. `f` runs while publishers wait, so it should only copy bytes out.
    pub fn read_with<R>(
        &self,
        cursor: Cursor,
        limit: usize,
        f: impl FnOnce(View<'_, W>) -> R,
    ) -> Result<R, CursorError> {
        // unwrap: see `publish`.
        let log = self.log.read().unwrap();
        log.view(cursor, limit).map(f)
    }

    /// The newest published id (0 before the first message). One atomic load: no lock.
    pub fn head(&self) -> u64 {
        self.newest.load(Ordering::Acquire)
    }

    /// A receiver of the newest id: `rx.wait_for(|&head| head > after)` waits for something to read.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    /// This feed's epoch (microseconds at creation), constant until [`Feed::restart`]. One atomic load.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// How many messages are retained at most.
    pub fn retention(&self) -> usize {
        // unwrap: see `publish`.
        self.log.read().unwrap().retention()
    }
}

/// Random bits added to an epoch, so two feeds created in the same microsecond still differ.
const EPOCH_RANDOM_BITS: u32 = 20;

/// A fresh epoch: the creation time in microseconds plus random low bits. It stays below 2^53, so a browser's
/// JavaScript number holds it exactly (microseconds since 1970 need about 51 bits until the year 2100). A
/// shared feed's nodes propose one each to their source, which keeps the first.
pub fn new_epoch() -> u64 {
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
mod tests;
