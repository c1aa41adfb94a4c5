//! One feed shared by several server processes, on a Redis stream (`feedlab serve --feed redis://...`).
//!
//! The contract every node keeps is the single server's: ids contiguous from 1, one epoch per run of the
//! feed, an explicit gap for what was trimmed. Redis holds three keys under one prefix (`--feed-key`):
//! - `<p>:seq`, the id counter, and `<p>:meta`, a hash whose `epoch` names this run of the feed;
//! - `<p>:stream`, the messages, under the explicit ids `N-0`, trimmed to about the retention.
//!
//! **Publishing** is one Lua script ([`PUBLISH_SCRIPT`]), so that no two nodes can interleave: it
//! increments the counter, takes the timestamp from Redis's clock, sets the epoch if there is none yet (each
//! node proposes a fresh one; the first wins) and appends the message with that id. This is how Centrifugo
//! keeps offsets and epochs in Redis.
//!
//! **Reading** stays local. Each node tails the stream into its own ring ([`Feed::append`]) with `XREAD
//! BLOCK` on a connection of its own (a blocked connection answers nothing else), so every transport reads
//! memory, as on one server. A node starting late reads the stream from its start (at most the retention),
//! and a publish is acknowledged only once this node's tail has brought the message back: a client that
//! published can read its message at once from the same node.
//!
//! **Starting over.** A flushed Redis, or one restarted without persistence, has no epoch any more: the
//! tail notices within a second ([`EPOCH_CHECK_PERIOD`]), proposes a new one, and the node's feed starts
//! over under it ([`Feed::restart`]); clients then get the 409 epoch answer, as after a server restart. A
//! publish that gets an epoch back other than the node's wakes the tail at once.
//!
//! **Outages.** Publishing answers 503 + Retry-After while Redis cannot be reached; reads keep serving the
//! ring; both connections are made again by themselves. An outage is logged once when it starts and once
//! when it ends, and errors and reconnects are counted (`/stats`, `"feed"`).
//!
//! [`Feed::append`]: feedlab_feed::Feed::append
//! [`Feed::restart`]: feedlab_feed::Feed::restart

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use feedlab_feed::{Cursor, Entry, Kind, Message, new_epoch};
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamReadOptions, StreamReadReply};
use redis::{AsyncCommands, AsyncConnectionConfig, Client, RedisError, Script};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{BackendCounters, FeedBackend, PublishError};
use crate::fanout::{ServerFeed, Wire};

/// Publishes one message: `KEYS` = stream, counter, meta; `ARGV` = proposed epoch, retention, kind, from,
/// body. Returns `{id, ts, epoch}`. `TIME` gives seconds and microseconds apart; the timestamp is built as a
/// string because Lua numbers are doubles.
pub const PUBLISH_SCRIPT: &str = r"
local id = redis.call('INCR', KEYS[2])
local now = redis.call('TIME')
local ts = now[1] .. string.format('%06d', tonumber(now[2]))
redis.call('HSETNX', KEYS[3], 'epoch', ARGV[1])
local epoch = redis.call('HGET', KEYS[3], 'epoch')
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], string.format('%d-0', id),
  'ts', ts, 'epoch', epoch, 'kind', ARGV[3], 'from', ARGV[4], 'body', ARGV[5])
return {id, ts, epoch}
";

/// The feed's epoch, set to the proposal (`ARGV[1]`) when there is none: `KEYS[1]` = meta.
const EPOCH_SCRIPT: &str = r"
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
return redis.call('HGET', KEYS[1], 'epoch')
";

/// How long one `XREAD` blocks: the longest the tail goes without checking the epoch when the feed is quiet.
const BLOCK: Duration = Duration::from_secs(1);

/// How often the tail checks the epoch even while messages keep coming: a flush is noticed within this.
pub const EPOCH_CHECK_PERIOD: Duration = Duration::from_secs(1);

/// Messages one `XREAD` returns at most: a late node backfills in slices of this.
const READ_COUNT: usize = 1000;

/// How long a publish waits for this node's tail to bring its message back before answering 503. The tail
/// is a round trip behind the script, so only a stalled Redis or node comes near it.
pub const ACK_WAIT: Duration = Duration::from_secs(3);

/// How long a cursor ahead of this node waits for the tail before the 409: another node published it a
/// moment ago, and this node is a round trip behind.
pub const AHEAD_WAIT: Duration = Duration::from_secs(1);

