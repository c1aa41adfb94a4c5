//! Counting: an atomic per [`Counter`] per channel, the per-thread shards of the totals, and the [`Meter`]
//! every request and stream counts through.
//!
//! The list of counters is the contract's ([`Counter::ALL`]): the arrays here are indexed by it, so adding a
//! counter there adds it to the snapshot, the reset, `/stats` and `/metrics` at once.
//!
//! The server's totals are sharded per thread ([`Shards`]): every worker thread adds to its own copy of the
//! counters and `/stats` sums the copies. One shared set of atomics, bumped from every core for every
//! delivery, would keep its cache lines travelling between the cores; a shard is written by one thread only
//! (still atomically, so a reader on another thread sees whole values).

use std::cell::RefCell;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use feedlab_contract::counters::{Counter, Counts, Kind};
use feedlab_contract::rfc6455;

use super::{Channel, ClientStats, Stats};

/// One channel's counters (for the server as a whole, or for one client): an atomic per [`Counter`].
#[derive(Debug)]
pub struct Counters([AtomicI64; Counter::COUNT]);

impl Default for Counters {
    fn default() -> Self {
        Counters(std::array::from_fn(|_| AtomicI64::new(0)))
    }
}

impl Counters {
    /// Adds `delta` to `counter`.
    pub fn add(&self, counter: Counter, delta: i64) {
        self.0[counter.index()].fetch_add(delta, Relaxed);
    }

    /// The value of `counter` now.
    pub fn get(&self, counter: Counter) -> i64 {
        self.0[counter.index()].load(Relaxed)
    }

    /// Every counter now.
    pub fn snapshot(&self) -> Counts {
        Counts(std::array::from_fn(|i| self.0[i].load(Relaxed)))
    }

    /// Zeroes the counters. Gauges are live state, not history: zeroing open connections would make the
    /// gauge go negative when they close.
    pub fn reset(&self) {
        for &counter in Counter::ALL.iter().filter(|c| c.kind() == Kind::Counter) {
            self.0[counter.index()].store(0, Relaxed);
        }
    }
}

/// A [`Counters`] per [`Channel`]: the server's totals, or one client's.
#[derive(Debug, Default)]
pub struct ChannelCounters([Counters; Channel::COUNT]);

impl ChannelCounters {
    /// The counters of `channel`.
    pub fn of(&self, channel: Channel) -> &Counters {
        &self.0[channel.index()]
    }

    /// Every channel's counters now, in [`Channel::ALL`] order.
    pub fn snapshot(&self) -> [(Channel, Counts); Channel::COUNT] {
        Channel::ALL.map(|channel| (channel, self.of(channel).snapshot()))
    }

    /// Zeroes every channel's counters (see [`Counters::reset`]).
    pub fn reset(&self) {
        self.0.iter().for_each(Counters::reset);
    }
}

/// The server's totals as one [`ChannelCounters`] per thread that counted, summed when read.
#[derive(Debug)]
pub struct Shards {
    /// Tells this server's shards from another's in a thread's list (tests run several servers per process).
    id: usize,
    /// Every thread's shard, for the readers.
    all: Mutex<Vec<Arc<ChannelCounters>>>,
}

/// Source of [`Shards::id`]s.
static NEXT_SHARDS_ID: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's shard of each server it counted for: (shards id, shard). One entry on a worker thread.
    static LOCAL_SHARDS: RefCell<Vec<(usize, Arc<ChannelCounters>)>> = const { RefCell::new(Vec::new()) };
}

impl Default for Shards {
    fn default() -> Self {
        Self { id: NEXT_SHARDS_ID.fetch_add(1, Relaxed), all: Mutex::new(Vec::new()) }
    }
}

impl Shards {
    /// The calling thread's shard, created on its first use.
    pub fn local(&self) -> Arc<ChannelCounters> {
        LOCAL_SHARDS.with_borrow_mut(|local| {
            if let Some((_, shard)) = local.iter().find(|(id, _)| *id == self.id) {
                return Arc::clone(shard);
            }
            let shard = Arc::new(ChannelCounters::default());
            // unwrap: poisoned only if a holder panicked; pushing and summing do not.
            self.all.lock().unwrap().push(Arc::clone(&shard));
            local.push((self.id, Arc::clone(&shard)));
            shard
        })
    }

