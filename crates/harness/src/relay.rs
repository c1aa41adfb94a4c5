//! `--rtt`: a delaying TCP relay between the clients and the server.
//!
//! The kernel here has no netem, so the harness simulates distance itself: clients connect to a relay on
//! loopback, the relay connects to the server, and every chunk of bytes is held for half the round trip
//! in each direction before it is passed on. Chunks are timestamped when read and released at
//! `read + rtt/2`, so the delay does not serialize traffic (a chunk never waits for the one before it to
//! be delayed again). A new connection also pays the TCP handshake a real network would cost: the first
//! bytes a client sends are released no earlier than `accepted + rtt + rtt/2` (SYN, SYN-ACK, then the
//! request's own way).
//!
//! The relay's sockets are not counted: clients count their own side, which carries the same bytes.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::net::Connector;

/// Chunks in flight per direction of one connection. Bounded so a reader that stops reading eventually
/// stops the writer, as a real TCP window would; 64 chunks of up to [`CHUNK`] bytes is far more than
/// any feed message burst needs within one RTT at the rates measured here.
const IN_FLIGHT_CHUNKS: usize = 64;

/// Largest chunk read at once.
const CHUNK: usize = 16 * 1024;

/// Accept backlog: thousands of clients connect at once when a run starts; the default 1024 would drop
/// SYNs and add the kernel's 1 s retransmit to some connects.
const BACKLOG: u32 = 4096;

/// A running relay. Dropping it does not stop it: cancel the token given to [`start`].
#[derive(Debug)]
pub struct Relay {
    /// Where clients connect instead of the server.
    pub addr: SocketAddr,
}

/// Starts a relay in front of `upstream` (connected through `upstream_connector`'s source addresses).
pub async fn start(upstream: Connector, rtt: Duration, cancel: CancellationToken) -> io::Result<Relay> {
    let loopback =
        if upstream.addr.is_ipv4() { IpAddr::V4(Ipv4Addr::LOCALHOST) } else { IpAddr::V6(Ipv6Addr::LOCALHOST) };
    let bind = SocketAddr::new(loopback, 0);
    let socket = if bind.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(bind)?;
    let listener: TcpListener = socket.listen(BACKLOG)?;
    let addr = listener.local_addr()?;
    let next = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = cancel.cancelled() => break,
                a = listener.accept() => a,
            };
            let Ok((client, _)) = accepted else { continue };
            let upstream = upstream.clone();
            let n = next.fetch_add(1, Relaxed);
            let cancel = cancel.clone();
            tokio::spawn(async move {
                let accepted_at = Instant::now();
                let _ = client.set_nodelay(true);
                let Ok(server) = upstream.connect(n).await else { return };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                let half = rtt / 2;
                let first_release = accepted_at + rtt + half;
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    _ = async { tokio::join!(pipe(cr, sw, half, Some(first_release)), pipe(sr, cw, half, None)) } => {}
                }
            });
        }
    });
    Ok(Relay { addr })
}

/// Copies one direction with a fixed delay; `not_before` holds the first bytes back (TCP handshake).
async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, delay: Duration, not_before: Option<Instant>) {
    let (tx, mut rx) = mpsc::channel::<(Instant, Bytes)>(IN_FLIGHT_CHUNKS);
    let reader = async move {
        let mut buf = vec![0u8; CHUNK];
        loop {
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut due = Instant::now() + delay;
                    if let Some(nb) = not_before {
                        due = due.max(nb);
                    }
                    if tx.send((due, Bytes::copy_from_slice(&buf[..n]))).await.is_err() {
                        break;
                    }
                }
            }
        }
    };
    let writer = async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        // The other side finished sending: pass the FIN on, after the same delay as the data.
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}
