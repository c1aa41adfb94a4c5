//! Sweep expansion: the lists of `[steps]` become one [`StepPlan`] per combination, in the order nested
//! loops over transport, headers, HTTP version, clients, rate, RTT and poll interval would give (the last
//! varies fastest).
//!
//! A poll interval means nothing to a push transport (only a pull transport asks on a schedule), so the
//! combinations that differ only in it collapse into one step; likewise the HTTP version for a transport
//! that only speaks HTTP/1.1 (WebSocket upgrades from it). A step's label names its transport and the axes that vary in this file, nothing else.

use std::time::Duration;

use feedlab_contract::{HeaderProfile, HttpVersion, Transport};

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
    /// Client counts.
    pub clients: Vec<u64>,
    /// Publish rates, messages per second.
    pub rates: Vec<f64>,
    /// Simulated round trips, ms.
    pub rtts_ms: Vec<u64>,
    /// Polling intervals, ms (poll steps only), innermost.
    pub intervals_ms: Vec<u64>,
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
        let Sweep { transports, headers, https, clients, rates, rtts_ms, intervals_ms } = self;
        transports.len()
            * headers.len()
            * https.len()
            * clients.len()
            * rates.len()
            * rtts_ms.len()
            * intervals_ms.len()
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
        let interval_ms = self.intervals_ms[next(self.intervals_ms.len())];
        let rtt_ms = self.rtts_ms[next(self.rtts_ms.len())];
        let rate_per_s = self.rates[next(self.rates.len())];
        let clients = self.clients[next(self.clients.len())];
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
        }
    }

    /// Which axes have more than one value (after poll intervals collapse for push transports).
    fn vary(&self) -> Vary {
        Vary {
            clients: self.clients.len() > 1,
            rate: self.rates.len() > 1,
            interval: self.transports.iter().any(|t| !t.is_push()) && self.intervals_ms.len() > 1,
            headers: self.headers.len() > 1,
            http: self.transports.iter().any(|t| t.speaks_h2()) && self.https.len() > 1,
            rtt: self.rtts_ms.len() > 1,
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
}

/// Which axes have more than one value: those name a step.
struct Vary {
    clients: bool,
    rate: bool,
    interval: bool,
    headers: bool,
    http: bool,
    rtt: bool,
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
        if let Some(i) = s.poll_interval.filter(|_| self.interval) {
            parts.push(format!("every {} ms", i.as_millis()));
        }
        if self.rtt {
            parts.push(format!("rtt {} ms", s.rtt.as_millis()));
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
            clients: vec![10, 20],
            rates: vec![1.0],
            rtts_ms: vec![0],
            intervals_ms: vec![100, 1000],
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
            clients: vec![10],
            rates: vec![1.0],
            rtts_ms: vec![0],
            intervals_ms: vec![1000],
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
}
