//! `GET /poll?after=N&limit=L`: ajax polling, the oldest way to get news from a server.
//!
//! The client asks "anything after N?" and the server answers at once, even when the answer is "no"
//! (an empty list). Every ask costs a full HTTP request and response head, which is the overhead the classic
//! argument is about; the empty answers are counted so the page can show how many asks were wasted.

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use feedlab_contract::Transport;
use feedlab_feed::Batch;

use crate::error::ApiError;
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
    let batch = state.read_for(&query, query.cursor())?;
    Ok(answer(&meter, &batch, state.feed.epoch()))
}

/// The JSON answer shared by `/poll` and `/longpoll`: `{"messages":[...],"next":N,"gap":null,"epoch":E}`.
///
/// `epoch` names this run of the feed; a client that sends it back (`epoch=E`) is told with a 409 when the
/// server restarted, instead of reading a new feed's ids as if they were the old one's.
///
/// Built by concatenating each message's stored JSON: the feed serialized it once at publish, and no answer
/// serializes it again.
pub fn answer(meter: &Meter, batch: &Batch, epoch: u64) -> HttpResponse {
    let json_len: usize = batch.entries.iter().map(|e| e.json.len() + 1).sum();
    let mut body = String::with_capacity(json_len + 64);
    body.push_str("{\"messages\":[");
    for (i, entry) in batch.entries.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&entry.json);
    }
    body.push_str("],\"next\":");
    body.push_str(&batch.next.to_string());
    body.push_str(",\"gap\":");
    match batch.gap {
        // unwrap: two integers always serialize.
        Some(gap) => body.push_str(&serde_json::to_string(&gap).unwrap()),
        None => body.push_str("null"),
    }
    body.push_str(",\"epoch\":");
    body.push_str(&epoch.to_string());
    body.push('}');

    if batch.entries.is_empty() {
        meter.add(Counter::EmptyResponses, 1);
    }
    meter.add(Counter::MessagesDelivered, batch.entries.len() as u64);
    HttpResponse::Ok()
        .insert_header(ContentType::json())
        // A poll answer is news of one instant: no cache may keep it.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}
