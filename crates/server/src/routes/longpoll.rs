//! `GET /longpoll?after=N&timeout_ms=T&limit=L`: long-polling, the server holds the question.
//!
//! Like `/poll`, but when nothing is new the server does not say "no": it keeps the request open until a
//! message arrives (then answers within a millisecond) or `timeout_ms` passes (then answers empty, and the
//! client asks again). Each delivered batch still costs one request and one response head.

use actix_web::{HttpRequest, HttpResponse, web};
use feedlab_contract::Transport;
use feedlab_feed::Cursor;

use crate::error::ApiError;
use crate::query::FeedQuery;
use crate::routes::poll::answer;
use crate::state::AppState;
use crate::stats::Meter;

/// Answers when there is something after the cursor, or empty at the timeout.
///
/// If the client goes away, actix drops this future (the server runs with `h1_allow_half_closed(false)`),
/// which drops the stream permit and the open-connection guard with it.
pub async fn longpoll(
    req: HttpRequest,
    state: web::Data<AppState>,
    meter: web::ReqData<Meter>,
) -> Result<HttpResponse, ApiError> {
    state.check_enabled(Transport::Longpoll)?;
    let query = FeedQuery::parse(req.query_string())?;
    state.admit_request()?;
    // "From the head" means: from what is newest now, so the hold waits for the next message.
    let after = query.after.unwrap_or_else(|| state.feed.head());
    let mut batch = state.read_for(&query, Cursor::After(after))?;
    if batch.entries.is_empty() && batch.gap.is_none() && !query.timeout.is_zero() {
        let _slot = state.hold_stream()?;
        let _open = meter.open();
        let mut head = state.feed.subscribe();
        tokio::select! {
            // The watch `Ref` is dropped at once: holding it would block publishers.
            _ = async { head.wait_for(|&newest| newest > after).await.map(|_| ()) } => {}
            _ = tokio::time::sleep(query.timeout) => {}
            _ = state.shutdown.cancelled() => {}
        }
        batch = state.read(Cursor::After(after), query.limit)?;
    }
    Ok(answer(&meter, &batch, state.feed.epoch()))
}
