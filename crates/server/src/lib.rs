//! The feedlab server: one feed published through ajax polling, long-polling, Server-Sent Events and
//! WebSocket, with the instruments to count what each costs on the wire.
//!
//! Layout: [`routes`] holds one file per transport (`poll.rs`, `longpoll.rs`, `sse.rs`, `ws.rs`) and the
//! instruments; [`fanout`] the push path's machinery (one hub per worker thread); `middleware/` what runs on
//! every exchange of a kind (the meter, the WebSocket frame guard); [`stats`] counts; [`state`] is what
//! handlers share; [`backend`] where messages come from (this process, or a Redis stream shared by several
//! nodes; [`redis_server`] starts a Redis for tests and the suite); [`config`] holds the limits with the reasons
//! for their defaults; [`memory`] hands freed heap pages back to the system. The transports themselves are the
//! contract's ([`feedlab_contract::Transport`]). [`run`] serves on an already-bound listener until a shutdown
//! future resolves, so `main` and the tests start the server the same way. The contract is DESIGN.md sections
//! 1-3.
//! Poll, long-poll and SSE are also served over prior-knowledge HTTP/2 (h2c) on the same port.

#![warn(missing_docs)]

pub mod backend;
pub mod cli;
pub mod config;
pub mod error;
pub mod fanout;
pub mod memory;
mod middleware;
/// The WebSocket frame guard, public so the fuzz targets (`crates/fuzz`) can drive it directly.
pub use middleware::frame_guard;
pub mod query;
pub mod redis_server;
pub mod routes;
pub mod state;
pub mod stats;
#[cfg(feature = "testing")]
pub mod testing;
mod ticker;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use actix_web::{App, HttpServer, web};

pub use config::Config;
pub use state::AppState;

/// Time a graceful stop gives in-flight requests after streams were told to close; with the streams' own
/// close grace this keeps the whole shutdown under DESIGN.md's 5 s.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How long a node on a shared feed waits at start for its epoch before serving anyway.
pub const FEED_READY_WAIT: Duration = Duration::from_secs(5);

/// Pending connections the kernel queues before accept: thousands of harness clients connect at once.
pub const LISTEN_BACKLOG: i32 = 4096;

/// Serves `config` on `listener` until `shutdown` resolves, then closes WebSockets with 1001, ends SSE
/// streams, answers held long-polls and stops. Must run inside an actix system (`actix_web::rt::System`).
pub async fn run(
    listener: std::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + 'static,
) -> io::Result<()> {
    // std's bind listens with a backlog of 128; a burst of thousands of connects would overflow it and stall
    // clients in SYN retries. Calling listen again on Linux just raises the backlog.
    socket2::SockRef::from(&listener).listen(LISTEN_BACKLOG)?;
    let workers =
        if config.workers == 0 { std::thread::available_parallelism().map_or(2, |n| n.get()) } else { config.workers };
    let state = AppState::new(config).map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, err))?;
    // Connections wait in the listen backlog meanwhile: every node of a shared feed answers its epoch.
    if !state.backend.ready(FEED_READY_WAIT).await {
        tracing::warn!(
            "the shared feed did not answer within {FEED_READY_WAIT:?}: serving under this node's own epoch until it does"
        );
    }
    let app_state = web::Data::new(state.clone());
    let server = HttpServer::new(move || App::new().app_data(app_state.clone()).configure(routes::configure))
        .workers(workers)
        .keep_alive(config::KEEP_ALIVE)
        // Without this, actix keeps serving a connection whose client has shut its sending side, so a
        // long-poll outlives the client that asked; with it, EOF ends the connection and drops the handler.
        .h1_allow_half_closed(false)
        // The push path writes everything pending for a socket in one call (`fanout`); Nagle's algorithm
        // would only hold the next write back until the previous one is acknowledged.
        .tcp_nodelay(true)
        // Marks each new connection for the meter, which counts connections per channel and client.
        .on_connect(middleware::meter::on_connect)
        .max_connection_rate(1024)
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        // HTTP/1.1 and prior-knowledge HTTP/2 (h2c) on the one socket: actix reads the first bytes of each
        // connection and serves h2 when they are the h2 preface (`curl --http2-prior-knowledge`). Browsers
        // speak h2 only over TLS, so the page stays on HTTP/1.1; WebSocket always does (no RFC 8441 here).
        .listen_auto_h2c(listener)?
        .run();
    let handle = server.handle();

    actix_web::rt::spawn(ticker::run(state.clone()));
    let backend = std::sync::Arc::clone(&state.backend);
    let stopping = state.shutdown.clone();
    actix_web::rt::spawn(async move { backend.run(stopping).await });
    actix_web::rt::spawn(memory::trim_periodically(state.shutdown.clone()));
    actix_web::rt::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: closing streams");
        state.shutdown.cancel();
        // Let sessions queue their close frames and final chunks before connections are stopped.
        tokio::time::sleep(Duration::from_millis(200)).await;
        handle.stop(true).await;
    });
    server.await
}

/// A listener on `addr` as `feedlab serve` binds it: `SO_REUSEADDR` (as std does), and with `reuse_port`
/// also `SO_REUSEPORT`, so that several processes can listen on one port and the kernel spreads the new
/// connections over them (`--reuse-port`). Every process sharing the port must set it.
pub fn bind(addr: SocketAddr, reuse_port: bool) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(socket.into())
}

/// Resolves on Ctrl-C or SIGTERM, whichever comes first.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
