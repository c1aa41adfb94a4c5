//! The server's counters: the one list `/stats`, `/metrics`, the page and the suite read by name.
//!
//! The server keeps one array of atomics per channel indexed by [`Counter`]; its snapshot ([`Counts`]),
//! reset, `/stats` JSON and Prometheus text all walk [`Counter::ALL`], so a counter added here appears
//! everywhere at once. Readers of `/stats` (the suite's timeline, tests) deserialize [`Counts`] strictly:
//! a counter missing from the answer is an error naming it.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Whether a counter only grows (and can be reset) or is a gauge of live state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only grows; zeroed by a reset.
    Counter,
    /// Live state (connections open now): a reset leaves it alone, or it would go negative.
    Gauge,
}

impl Kind {
    /// The Prometheus `# TYPE` of a metric of this kind.
    pub const fn prometheus_type(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        }
    }
}

macro_rules! counters {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $kind:ident, $help:literal; )*) => {
        /// One figure the server counts per channel (and per `client=` id).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Counter {
            $( $(#[$doc])* $variant, )*
        }

        impl Counter {
            /// Every counter, in the order of `/stats` and `/metrics`.
            pub const ALL: &'static [Counter] = &[$(Counter::$variant),*];

            /// The name in `/stats` JSON (and, with `feedlab_` and `_total` for counters, in `/metrics`).
            pub const fn name(self) -> &'static str {
                match self { $(Counter::$variant => $name,)* }
            }

            /// Counter or gauge.
            pub const fn kind(self) -> Kind {
                match self { $(Counter::$variant => Kind::$kind,)* }
            }

            /// One line for `/metrics`' `# HELP`.
            pub const fn help(self) -> &'static str {
                match self { $(Counter::$variant => $help,)* }
            }
        }
    };
}

counters! {
    /// HTTP requests answered (a WebSocket or SSE connection is one request).
    Requests = "requests", Counter, "HTTP requests answered.";
    /// Poll/long-poll answers that carried no message: the cost of asking when nothing is new.
    EmptyResponses = "empty_responses", Counter, "Poll answers with no message.";
    /// Request line + headers + blank line, as received (HTTP/1.x requests only: see `H2Requests`).
    RequestHeaderBytes = "request_header_bytes", Counter, "Request head bytes received.";
    /// Status line + headers + blank line, as sent (HTTP/1.x only: see `H2Requests`).
    ResponseHeaderBytes = "response_header_bytes", Counter, "Response head bytes sent.";
    /// Message payload bytes (poll JSON answers, SSE `data` JSON, WebSocket frame payloads), both directions.
    BodyBytes = "body_bytes", Counter, "Message payload bytes.";
    /// Bytes around payloads: SSE field names and newlines plus HTTP/1.1 chunk framing, WebSocket frame
    /// headers. Over HTTP/2, SSE fields only: actix-http's h2 layer frames the DATA out of sight.
    FramingBytes = "framing_bytes", Counter, "SSE/WebSocket/chunk framing bytes.";
    /// WebSocket frames (both directions, control frames included) or SSE events sent.
    Frames = "frames", Counter, "WebSocket frames and SSE events.";
    /// TCP connections opened, each counted for the first request it carried: with keep-alive one carries
    /// many requests; with `Connection: close` every request pays for a connection of its own.
    Connections = "connections", Counter, "TCP connections opened (counted at their first request).";
    /// Connections open now on this channel (streams, held long-polls).
    OpenConnections = "open_connections", Gauge, "Connections open now.";
    /// Feed messages handed to clients.
    MessagesDelivered = "messages_delivered", Counter, "Feed messages handed to clients.";
    /// Answers with status 4xx or 5xx.
    Errors = "errors", Counter, "Answers with status 4xx or 5xx.";
    /// 503 answers: refused because over capacity.
    Rejected = "rejected", Counter, "503 answers over capacity.";
    /// Streams cut off because the client stopped reading (WebSocket 1013, SSE end).
    SlowReaderCloses = "slow_reader_closes", Counter, "Streams cut off for not reading.";
    /// Of `requests`, those that came over HTTP/2 (h2c). Their heads are not in the head byte counters: HPACK
    /// encodes them inside actix-http, where the server cannot see their size.
    H2Requests = "h2_requests", Counter, "HTTP/2 requests answered (also in requests; heads not counted).";
}

impl Counter {
    /// How many counters there are (the length of a channel's array of atomics).
    pub const COUNT: usize = Counter::ALL.len();

    /// Position in [`Counter::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The Prometheus metric name: `feedlab_<name>_total` for counters, `feedlab_<name>` for gauges.
    pub fn metric_name(self) -> String {
        match self.kind() {
            Kind::Counter => format!("feedlab_{}_total", self.name()),
            Kind::Gauge => format!("feedlab_{}", self.name()),
        }
    }
}

/// One channel's counters at one instant, indexed by [`Counter`]. Gauges may be negative only transiently,
/// so every value is an `i64`. Serialized as a JSON object with every counter's name, in list order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts(pub [i64; Counter::COUNT]);

impl Default for Counts {
    fn default() -> Self {
        Counts([0; Counter::COUNT])
    }
}

impl Counts {
    /// The value of `counter`.
    pub fn get(&self, counter: Counter) -> i64 {
        self.0[counter.index()]
    }

    /// The value of a counter that only grows, as u64 (a gauge reads 0 when negative).
    pub fn count(&self, counter: Counter) -> u64 {
        self.get(counter).max(0) as u64
    }
}

impl std::ops::Index<Counter> for Counts {
    type Output = i64;

    fn index(&self, counter: Counter) -> &i64 {
        &self.0[counter.index()]
    }
}

impl Serialize for Counts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(Counter::COUNT))?;
        for &counter in Counter::ALL {
            map.serialize_entry(counter.name(), &self.get(counter))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Counts {
    /// Every counter must be present; names this build does not know (a newer server) are skipped.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountsVisitor;

        impl<'de> Visitor<'de> for CountsVisitor {
            type Value = Counts;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of the server's counters")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Counts, A::Error> {
                let mut values = [None; Counter::COUNT];
                while let Some(key) = map.next_key::<String>()? {
                    match Counter::ALL.iter().find(|c| c.name() == key) {
                        Some(c) => values[c.index()] = Some(map.next_value::<i64>()?),
                        None => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                let mut counts = Counts::default();
                for &c in Counter::ALL {
                    counts.0[c.index()] = values[c.index()].ok_or_else(|| de::Error::missing_field(c.name()))?;
                }
                Ok(counts)
            }
        }

        deserializer.deserialize_map(CountsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_round_trip_by_name() {
        let mut c = Counts::default();
        c.0[Counter::Frames.index()] = 7;
        c.0[Counter::OpenConnections.index()] = -1;
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.starts_with(r#"{"requests":0,"empty_responses":0,"#), "{json}");
        let back: Counts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert_eq!((back[Counter::Frames], back.count(Counter::OpenConnections)), (7, 0));
    }

    #[test]
    fn a_missing_counter_is_named() {
        let err = serde_json::from_str::<Counts>(r#"{"requests": 1, "future": 3}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `empty_responses`"), "{err}");
    }

    #[test]
    fn metric_names_follow_the_kind() {
        assert_eq!(Counter::Requests.metric_name(), "feedlab_requests_total");
        assert_eq!(Counter::OpenConnections.metric_name(), "feedlab_open_connections");
        assert_eq!((Kind::Counter.prometheus_type(), Kind::Gauge.prometheus_type()), ("counter", "gauge"));
    }
}
