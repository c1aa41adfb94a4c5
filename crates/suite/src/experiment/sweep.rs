//! Sweep expansion: the lists of `[steps]` become one [`StepPlan`] per combination, in the order nested
//! loops over transport, headers, HTTP version, load (clients and rate), RTT, poll interval, Socket.IO's
//! direct start and its recovery would give (the last varies fastest).
//!
//! A poll interval means nothing to a push transport (only a pull transport asks on a schedule), the HTTP
//! version nothing to a transport that only speaks HTTP/1.1 (WebSocket upgrades from it), the direct start
//! nothing but to `socketio-ws`, recovery nothing but to Socket.IO's transports, so the combinations that
//! differ only in such an axis collapse into one step. A step's label names its transport and the axes that
//! vary in this file, nothing else.

use std::time::Duration;

use feedlab_contract::transport::ServedBy;
use feedlab_contract::{FeedKind, HeaderProfile, HttpVersion, Transport};

use super::limits;
use super::plan::StepPlan;

/// The validated lists of a `[steps]` table: the axes of the sweep.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Sweep {
    /// Transports, outermost.
    pub transports: Vec<Transport>,
    /// Request header profiles.
    pub headers: Vec<HeaderProfile>,
    /// HTTP versions (of the transports that can speak HTTP/2).
    pub https: Vec<HttpVersion>,
    /// Client counts with their publish rates: `loads`, or the product of `clients` and `rate_per_s`.
    pub loads: Vec<Load>,
    /// Simulated round trips, ms.
    pub rtts_ms: Vec<u64>,
    /// Polling intervals, ms (poll steps only).
    pub intervals_ms: Vec<u64>,
    /// Socket.IO's direct WebSocket start (`socketio-ws` steps only).
    pub direct: Vec<bool>,
    /// Socket.IO's connection-state recovery (Socket.IO steps only), innermost.
    pub recovery: Vec<bool>,
}

/// A client count and the rate they receive, with the server layout carrying them: one point of the load
/// axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Load {
    /// Simulated clients.
    pub clients: u64,
    /// Publish rate, messages per second.
    pub rate_per_s: f64,
    /// Server processes on one port.
    pub nodes: u64,
    /// Their feed backend.
    pub feed: FeedKind,
}

impl Load {
    /// Every client count with every rate, clients outer, on one in-memory node: what separate `clients`
    /// and `rate_per_s` lists mean.
    pub fn product(clients: &[u64], rates: &[f64]) -> Vec<Load> {
        clients
            .iter()
            .flat_map(|&clients| rates.iter().map(move |&rate_per_s| Load::one_node(clients, rate_per_s)))
            .collect()
    }

    /// `clients` at `rate_per_s` on one server process with the in-memory feed.
    pub fn one_node(clients: u64, rate_per_s: f64) -> Load {
        Load { clients, rate_per_s, nodes: 1, feed: FeedKind::Memory }
    }
}

/// What every step of a sweep shares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Shared {
    /// Measured window, seconds.
    pub duration_s: f64,
    /// Lengthen a low-rate step so that it publishes at least this many messages.
    pub min_messages: Option<u64>,
    /// `limit=` of poll and long-poll requests.
    pub limit: Option<u32>,
    /// Publish body size.
    pub payload_bytes: u64,
}

impl Sweep {
    /// How many combinations the lists make (before poll intervals collapse for push transports).
    pub fn len(&self) -> usize {
        let Sweep { transports, headers, https, loads, rtts_ms, intervals_ms, direct, recovery } = self;
        transports.len()
            * headers.len()
            * https.len()
            * loads.len()
            * rtts_ms.len()
            * intervals_ms.len()
            * direct.len()
            * recovery.len()
    }

    /// The steps, labelled, without repeats.
    pub fn steps(&self, shared: &Shared) -> Vec<StepPlan> {
        let vary = self.vary();
        let mut steps: Vec<StepPlan> = Vec::new();
        for n in 0..self.len() {
            let step = self.step(n, shared);
            if !steps.iter().any(|s| same_config(s, &step)) {
                steps.push(StepPlan { label: vary.label(&step), ..step });
            }
        }
        steps
    }

