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

use std::sync::atomic::Ordering::Relaxed;

use super::Ctx;
use super::http::{Poller, take_page};
use crate::counting::WireCounters;
use crate::record::{ClientRecord, Exchange};

/// Runs one long-poller until the run ends.
pub async fn run(ctx: &Ctx, idx: usize, mut rec: ClientRecord) -> ClientRecord {
    let timeout_ms = ctx.cfg.longpoll_timeout.as_millis();
    let mut http = Poller::new(ctx);
    let mut ready = false;
    while !ctx.done(rec.tracker.position()) {
        let at = rec.tracker.position();
        let epoch = ctx.epoch_query(&rec.tracker);
        let path = format!("/longpoll?after={}&timeout_ms={timeout_ms}{epoch}{}", at.cursor, ctx.limit_query());
        if !ready {
            // Counted as ready once its first request is on its way: it is then waiting like any other.
            ready = true;
            ctx.live.ready.fetch_add(1, Relaxed);
        }
        let sent = std::time::Instant::now();
        let head_before = WireCounters::get(&rec.wire.request_head);
        let answer = tokio::select! {
            a = async {
                // Connecting is gated so thousands of clients do not overflow the server's accept queue.
                // The permit covers the connect only: held over a request that the server holds for up to
                // 25 s, it would keep every other client (SSE and WebSocket in a soak) from connecting.
                if http.needs_connect() {
                    let _permit = ctx.connect_gate.acquire().await.ok();
                    http.connect(ctx, idx, &mut rec).await?;
                }
                http.get(ctx, idx, &mut rec, &path).await
            } => Some(a),
            // A held request is abandoned when the client is done (it has every message) or cancelled.
            _ = ctx.stopped(at) => {
                rec.unanswered(head_before);
                break;
            }
            _ = ctx.chaos.strike(idx) => None,
        };
        let Some(answer) = answer else {
            // Chaos: the held request goes with its connection; ask again at once.
            rec.unanswered(head_before);
            http.drop_connection();
            ctx.chaos_drop(&mut rec);
            continue;
        };
        match answer.and_then(|body| take_page(ctx, &mut rec, &body)) {
            Ok((messages, _)) => {
                rec.exchange(&Exchange { intended: sent, answered: std::time::Instant::now(), messages })
            }
            Err(e) => {
                if !ctx.retry(&mut rec, e).await {
                    break;
                }
            }
        }
    }
    rec
}
