//! Ajax polling: "anything new?" on a fixed schedule.
//!
//! Each poller asks `GET /poll?after=<cursor>` every `--poll-interval`, whether or not anything was
//! published: most answers are empty when the interval is shorter than the publish period, and every one
//! costs a full request and response head. That is the cost being measured.
//!
//! The schedule is fixed with a random phase per client (so 10,000 pollers do not all ask in the same
//! millisecond, as real browsers would not), and slots never move: a poll that is late because the
//! previous answer was slow is sent at once and its request latency counts from the slot, not from when
//! it finally went out (no coordinated omission). A message's delivery latency (receive - `ts`) includes
//! the wait for the next poll: on average half the interval, the price of polling.
//!
//! Under `--chaos` a poller's connection (idle between polls, or carrying one) is dropped; the next poll
//! opens a new one and asks from the cursor as always, so nothing is missed: polling is the transport
//! that shrugs a lost connection off most easily.

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

use super::ctx::{Ctx, MAX_RETRY_AFTER};
use super::error::ClientError;
use super::poller::{Asked, Poller};
use crate::record::ClientRecord;

/// Runs one poller until the run ends.
pub async fn run(ctx: &Ctx, idx: usize, mut rec: ClientRecord) -> ClientRecord {
    let mut http = Poller::new(ctx);
    // With keep-alive, a browser polls on a connection it already has (the page came over it): connect
    // during the ramp-up, so the window measures polling, not 10,000 simultaneous TCP handshakes. Without
    // keep-alive each poll's own connection is the cost being measured, so nothing is opened early.
    if ctx.cfg.keep_alive {
        // A failed early connect is retried by the first poll, like any broken connection.
        if let Err(e) = http.connect_gated(ctx, idx, &mut rec).await {
            ctx.error(&mut rec, &e);
        }
        ctx.ready();
    }
    let Some(window) = ctx.window().await else {
        ctx.linger().await;
        return rec;
    };
    if !ctx.cfg.keep_alive {
        ctx.ready();
    }
    let interval = ctx.cfg.poll_interval;
    let mut rng = SmallRng::seed_from_u64(ctx.seed.wrapping_add(idx as u64));
    let phase = Duration::from_nanos(rng.random_range(0..interval.as_nanos().max(1) as u64));
    let mut slot = window.start + phase;
    // Registered once: waiting for a slot or an answer thousands of times a second must not register anew
    // on the run's shared channels each time (see `Until`).
    let mut until = ctx.until();
    let cancelled = ctx.cancel.cancelled();
    tokio::pin!(cancelled);
    loop {
        let connected = http.is_connected();
        tokio::select! {
            _ = tokio::time::sleep_until(slot) => {}
            _ = until.stopped(ctx, rec.tracker.position()) => break,
            _ = ctx.chaos.strike(idx), if connected => {
                http.drop_connection();
                ctx.chaos_drop(&mut rec);
                continue;
            }
        }
        let t = &rec.tracker;
        let path = format!("/poll?after={}{}{}", t.cursor(), ctx.epoch_query(t), ctx.limit_query());
        // A poll in flight is answered at once; only a cancelled run abandons it.
        match http.ask(ctx, idx, &mut rec, &path, slot.into_std(), cancelled.as_mut()).await {
            Asked::Stopped => break,
            // Dropped with the request in flight: this slot's answer is lost, the next poll asks again.
            Asked::Dropped | Asked::Answered(Ok(())) => {}
            // The server restarted: start again at its head, at once (no slot to wait for).
            Asked::Answered(Err(e @ (ClientError::EpochChanged { .. } | ClientError::CursorAhead { .. }))) => {
                ctx.retry(&mut rec, e).await;
                continue;
            }
            Asked::Answered(Err(e)) => {
                ctx.error(&mut rec, &e);
                // A server asking to back off is obeyed: the slots it covers are skipped.
                if let ClientError::Status { retry_after: Some(wait), .. } = e {
                    let resume = Instant::now() + wait.min(MAX_RETRY_AFTER);
                    while slot + interval < resume {
                        slot += interval;
                    }
                }
            }
        }
        slot += interval;
    }
    // Done: the connection stays open until every client is (see `Ctx::linger`).
    ctx.linger().await;
    rec
}
