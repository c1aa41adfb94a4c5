//! What every handler shares: the feed, the counters, the settings, the limits and the shutdown token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::http::Uri;
use actix_web::http::header;
use feedlab_contract::Transport;
use feedlab_feed::{Cursor, CursorError, Entry, Kind, View};
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_util::sync::CancellationToken;

use crate::backend::{Backend, PublishError, Publishing};
use crate::config::{Config, MAX_ECHO_SESSIONS, MAX_MESSAGE_BYTES};
use crate::error::ApiError;
use crate::fanout::{Hub, ServerFeed, Wire};
use crate::query::FeedQuery;
use crate::stats::Stats;

/// How long a client refused for capacity is told to wait: long enough for a burst to pass, short enough
/// that a classroom does not notice.
pub const RETRY_AFTER: Duration = Duration::from_secs(2);

/// Longest sender name.
pub const MAX_FROM_LEN: usize = 64;

/// The settings a teacher can change while the server runs (`GET/POST /settings`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LiveSettings {
    /// Ticker messages per second (0 = off).
    pub ticker_per_s: f64,
}

/// Highest ticker rate accepted, the top of the suite's message-rate range.
pub const MAX_TICKER_PER_S: f64 = 1000.0;

/// The ticker's range, for `--ticker` and `POST /settings` alike: `per_s` back when it is in 0..=
/// [`MAX_TICKER_PER_S`], else a sentence saying the range.
pub fn check_ticker_rate(per_s: f64) -> Result<f64, String> {
    if (0.0..=MAX_TICKER_PER_S).contains(&per_s) {
        Ok(per_s)
    } else {
        Err(format!("the ticker takes 0 to {MAX_TICKER_PER_S} messages per second, not {per_s}"))
    }
}

/// Shared by all handlers (cheap to clone: everything is behind `Arc`).
#[derive(Debug, Clone)]
pub struct AppState {
    /// The one feed; each message carries its WebSocket frame and SSE event, built at publish. Every read
    /// uses it, whatever the backend.
    pub feed: Arc<ServerFeed>,
    /// Where the feed's messages come from (`--feed`): publishing goes through it.
    pub backend: Arc<Backend>,
    /// Traffic counters.
    pub stats: Arc<Stats>,
    /// Validated start-up settings.
    pub config: Arc<Config>,
    /// Live settings; the ticker watches them.
    pub settings: Arc<watch::Sender<LiveSettings>>,
    /// Cancelled on Ctrl-C/SIGTERM: every session loop watches it and closes politely.
    pub shutdown: CancellationToken,
    /// One permit per open stream or held long-poll; `--max-streams` of them.
    streams: Arc<Semaphore>,
    /// One permit per open `/echo` session; [`MAX_ECHO_SESSIONS`] of them. Per server, not per process, so
    /// servers sharing a process (tests) do not share the cap.
    echo_sessions: Arc<Semaphore>,
    /// The `--max-rps` window for `/poll` + `/longpoll`.
    request_window: Arc<Mutex<Window>>,
    /// Per-publisher windows for the chat rate limit, keyed by client id or IP.
    publishers: Arc<Mutex<HashMap<String, Window>>>,
}

/// A one-second counting window: simple, and enough to shed a storm.
#[derive(Debug)]
struct Window {
    start: Instant,
    count: u32,
}

impl Window {
    fn new() -> Self {
        Self { start: Instant::now(), count: 0 }
    }

    /// Counts one event; false when `limit` events already happened in the current second.
    fn admit(&mut self, limit: u32) -> bool {
        if self.start.elapsed() >= Duration::from_secs(1) {
            *self = Self::new();
        }
        self.count += 1;
        self.count <= limit
    }
}

/// A permit of `slots`, or a 503 saying `what` is full.
fn hold(slots: &Arc<Semaphore>, what: &'static str) -> Result<OwnedSemaphorePermit, ApiError> {
    Arc::clone(slots).try_acquire_owned().map_err(|_| ApiError::Busy { what, retry_after: RETRY_AFTER })
}

/// Publishers remembered for the rate limit before the table is cleared: bounds its memory.
const MAX_PUBLISHERS: usize = 10_000;

