//! Query parsing (`feedlab_server::query`): the `after`, `limit`, `timeout_ms`, `client`, `epoch` and
//! `close` parameters of every transport endpoint.
//!
//! Input: a query string (invalid UTF-8 replaced, as a URI cannot carry it raw). Checked: a refusal is a
//! 400 naming one of the parameters; an accepted query is within the documented ranges, and written back
//! with the values it was read as ([`serialize`]) it reads the same again, with a cache-buster appended
//! too; `client_param` and the meter's `client_of` agree with [`FeedQuery::parse`] about `client`.

use feedlab_server::config::{MAX_LIMIT, MAX_LONGPOLL_TIMEOUT};
use feedlab_server::error::ApiError;
use feedlab_server::query::{FeedQuery, MAX_CLIENT_ID_LEN, check_client_id, client_of, client_param};

/// The parameters the endpoints read, the only fields a 400 may name.
const FIELDS: [&str; 6] = ["after", "limit", "timeout_ms", "client", "epoch", "close"];

/// Parses `data` as a query string; panics on a finding.
pub fn check(data: &[u8]) {
    let query = String::from_utf8_lossy(data);
    let parsed = FeedQuery::parse(&query);
    match &parsed {
        Ok(q) => {
            assert!((1..=MAX_LIMIT).contains(&q.limit), "{query:?}: limit {}", q.limit);
            assert!(q.timeout <= MAX_LONGPOLL_TIMEOUT, "{query:?}: timeout {:?}", q.timeout);
            if let Some(id) = &q.client {
                assert!(id.len() <= MAX_CLIENT_ID_LEN && check_client_id(id).is_ok(), "{query:?}: client {id:?}");
            }
            let written = serialize(q);
            assert_eq!(FeedQuery::parse(&written).ok().as_ref(), Some(q), "{query:?} written as {written:?}");
            let busted = format!("{query}&_=1712");
            assert_eq!(FeedQuery::parse(&busted).ok().as_ref(), Some(q), "{query:?}: a cache-buster changed it");
        }
        Err(ApiError::BadField { field, message }) => {
            assert!(FIELDS.contains(field), "{query:?}: refused naming {field:?}");
            assert!(message.contains(field), "{query:?}: the message {message:?} does not name {field}");
        }
        Err(other) => panic!("{query:?}: not a 400 naming a field: {other:?}"),
    }
    let client = client_param(&query);
    match (&parsed, &client) {
        (Ok(q), Ok(c)) => assert_eq!(&q.client, c, "{query:?}: client_param disagrees"),
        (Ok(_), Err(e)) => panic!("{query:?}: parses, but client_param refuses it: {e:?}"),
        (Err(_), _) => {}
    }
    assert_eq!(client_of(&query), client.ok().flatten(), "{query:?}: the meter's client differs");
}

/// `q` as a query string, every value the one it was read as.
pub fn serialize(q: &FeedQuery) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    if let Some(after) = q.after {
        out.append_pair("after", &after.to_string());
    }
    out.append_pair("limit", &q.limit.to_string());
    out.append_pair("timeout_ms", &q.timeout.as_millis().to_string());
    if let Some(client) = &q.client {
        out.append_pair("client", client);
    }
    if let Some(epoch) = q.epoch {
        out.append_pair("epoch", &epoch.to_string());
    }
    if q.close {
        out.append_pair("close", "1");
    }
    out.finish()
}
