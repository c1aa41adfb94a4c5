//! What SSE and WebSocket share: the life of a client that holds one connection and is pushed messages
//! ([`run`]).
//!
//! Connect (holding a connect permit, so thousands of clients do not overflow the server's accept
//! queue), send the one request that opens the stream, then read what the server pushes until the client
//! is done, `--chaos` drops the connection, or the connection fails; after a drop reconnect at once, after
//! a failure through [`Ctx::retry`] (backoff, `Retry-After`, or a restart at a new feed's head). Each
//! transport says only what is its own ([`Streaming`]): the request that opens its stream and resumes it
//! from the client's position, how to read the next thing off the wire, what that thing means, and how
//! to close politely.

use std::future::Future;

use tokio::net::TcpStream;

use super::ctx::Ctx;
use super::error::ClientError;
use crate::record::ClientRecord;

/// A streaming transport, as [`run`] drives it. One value per client: it keeps what outlives a
/// connection (SSE's last event id).
pub trait Streaming: Send {
    /// An open stream.
    type Conn: Send;
    /// One thing read off the stream (a body chunk, a frame).
    type Item: Send;

    /// Opens the stream on `tcp` (already connected, its connection and request counted): sends the
    /// request for the client's position in `rec`, and checks the answer.
    fn open(
        &mut self,
        ctx: &Ctx,
        rec: &mut ClientRecord,
        tcp: TcpStream,
    ) -> impl Future<Output = Result<Self::Conn, ClientError>> + Send;

    /// The next item; an error when the server closed the stream or it failed, `None` when it just ended.
    /// Must be cancel-safe: it races the client's stop and `--chaos`.
    fn next(conn: &mut Self::Conn) -> impl Future<Output = Option<Result<Self::Item, ClientError>>> + Send;

    /// Records what `item` carried (messages, gaps, heartbeats; a malformed one is counted as an error).
    /// `conn` is there for a protocol that must answer on it (Socket.IO queues its pongs and its next poll
    /// there; [`Streaming::next`] sends them).
    fn take(&mut self, ctx: &Ctx, rec: &mut ClientRecord, conn: &mut Self::Conn, item: Self::Item);

    /// The client is done: ends the stream politely.
    fn close(conn: Self::Conn) -> impl Future<Output = ()> + Send;
}

/// How a connection ended.
#[derive(Debug)]
enum Ended {
    /// The client is done (or cancelled): it closes politely.
    Done,
    /// `--chaos` struck: dropped without a goodbye, reconnect at once.
    Dropped,
    /// The server closed it or it failed: counted, then [`Ctx::retry`].
    Failed(ClientError),
}

/// Runs one streaming client until the run ends.
///
/// The receive loop is the harness's hottest path (one turn per message, thousands of clients at hundreds
/// of messages a second), so it registers its ways out once instead of once per message: the run's end
/// ([`super::Until`]) once per client, a `--chaos` strike once per connection.
pub async fn run<S: Streaming>(ctx: &Ctx, idx: usize, mut rec: ClientRecord, mut client: S) -> ClientRecord {
    let mut ready = false;
    let mut until = ctx.until();
    while !ctx.done(rec.tracker.position()) {
        let at = rec.tracker.position();
        let opened = async {
            let _permit = ctx.connect_gate.acquire().await.ok();
            let tcp = ctx.connector(idx, &rec).connect(idx).await.map_err(ClientError::Connect)?;
            ctx.connected(idx, &mut rec);
            ctx.request_sent(&mut rec);
            client.open(ctx, &mut rec, tcp).await
        };
        let mut conn = match tokio::select! { o = opened => o, _ = ctx.stopped(at) => break } {
            Ok(conn) => conn,
            Err(e) => {
                if ctx.retry(&mut rec, e).await {
                    continue;
                }
                break;
            }
        };
        if !ready {
            ready = true;
            ctx.ready();
        }
        let strike = ctx.chaos.strike(idx);
        tokio::pin!(strike);
        let ended = loop {
            let item = tokio::select! {
                i = S::next(&mut conn) => i,
                _ = until.stopped(ctx, rec.tracker.position()) => break Ended::Done,
                _ = &mut strike => break Ended::Dropped,
            };
            match item {
                Some(Ok(item)) => client.take(ctx, &mut rec, &mut conn, item),
                Some(Err(e)) => break Ended::Failed(e),
                None => break Ended::Failed(ClientError::StreamEnded),
            }
        };
        match ended {
            Ended::Done => {
                S::close(conn).await;
                break;
            }
            Ended::Dropped => {
                // Chaos: no goodbye, no waiting; the socket just goes.
                drop(conn);
                ctx.chaos_drop(&mut rec);
            }
            Ended::Failed(e) => {
                if !ctx.retry(&mut rec, e).await {
                    break;
                }
            }
        }
    }
    // A stream holds one of the server's stream slots, which another client may be waiting for: it closes
    // at once rather than linger.
    ctx.finished();
    rec
}
