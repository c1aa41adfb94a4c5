//! The hub: one per worker thread (and server), the only task of its worker waiting on the feed.
//!
//! actix-web runs each worker as a single-threaded runtime and keeps a connection on the worker that accepted
//! it, so everything here is `Rc` and `Cell`: the hub, its connections and the tasks it wakes share one
//! thread. The hub
//! - holds the worker's [`Mirror`] of the newest messages, which every read on this worker goes through
//!   (poll answers too): one lock per message per worker instead of one per delivery;
//! - keeps the list of tasks waiting for news (streams with nothing left to send, held long-polls) and wakes
//!   them when the feed moves, in slices, yielding between slices so that the worker's other work (a
//!   `POST /messages` among it) never waits for a whole broadcast;
//! - sweeps its streams every [`SWEEP_PERIOD`] at most: heartbeats, client timeouts, stalled readers;
//! - at shutdown, ends its streams and answers its held long-polls.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use feedlab_feed::{Cursor, CursorError, Mirror, View};
use tokio::time::MissedTickBehavior;

use super::Wire;
use super::follower::{Cutoff, Follower, Subscription};
use crate::state::AppState;
use crate::stats::Meter;

/// Messages each worker keeps its own copy of, at most (never more than the feed's retention: a copy of a
/// message the feed has dropped would answer a cursor the feed answers with a gap, and keep memory the
/// retention was set to bound). A connection further behind than this (a reader resuming from an old cursor)
/// reads the shared feed instead, under its lock, until it has caught up.
pub const MIRROR_CAPACITY: usize = 4096;

/// Longest time between two sweeps. Shorter limits (tests use 100 ms heartbeats) sweep more often.
pub const SWEEP_PERIOD: Duration = Duration::from_secs(1);

/// Sweeps per shortest limit, so that a limit is acted on within a quarter of itself.
const SWEEPS_PER_LIMIT: u32 = 4;

/// Tasks woken in a row before the hub yields to the rest of the worker: a publish or a poll arriving during
/// a broadcast to thousands waits for at most this many connections' writes.
const WAKE_SLICE: usize = 32;

thread_local! {
    /// This thread's hub of each server that has one here (one, on a worker thread).
    static HUBS: RefCell<Vec<Rc<Hub>>> = const { RefCell::new(Vec::new()) };
}

/// One worker's fan-out (see the module docs).
#[derive(Debug)]
pub struct Hub {
    state: AppState,
    /// This worker's copy of the newest messages.
    mirror: RefCell<Mirror<Wire>>,
    /// Tasks to wake at the next message.
    waiting: RefCell<Vec<Waker>>,
    /// The previous waiting list, emptied, kept for its allocation.
    spare: RefCell<Vec<Waker>>,
    /// How many times the waiting list was woken: a task already registered in this round is not added again.
    round: Cell<u64>,
    /// Every open stream of this worker, in one array (see [`Follower`]); `None` marks a free place.
    followers: RefCell<Vec<Option<Follower>>>,
    /// Free places in `followers`: a stream keeps its place for life.
    free: RefCell<Vec<usize>>,
    /// When the hub started: its clock's zero.
    started: Instant,
    /// Milliseconds since `started` at the last sweep: the coarse clock of heartbeats, timeouts and stalls,
    /// read for free by every connection.
    now_ms: Cell<u64>,
    /// Set at shutdown: new streams are ended at once.
    closed: Cell<bool>,
    /// The feed's epoch its streams started in: when the feed starts over, they are ended.
    epoch: Cell<u64>,
}

impl Hub {
    /// This worker's hub for `state`'s server, created (and its task spawned) on first use. Must be called on
    /// an actix worker thread.
    pub fn of(state: &AppState) -> Rc<Hub> {
        HUBS.with_borrow_mut(|hubs| {
            if let Some(hub) = hubs.iter().find(|hub| Arc::ptr_eq(&hub.state.feed, &state.feed)) {
                return Rc::clone(hub);
            }
            let hub = Rc::new(Hub {
                mirror: RefCell::new(Mirror::new(&state.feed, MIRROR_CAPACITY.min(state.config.retention))),
                state: state.clone(),
                waiting: RefCell::new(Vec::new()),
                spare: RefCell::new(Vec::new()),
                round: Cell::new(0),
                followers: RefCell::new(Vec::new()),
                free: RefCell::new(Vec::new()),
                started: Instant::now(),
                now_ms: Cell::new(0),
                closed: Cell::new(state.shutdown.is_cancelled()),
                epoch: Cell::new(state.feed.epoch()),
            });
            // Subscribed now, before any connection can wait on this hub: a message published from here on
            // wakes the hub's task even if that task has not run yet.
            let news = state.feed.subscribe();
            actix_web::rt::spawn(run(Rc::clone(&hub), news));
            hubs.push(Rc::clone(&hub));
            hub
        })
    }

    /// The server this hub belongs to.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The hub's coarse clock: milliseconds since it started, as of the last sweep.
    pub fn now_ms(&self) -> u64 {
        self.now_ms.get()
    }

