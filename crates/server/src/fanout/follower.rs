//! One streaming connection as its worker's hub sees it: a cursor, a waker, and what the sweep found.
//!
//! The transport's response body owns a [`Subscription`] and asks it for [`Subscription::next`] whenever
//! actix polls the body: everything after the cursor comes back as one item (the pre-built bytes themselves
//! when one message is pending, one buffer when several are), counted as one batch. When nothing is pending
//! the connection is registered with the hub, which wakes it at the next message.

use std::rc::Rc;
use std::task::{Context, Waker};

use bytes::{Bytes, BytesMut};
use feedlab_contract::counters::Counter;
use feedlab_feed::{Cursor, Gap, View};

use super::Wire;
use super::hub::Hub;
use crate::stats::{Meter, OpenGuard};

/// Messages put into one item at most: a reader catching up gets them in slices, each one write.
const MAX_BATCH: usize = 256;

/// Bytes put into one item at most (a single larger message still goes alone): actix's HTTP/1 write
/// buffer takes items until it holds 32 KiB, so a larger item would only grow that buffer.
const MAX_BATCH_BYTES: usize = 32 * 1024;

/// How a streaming transport puts feed messages on the wire.
pub trait Framing {
    /// A message's bytes for this transport, built at publish.
    fn message(wire: &Wire) -> &Bytes;

    /// Appends the announcement of a gap (ids the feed no longer holds) to `out`; returns how many of the
    /// bytes appended count as message body (the rest counts as framing).
    fn gap(gap: Gap, out: &mut BytesMut) -> usize;

    /// Bytes the HTTP layer adds around one item of `len` bytes, as far as the server sees them: chunked
    /// encoding's for SSE over HTTP/1.1 (none over h2: see [`Meter::chunk_framing`]), none for the raw stream
    /// after a WebSocket upgrade.
    fn item_framing(len: usize, meter: &Meter) -> usize;
}

/// Why the hub ends a connection (the transport says it its own way: a close code, or the end of the stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cutoff {
    /// The server is shutting down.
    Shutdown,
    /// Data was pending and the connection took none of it for the stall limit: the reader stopped reading.
    Stalled,
    /// The client sent nothing for the client timeout (WebSocket only: it must answer pings).
    Silent,
    /// The feed started over under a new epoch (a shared feed's Redis was flushed or restarted): the
    /// connection's cursor means nothing in the new feed, so the client must start again.
    EpochChanged,
}

/// What the hub keeps of one connection. The hub holds these in one array that its sweep reads front to
/// back: kept in an allocation per connection, each would cost the sweep a cache and TLB miss, which at one
/// message per second per client cost as much as the deliveries themselves.
#[derive(Debug)]
pub(super) struct Follower {
    /// The last id handed to the connection's writer.
    pub(super) cursor: u64,
    /// When (hub clock, ms) the client was last heard from, and when the last heartbeat went.
    pub(super) heard_ms: u64,
    pub(super) beat_ms: u64,
    /// The cursor at the last sweep that saw it move, and when: no move for the stall limit while data is
    /// pending means the writer is blocked.
    pub(super) progress: (u64, u64),
    /// Whether the client must be heard from (WebSocket pongs) or only listens (SSE).
    pub(super) must_speak: bool,
    /// A heartbeat is due.
    beat_due: bool,
    /// Set once, when the hub decides to end the connection.
    cutoff: Option<Cutoff>,
    /// The hub's wake round this connection is registered for (see [`Hub::wait`]).
    registered: u64,
    /// The connection's task, for the sweep to wake.
    waker: Option<Waker>,
    /// The connection's counters.
    meter: Meter,
    /// Keeps the open-connection gauge up while the connection lives.
    _open: OpenGuard,
}

impl Follower {
    pub(super) fn new(cursor: u64, meter: Meter, must_speak: bool, now_ms: u64) -> Self {
        Follower {
            cursor,
            heard_ms: now_ms,
            beat_ms: now_ms,
            progress: (cursor, now_ms),
            must_speak,
            beat_due: false,
            cutoff: None,
            registered: u64::MAX,
            waker: None,
            _open: meter.open(),
            meter,
        }
    }

    /// Ends the connection for `why` (the first reason wins) and wakes it to say so.
    pub(super) fn cut_off(&mut self, why: Cutoff) {
        if self.cutoff.is_none() {
            self.cutoff = Some(why);
            if why == Cutoff::Stalled {
                self.meter.add(Counter::SlowReaderCloses, 1);
            }
            self.wake();
        }
    }

    /// Asks for a heartbeat and wakes the connection to send it.
    pub(super) fn beat(&mut self) {
        self.beat_due = true;
        self.wake();
    }

    fn wake(&self) {
        if let Some(waker) = &self.waker {
            waker.wake_by_ref();
        }
    }
}

