//! feedlab's load harness: `feedlab bench`, and `feedlab floor`.
//!
//! Simulates N clients of one transport (ajax polling, long-poll, Server-Sent Events or WebSocket) against
//! any server that speaks the feedlab contract (DESIGN.md sections 1-2), publishes through the server's
//! own `POST /messages`, and measures on the wire what each transport costs: requests, header bytes,
//! framing, latency and loss. Socket.IO's polling and WebSocket transports are measured the same way,
//! against the Socket.IO peer in `peers/socketio/` ([`clients::socketio`]).
//!
//! How the pieces fit:
//! - [`config`]: the validated [`BenchConfig`]; [`cli`] builds it from the command line; [`headers`]: what
//!   each request header profile sends.
//! - [`counting`]: the one [`counting::CountingStream`] every socket is wrapped in; all byte figures
//!   come from it.
//! - [`clients`]: one file per transport, mirroring the server's routes, on two shared loops (one for
//!   poll and long-poll, one for SSE and WebSocket).
//! - [`publisher`]: the harness's own publisher and the initial probe.
//! - [`record`]: what one client observed; [`tracker`]: its loss, duplicates and order; [`run`] drives a
//!   run, [`local`] the clients in this process, and [`merge`] folds the records into a [`BenchResult`] ([`result`]: the contract's JSON
//!   document, schema in `crates/contract/schema/bench.schema.json`).
//! - [`net`] and [`relay`]: socket limits, source addresses, and the `--rtt` delaying relay.
//! - [`workers`]: `--procs`, the clients spread over worker processes and merged into one result.
//! - [`chaos`]: `--chaos`, dropping a share of the client connections every second.
//! - [`soak`]: `--soak`, all four transports at once for a long time, with the server's memory watched;
//!   [`summary`]: the tables printed after a run.
//! - [`floor`]: `feedlab floor`, the kernel's own cost of a push on this machine (std threads and raw
//!   system calls, no runtime), which every server CPU figure is read against.
//!
//! Module map: who uses whom. Each module uses only modules listed below it, so there are no cycles;
//! `error` (the run-level [`Error`]) is used throughout and uses nothing.
//!
//! ```text
//! cli        -> summary, soak, floor, run, config, headers, chaos
//! summary    -> soak, result
//! floor      -> net, record
//! soak       -> run, config, result
//! run        -> workers, local, publisher, merge, record, config, result
//! workers    -> local, merge, clients (Live, Window), net, config, result
//! local      -> publisher (Probe), merge, clients, relay, chaos, net, record, config, result
//! publisher  -> clients (http, Live), net, counting, record, config, result
//! merge      -> record, config, result
//! clients    -> poll, longpoll, sse, ws, socketio (dispatch), and through them:
//!   poll, longpoll -> poller -> http, message, ctx
//!   sse, ws        -> stream -> ctx       (sse -> http, message; ws -> message, counting)
//!   socketio       -> stream, http, ws, message (its polling and ws on the shapes above)
//!   ctx            -> message -> error (ClientError); chaos, net, record, tracker, counting, config
//!   http           -> error, counting, net
//! config     -> headers, net
//! relay      -> net
//! record     -> tracker, counting
//! tracker, counting, headers, net, chaos, result: none
//! ```
//!
//! Library use (the experiment suite):
//!
//! ```no_run
//! # async fn demo() -> Result<(), feedlab_harness::Error> {
//! use feedlab_harness::{BenchConfig, Target, Transport, run_bench};
//! let mut config = BenchConfig::new(Target::parse("http://127.0.0.1:8080")?, Transport::Ws);
//! config.clients = 100;
//! let cancel = tokio_util::sync::CancellationToken::new();
//! let result = run_bench(config, None, cancel).await?;
//! println!("{}", result.to_json());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod chaos;
pub mod cli;
pub mod clients;
pub mod config;
pub mod console;
pub mod counting;
mod error;
pub mod floor;
pub mod headers;
pub mod local;
pub mod merge;
pub mod net;
pub mod publisher;
pub mod record;
pub mod relay;
pub mod result;
pub mod run;
pub mod soak;
pub mod summary;
pub mod tracker;
pub mod workers;

pub use config::{BenchConfig, Target, Transport};
pub use error::Error;
pub use floor::{FloorConfig, run_floor};
pub use headers::{BrowserFixture, RequestHeaders};
pub use result::BenchResult;
pub use run::run_bench;
pub use soak::{SoakConfig, SoakResult, run_soak};
/// Re-exported so callers can cancel a run without depending on tokio-util themselves.
pub use tokio_util::sync::CancellationToken;
