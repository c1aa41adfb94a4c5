//! The per-client table: for each `client=` id, its own counters and the protocol inspector's records.
//!
//! The page tags its requests with a pane's id to show what that pane alone cost and the heads it last
//! exchanged (`/stats?client=`, `/inspect`); the harness tags its clients too. The table is capped.
//! For a WebSocket client the inspector also keeps the last data frame each way, as raw bytes ([`WsFrames`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use feedlab_contract::counters::Counts;
use feedlab_contract::rfc6455::Header;
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

/// The last WebSocket data frames (text, binary, continuation; no ping, pong or close) between the server
/// and one client, as on the wire: header, masking key and (masked) payload included. Empty until one passed.
#[derive(Debug, Default, Clone)]
pub struct WsFrames {
    /// What the server last sent: the feed's pre-built bytes themselves (a clone shares them), or the batch
    /// of frames that went out in one write, whose last frame [`WsFrames::sent_frame`] picks out.
    sent: Bytes,
    /// The client's last data frame, copied before actix unmasked it (`routes/frames.rs`).
    pub received: Bytes,
}

impl WsFrames {
    /// The last frame the server sent: the last whole frame of the last write.
    pub fn sent_frame(&self) -> Bytes {
        let mut at = 0;
        let mut last = Bytes::new();
        while let Some(header) = Header::read(&self.sent[at..]) {
            let Some(end) = usize::try_from(header.frame_len()).ok().and_then(|len| at.checked_add(len)) else {
                break;
            };
            if end > self.sent.len() {
                break;
            }
            last = self.sent.slice(at..end);
            at = end;
        }
        last
    }
}

/// Counters and inspector records of one `client=` id.
#[derive(Debug, Default)]
pub struct ClientStats {
    counters: ChannelCounters,
    last: Mutex<[Option<Exchange>; Channel::COUNT]>,
    /// Apart from `last`: written at every delivery to this client, so never behind the meter's lock.
    ws_frames: Mutex<WsFrames>,
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

    /// Keeps `write`, one or more whole frames the server sent in one write, as the last sent. Called at
    /// every delivery: a reference count and an uncontended lock (only `/inspect` ever waits on it).
    pub fn ws_sent(&self, write: &Bytes) {
        // unwrap: poisoned only if a holder panicked; the holders only assign and clone.
        self.ws_frames.lock().unwrap().sent = write.clone();
    }

    /// Keeps `frame`, the raw bytes of a data frame the client sent, as the last received.
    pub fn ws_received(&self, frame: Bytes) {
        // unwrap: see `ws_sent`.
        self.ws_frames.lock().unwrap().received = frame;
    }

    /// The last WebSocket frames each way.
    pub fn ws_frames(&self) -> WsFrames {
        // unwrap: see `ws_sent`.
        self.ws_frames.lock().unwrap().clone()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_sent_frame_is_the_last_whole_frame_of_the_last_write() {
        let stats = ClientStats::default();
        assert!(stats.ws_frames().sent_frame().is_empty(), "nothing sent yet");
        let one = Bytes::from_static(&[0x81, 0x02, b'h', b'i']);
        stats.ws_sent(&one);
        assert_eq!(stats.ws_frames().sent_frame(), one);
        // Three frames in one write (a reader catching up): the last one, a 16-bit length.
        let long = [&[0x81, 0x7e, 0x00, 0x80][..], &[b'x'; 128]].concat();
        let batch = Bytes::from([&one[..], &[0x81, 0x00], &long].concat());
        stats.ws_sent(&batch);
        assert_eq!(stats.ws_frames().sent_frame(), long);
        // A cut-off tail is not a frame: the last whole one stands.
        let cut = Bytes::from([&one[..], &long[..10]].concat());
        stats.ws_sent(&cut);
        assert_eq!(stats.ws_frames().sent_frame(), one);
    }
}
