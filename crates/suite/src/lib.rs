//! `feedlab-suite`: the experiment suite behind `feedlab run` (DESIGN.md section 5).
//!
//! Each experiment is a TOML file in `experiments/` ([`experiment`]: raw file -> validated [`Experiment`],
//! its `[steps]` sweep expanded into steps, a `[quick]` table for CI-sized runs). For every experiment the
//! suite starts a fresh `feedlab serve` child ([`server`]; several on one port and a `redis-server` for the
//! scale-out experiment's nodes, which [`cluster`] also starts for a user; for Socket.IO's transports the
//! Socket.IO peer, [`peer`]), runs each step with the harness in this process
//! (`feedlab_harness::run_bench`), reads what the server cost from `/proc` ([`procfs`]) and, for the
//! overload experiment, the server's own per-second counters and answer times ([`timeline`]). After every
//! step it rewrites `results/<experiment>/data.json` ([`record`]: the contract's `ExperimentData`, each
//! step embedding the harness's result as it is); at the end `feedlab_report::render_all` turns the data
//! into CSV, charts and the README/HTML report.
//!
//! The words every part uses (transports, header profiles, the data file's types, `/proc` readings, the
//! server's counters) come from `feedlab_contract`: adding a transport there adds it to every sweep.
//!
//! How the pieces fit: [`cli`] parses `feedlab run`, [`catalog`] finds and selects experiment files,
//! [`runner`] runs them with a [`progress`] bar (or plain lines when not on a terminal), [`machine`]
//! describes the box for the report and [`summary`] prints the verdicts and where the report is.
#![warn(missing_docs)]

pub mod catalog;
pub mod cli;
pub mod cluster;
mod error;
pub mod experiment;
pub mod machine;
pub mod peer;
pub mod procfs;
pub mod progress;
pub mod record;
pub mod runner;
pub mod server;
pub mod summary;
pub mod timeline;

pub use error::Error;
pub use experiment::Experiment;