impl AppState {
    /// Fresh state for a server with `config`; fails only on a Redis URL that does not parse (the CLI
    /// checks it first).
    pub fn new(config: Config) -> Result<Self, redis::RedisError> {
        let settings = LiveSettings { ticker_per_s: config.ticker_per_s };
        let feed = Arc::new(crate::fanout::feed(config.retention));
        Ok(Self {
            backend: Arc::new(Backend::new(Arc::clone(&feed), &config.feed)?),
            feed,
            stats: Arc::new(Stats::default()),
            streams: Arc::new(Semaphore::new(config.max_streams)),
            echo_sessions: Arc::new(Semaphore::new(MAX_ECHO_SESSIONS)),
            config: Arc::new(config),
            settings: Arc::new(watch::channel(settings).0),
            shutdown: CancellationToken::new(),
            request_window: Arc::new(Mutex::new(Window::new())),
            publishers: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// Refuses a transport switched off with `--disable`.
    pub fn check_enabled(&self, transport: Transport) -> Result<(), ApiError> {
        if self.config.is_disabled(transport) { Err(ApiError::TransportDisabled(transport.name())) } else { Ok(()) }
    }

    /// Refuses a client's cursor of another run of the feed (409), when the client says which run (`epoch=`).
    pub fn check_epoch(&self, query: &FeedQuery) -> Result<(), ApiError> {
        match query.epoch {
            Some(sent) if sent != self.feed.epoch() => {
                Err(ApiError::EpochChanged { sent, current: self.feed.epoch(), head: self.feed.head() })
            }
            _ => Ok(()),
        }
    }

    /// Reads for a client's query: checks its epoch (when sent), then reads from `cursor`, at most the
    /// query's limit, through this worker's hub; `f` sees the messages in place. A cursor from the future is
    /// a 409. Call on a worker thread.
    pub fn read_for<R>(
        &self,
        query: &FeedQuery,
        cursor: Cursor,
        f: impl FnOnce(View<'_, Wire>) -> R,
    ) -> Result<R, ApiError> {
        self.check_epoch(query)?;
        Hub::of(self)
            .read_with(cursor, query.limit, f)
            .map_err(|CursorError::Ahead { after, head }| ApiError::CursorAhead { after, head })
    }

    /// Gives a cursor ahead of this node's feed a moment to arrive (another node published it and this
    /// node's tail is a round trip behind), when the client's epoch is this feed's. At once for the memory
    /// backend, and when the cursor is not ahead (one atomic load). The read after it answers 409 if the
    /// cursor is still ahead.
    pub async fn catch_up(&self, query: &FeedQuery, after: Option<u64>) {
        if let Some(after) = after
            && after > self.feed.head()
            && self.check_epoch(query).is_ok()
        {
            self.backend.catch_up(after).await;
        }
    }

    /// Where a stream for `query` starts: after `after` when given (checked, as [`AppState::read_for`]
    /// does), else at the head.
    pub fn start_cursor(&self, query: &FeedQuery, after: Option<u64>) -> Result<u64, ApiError> {
        let head = self.read_for(query, after.map_or(Cursor::Head, Cursor::After), |view| view.next)?;
        Ok(after.unwrap_or(head))
    }

    /// Takes a stream slot (SSE, WebSocket, held long-poll), or 503 when all are taken.
    pub fn hold_stream(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        hold(&self.streams, "too many open connections")
    }

    /// Takes an `/echo` session slot, or 503 when [`MAX_ECHO_SESSIONS`] are open.
    pub fn hold_echo_session(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        hold(&self.echo_sessions, "too many /echo sessions")
    }

    /// Counts a `/poll` or `/longpoll` request against `--max-rps`, or 503 past it.
    pub fn admit_request(&self) -> Result<(), ApiError> {
        let limit = self.config.max_requests_per_s;
        // unwrap: poisoned only if a holder panicked; `admit` does not.
        if limit == 0 || self.request_window.lock().unwrap().admit(limit) {
            Ok(())
        } else {
            Err(ApiError::Busy { what: "too many requests per second", retry_after: RETRY_AFTER })
        }
    }

    /// Validates a chat message from `publisher` (client id or IP) and starts publishing it, applying size and
    /// rate limits: done at once with the memory backend, a future to await with Redis.
    pub fn start_chat(&self, publisher: &str, from: &str, body: &str) -> Result<Publishing, ApiError> {
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(ApiError::TooLarge { limit: MAX_MESSAGE_BYTES });
        }
        if from.chars().count() > MAX_FROM_LEN {
            return Err(ApiError::bad("from", format!("from must be at most {MAX_FROM_LEN} characters")));
        }
        let per_s = self.config.publish_per_client_per_s;
        if per_s > 0 {
            // unwrap: see `admit_request`.
            let mut publishers = self.publishers.lock().unwrap();
            if publishers.len() >= MAX_PUBLISHERS && !publishers.contains_key(publisher) {
                publishers.clear();
            }
            if !publishers.entry(publisher.to_owned()).or_insert_with(Window::new).admit(per_s) {
                return Err(ApiError::RateLimited { per_s });
            }
        }
        Ok(self.backend.start_publish(Kind::Chat, from, body))
    }

    /// Validates and publishes a chat message (see [`AppState::start_chat`]); resolves once it is stored.
    pub async fn publish_chat(&self, publisher: &str, from: &str, body: &str) -> Result<Entry<Wire>, ApiError> {
        match self.start_chat(publisher, from, body)? {
            Publishing::Done(entry) => Ok(entry),
            Publishing::Pending(publishing) => Ok(publishing.await?),
        }
    }

    /// Checks the bearer token when the server has one.
    pub fn check_token(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let Some(token) = &self.config.publish_token else { return Ok(()) };
        let sent = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if sent.and_then(|v| v.strip_prefix("Bearer ")) == Some(token.as_str()) {
            Ok(())
        } else {
            Err(ApiError::Unauthorized)
        }
    }

    /// The `Origin` rule of `/ws` and `/sse`: no Origin (not a browser), the same host, localhost, or an
    /// `--allow-origin` entry. Anything else could be another site riding the visitor's browser.
    pub fn check_origin(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let Some(origin) = req.headers().get(header::ORIGIN) else { return Ok(()) };
        let origin_text = origin.to_str().unwrap_or("<not text>");
        let refused = || ApiError::OriginNotAllowed { origin: origin_text.to_owned() };
        if self.config.allow_origins.iter().any(|o| o == "*" || o.trim_end_matches('/') == origin_text) {
            return Ok(());
        }
        let uri: Uri = origin_text.parse().map_err(|_| refused())?;
        let authority = uri.authority().ok_or_else(refused)?;
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
        if host == Some(authority.as_str()) {
            return Ok(());
        }
        match authority.host() {
            "localhost" | "127.0.0.1" | "[::1]" => Ok(()),
            _ => Err(refused()),
        }
    }

    /// Who is publishing, for the rate limit: the `client=` id when given, else the peer address.
    pub fn publisher_key(req: &HttpRequest, client: Option<&str>) -> String {
        client
            .map(str::to_owned)
            .unwrap_or_else(|| req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".to_owned()))
    }
}

impl From<PublishError> for ApiError {
    fn from(err: PublishError) -> Self {
        ApiError::FeedUnavailable { why: err.to_string(), retry_after: crate::backend::redis::RETRY_AFTER }
    }
}
