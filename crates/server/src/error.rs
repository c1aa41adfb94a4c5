//! The one error type every handler returns: an HTTP status with a JSON body naming the problem.
//!
//! Bad input must never be a bare 500 or a dropped connection: each variant maps to the status DESIGN.md
//! section 3 promises, and the body says which field was wrong so a student can fix the request by reading it.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// A request the server refuses, with the reason.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter, header or JSON field is malformed (400).
    #[error("{message}")]
    BadField {
        /// The field that was wrong (`after`, `limit`, `client`, `body`, `Last-Event-ID`, ...).
        field: &'static str,
        /// What was wrong with it.
        message: String,
    },
    /// The cursor names ids this feed never published, typically from before a server restart (409).
    #[error(
        "cursor {after} is ahead of the newest message {head}: the feed may have restarted; start again without `after`"
    )]
    CursorAhead {
        /// The cursor the client sent.
        after: u64,
        /// The newest id of this feed.
        head: u64,
    },
    /// The cursor belongs to an earlier run of this server's feed: ids began again at 1, so reading on
    /// would silently skip or repeat messages (409). The client starts again at the head.
    #[error(
        "cursor belongs to feed epoch {sent}, but this feed is epoch {current} (the server restarted); start again without `after`"
    )]
    EpochChanged {
        /// The epoch the client sent.
        sent: u64,
        /// This feed's epoch.
        current: u64,
        /// The newest id of this feed.
        head: u64,
    },
    /// The request body is larger than allowed (413).
    #[error("request body is larger than the {limit} byte limit")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request body is not JSON (415).
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    /// The `Origin` header is not on the allowlist (403): protects against cross-site WebSocket hijacking.
    #[error("origin {origin} is not allowed (allowed: same host, localhost, and --allow-origin)")]
    OriginNotAllowed {
        /// The refused origin.
        origin: String,
    },
    /// A publish token is configured and the request did not carry it (401).
    #[error("this action needs the publish token: send `Authorization: Bearer <token>`")]
    Unauthorized,
    /// The transport was switched off with `--disable` (404), so clients can demonstrate fallback.
    #[error("transport {0} is disabled on this server")]
    TransportDisabled(&'static str),
    /// Over capacity: too many open streams or requests per second (503 + Retry-After).
    #[error("server busy: {what}; retry after {} s", retry_after.as_secs())]
    Busy {
        /// Which limit was hit.
        what: &'static str,
        /// When to come back.
        retry_after: Duration,
    },
    /// The shared feed (Redis) cannot take a publish now: unreachable, or this node did not receive the
    /// message back in time (503 + Retry-After). Reads keep being served from what the node has.
    #[error("the shared feed cannot take messages now: {why}; retry after {} s", retry_after.as_secs())]
    FeedUnavailable {
        /// What went wrong.
        why: String,
        /// When to come back.
        retry_after: Duration,
    },
    /// The client sends faster than its publish rate limit allows (429 + Retry-After).
    #[error("publishing too fast: at most {per_s} messages per second per client")]
    RateLimited {
        /// The allowed rate.
        per_s: u32,
    },
    /// No such file or route (404).
    #[error("not found: {0}")]
    NotFound(String),
}

impl ApiError {
    /// Shorthand for [`ApiError::BadField`].
    pub fn bad(field: &'static str, message: impl Into<String>) -> Self {
        Self::BadField { field, message: message.into() }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::BadField { field, .. } => Some(field),
            Self::CursorAhead { .. } => Some("after"),
            Self::EpochChanged { .. } => Some("epoch"),
            Self::TooLarge { .. } | Self::UnsupportedMediaType => Some("body"),
            Self::OriginNotAllowed { .. } => Some("Origin"),
            Self::Unauthorized => Some("Authorization"),
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: String,
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    head: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    epoch: Option<u64>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadField { .. } => StatusCode::BAD_REQUEST,
            Self::CursorAhead { .. } | Self::EpochChanged { .. } => StatusCode::CONFLICT,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::OriginNotAllowed { .. } => StatusCode::FORBIDDEN,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::TransportDisabled(_) | Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Busy { .. } | Self::FeedUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (head, epoch) = match self {
            Self::CursorAhead { head, .. } => (Some(*head), None),
            Self::EpochChanged { head, current, .. } => (Some(*head), Some(*current)),
            _ => (None, None),
        };
        let body = Body { error: self.to_string(), field: self.field(), head, epoch };
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header(ContentType::json());
        match self {
            Self::Busy { retry_after, .. } | Self::FeedUnavailable { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.as_secs().max(1)));
            }
            Self::RateLimited { .. } => {
                response.insert_header((header::RETRY_AFTER, 1));
            }
            _ => {}
        }
        // unwrap: the body is strings and integers.
        response.body(serde_json::to_string(&body).unwrap())
    }
}

/// Turns actix's own extractor and routing errors into our JSON shape, so no bad request gets a text/plain body.
pub fn json_error(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    let body = Body { error: message.into(), field: None, head: None, epoch: None };
    // unwrap: the body is strings.
    HttpResponse::build(status).insert_header(ContentType::json()).body(serde_json::to_string(&body).unwrap())
}
