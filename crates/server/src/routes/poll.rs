//! `GET /poll?after=N&limit=L`: ajax polling, the oldest way to get news from a server.
//!
//! The client asks "anything after N?" and the server answers at once, even when the answer is "no"
//! (an empty list). Every ask costs a full HTTP request and response head, which is the overhead the classic
//! argument is about; the empty answers are counted so the page can show how many asks were wasted.
//! With `close=1` the answer also ends its TCP connection (`Connection: close`), as every HTTP/1.0 answer
//! did: each ask then pays for a connection too (counted as `connections`).

use std::fmt::Write;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::{Bytes, BytesMut};
use feedlab_contract::Transport;
use feedlab_feed::View;

use crate::error::ApiError;
use crate::fanout::Wire;
use crate::query::FeedQuery;
use crate::state::AppState;
use crate::stats::{Counter, Meter};

/// Answers at once with whatever is after the cursor.
pub async fn poll(
    req: HttpRequest,
    state: web::Data<AppState>,
    meter: web::ReqData<Meter>,
) -> Result<HttpResponse, ApiError> {
    state.check_enabled(Transport::Poll)?;
    let query = FeedQuery::parse(req.query_string())?;
    state.admit_request()?;
    state.catch_up(&query, query.after).await;
    let epoch = state.feed.epoch();
    let answer = state.read_for(&query, query.cursor(), |view| Answer::of(view, epoch))?;
    Ok(answer.send(&meter, query.close))
}

/// The JSON answer shared by `/poll` and `/longpoll`: `{"messages":[...],"next":N,"gap":null,"epoch":E}`.
///
/// `epoch` names this run of the feed; a client that sends it back (`epoch=E`) is told with a 409 when the
/// server restarted, instead of reading a new feed's ids as if they were the old one's.
pub struct Answer {
    body: Bytes,
    messages: u64,
}

impl Answer {
    /// Writes the answer for a view of the feed, by concatenating each message's stored JSON: the feed
    /// serialized it once at publish, and no answer serializes it again. One buffer, sized once.
    pub fn of(view: View<'_, Wire>, epoch: u64) -> Answer {
        /// The envelope around the messages, numbers at their longest: `{"messages":[` ... `],"next":` u64
        /// `,"gap":{"from":` u64 `,"to":` u64 `},"epoch":` u64 `}`.
        const ENVELOPE: usize = 13 + 9 + 20 + 15 + 20 + 6 + 20 + 11 + 20 + 1;
        let messages = view.entries.len();
        let json: usize = view.entries.clone().map(|e| e.json.len()).sum();
        let mut body = BytesMut::with_capacity(json + messages + ENVELOPE);
        body.extend_from_slice(b"{\"messages\":[");
        for (i, entry) in view.entries.enumerate() {
            if i > 0 {
                body.extend_from_slice(b",");
            }
            body.extend_from_slice(entry.json.as_bytes());
        }
        // unwrap (every write!): formatting into a BytesMut cannot fail.
        write!(body, "],\"next\":{},\"gap\":", view.next).unwrap();
        match view.gap {
            // The field order serde gives `Gap`.
            Some(gap) => write!(body, "{{\"from\":{},\"to\":{}}}", gap.from, gap.to).unwrap(),
            None => body.extend_from_slice(b"null"),
        }
        write!(body, ",\"epoch\":{epoch}}}").unwrap();
        Answer { body: body.freeze(), messages: messages as u64 }
    }

    /// Counts the answer and turns it into the response; `close` ends the connection after it (`close=1`).
    pub fn send(self, meter: &Meter, close: bool) -> HttpResponse {
        if self.messages == 0 {
            meter.add(Counter::EmptyResponses, 1);
        }
        meter.add(Counter::MessagesDelivered, self.messages);
        let mut response = HttpResponse::Ok();
        response
            .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/json")))
            // A poll answer is news of one instant: no cache may keep it.
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if close {
            // actix writes `connection: close` and closes the connection once the answer is out.
            response.force_close();
        }
        response.body(self.body)
    }
}

#[cfg(test)]
mod tests {
    use feedlab_feed::{Cursor, Feed, Kind};

    use super::*;

    /// The bytes the first version built with serde for the envelope, kept as the reference.
    fn reference(feed: &Feed<Wire>, cursor: Cursor, limit: usize) -> String {
        let batch = feed.read(cursor, limit).unwrap();
        let messages: Vec<&str> = batch.entries.iter().map(|e| &*e.json).collect();
        format!(
            "{{\"messages\":[{}],\"next\":{},\"gap\":{},\"epoch\":{}}}",
            messages.join(","),
            batch.next,
            serde_json::to_string(&batch.gap).unwrap(),
            feed.epoch()
        )
    }

    #[test]
    fn the_answer_is_the_stored_json_in_the_envelope() {
        let feed = crate::fanout::feed(3);
        for body in ["one", "two \"quoted\"", "three", "four", "five"] {
            feed.publish(Kind::Chat, "ana", body);
        }
        for (cursor, limit) in
            [(Cursor::After(0), 10), (Cursor::After(3), 1), (Cursor::After(5), 10), (Cursor::Head, 5)]
        {
            let answer = feed.read_with(cursor, limit, |view| Answer::of(view, feed.epoch())).unwrap();
            let body = std::str::from_utf8(&answer.body).unwrap();
            assert_eq!(body, reference(&feed, cursor, limit), "{cursor:?} {limit}");
            let value: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(answer.messages as usize, value["messages"].as_array().unwrap().len());
        }
    }
}
