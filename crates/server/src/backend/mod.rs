//! Where the feed's messages come from: this process ([`Memory`], the default) or a Redis stream shared by
//! several server processes ([`RedisFeed`], `feedlab serve --feed redis://...`).
//!
//! Either way every read stays local: the server's [`ServerFeed`] ring is what the transports read, and a
//! backend only decides how a message gets into it. The memory backend publishes straight into the ring, as
//! the server always did; the Redis backend asks Redis for the id (one Lua script) and acknowledges once its
//! own tail of the stream has put the message into the ring (read-your-writes on this node).

mod memory;
pub mod redis;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use feedlab_feed::{Entry, Kind};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

pub use self::memory::Memory;
pub use self::redis::RedisFeed;
use crate::config::FeedSource;
use crate::fanout::{ServerFeed, Wire};

/// Why a publish was not acknowledged. Either way the client is told to come back (503 + Retry-After).
#[derive(Debug, Clone, thiserror::Error)]
pub enum PublishError {
    /// The shared feed could not be reached, or refused the script.
    #[error("Redis is unreachable ({0})")]
    Unreachable(String),
    /// Redis took the message, but this node's tail did not bring it back within the wait.
    #[error("message {id} was stored but this node did not receive it back within {} ms", waited.as_millis())]
    NotReceived {
        /// The id Redis gave the message.
        id: u64,
        /// How long this node waited.
        waited: Duration,
    },
}

/// What a feed backend does for the server: publish, and wait for the local ring to reach an id.
pub trait FeedBackend {
    /// The backend's name, as `/settings` shows it (`"memory"`, `"redis"`).
    fn name(&self) -> &'static str;

    /// Publishes a message; resolves once it is in this node's ring, with its entry there.
    fn publish(&self, kind: Kind, from: &str, body: &str) -> impl Future<Output = Result<Entry<Wire>, PublishError>>;

    /// Resolves when this node's ring holds `id`, or after a short wait (at once when ids are assigned
    /// here: a cursor ahead of a memory feed is from another run of it).
    fn catch_up(&self, id: u64) -> impl Future<Output = ()>;
}

/// Counters of a backend's trouble, shown by `/stats` (`"feed"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BackendCounters {
    /// Failed Redis commands and connection attempts.
    pub errors: u64,
    /// Connections made again after one was lost (publish and tail alike).
    pub reconnects: u64,
}

/// The server's backend: one of the two, chosen by `--feed`. An enum rather than a trait object, so the
/// memory publish stays a plain call (no boxed future, nothing allocated).
#[derive(Debug)]
pub enum Backend {
    /// The embedded feed (default).
    Memory(Memory),
    /// A Redis stream shared with other nodes.
    Redis(Arc<RedisFeed>),
}

/// A publish under way: done already (memory), or to be awaited (Redis).
pub enum Publishing {
    /// Stored in the ring.
    Done(Entry<Wire>),
    /// Stored once the future resolves.
    Pending(LocalBoxFuture<'static, Result<Entry<Wire>, PublishError>>),
}

impl Backend {
    /// The backend for `source`, feeding `feed`. Nothing is connected yet: Redis connections are made by
    /// the tail ([`Backend::run`]) and by the first publish.
    pub fn new(feed: Arc<ServerFeed>, source: &FeedSource) -> Result<Self, ::redis::RedisError> {
        Ok(match source {
            FeedSource::Memory => Backend::Memory(Memory::new(feed)),
            FeedSource::Redis { url, key } => Backend::Redis(Arc::new(RedisFeed::new(feed, url, key)?)),
        })
    }

    /// Starts a publish of owned text: finished at once by the memory backend (no allocation), a future
    /// for the Redis one.
    pub fn start_publish(&self, kind: Kind, from: &str, body: &str) -> Publishing {
        match self {
            Backend::Memory(memory) => Publishing::Done(memory.publish_now(kind, from, body)),
            Backend::Redis(redis) => {
                let (redis, from, body) = (Arc::clone(redis), from.to_owned(), body.to_owned());
                Publishing::Pending(Box::pin(async move { redis.publish(kind, &from, &body).await }))
            }
        }
    }

    /// Publishes and waits for the acknowledgement.
    pub async fn publish(&self, kind: Kind, from: &str, body: &str) -> Result<Entry<Wire>, PublishError> {
        match self {
            Backend::Memory(memory) => memory.publish(kind, from, body).await,
            Backend::Redis(redis) => redis.publish(kind, from, body).await,
        }
    }

    /// See [`FeedBackend::catch_up`].
    pub async fn catch_up(&self, id: u64) {
        match self {
            Backend::Memory(memory) => memory.catch_up(id).await,
            Backend::Redis(redis) => redis.catch_up(id).await,
        }
    }

    /// See [`FeedBackend::name`].
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Memory(memory) => memory.name(),
            Backend::Redis(redis) => redis.name(),
        }
    }

    /// Errors and reconnects so far (zero for memory).
    pub fn counters(&self) -> BackendCounters {
        match self {
            Backend::Memory(_) => BackendCounters::default(),
            Backend::Redis(redis) => redis.counters(),
        }
    }

    /// Waits, at most `within`, until the feed is the shared one (Redis: its epoch adopted); at once for
    /// memory. False when Redis did not answer in time.
    pub async fn ready(&self, within: Duration) -> bool {
        match self {
            Backend::Memory(_) => true,
            Backend::Redis(redis) => redis.adopt_epoch(within).await,
        }
    }

    /// The backend's own work until `shutdown`: the Redis tail (nothing for memory).
    pub async fn run(&self, shutdown: CancellationToken) {
        if let Backend::Redis(redis) = self {
            redis.run_tail(shutdown).await;
        }
    }
}
