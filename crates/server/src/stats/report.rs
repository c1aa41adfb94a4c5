//! The `/stats` answer: every channel's counters by name, the client table's size, and one client's own.
//!
//! A channel's counters serialize as the contract's [`Counts`]: an object of every [`Counter`] by name in
//! [`Counter::ALL`] order, which the page, the harness and the suite read by name.
//!
//! [`Counter`]: feedlab_contract::counters::Counter
//! [`Counter::ALL`]: feedlab_contract::counters::Counter::ALL

use feedlab_contract::counters::Counts;
use serde::Serialize;
use serde::ser::SerializeMap;

use super::{Channel, Stats};

/// Why `/stats` has no head bytes for HTTP/2 requests, said where a reader of the figures looks.
pub const H2_HEAD_BYTES: &str = "not counted: HPACK compresses HTTP/2 heads inside actix-http, out of the \
    server's sight; request_header_bytes and response_header_bytes count HTTP/1.x heads only, h2_requests \
    counts the HTTP/2 requests (the harness counts their HEADERS frames on its sockets)";

/// Counters keyed by channel name, in [`Channel::ALL`] order.
#[derive(Debug, Clone)]
pub struct PerChannel(pub [(Channel, Counts); Channel::COUNT]);

impl Serialize for PerChannel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (channel, counts) in &self.0 {
            map.serialize_entry(channel.name(), counts)?;
        }
        map.end()
    }
}

/// The JSON of `GET /stats`.
#[derive(Debug, Clone, Serialize)]
pub struct StatsReport {
    /// Server totals per channel.
    pub transports: PerChannel,
    /// Distinct `client=` ids with their own counters.
    pub tracked_clients: usize,
    /// Requests whose `client=` id was not tracked (over the cap).
    pub untracked_clients: u64,
    /// What the head byte counters leave out: HTTP/2 heads ([`H2_HEAD_BYTES`]).
    pub h2_head_bytes: &'static str,
    /// The asked-for client's counters (`/stats?client=ID`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientReport>,
}

/// One client's counters in `/stats?client=ID`.
#[derive(Debug, Clone, Serialize)]
pub struct ClientReport {
    /// The client id.
    pub id: String,
    /// Its counters per channel (zeros when never seen).
    pub transports: PerChannel,
}

impl Stats {
    /// The `/stats` answer, with `client`'s own counters when asked.
    pub fn report(&self, client: Option<&str>) -> StatsReport {
        StatsReport {
            transports: PerChannel(self.totals.snapshot()),
            tracked_clients: self.clients.len(),
            untracked_clients: self.clients.untracked(),
            h2_head_bytes: H2_HEAD_BYTES,
            client: client.map(|id| ClientReport {
                id: id.to_owned(),
                // One lookup for all channels: the table's lock is shared with every tagged request.
                transports: PerChannel(
                    self.clients
                        .get(id)
                        .map_or_else(|| Channel::ALL.map(|c| (c, Counts::default())), |stats| stats.snapshot()),
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt;
    use std::sync::Arc;

    use feedlab_contract::counters::Counter;
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

    use super::*;

    /// A JSON document's object keys in the order they were written (`serde_json::Value` sorts them).
    #[derive(Debug, Default)]
    struct Keys(Vec<(String, Keys)>);

    impl Keys {
        fn names(&self) -> Vec<&str> {
            self.0.iter().map(|(name, _)| name.as_str()).collect()
        }
    }

    impl<'de> Deserialize<'de> for Keys {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct KeysVisitor;
            impl<'de> Visitor<'de> for KeysVisitor {
                type Value = Keys;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a JSON object, number or string")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some(entry) = map.next_entry::<String, Keys>()? {
                        keys.push(entry);
                    }
                    Ok(Keys(keys))
                }
                fn visit_u64<E>(self, _: u64) -> Result<Keys, E> {
                    Ok(Keys::default())
                }
                fn visit_i64<E>(self, _: i64) -> Result<Keys, E> {
                    Ok(Keys::default())
                }
                fn visit_str<E>(self, _: &str) -> Result<Keys, E> {
                    Ok(Keys::default())
                }
            }
            deserializer.deserialize_any(KeysVisitor)
        }
    }

    /// Fails when a counter is written into `/stats` by hand, left out, or listed out of order.
    #[test]
    fn stats_json_lists_every_channel_and_counter_in_list_order() {
        let stats = Arc::new(Stats::default());
        let meter = stats.meter(Channel::Publish, Some("c"));
        meter.add(Counter::Requests, 3);
        let _open = meter.open();
        let report = stats.report(Some("c"));
        let json = serde_json::to_string(&report).unwrap();

        let top: Keys = serde_json::from_str(&json).unwrap();
        assert_eq!(top.names(), ["transports", "tracked_clients", "untracked_clients", "h2_head_bytes", "client"]);
        let client = &top.0[4].1;
        assert_eq!(client.names(), ["id", "transports"]);
        let channels: Vec<_> = Channel::ALL.iter().map(|c| c.name()).collect();
        let counters: Vec<_> = Counter::ALL.iter().map(|c| c.name()).collect();
        for transports in [&top.0[0].1, &client.0[1].1] {
            assert_eq!(transports.names(), channels);
            for (_, counts) in &transports.0 {
                assert_eq!(counts.names(), counters);
            }
        }

        // The values sit under their own names: the contract's strict reader gets the counts back.
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let publish = Counts::deserialize(&value["client"]["transports"]["publish"]).unwrap();
        assert_eq!((publish[Counter::Requests], publish[Counter::OpenConnections]), (3, 1));
        assert_eq!(Counts::deserialize(&value["transports"]["publish"]).unwrap(), publish);
    }
}
