//! Long-polling: "tell me when there is something new".
//!
//! Each client asks `GET /longpoll?after=<cursor>&timeout_ms=T`; the server holds the request until a
//! message after the cursor exists (or T passes, then answers empty), and the client asks again at once.
//! At low rates that is one request per message; when messages come faster than a round trip, one answer
//! carries several and long-poll starts to batch. Requests go back to back, so a request's latency is
//! measured from when it was sent.
//!
//! A held request that is lost (a `--chaos` drop, a reset) costs nothing but the request: the client asks
//! again from its cursor and the server answers with whatever it missed meanwhile.

use super::ctx::Ctx;
use super::poller::{Asked, Poller};
use crate::record::ClientRecord;

/// Runs one long-poller until the run ends.
pub async fn run(ctx: &Ctx, idx: usize, mut rec: ClientRecord) -> ClientRecord {
    let timeout_ms = ctx.cfg.longpoll_timeout.as_millis();
    // Connecting is gated so thousands of clients do not overflow the server's accept queue. The permit
    // covers the connect only: held over a request that the server holds for up to 25 s, it would keep
    // every other client (SSE and WebSocket in a soak) from connecting.
    let mut http = Poller::new(ctx).gating_connects();
    let mut ready = false;
    // Registered once (see `Until`): a long-poll is asked once per message.
    let mut until = ctx.until();
    while !ctx.done(rec.tracker.position()) {
        let at = rec.tracker.position();
        let epoch = ctx.epoch_query(&rec.tracker);
        let path = format!("/longpoll?after={}&timeout_ms={timeout_ms}{epoch}{}", at.cursor, ctx.limit_query());
        if !ready {
            // Counted as ready once its first request is on its way: it is then waiting like any other.
            ready = true;
            ctx.ready();
        }
        // Requests go back to back: a request's latency counts from when it was sent.
        match http.ask(ctx, idx, &mut rec, &path, std::time::Instant::now(), until.stopped(ctx, at)).await {
            Asked::Stopped => break,
            // Chaos: the held request went with its connection; ask again at once.
            Asked::Dropped | Asked::Answered(Ok(())) => {}
            Asked::Answered(Err(e)) => {
                if !ctx.retry(&mut rec, e).await {
                    break;
                }
            }
        }
    }
    // Counted as done at once: its connection held a request the server keeps a slot for, so it closes now.
    ctx.finished();
    rec
}
