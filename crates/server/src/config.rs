//! Validated server settings, with every default a named constant saying why it has that value.
//!
//! `cli.rs` turns flags into a [`Config`]; tests build one with [`Config::default`] and change what they need.

use std::path::PathBuf;
use std::time::Duration;

use feedlab_contract::Transport;

/// How often streaming connections are pinged (WebSocket ping, SSE comment). 15 s stays well under the 60 s
/// idle cut of common proxies and load balancers, so a quiet feed does not look like a dead connection.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(15);

/// A WebSocket client that has not answered a ping for this long is gone: three missed heartbeats.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(45);

/// Long-poll hold when the client does not say: 25 s, comfortably under a 30 s proxy timeout.
pub const DEFAULT_LONGPOLL_TIMEOUT: Duration = Duration::from_secs(25);

/// Longest hold a client may ask for: under common proxies' 60 s idle cut.
pub const MAX_LONGPOLL_TIMEOUT: Duration = Duration::from_secs(60);

/// Messages in one poll answer when the client gives no `limit`.
pub const DEFAULT_LIMIT: usize = 1000;

/// Largest `limit` a client may ask for: bounds the size of one answer.
pub const MAX_LIMIT: usize = 10_000;

/// Largest publish body and largest WebSocket message: 64 KiB is far above any chat line and keeps one
/// request's memory small.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Largest message `/echo` takes, in one frame or reassembled from fragments: 16 MiB, the largest that
/// Autobahn|Testsuite sends (cases 9.1.6 and 9.2.6). `/ws` keeps 64 KiB ([`MAX_MESSAGE_BYTES`]): chat lines
/// are small, while `/echo` exists to test the protocol. Memory stays bounded by [`MAX_ECHO_SESSIONS`].
pub const MAX_ECHO_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// `/echo` sessions open at once on one server; one more gets 503 + Retry-After. A session echoing a message
/// at the limit holds a few copies of it for a moment (the frames being read, the reassembled message, the
/// encoded echo on its way out: about 4 x 16 MiB), so four sessions bound `/echo` near 256 MiB. A
/// conformance suite opens one at a time.
pub const MAX_ECHO_SESSIONS: usize = 4;

/// Open SSE/WebSocket connections plus held long-polls before new ones get 503: below the 20,000 open-file
/// limit of these machines, leaving room for short polls, the listener and files.
pub const DEFAULT_MAX_STREAMS: usize = 15_000;

/// How long a stream with messages pending may take none of them before the reader counts as stalled and is
/// cut off (WebSocket close 1013, end of SSE stream). A stream takes messages while actix's write buffer
/// (32 KiB) and the socket buffers have room, so a reader that takes nothing in this time has stopped
/// reading; it resumes with its cursor when it reconnects. Checked by the worker's hub (`fanout/hub.rs`).
pub const SEND_STALL_LIMIT: Duration = Duration::from_secs(5);

/// HTTP keep-alive for idle client connections: 75 s, nginx's default, so pollers at intervals up to a minute
/// reuse their connection as browsers would with a typical server.
pub const KEEP_ALIVE: Duration = Duration::from_secs(75);

/// Chat messages one client (`client=` id, else its IP) may publish per second: a classroom of people typing
/// never reaches it; a script flooding the room does.
pub const DEFAULT_PUBLISH_PER_CLIENT_PER_S: u32 = 20;

/// The key prefix of a shared feed in Redis when `--feed-key` is not given: `feedlab:stream`, `feedlab:seq`,
/// `feedlab:meta`.
pub const DEFAULT_FEED_KEY: &str = "feedlab";

/// Where the feed's messages come from (`--feed`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FeedSource {
    /// This process alone: ids are assigned here (the default; nothing outside is needed).
    #[default]
    Memory,
    /// A Redis stream shared by every node given the same URL and key (`backend/redis.rs`).
    Redis {
        /// The Redis URL (`redis://HOST:PORT[/DB]`, `redis+unix:///PATH`), already checked to parse.
        url: String,
        /// The prefix of the feed's keys.
        key: String,
    },
}

/// Every setting of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Messages the feed retains; older cursors get a `gap`.
    pub retention: usize,
    /// Built-in ticker messages per second at start (0 = off). Changeable live through `/settings`.
    pub ticker_per_s: f64,
    /// Extra origins allowed on `/ws` and `/sse` beyond same-host and localhost.
    pub allow_origins: Vec<String>,
    /// Transports switched off (they answer 404), to demonstrate a client's fallback.
    pub disabled: Vec<Transport>,
    /// Cap on open streams (SSE + WebSocket + held long-polls); past it, 503 + Retry-After.
    pub max_streams: usize,
    /// Cap on `/poll` + `/longpoll` requests per second over the whole server (0 = no cap); past it, 503.
    pub max_requests_per_s: u32,
    /// Chat publishes per second per client (0 = no limit); past it, 429.
    pub publish_per_client_per_s: u32,
    /// When set, `POST /settings` and `POST /stats/reset` need `Authorization: Bearer <token>`.
    pub publish_token: Option<String>,
    /// Where `feedlab run` wrote its charts; served at `/results/` for the page's charts tab.
    pub results_dir: PathBuf,
    /// Heartbeat interval for streams (tests shorten it).
    pub heartbeat: Duration,
    /// WebSocket client timeout without a pong (tests shorten it).
    pub client_timeout: Duration,
    /// How long a stream with messages pending may take none before it is cut off (tests shorten it).
    pub send_stall: Duration,
    /// Worker threads (actix workers); 0 = one per core.
    pub workers: usize,
    /// Where the feed's messages come from: this process, or a Redis stream shared with other nodes.
    pub feed: FeedSource,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            retention: feedlab_feed::DEFAULT_RETENTION,
            ticker_per_s: 0.0,
            allow_origins: Vec::new(),
            disabled: Vec::new(),
            max_streams: DEFAULT_MAX_STREAMS,
            max_requests_per_s: 0,
            publish_per_client_per_s: DEFAULT_PUBLISH_PER_CLIENT_PER_S,
            publish_token: None,
            results_dir: PathBuf::from("results"),
            heartbeat: HEARTBEAT_INTERVAL,
            client_timeout: CLIENT_TIMEOUT,
            send_stall: SEND_STALL_LIMIT,
            workers: 0,
            feed: FeedSource::Memory,
        }
    }
}

impl Config {
    /// True when `transport` was switched off with `--disable`.
    pub fn is_disabled(&self, transport: Transport) -> bool {
        self.disabled.contains(&transport)
    }
}
