//! `--chaos RATE`: fault injection. Every second of the measured window, a share of the clients drop
//! their connection abruptly and reconnect with their cursor.
//!
//! "Abruptly" means the way a phone losing its signal or a laptop lid closing looks to the server: the
//! socket is closed without a goodbye (no WebSocket close frame, no waiting for an answer in flight), and
//! the server learns it only from the TCP end. The client then does what a well-written web client does
//! after any lost connection: it reconnects at once and resumes from its cursor (poll and long-poll with
//! `after=<last id>`, SSE with `Last-Event-ID`, WebSocket with `/ws?after=<last id>`). Nothing may be lost,
//! repeated or reordered by that: the run must still end with `lost` = `duplicated` = `reordered` = 0.
//!
//! How: [`Chaos::run`] picks the clients each second (a fixed share, uniformly at random, seeded) and
//! *strikes* them through one [`Notify`] per client; a client waits on [`Chaos::strike`] next to its
//! socket in its `select!` and drops the connection when struck. A strike aimed at a client that has no
//! connection at that moment (it is between two non-keep-alive polls, or connecting) is forgotten when it
//! next connects ([`Chaos::disarm`]): only connections are dropped. The clients count the drops they
//! actually performed, so `chaos.drops` is what happened, not what was aimed.

use std::time::Duration;

use futures_util::FutureExt;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Mixed into the run's seed so the chaos schedule does not follow the pollers' phases.
const CHAOS_SEED: u64 = 0xc4a0_5eed;

/// How often a share of the clients is struck: once a second, as `--chaos N%/s` reads.
pub const CHAOS_PERIOD: Duration = Duration::from_secs(1);

/// The strikes of one run: a share per second and one notifier per client.
#[derive(Debug)]
pub struct Chaos {
    /// Share of the clients dropped per second (0 = off, 1 = every client every second).
    rate: f64,
    strikes: Box<[Notify]>,
}

impl Chaos {
    /// Chaos for `clients` clients at `rate` (a share per second; 0 turns it off).
    pub fn new(clients: usize, rate: f64) -> Self {
        let n = if rate > 0.0 { clients } else { 0 };
        Chaos { rate, strikes: (0..n).map(|_| Notify::new()).collect() }
    }

    /// Resolves when client `idx` is struck; never when chaos is off.
    pub async fn strike(&self, idx: usize) {
        match self.strikes.get(idx) {
            Some(n) => n.notified().await,
            None => std::future::pending().await,
        }
    }

    /// Forgets a strike that came while client `idx` had no connection (called when it connects).
    pub fn disarm(&self, idx: usize) {
        if let Some(n) = self.strikes.get(idx) {
            // Polling a fresh `Notified` once consumes a stored permit, if there is one.
            let _ = n.notified().now_or_never();
        }
    }

    /// Strikes a share of the clients every [`CHAOS_PERIOD`] from `start`, at each full period inside the
    /// measured window `start + duration`, until then or `stop`. The share is kept exact over time: 25% of
    /// 10 clients strikes 2 and 3 clients on alternate seconds.
    pub async fn run(&self, start: Instant, duration: Duration, seed: u64, stop: CancellationToken) {
        let n = self.strikes.len();
        if n == 0 {
            return;
        }
        let mut rng = SmallRng::seed_from_u64(seed ^ CHAOS_SEED);
        let mut owed = 0.0;
        let rounds = (duration.saturating_sub(Duration::from_nanos(1)).as_nanos() / CHAOS_PERIOD.as_nanos()) as u64;
        let mut tick = tokio::time::interval_at(start + CHAOS_PERIOD, CHAOS_PERIOD);
        for _ in 0..rounds {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.cancelled() => return,
            }
            owed += self.rate * n as f64;
            let k = (owed.floor() as usize).min(n);
            owed -= k as f64;
            for idx in rand::seq::index::sample(&mut rng, n, k) {
                self.strikes[idx].notify_one();
            }
        }
    }
}

/// Parses a chaos rate: `10%/s`, `10%`, `0.1/s` or `0.1` (a share of the clients per second, 0..=100%).
pub fn parse_chaos(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let t = t.strip_suffix("/s").unwrap_or(t).trim();
    let share = match t.strip_suffix('%') {
        Some(pct) => pct.trim().parse::<f64>().map(|p| p / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| format!("{s:?}: expected a share of the clients per second: 10%/s, 10% or 0.1"))?;
    if !(0.0..=1.0).contains(&share) {
        return Err(format!("{s:?}: must be between 0% and 100% of the clients per second"));
    }
    Ok(share)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chaos_rates() {
        assert_eq!(parse_chaos("10%/s").unwrap(), 0.1);
        assert_eq!(parse_chaos("25%").unwrap(), 0.25);
        assert_eq!(parse_chaos("0.5/s").unwrap(), 0.5);
        assert_eq!(parse_chaos("0").unwrap(), 0.0);
        assert!(parse_chaos("150%").is_err());
        assert!(parse_chaos("-1%").is_err());
        assert!(parse_chaos("lots").is_err());
    }

    /// On tokio's paused clock the schedule is exact: strikes land at each full period inside the window
    /// (1, 2, 3 and 4 s of 4.5 s) and keep the share exact over time (25% of 10 clients: 2, 3, 2, 3). No
    /// sleep waits for the clients to catch up: each client's `select!` takes a strike before the stop, so
    /// every strike made is counted by the time the clients have returned.
    #[tokio::test(start_paused = true)]
    async fn strikes_the_share_asked_for_at_each_period() {
        let chaos = std::sync::Arc::new(Chaos::new(10, 0.25));
        let stop = CancellationToken::new();
        let start = Instant::now();
        let clients: Vec<_> = (0..10)
            .map(|idx| {
                let (chaos, stop) = (chaos.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut struck_at = Vec::new();
                    loop {
                        tokio::select! {
                            biased;
                            _ = chaos.strike(idx) => struck_at.push(start.elapsed()),
                            _ = stop.cancelled() => return struck_at,
                        }
                    }
                })
            })
            .collect();
        chaos.run(start, Duration::from_millis(4500), 1, stop.clone()).await;
        stop.cancel();
        let mut per_period = std::collections::BTreeMap::new();
        for client in clients {
            for at in client.await.unwrap() {
                *per_period.entry(at).or_insert(0) += 1;
            }
        }
        let want: Vec<_> = [(1, 2), (2, 3), (3, 2), (4, 3)].map(|(s, n)| (CHAOS_PERIOD * s, n)).into();
        assert_eq!(per_period.into_iter().collect::<Vec<_>>(), want);
    }

    #[tokio::test]
    async fn a_strike_without_a_connection_is_forgotten() {
        let chaos = Chaos::new(1, 1.0);
        chaos.strikes[0].notify_one();
        chaos.disarm(0);
        assert!(chaos.strike(0).now_or_never().is_none());
        assert!(Chaos::new(1, 0.0).strike(0).now_or_never().is_none());
    }
}