    /// Like [`Feed::read_with`](feedlab_feed::Feed::read_with), from this worker's copy when it holds the
    /// cursor (brought up to date first if the feed moved), else from the feed.
    pub fn read_with<R>(
        &self,
        cursor: Cursor,
        limit: usize,
        f: impl FnOnce(View<'_, Wire>) -> R,
    ) -> Result<R, CursorError> {
        let feed = &self.state.feed;
        let mut mirror = self.mirror.borrow_mut();
        mirror.sync(feed);
        match mirror.read_with(cursor, limit, f) {
            Ok(read) => read,
            Err(f) => {
                drop(mirror);
                feed.read_with(cursor, limit, f)
            }
        }
    }

    /// Registers the task of `cx` to be woken at the next message; `registered` remembers the round it is
    /// registered for, so that a task polled twice is woken once.
    pub fn wait(&self, cx: &Context<'_>, registered: &mut u64) {
        let round = self.round.get();
        if *registered != round {
            *registered = round;
            self.waiting.borrow_mut().push(cx.waker().clone());
        }
    }

    /// Resolves when the feed holds an id after `after`, when it starts over under a new epoch, or at
    /// shutdown.
    pub async fn news_after(&self, after: u64) {
        let mut registered = u64::MAX;
        let epoch = self.state.feed.epoch();
        poll_fn(|cx| {
            if self.closed.get() || self.state.feed.head() > after || self.state.feed.epoch() != epoch {
                return Poll::Ready(());
            }
            self.wait(cx, &mut registered);
            Poll::Pending
        })
        .await
    }

    /// Adds a stream starting after `cursor`, counted by `meter`. `must_speak`: the client must send
    /// something within the client timeout (WebSocket).
    pub fn subscribe(self: &Rc<Self>, cursor: u64, meter: Meter, must_speak: bool) -> Subscription {
        let mut follower = Follower::new(cursor, meter.clone(), must_speak, self.now_ms());
        if self.closed.get() {
            follower.cut_off(Cutoff::Shutdown);
        }
        let mut followers = self.followers.borrow_mut();
        let slot = match self.free.borrow_mut().pop() {
            Some(slot) => {
                followers[slot] = Some(follower);
                slot
            }
            None => {
                followers.push(Some(follower));
                followers.len() - 1
            }
        };
        Subscription::new(Rc::clone(self), slot, meter)
    }

    /// Runs `f` on the stream in `slot`.
    pub(super) fn with_follower<R>(&self, slot: usize, f: impl FnOnce(&mut Follower) -> R) -> R {
        // unwrap: a slot is only freed by its subscription's drop, after which it is never used.
        f(self.followers.borrow_mut()[slot].as_mut().unwrap())
    }

    /// Removes the stream in `slot` (its subscription was dropped).
    pub(super) fn leave(&self, slot: usize) {
        self.followers.borrow_mut()[slot] = None;
        self.free.borrow_mut().push(slot);
    }

    /// Copies the new messages and wakes every waiting task, a slice at a time.
    async fn deliver(&self) {
        let epoch = self.state.feed.epoch();
        if epoch != self.epoch.replace(epoch) {
            for follower in self.followers.borrow_mut().iter_mut().flatten() {
                follower.cut_off(Cutoff::EpochChanged);
            }
        }
        self.mirror.borrow_mut().sync(&self.state.feed);
        let mut batch = self.spare.take();
        std::mem::swap(&mut batch, &mut *self.waiting.borrow_mut());
        self.round.set(self.round.get() + 1);
        for (n, waker) in batch.drain(..).enumerate() {
            waker.wake();
            if (n + 1) % WAKE_SLICE == 0 {
                tokio::task::yield_now().await;
            }
        }
        self.spare.replace(batch);
    }

    /// Checks every stream: heartbeat due, client silent, reader stalled.
    fn sweep(&self, limits: &Limits) {
        let now = self.started.elapsed().as_millis() as u64;
        self.now_ms.set(now);
        let head = self.state.feed.head();
        for follower in self.followers.borrow_mut().iter_mut().flatten() {
            if now - follower.beat_ms >= limits.heartbeat {
                follower.beat_ms = now;
                follower.beat();
            }
            if follower.must_speak && now - follower.heard_ms >= limits.client_timeout {
                follower.cut_off(Cutoff::Silent);
            }
            let cursor = follower.cursor;
            let (seen, since) = follower.progress;
            if cursor >= head || cursor != seen {
                follower.progress = (cursor, now);
            } else if now - since >= limits.stall {
                follower.cut_off(Cutoff::Stalled);
            }
        }
    }

    /// Ends every stream and answers every held long-poll.
    fn shut_down(&self) {
        self.closed.set(true);
        for follower in self.followers.borrow_mut().iter_mut().flatten() {
            follower.cut_off(Cutoff::Shutdown);
        }
        self.waiting.take().into_iter().for_each(Waker::wake);
    }
}

/// The configured limits, in milliseconds of the hub's clock.
struct Limits {
    heartbeat: u64,
    client_timeout: u64,
    stall: u64,
}

/// The hub's task: copy and wake on news, sweep, and at shutdown end everything.
async fn run(hub: Rc<Hub>, mut news: tokio::sync::watch::Receiver<u64>) {
    let config = &hub.state.config;
    let ms = |d: Duration| d.as_millis() as u64;
    let limits = Limits {
        heartbeat: ms(config.heartbeat),
        client_timeout: ms(config.client_timeout),
        stall: ms(config.send_stall),
    };
    let shortest = config.heartbeat.min(config.client_timeout).min(config.send_stall);
    let period = (shortest / SWEEPS_PER_LIMIT).clamp(Duration::from_millis(1), SWEEP_PERIOD);
    let mut sweep = tokio::time::interval(period);
    sweep.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let shutdown = hub.state.shutdown.clone();
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            changed = news.changed() => {
                if changed.is_err() {
                    break;
                }
                hub.deliver().await;
            }
            _ = sweep.tick() => hub.sweep(&limits),
        }
    }
    hub.shut_down();
}
