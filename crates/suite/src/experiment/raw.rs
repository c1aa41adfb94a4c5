//! The raw shape of an experiment file: exactly what TOML may say, nothing checked but types and key names.
//!
//! Every table is `#[serde(deny_unknown_fields)]`, so a misspelt key is an error instead of a silently
//! ignored setting, and every field is optional: defaults and ranges are applied in one place, when the raw
//! file becomes an [`super::Experiment`] (ripgrep's low-level args -> high-level args). Sweep keys accept one
//! value or a list ([`OneOrMany`]); the steps are the cartesian product of the lists.

use std::fmt;
use std::marker::PhantomData;

use feedlab_contract::{FeedKind, HeaderProfile, HttpVersion, Transport};
use serde::Deserialize;
use serde::de::{self, IntoDeserializer, SeqAccess, Visitor};

/// A whole experiment file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExperiment {
    /// Section title in the report.
    pub title: Option<String>,
    /// One or two sentences: what the experiment shows (printed by `--dry-run`).
    pub about: Option<String>,
    /// Record a per-second server timeline for every step (the overload experiment).
    pub timeline: Option<bool>,
    /// Measure the kernel's floor (`feedlab floor`) before the first step, for the report to read the
    /// server's CPU against (the connection-scale experiment).
    pub floor: Option<bool>,
    /// How the server child process is started.
    pub server: Option<RawServer>,
    /// The sweep: the steps are the cartesian product of the lists here.
    pub steps: Option<RawSteps>,
    /// A second client group started during each step (the overload experiment's polling storm).
    pub storm: Option<RawStorm>,
    /// Overrides for `--quick` (CI-sized) runs: the same tables, any subset of their keys.
    pub quick: Option<RawQuick>,
}

/// `[quick]`: what a `--quick` run changes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuick {
    /// Overrides of `[server]`.
    pub server: Option<RawServer>,
    /// Overrides of `[steps]`.
    pub steps: Option<RawSteps>,
    /// Overrides of `[storm]`.
    pub storm: Option<RawStorm>,
}

/// `[server]`: flags of the `feedlab serve` child.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    /// `--max-rps`: cap on poll + long-poll requests per second (0 = none).
    pub max_rps: Option<u64>,
    /// `--max-streams`: open streams before 503.
    pub max_streams: Option<u64>,
    /// `--workers` (0 = one per core).
    pub workers: Option<u64>,
    /// Start a fresh server for every step instead of once per experiment.
    pub fresh_per_step: Option<bool>,
}

/// `[steps]`: the sweep.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSteps {
    /// Transports (`poll`, `longpoll`, `sse`, `ws`, and Socket.IO's `socketio-polling`, `socketio-ws`).
    pub transport: Option<OneOrMany<Transport>>,
    /// Simulated clients.
    pub clients: Option<OneOrMany<u64>>,
    /// Publish rates, messages per second (0 = a quiet feed).
    pub rate_per_s: Option<OneOrMany<f64>>,
    /// Client counts paired with rates, `[{clients = 1000, rate_per_s = 1}, ...]`, instead of the
    /// `clients` x `rate_per_s` product (a thousand clients at a hundred messages a second is another
    /// experiment than a hundred clients at that rate).
    pub loads: Option<Vec<RawLoad>>,
    /// `socketio-ws` only: open the WebSocket directly (`true`) or upgrade a polling session (`false`).
    pub socketio_direct: Option<OneOrMany<bool>>,
    /// Socket.IO transports only: start the peer with connection-state recovery.
    pub recovery: Option<OneOrMany<bool>>,
    /// Polling intervals in ms (poll steps only; other transports ignore this axis).
    pub poll_interval_ms: Option<OneOrMany<u64>>,
    /// Request header profiles (`minimal`, `browser`).
    pub headers: Option<OneOrMany<HeaderProfile>>,
    /// HTTP versions of poll, long-poll and SSE (`"1.1"`, `"2"`: h2c with prior knowledge).
    pub http: Option<OneOrMany<HttpVersion>>,
    /// Simulated round-trip times in ms (0 = direct).
    pub rtt_ms: Option<OneOrMany<u64>>,
    /// Measured window of every step, seconds.
    pub duration_s: Option<f64>,
    /// Lengthen a step so at least this many messages are published (low rates).
    pub min_messages: Option<u64>,
    /// `limit=` for poll and long-poll requests (server default when absent).
    pub limit: Option<u64>,
    /// Size of each published message body in bytes.
    pub payload_bytes: Option<u64>,
    /// Rounds of the whole sweep: each configuration is measured this many times, for a median and a range.
    pub repeats: Option<u64>,
}