/// Pause between two attempts to reach Redis; publishes in the meantime fail at once (503) instead of each
/// trying to connect.
pub const RECONNECT_PAUSE: Duration = Duration::from_millis(500);

/// What a client refused during an outage is told to wait.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Longest wait for a command on the publish connection. The script is short; a Redis that does not answer
/// within this is as good as gone.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Longest wait to open a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The three keys of a feed under its prefix.
#[derive(Debug, Clone)]
pub struct Keys {
    /// `<p>:stream`: the messages.
    pub stream: String,
    /// `<p>:seq`: the id counter.
    pub seq: String,
    /// `<p>:meta`: the hash holding `epoch`.
    pub meta: String,
}

impl Keys {
    /// The keys under `prefix`.
    pub fn new(prefix: &str) -> Self {
        Keys { stream: format!("{prefix}:stream"), seq: format!("{prefix}:seq"), meta: format!("{prefix}:meta") }
    }
}

/// The Redis backend of one node (see the module docs).
#[derive(Debug)]
pub struct RedisFeed {
    /// This node's ring, which the tail fills and every read uses.
    feed: Arc<ServerFeed>,
    client: Client,
    keys: Keys,
    retention: usize,
    publish_script: Script,
    epoch_script: Script,
    /// The publish connection (multiplexed: every publish of the node shares it), made on first use and
    /// again after it failed. The lock is held only to clone or replace it.
    connection: Mutex<Option<MultiplexedConnection>>,
    /// One connect at a time: publishes arriving while it runs wait for it instead of opening their own.
    connecting: tokio::sync::Mutex<()>,
    /// When the last connect failed: publishes fail fast until [`RECONNECT_PAUSE`] has passed.
    failed_at: Mutex<Option<Instant>>,
    /// An epoch a publish got back that this node's feed does not have yet; the tail is woken to adopt it.
    wanted_epoch: AtomicU64,
    wake_tail: Notify,
    /// True during an outage, so that it is logged once, not per attempt.
    down: AtomicBool,
    errors: AtomicU64,
    reconnects: AtomicU64,
    /// Whether each connection (publish, tail) was made once already: the next ones are reconnects.
    publish_connected: AtomicBool,
    tail_connected: AtomicBool,
}

impl RedisFeed {
    /// A backend for the Redis at `url`, keys under `prefix`, feeding `feed`. Checks the URL; connects later.
    pub fn new(feed: Arc<ServerFeed>, url: &str, prefix: &str) -> Result<Self, RedisError> {
        Ok(RedisFeed {
            retention: feed.retention(),
            feed,
            client: Client::open(url)?,
            keys: Keys::new(prefix),
            publish_script: Script::new(PUBLISH_SCRIPT),
            epoch_script: Script::new(EPOCH_SCRIPT),
            connection: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
            failed_at: Mutex::new(None),
            wanted_epoch: AtomicU64::new(0),
            wake_tail: Notify::new(),
            down: AtomicBool::new(false),
            errors: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            publish_connected: AtomicBool::new(false),
            tail_connected: AtomicBool::new(false),
        })
    }

    /// Errors and reconnects so far.
    pub fn counters(&self) -> BackendCounters {
        BackendCounters {
            errors: self.errors.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
        }
    }

