//! `GET /longpoll?after=N&timeout_ms=T&limit=L`: long-polling, the server holds the question.
//!
//! Like `/poll`, but when nothing is new the server does not say "no": it keeps the request open until a
//! message arrives (then answers within a millisecond) or `timeout_ms` passes (then answers empty, and the
//! client asks again). Each delivered batch still costs one request and one response head.

use actix_web::{HttpRequest, HttpResponse, web};
use feedlab_contract::Transport;
use feedlab_feed::Cursor;

use crate::error::ApiError;
use crate::fanout::Hub;
use crate::query::FeedQuery;
use crate::routes::poll::Answer;
use crate::state::AppState;
use crate::stats::Meter;

/// Answers when there is something after the cursor, or empty at the timeout.
///
/// A held request waits on its worker's hub, like the streams: the hub wakes it when the feed moves, or at
/// shutdown. If the client goes away, actix drops this future (the server runs with
/// `h1_allow_half_closed(false)`), which drops the stream permit and the open-connection guard with it.
pub async fn longpoll(
    req: HttpRequest,
    state: web::Data<AppState>,
    meter: web::ReqData<Meter>,
) -> Result<HttpResponse, ApiError> {
    state.check_enabled(Transport::Longpoll)?;
    let query = FeedQuery::parse(req.query_string())?;
    state.admit_request()?;
    state.catch_up(&query, query.after).await;
    // "From the head" means: from what is newest now, so the hold waits for the next message.
    let after = query.after.unwrap_or_else(|| state.feed.head());
    if after == state.feed.head() && !query.timeout.is_zero() {
        // Refuse a cursor of another feed now, not after holding it.
        state.check_epoch(&query)?;
        let _slot = state.hold_stream()?;
        let _open = meter.open();
        let hub = Hub::of(&state);
        let held_in = state.feed.epoch();
        tokio::select! {
            _ = hub.news_after(after) => {}
            _ = tokio::time::sleep(query.timeout) => {}
        }
        // A shared feed that started over during the hold: the cursor belongs to the old one.
        let current = state.feed.epoch();
        if current != held_in {
            return Err(ApiError::EpochChanged { sent: held_in, current, head: state.feed.head() });
        }
    }
    let epoch = state.feed.epoch();
    let answer = state.read_for(&query, Cursor::After(after), |view| Answer::of(view, epoch))?;
    Ok(answer.send(&meter, query.close))
}
