//! A real server on `127.0.0.1:0` in its own thread, for tests here and in other crates (the harness).
//!
//! Tests can then use any async runtime and real clients against `server.url()`. Dropping the
//! [`TestServer`] stops it. Behind the `testing` feature, which only dev-dependencies turn on (this crate's
//! own, for its `tests/`, and the harness's), so it is not part of the shipped library.

use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::Config;

/// A running server; stops when dropped.
#[derive(Debug)]
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with `config` on a free loopback port.
    pub fn start(config: Config) -> Self {
        // unwrap: binding port 0 on loopback only fails on a broken machine, and this is test support.
        Self::start_on(TcpListener::bind("127.0.0.1:0").unwrap(), config)
    }

    /// Starts a server with `config` on `listener` (e.g. one bound with [`crate::bind`]'s `reuse_port`).
    pub fn start_on(listener: TcpListener, config: Config) -> Self {
        // unwrap: a bound listener has an address.
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            let result = system.block_on(crate::run(listener, config, async move {
                let _ = stopped.await;
            }));
            if let Err(err) = result {
                eprintln!("test server failed: {err}");
            }
        });
        Self { addr, stop: Some(stop), thread: Some(thread) }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server (as SIGTERM would) and waits for it to finish.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