    /// Counts a failure and logs the outage if this is its first.
    fn failed(&self, what: &str, err: &RedisError) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!("redis: {what} failed: {err}; publishing answers 503 until it is back");
        } else {
            tracing::debug!("redis: {what} failed again: {err}");
        }
    }

    /// Notes a connection made; a reconnect when `made_before` says one was made already.
    fn connected(&self, made_before: &AtomicBool) {
        if made_before.swap(true, Ordering::AcqRel) {
            self.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::info!("redis: reachable again");
        }
    }

    /// The publish connection, connecting when there is none (at most one attempt per [`RECONNECT_PAUSE`]).
    async fn connection(&self) -> Result<MultiplexedConnection, PublishError> {
        // unwrap (every lock here): held only to clone or replace a value, which cannot panic.
        if let Some(connection) = self.connection.lock().unwrap().clone() {
            return Ok(connection);
        }
        let _connecting = self.connecting.lock().await;
        if let Some(connection) = self.connection.lock().unwrap().clone() {
            return Ok(connection);
        }
        if self.failed_at.lock().unwrap().is_some_and(|at| at.elapsed() < RECONNECT_PAUSE) {
            return Err(PublishError::Unreachable("not connected; reconnecting".into()));
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        match self.client.get_multiplexed_async_connection_with_config(&config).await {
            Ok(connection) => {
                *self.failed_at.lock().unwrap() = None;
                *self.connection.lock().unwrap() = Some(connection.clone());
                self.connected(&self.publish_connected);
                Ok(connection)
            }
            Err(err) => {
                *self.failed_at.lock().unwrap() = Some(Instant::now());
                self.failed("connecting", &err);
                Err(PublishError::Unreachable(err.to_string()))
            }
        }
    }

    /// Waits until this node's feed holds `id` under `epoch`, at most `within`.
    async fn received(&self, epoch: u64, id: u64, within: Duration) -> bool {
        let mut head = self.feed.subscribe();
        let arrived = head.wait_for(|&head| head >= id && self.feed.epoch() == epoch);
        matches!(tokio::time::timeout(within, arrived).await, Ok(Ok(_)))
    }

    /// Takes the shared feed's epoch before the node serves (proposing one when Redis has none yet), so that
    /// every node of one feed answers the same epoch from its first request: without it a node would serve
    /// its own provisional epoch until its tail connects, and a client's cursor from another node would get
    /// a 409 there. False when Redis did not answer within `within`: the node then serves under its own
    /// epoch and its tail adopts the shared one as soon as Redis answers.
    pub async fn adopt_epoch(&self, within: Duration) -> bool {
        let attempt = async {
            let mut connection = self.connection().await.ok()?;
            self.check_epoch(&mut connection).await.inspect_err(|err| self.failed("reading the epoch", err)).ok()
        };
        matches!(tokio::time::timeout(within, attempt).await, Ok(Some(())))
    }

    /// The tail: reads the stream into this node's feed until `shutdown`, reconnecting by itself.
    pub async fn run_tail(&self, shutdown: CancellationToken) {
        loop {
            let session = tokio::select! {
                session = self.tail_session() => session,
                _ = shutdown.cancelled() => return,
            };
            if let Err(err) = session {
                self.failed("reading the stream", &err);
                tokio::select! {
                    _ = tokio::time::sleep(RECONNECT_PAUSE) => {}
                    _ = shutdown.cancelled() => return,
                }
            }
        }
    }

    /// One connection's worth of tailing. Returns `Ok` when a publish saw a new epoch: the blocked connection
    /// is dropped and a fresh session adopts the epoch at once.
    async fn tail_session(&self) -> Result<(), RedisError> {
        // Its own connection, whose response timeout outlasts the block.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(BLOCK + RESPONSE_TIMEOUT));
        let mut connection = self.client.get_multiplexed_async_connection_with_config(&config).await?;
        self.connected(&self.tail_connected);
        let options = StreamReadOptions::default().block(BLOCK.as_millis() as usize).count(READ_COUNT);
        loop {
            self.check_epoch(&mut connection).await?;
            let checked = Instant::now();
            while checked.elapsed() < EPOCH_CHECK_PERIOD {
                let (keys, from) = ([&self.keys.stream], [format!("{}-0", self.feed.head())]);
                let read = connection.xread_options::<_, _, Option<StreamReadReply>>(&keys, &from, &options);
                let reply = tokio::select! {
                    reply = read => reply?,
                    _ = self.wake_tail.notified() => {
                        if self.wanted_epoch.load(Ordering::Acquire) != self.feed.epoch() {
                            return Ok(());
                        }
                        continue;
                    }
                };
                let Some(reply) = reply else { break };
                let entries = reply.keys.into_iter().flat_map(|key| key.ids);
                if !self.append(entries) {
                    // A message of another epoch: the feed started over under our feet; check now.
                    break;
                }
            }
        }
    }

    /// Adopts Redis's epoch (proposing one when it has none): a different one starts this node's feed over.
    async fn check_epoch(&self, connection: &mut MultiplexedConnection) -> Result<(), RedisError> {
        let epoch: u64 = self.epoch_script.key(&self.keys.meta).arg(new_epoch()).invoke_async(connection).await?;
        if epoch != self.feed.epoch() {
            tracing::info!(epoch, "redis: following the shared feed under its epoch; this node's feed starts over");
            self.feed.restart(epoch);
        }
        Ok(())
    }

    /// Appends stream entries to the feed; false at the first one of another epoch (not appended).
    fn append(&self, entries: impl Iterator<Item = StreamId>) -> bool {
        for entry in entries {
            match parse_entry(&entry) {
                Some((epoch, _)) if epoch != self.feed.epoch() => return false,
                Some((_, message)) => {
                    self.feed.append(&message);
                }
                None => {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(id = entry.id, "redis: a stream entry without the feed's fields; skipped");
                }
            }
        }
        true
    }
}

