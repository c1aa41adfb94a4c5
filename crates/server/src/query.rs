//! Reading the query string of the transport endpoints: `after`, `limit`, `timeout_ms`, `client`, `epoch`,
//! `close`.
//!
//! Every value is checked and a bad one is refused with 400 naming the field, instead of being defaulted
//! silently: a student who types `after=abc` should learn why nothing arrives. Unknown keys are ignored so
//! cache-busters (`_=1712`) and future clients still work.

use std::time::Duration;

use feedlab_feed::Cursor;

use crate::config::{DEFAULT_LIMIT, DEFAULT_LONGPOLL_TIMEOUT, MAX_LIMIT, MAX_LONGPOLL_TIMEOUT};
use crate::error::ApiError;

/// Longest `client=` id, and its alphabet: safe in URLs, logs, metric labels and HTML attributes.
pub const MAX_CLIENT_ID_LEN: usize = 64;

/// The parameters shared by `/poll`, `/longpoll`, `/sse` and `/ws`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedQuery {
    /// Read messages with `id > after`; `None` starts at the head (only new messages).
    pub after: Option<u64>,
    /// Most messages in one answer.
    pub limit: usize,
    /// How long a long-poll may be held.
    pub timeout: Duration,
    /// The client's self-chosen id for per-client counters.
    pub client: Option<String>,
    /// The feed epoch the client's cursor belongs to, when it says (see [`feedlab_feed::Feed::epoch`]).
    pub epoch: Option<u64>,
    /// `close=1`: answer with `Connection: close`, so the client's next request needs a new TCP connection
    /// (HTTP/1.0's way, which the page's keep-alive switch shows). Honoured by `/poll` and `/longpoll`; a
    /// stream's connection is the stream.
    pub close: bool,
}

impl FeedQuery {
    /// Parses and validates a raw query string.
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        let mut parsed = FeedQuery {
            after: None,
            limit: DEFAULT_LIMIT,
            timeout: DEFAULT_LONGPOLL_TIMEOUT,
            client: None,
            epoch: None,
            close: false,
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match &*key {
                "after" => parsed.after = Some(parse_u64("after", &value)?),
                "limit" => {
                    let limit = parse_u64("limit", &value)?;
                    if limit == 0 || limit > MAX_LIMIT as u64 {
                        return Err(ApiError::bad("limit", format!("limit must be 1..={MAX_LIMIT}, got {limit}")));
                    }
                    parsed.limit = limit as usize;
                }
                "timeout_ms" => {
                    let ms = parse_u64("timeout_ms", &value)?;
                    let max = MAX_LONGPOLL_TIMEOUT.as_millis() as u64;
                    if ms > max {
                        return Err(ApiError::bad("timeout_ms", format!("timeout_ms must be 0..={max}, got {ms}")));
                    }
                    parsed.timeout = Duration::from_millis(ms);
                }
                "client" => parsed.client = Some(check_client_id(&value)?.to_owned()),
                "epoch" => parsed.epoch = Some(parse_u64("epoch", &value)?),
                "close" => parsed.close = parse_flag("close", &value)?,
                _ => {}
            }
        }
        Ok(parsed)
    }

    /// Where reading starts.
    pub fn cursor(&self) -> Cursor {
        self.after.map_or(Cursor::Head, Cursor::After)
    }
}

/// Parses a cursor-like decimal number, naming `field` in the error.
pub fn parse_u64(field: &'static str, value: &str) -> Result<u64, ApiError> {
    value
        .parse::<u64>()
        .map_err(|_| ApiError::bad(field, format!("{field} must be a whole number 0..={}, got {value:?}", u64::MAX)))
}

/// Parses a yes/no flag: `1` or `true`, `0` or `false`, naming `field` in the error.
pub fn parse_flag(field: &'static str, value: &str) -> Result<bool, ApiError> {
    match value {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(ApiError::bad(field, format!("{field} must be 1, 0, true or false, got {value:?}"))),
    }
}