    /// Every channel's totals now: the sum of the shards, in [`Channel::ALL`] order.
    pub fn snapshot(&self) -> [(Channel, Counts); Channel::COUNT] {
        // unwrap: see `local`.
        let shards = self.all.lock().unwrap();
        Channel::ALL.map(|channel| {
            let mut sum = Counts::default();
            for shard in shards.iter() {
                for (total, value) in sum.0.iter_mut().zip(shard.of(channel).snapshot().0) {
                    *total += value;
                }
            }
            (channel, sum)
        })
    }

    /// Zeroes every shard's counters (see [`Counters::reset`]).
    pub fn reset(&self) {
        // unwrap: see `local`.
        self.all.lock().unwrap().iter().for_each(|shard| shard.reset());
    }
}

/// The counters one request or stream bumps: the channel's totals and, when tagged, its client's.
#[derive(Debug, Clone)]
pub struct Meter {
    /// The totals' shard of the thread that made this meter: requests and streams stay on their worker.
    shard: Arc<ChannelCounters>,
    /// The channel being metered.
    pub channel: Channel,
    /// The client's own stats when the request carried a valid `client=` id.
    pub client: Option<Arc<ClientStats>>,
    /// The request came over HTTP/2: no HTTP/1.1 chunk lines frame its streamed body.
    pub h2: bool,
}

impl Meter {
    pub(super) fn new(stats: &Stats, channel: Channel, client: Option<Arc<ClientStats>>) -> Self {
        Meter { shard: stats.totals.local(), channel, client, h2: false }
    }

    /// The same meter for a request that came over HTTP/2.
    pub fn over_h2(self) -> Self {
        Meter { h2: true, ..self }
    }

    /// Framing bytes the transfer adds around one streamed chunk of `len` bytes: HTTP/1.1's chunk line and
    /// CRLF. Over HTTP/2 it is a DATA frame header that actix-http writes out of sight, so 0 (not counted).
    pub fn chunk_framing(&self, len: usize) -> usize {
        if self.h2 { 0 } else { super::wire::chunk_framing_len(len) }
    }

    /// Adds `n` to `counter`, in the totals and in the client's counters. Gauges move only through
    /// [`Meter::open`], which cannot forget to move them back.
    pub fn add(&self, counter: Counter, n: u64) {
        debug_assert_eq!(counter.kind(), Kind::Counter, "{counter:?} is a gauge");
        self.bump(counter, n as i64);
    }

    fn bump(&self, counter: Counter, delta: i64) {
        self.shard.of(self.channel).add(counter, delta);
        if let Some(client) = &self.client {
            client.counters(self.channel).add(counter, delta);
        }
    }

    /// The same client's meter for another channel: a WebSocket's uploaded chat frames count as publish
    /// traffic, apart from delivery, as DESIGN.md asks.
    pub fn for_channel(&self, channel: Channel) -> Meter {
        Meter { channel, ..self.clone() }
    }

    /// Marks a connection open until the returned guard is dropped, however the task ends.
    pub fn open(&self) -> OpenGuard {
        self.bump(Counter::OpenConnections, 1);
        OpenGuard(self.clone())
    }

    /// Counts one frame or event: `payload` bytes of message and `framing` bytes around it.
    pub fn frame(&self, payload: usize, framing: usize) {
        self.add(Counter::Frames, 1);
        self.add(Counter::BodyBytes, payload as u64);
        self.add(Counter::FramingBytes, framing as u64);
    }

    /// Counts one WebSocket frame the client sent: its payload and its header, mask included (RFC 6455 5.3:
    /// every client-to-server frame is masked).
    pub fn ws_received(&self, payload: usize) {
        self.frame(payload, rfc6455::header_len(payload as u64, true));
    }

    /// Counts one WebSocket frame the server sent: its payload and its unmasked header.
    pub fn ws_sent(&self, payload: usize) {
        self.frame(payload, rfc6455::header_len(payload as u64, false));
    }
}

/// Decrements the open-connection gauge when dropped (see [`Meter::open`]).
#[derive(Debug)]
pub struct OpenGuard(Meter);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.bump(Counter::OpenConnections, -1);
    }
}