/// A stream entry as (epoch, message), or `None` when a field is missing or malformed.
fn parse_entry(entry: &StreamId) -> Option<(u64, Message)> {
    let id = entry.id.strip_suffix("-0")?.parse().ok()?;
    let kind: String = entry.get("kind")?;
    let message = Message {
        id,
        ts: entry.get("ts")?,
        kind: serde_json::from_value(serde_json::Value::String(kind)).ok()?,
        from: entry.get("from")?,
        body: entry.get("body")?,
    };
    Some((entry.get("epoch")?, message))
}

impl FeedBackend for RedisFeed {
    fn name(&self) -> &'static str {
        feedlab_contract::FeedKind::Redis.name()
    }

    async fn publish(&self, kind: Kind, from: &str, body: &str) -> Result<Entry<Wire>, PublishError> {
        let mut connection = self.connection().await?;
        // unwrap (both): a Kind serializes to a JSON string, its name, as in every message's JSON.
        let kind_name = serde_json::to_value(kind).unwrap();
        let kind_name = kind_name.as_str().unwrap();
        let reply: Result<(u64, u64, u64), RedisError> = self
            .publish_script
            .key(&self.keys.stream)
            .key(&self.keys.seq)
            .key(&self.keys.meta)
            .arg(new_epoch())
            .arg(self.retention)
            .arg(kind_name)
            .arg(from)
            .arg(body)
            .invoke_async(&mut connection)
            .await;
        let (id, ts, epoch) = reply.map_err(|err| {
            if err.is_io_error() || err.is_connection_dropped() || err.is_timeout() || err.is_unrecoverable_error() {
                // Made again by the next publish.
                self.connection.lock().unwrap().take();
            }
            self.failed("publishing", &err);
            PublishError::Unreachable(err.to_string())
        })?;
        if epoch != self.feed.epoch() {
            self.wanted_epoch.store(epoch, Ordering::Release);
            self.wake_tail.notify_one();
        }
        if !self.received(epoch, id, ACK_WAIT).await {
            return Err(PublishError::NotReceived { id, waited: ACK_WAIT });
        }
        let stored = self.feed.read_with(Cursor::After(id - 1), 1, |mut view| view.entries.next().cloned());
        Ok(match stored {
            Ok(Some(entry)) if entry.id == id => entry,
            // Trimmed already (a tiny retention under a burst): the same message, encoded again.
            _ => Entry::encoded(
                &Message { id, ts, kind, from: from.to_owned(), body: body.to_owned() },
                crate::fanout::Wire::encode,
            ),
        })
    }

    async fn catch_up(&self, id: u64) {
        let mut head = self.feed.subscribe();
        let _ = tokio::time::timeout(AHEAD_WAIT, head.wait_for(|&head| head >= id)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_live_under_one_prefix() {
        let keys = Keys::new("room1");
        assert_eq!(
            (keys.stream.as_str(), keys.seq.as_str(), keys.meta.as_str()),
            ("room1:stream", "room1:seq", "room1:meta")
        );
    }

    #[test]
    fn a_stream_entry_becomes_the_message_it_was_published_as() {
        use redis::Value;
        let field = |text: &str| Value::BulkString(text.as_bytes().to_vec());
        let entry = StreamId {
            id: "42-0".into(),
            map: [("ts", "1700000000123456"), ("epoch", "77"), ("kind", "tick"), ("from", "t"), ("body", "b")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), field(v)))
                .collect(),
            ..StreamId::default()
        };
        let (epoch, message) = parse_entry(&entry).unwrap();
        assert_eq!(epoch, 77);
        assert_eq!(
            message,
            Message { id: 42, ts: 1_700_000_000_123_456, kind: Kind::Tick, from: "t".into(), body: "b".into() }
        );
        let mut odd = entry.clone();
        odd.id = "42-1".into();
        assert!(parse_entry(&odd).is_none(), "ids are always N-0");
        let mut bad = entry;
        bad.map.remove("body");
        assert!(parse_entry(&bad).is_none());
    }
}