    /// Combination number `n`, read as a number whose digits are the axes' positions, the last axis the
    /// lowest digit.
    fn step(&self, mut n: usize, shared: &Shared) -> StepPlan {
        let mut next = |len: usize| {
            let i = n % len;
            n /= len;
            i
        };
        let recovery = self.recovery[next(self.recovery.len())];
        let direct = self.direct[next(self.direct.len())];
        let interval_ms = self.intervals_ms[next(self.intervals_ms.len())];
        let rtt_ms = self.rtts_ms[next(self.rtts_ms.len())];
        let Load { clients, rate_per_s, nodes, feed } = self.loads[next(self.loads.len())];
        let http = self.https[next(self.https.len())];
        let headers = self.headers[next(self.headers.len())];
        let transport = self.transports[next(self.transports.len())];
        let duration_s = match shared.min_messages {
            Some(n) if rate_per_s > 0.0 => shared.duration_s.max(n as f64 / rate_per_s),
            _ => shared.duration_s,
        };
        StepPlan {
            label: String::new(),
            transport,
            clients,
            rate_per_s,
            // Only a pull transport asks on a schedule.
            poll_interval: (!transport.is_push()).then(|| Duration::from_millis(interval_ms)),
            headers,
            http: if transport.speaks_h2() { http } else { HttpVersion::Http11 },
            rtt: Duration::from_millis(rtt_ms),
            duration: Duration::from_secs_f64(duration_s.min(limits::DURATION_S.max)),
            limit: shared.limit,
            payload_bytes: shared.payload_bytes,
            repeat: None,
            socketio_direct: (transport == Transport::SocketioWs).then_some(direct),
            recovery: (transport.served_by() == ServedBy::SocketIo).then_some(recovery),
            nodes,
            feed,
        }
    }

    /// Which axes have more than one value (after poll intervals collapse for push transports).
    fn vary(&self) -> Vary {
        let distinct = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.dedup();
            v.len() > 1
        };
        let socketio = self.transports.iter().any(|t| t.served_by() == ServedBy::SocketIo);
        Vary {
            clients: distinct(self.loads.iter().map(|l| l.clients as f64).collect()),
            rate: distinct(self.loads.iter().map(|l| l.rate_per_s).collect()),
            nodes: distinct(self.loads.iter().map(|l| l.nodes as f64).collect()),
            feed: distinct(self.loads.iter().map(|l| l.feed as u8 as f64).collect()),
            interval: self.transports.iter().any(|t| !t.is_push()) && self.intervals_ms.len() > 1,
            headers: self.headers.len() > 1,
            http: self.transports.iter().any(|t| t.speaks_h2()) && self.https.len() > 1,
            rtt: self.rtts_ms.len() > 1,
            direct: self.transports.contains(&Transport::SocketioWs) && self.direct.len() > 1,
            recovery: socketio && self.recovery.len() > 1,
        }
    }
}

/// `steps` measured `repeats` times: the whole list once per round, so that a drift of the machine over the
/// run (another process, a warming cache) spreads over every configuration instead of biasing the last one.
/// With one round the steps stay unmarked.
pub(super) fn rounds(steps: Vec<StepPlan>, repeats: u64) -> Vec<StepPlan> {
    if repeats <= 1 {
        return steps;
    }
    (0..repeats as u32).flat_map(|r| steps.iter().map(move |s| StepPlan { repeat: Some(r), ..s.clone() })).collect()
}

/// Two steps that would run the same configuration (a poll interval swept for a push transport).
fn same_config(a: &StepPlan, b: &StepPlan) -> bool {
    (a.transport, a.clients, a.poll_interval, a.headers, a.http, a.rtt, a.duration, a.limit, a.payload_bytes)
        == (b.transport, b.clients, b.poll_interval, b.headers, b.http, b.rtt, b.duration, b.limit, b.payload_bytes)
        && a.rate_per_s == b.rate_per_s
        && (a.socketio_direct, a.recovery) == (b.socketio_direct, b.recovery)
        && (a.nodes, a.feed) == (b.nodes, b.feed)
}

/// Which axes have more than one value: those name a step.
struct Vary {
    clients: bool,
    rate: bool,
    nodes: bool,
    feed: bool,
    interval: bool,
    headers: bool,
    http: bool,
    rtt: bool,
    direct: bool,
    recovery: bool,
}

