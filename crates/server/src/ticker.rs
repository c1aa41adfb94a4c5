//! The built-in ticker: publishes `tick` messages at the live `ticker_per_s` rate so a demo has traffic
//! without anyone typing. It re-reads the rate whenever `/settings` changes it.

use std::time::Duration;

use feedlab_feed::Kind;
use tokio::time::MissedTickBehavior;

use crate::state::AppState;

/// Runs until shutdown.
pub async fn run(state: AppState) {
    let mut settings = state.settings.subscribe();
    let mut count: u64 = 0;
    loop {
        let rate = settings.borrow_and_update().ticker_per_s;
        if rate <= 0.0 {
            tokio::select! {
                changed = settings.changed() => if changed.is_err() { return },
                _ = state.shutdown.cancelled() => return,
            }
            continue;
        }
        let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        // After a stall, keep the rate rather than bursting to catch up: a burst would distort latency figures.
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        interval.tick().await;
        loop {
            tokio::select! {
                _ = interval.tick() => {
                    count += 1;
                    // With a shared feed this waits for the acknowledgement; a failure is the backend's to log
                    // (once per outage), and the ticker simply goes on.
                    if let Err(err) = state.backend.publish(Kind::Tick, "ticker", &format!("tick {count}")).await {
                        tracing::debug!("ticker: {err}");
                    }
                }
                changed = settings.changed() => {
                    if changed.is_err() { return }
                    break;
                }
                _ = state.shutdown.cancelled() => return,
            }
        }
    }
}