/// One entry of `loads`: a client count and the rate they receive, and optionally the server layout that
/// carries them (the scale-out experiment: more clients need more nodes, and a lower rate on these cores).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoad {
    /// Simulated clients.
    pub clients: u64,
    /// Publish rate, messages per second.
    pub rate_per_s: f64,
    /// Server processes sharing one port and one feed (default 1).
    pub nodes: Option<u64>,
    /// The feed backend (`memory`, the default, or `redis`: a Redis server the suite starts).
    pub feed: Option<FeedKind>,
}

/// `[storm]`: the extra client group of the overload experiment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStorm {
    /// Transport of the storm clients (default poll).
    pub transport: Option<Transport>,
    /// Number of storm clients.
    pub clients: Option<u64>,
    /// Their polling interval in ms.
    pub poll_interval_ms: Option<u64>,
    /// When the storm starts, seconds after the step started.
    pub start_s: Option<f64>,
    /// How long it lasts, seconds.
    pub duration_s: Option<f64>,
}

/// One value or a list of values: `clients = 100` and `clients = [100, 1000]` both work.
#[derive(Debug, Clone, PartialEq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or a list of values")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(OneOrMany(out))
            }

            // Scalars go to `T` itself, so its own error ("invalid type: string, expected u64") comes out.
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(|t| OneOrMany(vec![t]))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(|t| OneOrMany(vec![t]))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(|t| OneOrMany(vec![t]))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(|t| OneOrMany(vec![t]))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(|t| OneOrMany(vec![t]))
            }
        }

        deserializer.deserialize_any(V(PhantomData))
    }
}

/// The dotted key path (`quick.steps.clients`) of the TOML line holding byte `offset` of `source`: the
/// key before `=` on that line, prefixed by the nearest `[table]` header above it. Used to name the key in
/// parse errors, which carry only a byte span.
pub fn key_at(source: &str, offset: usize) -> Option<String> {
    let offset = offset.min(source.len());
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[offset..].find('\n').map_or(source.len(), |i| offset + i);
    let line = source[line_start..line_end].trim();
    let header = |l: &str| l.strip_prefix('[').and_then(|l| l.split(']').next()).map(|t| t.trim().to_owned());
    if line.starts_with('[') {
        return header(line);
    }
    let key = line.split('=').next().map(str::trim).filter(|k| !k.is_empty() && !k.starts_with('#'))?;
    let table = source[..line_start].lines().rev().map(str::trim).find(|l| l.starts_with('[')).and_then(header);
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_or_many() {
        #[derive(Debug, Deserialize)]
        struct T {
            a: OneOrMany<u64>,
            b: OneOrMany<u64>,
            c: OneOrMany<Transport>,
        }
        let t: T = toml::from_str("a = 3\nb = [1, 2]\nc = \"ws\"").unwrap();
        assert_eq!((t.a.0, t.b.0), (vec![3], vec![1, 2]));
        assert_eq!(t.c.0, vec![Transport::Ws]);
        let e = toml::from_str::<T>("a = \"x\"\nb = 1\nc = \"ws\"").unwrap_err();
        assert!(e.message().contains("invalid type: string"), "{e}");
        let e = toml::from_str::<T>("a = 1\nb = 1\nc = \"smoke\"").unwrap_err();
        assert!(e.message().contains("`poll`"), "{e}");
    }

    #[test]
    fn key_paths() {
        let src = "title = \"x\"\n\n[steps]\nclients = [1,\n 2]\n\n[quick.steps]\n  duration_s = 2 # short\n";
        assert_eq!(key_at(src, 2).as_deref(), Some("title"));
        assert_eq!(key_at(src, src.find("[1").unwrap()).as_deref(), Some("steps.clients"));
        assert_eq!(key_at(src, src.find("2 #").unwrap()).as_deref(), Some("quick.steps.duration_s"));
        assert_eq!(key_at(src, src.find("[quick").unwrap() + 1).as_deref(), Some("quick.steps"));
    }
}