impl Vary {
    fn label(&self, s: &StepPlan) -> String {
        let mut parts = vec![s.transport.to_string()];
        if self.headers {
            parts.push(s.headers.name().to_owned());
        }
        if self.http {
            parts.push(s.http.label().to_owned());
        }
        if self.clients {
            parts.push(format!("{} clients", s.clients));
        }
        if self.rate {
            parts.push(format!("{} msg/s", s.rate_per_s));
        }
        if self.nodes {
            parts.push(format!("{} node{}", s.nodes, if s.nodes == 1 { "" } else { "s" }));
        }
        if self.feed {
            parts.push(s.feed.name().to_owned());
        }
        if let Some(i) = s.poll_interval.filter(|_| self.interval) {
            parts.push(format!("every {} ms", i.as_millis()));
        }
        if self.rtt {
            parts.push(format!("rtt {} ms", s.rtt.as_millis()));
        }
        if let Some(direct) = s.socketio_direct.filter(|_| self.direct) {
            parts.push(if direct { "direct" } else { "upgrade" }.to_owned());
        }
        if let Some(recovery) = s.recovery.filter(|_| self.recovery) {
            parts.push(if recovery { "recovery" } else { "no recovery" }.to_owned());
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_axis_varies_fastest() {
        let sweep = Sweep {
            transports: vec![Transport::Poll, Transport::Ws],
            headers: vec![HeaderProfile::Minimal],
            https: vec![HttpVersion::Http11],
            loads: Load::product(&[10, 20], &[1.0]),
            rtts_ms: vec![0],
            intervals_ms: vec![100, 1000],
            direct: vec![false],
            recovery: vec![false],
        };
        assert_eq!(sweep.len(), 8);
        let shared = Shared { duration_s: 2.0, min_messages: None, limit: None, payload_bytes: 64 };
        let labels: Vec<String> = sweep.steps(&shared).into_iter().map(|s| s.label).collect();
        assert_eq!(
            labels,
            [
                "poll 10 clients every 100 ms",
                "poll 10 clients every 1000 ms",
                "poll 20 clients every 100 ms",
                "poll 20 clients every 1000 ms",
                "ws 10 clients",
                "ws 20 clients",
            ]
        );
    }

    #[test]
    fn rounds_run_the_whole_list_again() {
        let sweep = Sweep {
            transports: vec![Transport::Poll, Transport::Ws],
            headers: vec![HeaderProfile::Minimal],
            https: vec![HttpVersion::Http11],
            loads: vec![Load::one_node(10, 1.0)],
            rtts_ms: vec![0],
            intervals_ms: vec![1000],
            direct: vec![false],
            recovery: vec![false],
        };
        let shared = Shared { duration_s: 2.0, min_messages: None, limit: None, payload_bytes: 64 };
        let once = rounds(sweep.steps(&shared), 1);
        assert!(once.iter().all(|s| s.repeat.is_none()));
        let thrice = rounds(sweep.steps(&shared), 3);
        let got: Vec<(&str, Option<u32>)> = thrice.iter().map(|s| (s.label.as_str(), s.repeat)).collect();
        assert_eq!(
            got,
            [
                ("poll", Some(0)),
                ("ws", Some(0)),
                ("poll", Some(1)),
                ("ws", Some(1)),
                ("poll", Some(2)),
                ("ws", Some(2))
            ]
        );
    }

    #[test]
    fn socketio_axes_apply_to_socketio_steps_only() {
        let sweep = Sweep {
            transports: vec![Transport::Ws, Transport::SocketioPolling, Transport::SocketioWs],
            headers: vec![HeaderProfile::Minimal],
            https: vec![HttpVersion::Http11],
            loads: vec![Load::one_node(1000, 1.0), Load::one_node(100, 100.0)],
            rtts_ms: vec![0],
            intervals_ms: vec![1000],
            direct: vec![false, true],
            recovery: vec![false, true],
        };
        let shared = Shared { duration_s: 2.0, min_messages: None, limit: None, payload_bytes: 64 };
        let steps = sweep.steps(&shared);
        let labels: Vec<&str> = steps.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "ws 1000 clients 1 msg/s",
                "ws 100 clients 100 msg/s",
                "socketio-polling 1000 clients 1 msg/s no recovery",
                "socketio-polling 1000 clients 1 msg/s recovery",
                "socketio-polling 100 clients 100 msg/s no recovery",
                "socketio-polling 100 clients 100 msg/s recovery",
                "socketio-ws 1000 clients 1 msg/s upgrade no recovery",
                "socketio-ws 1000 clients 1 msg/s upgrade recovery",
                "socketio-ws 1000 clients 1 msg/s direct no recovery",
                "socketio-ws 1000 clients 1 msg/s direct recovery",
                "socketio-ws 100 clients 100 msg/s upgrade no recovery",
                "socketio-ws 100 clients 100 msg/s upgrade recovery",
                "socketio-ws 100 clients 100 msg/s direct no recovery",
                "socketio-ws 100 clients 100 msg/s direct recovery",
            ]
        );
        // Paired, not multiplied: no 1,000 clients at 100 msg/s.
        assert!(!steps.iter().any(|s| s.clients == 1000 && s.rate_per_s == 100.0));
        assert_eq!((steps[0].socketio_direct, steps[0].recovery), (None, None));
        assert_eq!((steps[2].socketio_direct, steps[2].recovery), (None, Some(false)));
        assert_eq!((steps[9].socketio_direct, steps[9].recovery), (Some(true), Some(true)));
        assert_eq!(Load::product(&[1, 2], &[5.0]), [Load::one_node(1, 5.0), Load::one_node(2, 5.0)]);
    }
}