/// A streaming connection's place in its worker's [`Hub`]: it reads the feed from the connection's cursor,
/// and leaves the hub when dropped (when actix drops the response body, however the connection ended).
#[derive(Debug)]
pub struct Subscription {
    hub: Rc<Hub>,
    /// Where its [`Follower`] is in the hub's array.
    slot: usize,
    /// The connection's counters (the follower's, for the connection's own use without a lookup).
    meter: Meter,
}

impl Subscription {
    pub(super) fn new(hub: Rc<Hub>, slot: usize, meter: Meter) -> Self {
        Subscription { hub, slot, meter }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Follower) -> R) -> R {
        self.hub.with_follower(self.slot, f)
    }

    /// Everything after the cursor, as one item for the writer: the bytes of one message as built at
    /// publish, or of several (and a gap announcement) copied into one buffer. Counted as one batch; the
    /// cursor moves past it. `None` when nothing is pending: the task of `cx` is then woken at the next
    /// message (or by the sweep).
    pub fn next<F: Framing>(&self, cx: &Context<'_>) -> Option<Bytes> {
        let cursor = self.with(|follower| follower.cursor);
        let read = self.hub.read_with(Cursor::After(cursor), MAX_BATCH, assemble::<F>);
        // A cursor this connection moved itself is never ahead of the feed: an error only means "nothing".
        match read.ok().flatten() {
            Some(batch) => {
                self.with(|follower| follower.cursor = batch.next);
                batch.count::<F>(&self.meter);
                Some(batch.bytes)
            }
            None => {
                let mut registered = self.with(|follower| {
                    if !follower.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        follower.waker = Some(cx.waker().clone());
                    }
                    follower.registered
                });
                self.hub.wait(cx, &mut registered);
                self.with(|follower| follower.registered = registered);
                None
            }
        }
    }

    /// Why the hub ended this connection, if it did.
    pub fn cutoff(&self) -> Option<Cutoff> {
        self.with(|follower| follower.cutoff)
    }

    /// True once when a heartbeat is due.
    pub fn heartbeat_due(&self) -> bool {
        self.with(|follower| std::mem::take(&mut follower.beat_due))
    }

    /// Notes that the client was heard from (any frame), for the client timeout.
    pub fn heard(&self) {
        let now = self.hub.now_ms();
        self.with(|follower| follower.heard_ms = now);
    }

    /// The last id handed to the writer.
    pub fn cursor(&self) -> u64 {
        self.with(|follower| follower.cursor)
    }

    /// This connection's counters.
    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    /// The server this connection belongs to.
    pub fn state(&self) -> &crate::state::AppState {
        self.hub.state()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.leave(self.slot);
    }
}

/// One item for the writer and what it holds, for counting.
#[derive(Debug)]
struct Batch {
    bytes: Bytes,
    /// Messages in it.
    messages: u64,
    /// Bytes of message body in it (message JSON, and what a gap announcement counts as body).
    body: usize,
    /// Whether it starts with a gap announcement.
    gap: bool,
    /// The cursor after it.
    next: u64,
}

impl Batch {
    /// Counts the batch: frames or events, body and framing bytes, messages delivered. Once per batch.
    fn count<F: Framing>(&self, meter: &Meter) {
        let len = self.bytes.len();
        meter.add(Counter::Frames, self.messages + u64::from(self.gap));
        meter.add(Counter::BodyBytes, self.body as u64);
        meter.add(Counter::FramingBytes, (len - self.body + F::item_framing(len, meter)) as u64);
        meter.add(Counter::MessagesDelivered, self.messages);
    }
}

/// Puts a view of the feed into one item (see [`Subscription::next`]); `None` when it is empty.
fn assemble<F: Framing>(view: View<'_, Wire>) -> Option<Batch> {
    let mut entries = view.entries;
    if view.gap.is_none() {
        match entries.len() {
            0 => return None,
            // The common case of a live feed: no copy, the bytes built at publish.
            1 => {
                let entry = entries.next()?;
                let bytes = F::message(&entry.wire).clone();
                return Some(Batch { bytes, messages: 1, body: entry.json.len(), gap: false, next: entry.id });
            }
            _ => {}
        }
    }
    // Size the buffer once: what fits the item's byte budget (always at least one message).
    let mut take = 0;
    let mut size = 64;
    for entry in entries.clone() {
        let len = F::message(&entry.wire).len();
        if take > 0 && size + len > MAX_BATCH_BYTES {
            break;
        }
        take += 1;
        size += len;
    }
    let mut out = BytesMut::with_capacity(size);
    let mut body = view.gap.map_or(0, |gap| F::gap(gap, &mut out));
    let mut next = view.next;
    for entry in entries.take(take) {
        out.extend_from_slice(F::message(&entry.wire));
        body += entry.json.len();
        next = entry.id;
    }
    Some(Batch { bytes: out.freeze(), messages: take as u64, body, gap: view.gap.is_some(), next })
}
