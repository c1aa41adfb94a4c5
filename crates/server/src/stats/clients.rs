//! The per-client table: for each `client=` id, its own counters and the protocol inspector's records.
//!
//! The page tags its requests with a pane's id to show what that pane alone cost and the heads it last
//! exchanged (`/stats?client=`, `/inspect`); the harness tags its clients too. The table is capped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use feedlab_contract::counters::Counts;
use serde::Serialize;

use super::{Channel, ChannelCounters, Counters};

/// How many distinct `client=` ids get their own counters. The page uses a handful; a harness run may tag
/// thousands. Past this, requests still count in the per-transport totals, and `untracked_clients` grows.
pub const MAX_TRACKED_CLIENTS: usize = 20_000;

/// The last exchange the server saw for one client on one channel, for the page's protocol inspector.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// Request line and headers as received (reconstructed from the parsed request).
    pub request: String,
    /// Status line and headers as sent.
    pub response: String,
    /// When it happened, microseconds since the Unix epoch.
    pub at_us: u64,
}

/// Counters and inspector records of one `client=` id.
#[derive(Debug, Default)]
pub struct ClientStats {
    counters: ChannelCounters,
    last: Mutex<[Option<Exchange>; Channel::COUNT]>,
}

impl ClientStats {
    /// This client's counters for `channel`.
    pub fn counters(&self, channel: Channel) -> &Counters {
        self.counters.of(channel)
    }

    /// Keeps `exchange` as the last one seen on `channel`.
    pub fn record(&self, channel: Channel, exchange: Exchange) {
        // unwrap: poisoned only if a holder panicked; the holders here only assign and clone.
        self.last.lock().unwrap()[channel.index()] = Some(exchange);
    }

    /// The last exchange per channel, for the channels that had one.
    pub fn inspect(&self) -> Vec<(Channel, Exchange)> {
        // unwrap: see `record`.
        let last = self.last.lock().unwrap();
        Channel::ALL.into_iter().filter_map(|c| last[c.index()].clone().map(|e| (c, e))).collect()
    }

    /// Every channel's counters of this client now.
    pub fn snapshot(&self) -> [(Channel, Counts); Channel::COUNT] {
        self.counters.snapshot()
    }

    /// Zeroes this client's counters (the page's "reset").
    pub fn reset(&self) {
        self.counters.reset();
    }
}

/// The table of tracked clients, up to [`MAX_TRACKED_CLIENTS`].
#[derive(Debug, Default)]
pub struct Clients {
    table: Mutex<HashMap<String, Arc<ClientStats>>>,
    untracked: AtomicU64,
}

impl Clients {
    /// The stats of `id`, created on first use while under [`MAX_TRACKED_CLIENTS`].
    pub fn track(&self, id: &str) -> Option<Arc<ClientStats>> {
        // unwrap: poisoned only if a holder panicked; map operations do not.
        let mut table = self.table.lock().unwrap();
        if let Some(stats) = table.get(id) {
            return Some(Arc::clone(stats));
        }
        if table.len() >= MAX_TRACKED_CLIENTS {
            self.untracked.fetch_add(1, Relaxed);
            return None;
        }
        let stats = Arc::new(ClientStats::default());
        table.insert(id.to_owned(), Arc::clone(&stats));
        Some(stats)
    }

    /// The stats of `id` if it has been seen, without creating them.
    pub fn get(&self, id: &str) -> Option<Arc<ClientStats>> {
        // unwrap: see `track`.
        self.table.lock().unwrap().get(id).cloned()
    }

    /// How many clients have their own stats.
    pub fn len(&self) -> usize {
        // unwrap: see `track`.
        self.table.lock().unwrap().len()
    }

    /// True before the first tagged request.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many `client=` ids were not tracked because [`MAX_TRACKED_CLIENTS`] was reached.
    pub fn untracked(&self) -> u64 {
        self.untracked.load(Relaxed)
    }

    /// Zeroes every client's counters.
    pub fn reset(&self) {
        // unwrap: see `track`.
        self.table.lock().unwrap().values().for_each(|stats| stats.reset());
    }
}
