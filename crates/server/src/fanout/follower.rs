//! One streaming connection as its worker's hub sees it: a cursor, a waker, and what the sweep found.
//!
//! The transport's response body owns a [`Subscription`] and asks it for [`Subscription::next`] whenever
//! actix polls the body: everything after the cursor comes back as one item (the pre-built bytes themselves
//! when one message is pending, one buffer when several are), counted as one batch. When nothing is pending
//! the connection is registered with the hub, which wakes it at the next message.

use std::cell::{Cell, RefCell};
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

    /// Bytes the HTTP layer adds around one item of `len` bytes: chunked encoding's for SSE, none for the
    /// raw stream after a WebSocket upgrade.
    fn item_framing(len: usize) -> usize;
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
}

/// What the hub keeps of one connection: written by the connection, read by the sweep (same thread).
#[derive(Debug)]
pub(super) struct Follower {
    /// The last id handed to the connection's writer.
    pub(super) cursor: Cell<u64>,
    /// The connection's task, for the sweep to wake.
    waker: RefCell<Option<Waker>>,
    /// The hub's wake round this connection is registered for (see [`Hub::wait`]).
    pub(super) registered: Cell<u64>,
    /// A heartbeat is due.
    beat_due: Cell<bool>,
    /// Set once, when the hub decides to end the connection.
    cutoff: Cell<Option<Cutoff>>,
    /// When (hub clock, ms) the client was last heard from, and when the last heartbeat went.
    pub(super) heard_ms: Cell<u64>,
    pub(super) beat_ms: Cell<u64>,
    /// The cursor at the last sweep that saw it move, and when: no move for the stall limit while data is
    /// pending means the writer is blocked.
    pub(super) progress: Cell<(u64, u64)>,
    /// Whether the client must be heard from (WebSocket pongs) or only listens (SSE).
    pub(super) must_speak: bool,
    /// Position in the hub's list, for removal.
    pub(super) index: Cell<usize>,
    /// The connection's counters.
    pub(super) meter: Meter,
    /// Keeps the open-connection gauge up while the connection lives.
    _open: OpenGuard,
}

impl Follower {
    pub(super) fn new(cursor: u64, meter: Meter, must_speak: bool, now_ms: u64) -> Self {
        Follower {
            cursor: Cell::new(cursor),
            waker: RefCell::new(None),
            registered: Cell::new(u64::MAX),
            beat_due: Cell::new(false),
            cutoff: Cell::new(None),
            heard_ms: Cell::new(now_ms),
            beat_ms: Cell::new(now_ms),
            progress: Cell::new((cursor, now_ms)),
            must_speak,
            index: Cell::new(0),
            _open: meter.open(),
            meter,
        }
    }

    /// Ends the connection for `why` (the first reason wins) and wakes it to say so.
    pub(super) fn cut_off(&self, why: Cutoff) {
        if self.cutoff.get().is_none() {
            self.cutoff.set(Some(why));
            if why == Cutoff::Stalled {
                self.meter.add(Counter::SlowReaderCloses, 1);
            }
            self.wake();
        }
    }

    /// Asks for a heartbeat and wakes the connection to send it.
    pub(super) fn beat(&self) {
        self.beat_due.set(true);
        self.wake();
    }

    fn wake(&self) {
        if let Some(waker) = &*self.waker.borrow() {
            waker.wake_by_ref();
        }
    }

    fn remember(&self, cx: &Context<'_>) {
        let mut waker = self.waker.borrow_mut();
        if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *waker = Some(cx.waker().clone());
        }
    }
}

/// A streaming connection's place in its worker's [`Hub`]: it reads the feed from the connection's cursor,
/// and leaves the hub when dropped (when actix drops the response body, however the connection ended).
#[derive(Debug)]
pub struct Subscription {
    hub: Rc<Hub>,
    follower: Rc<Follower>,
}

impl Subscription {
    pub(super) fn new(hub: Rc<Hub>, follower: Rc<Follower>) -> Self {
        Subscription { hub, follower }
    }

    /// Everything after the cursor, as one item for the writer: the bytes of one message as built at
    /// publish, or of several (and a gap announcement) copied into one buffer. Counted as one batch; the
    /// cursor moves past it. `None` when nothing is pending: the task of `cx` is then woken at the next
    /// message (or by the sweep).
    pub fn next<F: Framing>(&self, cx: &Context<'_>) -> Option<Bytes> {
        let follower = &self.follower;
        let read = self.hub.read_with(Cursor::After(follower.cursor.get()), MAX_BATCH, assemble::<F>);
        // A cursor this connection moved itself is never ahead of the feed: an error only means "nothing".
        match read.ok().flatten() {
            Some(batch) => {
                follower.cursor.set(batch.next);
                batch.count::<F>(&follower.meter);
                Some(batch.bytes)
            }
            None => {
                follower.remember(cx);
                self.hub.wait(cx, &follower.registered);
                None
            }
        }
    }

    /// Why the hub ended this connection, if it did.
    pub fn cutoff(&self) -> Option<Cutoff> {
        self.follower.cutoff.get()
    }

    /// True once when a heartbeat is due.
    pub fn heartbeat_due(&self) -> bool {
        self.follower.beat_due.replace(false)
    }

    /// Notes that the client was heard from (any frame), for the client timeout.
    pub fn heard(&self) {
        self.follower.heard_ms.set(self.hub.now_ms());
    }

    /// The last id handed to the writer.
    pub fn cursor(&self) -> u64 {
        self.follower.cursor.get()
    }

    /// This connection's counters.
    pub fn meter(&self) -> &Meter {
        &self.follower.meter
    }

    /// The server this connection belongs to.
    pub fn state(&self) -> &crate::state::AppState {
        self.hub.state()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.leave(&self.follower);
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
        meter.add(Counter::FramingBytes, (len - self.body + F::item_framing(len)) as u64);
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
