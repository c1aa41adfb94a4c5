//! Why a client request or connection failed ([`ClientError`]), and reading a refusal: the status, the
//! server's `Retry-After`, and the 409 that says the server restarted.

use std::time::Duration;

use serde::Deserialize;

/// Why one client request or connection failed. Counted by [`ClientError::kind`]; never fatal.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// TCP connect failed (refused, no ports left, too many open files).
    #[error("connect: {0}")]
    Connect(std::io::Error),
    /// The HTTP exchange failed (reset, closed mid-answer).
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    /// The server answered with an unexpected status (503 = over capacity).
    #[error("HTTP status {status}")]
    Status {
        /// The status code.
        status: u16,
        /// The server's `Retry-After`, when it gave one in seconds.
        retry_after: Option<Duration>,
    },
    /// The WebSocket failed after the handshake, or the handshake failed for a non-HTTP reason.
    #[error("websocket: {0}")]
    Ws(Box<tokio_tungstenite::tungstenite::Error>),
    /// The server closed the WebSocket (1013 = overloaded, 1001 = going away).
    #[error("websocket closed by the server with code {0}")]
    WsClosed(u16),
    /// A kept-alive connection was closed by the server just as a request went out; retried once.
    #[error("kept-alive connection closed under the request: {0}")]
    StaleKeepAlive(hyper::Error),
    /// The client's cursor belongs to an earlier run of the server's feed (409 `{"field":"epoch"}`: the
    /// server restarted); the client starts again at the new feed's head.
    #[error("the server's feed is now epoch {epoch} at id {head} (it restarted)")]
    EpochChanged {
        /// The feed's new epoch.
        epoch: u64,
        /// The new feed's newest id.
        head: u64,
    },
    /// The client's cursor is ahead of the server's newest id (409 `{"field":"after"}`): a server that
    /// restarted without naming epochs; the client starts again at its head.
    #[error("the cursor is ahead of the server's newest id {head} (it restarted)")]
    CursorAhead {
        /// The server's newest id.
        head: u64,
    },
    /// The server closed a stream (SSE) that should have stayed open.
    #[error("stream ended by the server")]
    StreamEnded,
    /// Socket.IO: a reconnect asked to resume its session (connection-state recovery) and the server
    /// started a new one instead, so whatever was emitted meanwhile is lost (and counted as lost). It
    /// happens when the server had not noticed the old connection end: a polling client dropped between an
    /// answer and its next `GET`.
    #[error("the server did not resume the Socket.IO session")]
    NotResumed,
    /// The answer did not follow the contract.
    #[error("protocol: {0}")]
    Protocol(String),
}

impl ClientError {
    /// The error's kind, as counted in results: `connect`, `io`, `http_503`, `keepalive_retry`, `ws`, `ws_close_1013`,
    /// `epoch_changed`, `cursor_ahead`, `stream_ended`, `session_not_resumed`, `protocol`.
    pub fn kind(&self) -> String {
        match self {
            ClientError::Connect(_) => "connect".into(),
            ClientError::Http(_) => "io".into(),
            ClientError::Status { status, .. } => format!("http_{status}"),
            ClientError::StaleKeepAlive(_) => "keepalive_retry".into(),
            ClientError::Ws(_) => "ws".into(),
            ClientError::WsClosed(code) => format!("ws_close_{code}"),
            ClientError::EpochChanged { .. } => "epoch_changed".into(),
            ClientError::CursorAhead { .. } => "cursor_ahead".into(),
            ClientError::StreamEnded => "stream_ended".into(),
            ClientError::NotResumed => "session_not_resumed".into(),
            ClientError::Protocol(_) => "protocol".into(),
        }
    }

    /// How long the server asked to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ClientError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The error for a refused request (status not 200/101), from its status, headers and body: a 409 naming
/// the `epoch` field is [`ClientError::EpochChanged`]; anything else is [`ClientError::Status`].
pub fn refusal(status: u16, headers: &hyper::HeaderMap, body: &[u8]) -> ClientError {
    #[derive(Deserialize)]
    struct Conflict {
        field: Option<String>,
        epoch: Option<u64>,
        head: Option<u64>,
    }
    if status == 409
        && let Ok(Conflict { field: Some(field), epoch, head: Some(head) }) = serde_json::from_slice(body)
    {
        match (field.as_str(), epoch) {
            ("epoch", Some(epoch)) => return ClientError::EpochChanged { epoch, head },
            ("after", _) => return ClientError::CursorAhead { head },
            _ => {}
        }
    }
    ClientError::Status { status, retry_after: retry_after(headers) }
}

/// Reads `Retry-After` given in seconds (the HTTP-date form is not used by the contract).
pub fn retry_after(headers: &hyper::HeaderMap) -> Option<Duration> {
    let v = headers.get(hyper::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds() {
        let e = ClientError::Status { status: 503, retry_after: Some(Duration::from_secs(2)) };
        assert_eq!(e.kind(), "http_503");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(ClientError::WsClosed(1013).kind(), "ws_close_1013");
        let h = hyper::HeaderMap::new();
        let body = br#"{"error":"...","field":"epoch","head":7,"epoch":99}"#;
        assert!(matches!(refusal(409, &h, body), ClientError::EpochChanged { epoch: 99, head: 7 }));
        assert_eq!(refusal(409, &h, body).kind(), "epoch_changed");
        // A cursor ahead of the head: a restarted server that names no epoch.
        assert!(matches!(refusal(409, &h, br#"{"field":"after","head":7}"#), ClientError::CursorAhead { head: 7 }));
        assert_eq!(refusal(409, &h, br#"{"field":"other"}"#).kind(), "http_409");
    }
}