/// Checks a `client=` id: 1-64 of `[A-Za-z0-9_-]`.
pub fn check_client_id(id: &str) -> Result<&str, ApiError> {
    let valid = (1..=MAX_CLIENT_ID_LEN).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        Ok(id)
    } else {
        Err(ApiError::bad("client", format!("client must be 1-{MAX_CLIENT_ID_LEN} of [A-Za-z0-9_-], got {id:?}")))
    }
}

/// The `client=` id of a query string (the last one, as [`FeedQuery::parse`] reads it): `None` when absent,
/// a 400 naming `client` when invalid. For the endpoints that take no other feed parameter.
pub fn client_param(query: &str) -> Result<Option<String>, ApiError> {
    match form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k == "client").last() {
        Some((_, id)) => Ok(Some(check_client_id(&id)?.to_owned())),
        None => Ok(None),
    }
}

/// The valid `client=` id of a query string, if any (the meter attributes traffic with it; an invalid id is
/// refused later by the handler, with a 400).
pub fn client_of(query: &str) -> Option<String> {
    client_param(query).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(query: &str) -> &'static str {
        match FeedQuery::parse(query) {
            Err(ApiError::BadField { field, .. }) => field,
            other => panic!("{query}: expected a bad field, got {other:?}"),
        }
    }

    #[test]
    fn defaults_start_at_head() {
        let q = FeedQuery::parse("").unwrap();
        assert_eq!(
            (q.cursor(), q.limit, q.timeout, q.client, q.epoch, q.close),
            (Cursor::Head, DEFAULT_LIMIT, DEFAULT_LONGPOLL_TIMEOUT, None, None, false)
        );
    }

    #[test]
    fn values_are_read() {
        let q = FeedQuery::parse("after=42&limit=5&timeout_ms=1500&client=pane-ws_1&_=99").unwrap();
        assert_eq!(q.cursor(), Cursor::After(42));
        assert_eq!((q.limit, q.timeout, q.client.as_deref()), (5, Duration::from_millis(1500), Some("pane-ws_1")));
        for (flag, close) in [("1", true), ("true", true), ("0", false), ("false", false)] {
            assert_eq!(FeedQuery::parse(&format!("close={flag}")).unwrap().close, close, "close={flag}");
        }
    }

    #[test]
    fn bad_values_name_their_field() {
        assert_eq!(field_of("after=abc"), "after");
        assert_eq!(field_of("after=-1"), "after");
        assert_eq!(field_of("after=%ZZ"), "after");
        assert_eq!(field_of("after=99999999999999999999999"), "after");
        assert_eq!(field_of("limit=-1"), "limit");
        assert_eq!(field_of("limit=0"), "limit");
        assert_eq!(field_of("limit=10001"), "limit");
        assert_eq!(field_of("timeout_ms=60001"), "timeout_ms");
        assert_eq!(field_of("epoch=yesterday"), "epoch");
        assert_eq!(field_of("close=yes"), "close");
        assert_eq!(field_of("close="), "close");
        assert_eq!(field_of("close=2"), "close");
        assert_eq!(field_of("client="), "client");
        assert_eq!(field_of("client=a%20b"), "client");
        assert_eq!(field_of(&format!("client={}", "x".repeat(65))), "client");
    }

    #[test]
    fn client_param_is_absent_valid_or_a_400() {
        assert_eq!(client_param("after=1").unwrap(), None);
        assert_eq!(client_param("client=a&client=b").unwrap().as_deref(), Some("b"), "the last one, like FeedQuery");
        assert!(matches!(client_param("client=%3Cb%3E"), Err(ApiError::BadField { field: "client", .. })));
    }

    #[test]
    fn client_of_ignores_invalid_ids() {
        assert_eq!(client_of("client=ok-1").as_deref(), Some("ok-1"));
        assert_eq!(client_of("client=<script>"), None);
        assert_eq!(client_of("after=1"), None);
    }
}
