//! feedlab's shared vocabulary: the words every crate uses, declared once.
//!
//! The server, the harness, the suite and the report are separate crates so that each can be read and
//! replaced alone (the harness measures any server that speaks the contract; the report draws from files
//! only). What they must agree on lives here, with serde as the only notable dependency (no tokio, hyper or
//! actix), so depending on it costs nothing:
//! - [`transport`]: the list of transports (name, label, push or pull). Adding a transport starts here.
//! - [`feed`]: where a server keeps its feed (in memory, or on Redis for several nodes).
//! - [`profile`]: the request header profiles; [`http`]: HTTP versions and h2's frame header.
//! - [`bench`], [`soak`] and [`floor`]: the result documents the harness writes (`feedlab bench --json`,
//!   `feedlab floor --json`), with a `schema_version`; [`data`]: the suite's `results/<experiment>/data.json`,
//!   which embeds bench results as they are. A `schema_version` is bumped when a field is removed, renamed,
//!   changes meaning, or a required field is added; an optional field (null when not measured) may be added
//!   without a bump, and older documents read it as null.
//! - [`spread`]: median and range of a figure measured several times.
//! - [`read`]: the strict reader: an unknown schema version or a missing field is an error naming the file
//!   and the field.
//! - [`counters`]: the server's counters, as `/stats` and `/metrics` name them.
//! - [`units`]: one grammar for rates (`2/s`, `1/100ms`) and durations (`30s`, `100ms`) on every flag.
//! - [`rfc6455`]: WebSocket frame header sizes.
//! - [`procfs`]: what a Linux process costs, read from `/proc` (CPU time and resident memory).

#![warn(missing_docs)]

pub mod bench;
pub mod counters;
pub mod data;
pub mod feed;
pub mod floor;
pub mod http;
pub mod procfs;
pub mod profile;
pub mod read;
pub mod rfc6455;
pub mod soak;
pub mod spread;
pub mod transport;
pub mod units;

pub use bench::BenchResult;
pub use feed::FeedKind;
pub use floor::FloorResult;
pub use http::HttpVersion;
pub use profile::HeaderProfile;
pub use read::ReadError;
pub use soak::SoakResult;
pub use spread::Spread;
pub use transport::Transport;
