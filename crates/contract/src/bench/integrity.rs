//! Whether delivery was whole: every expected id exactly once and in order, and what `--chaos` did to
//! the connections meanwhile.

use serde::{Deserialize, Serialize};

/// Did every client get every id after its start cursor exactly once and in order? Summed over clients.
/// The one type the harness's per-client tracker, its closed epochs and the result all use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integrity {
    /// Distinct messages received, summed over clients (a duplicate is not counted again).
    pub delivered: u64,
    /// Messages clients should have received, summed over clients: every id after the start cursor up to
    /// the last id the harness published. `delivered` can exceed it when the server publishes too (ticker).
    pub expected: u64,
    /// Expected ids a client never received (including ids the server declared lost in a `gap`).
    pub lost: u64,
    /// Receipts of an id the client already had.
    pub duplicated: u64,
    /// Receipts of an id lower than one the client had already received (arrived out of order).
    pub reordered: u64,
    /// Ids the server explicitly declared undeliverable through `gap` answers (also counted in `lost`).
    pub gap_ids: u64,
}

impl Integrity {
    /// Nothing lost, duplicated or reordered.
    pub fn is_clean(&self) -> bool {
        self.lost == 0 && self.duplicated == 0 && self.reordered == 0
    }
}

impl std::ops::AddAssign for Integrity {
    fn add_assign(&mut self, o: Integrity) {
        self.delivered += o.delivered;
        self.expected += o.expected;
        self.lost += o.lost;
        self.duplicated += o.duplicated;
        self.reordered += o.reordered;
        self.gap_ids += o.gap_ids;
    }
}

/// `--chaos`: connections dropped on purpose and what the clients did about it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ChaosStats {
    /// Share of the clients whose connection was dropped each second (0 = no chaos).
    pub rate_per_s: f64,
    /// Connections the clients dropped abruptly (no WebSocket close frame, no waiting).
    pub drops: u64,
    /// Reconnects that followed a drop (each resumes from the client's cursor). At least `drops` once
    /// the run is over, unless it was cancelled.
    pub reconnects: u64,
}
