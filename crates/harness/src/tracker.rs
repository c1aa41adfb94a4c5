//! Loss, duplication and order, per client: did it receive every id after its start cursor exactly once
//! and in order?
//!
//! Ids skipped over are kept as "holes" (ranges, so a healthy run costs a few bytes per client however
//! long it runs); a later arrival filling a hole is *reordered*, a second arrival of an id is
//! *duplicated*, and whatever is still missing at the end is *lost*. The figures are the contract's
//! [`Integrity`], the same type the closed epochs of a client ([`crate::record::Closed`]) and the bench
//! result add up.
//!
//! A tracker belongs to one run of the server's feed (its *epoch*, DESIGN.md section 2): ids start again
//! at 1 when the server restarts, so a client closes its tracker then and starts a new one
//! ([`crate::record::ClientRecord::restart`]).

use std::collections::BTreeMap;

use feedlab_contract::bench::Integrity;

/// Where a client is in the feed: which run of it (epoch, when the server names one) and the highest id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The feed's epoch the cursor belongs to.
    pub epoch: Option<u64>,
    /// Highest id received (or the start cursor).
    pub cursor: u64,
}

/// Checks that ids after the start cursor arrive exactly once and in order. See the module docs.
#[derive(Debug, Clone)]
pub struct Tracker {
    /// The feed epoch these ids belong to (None: the server does not say).
    epoch: Option<u64>,
    /// The start cursor: ids after it are expected.
    start: u64,
    /// Highest id received (or `start`).
    max_seen: u64,
    /// Missing ids below `max_seen`: range start -> range end (inclusive).
    holes: BTreeMap<u64, u64>,
    /// What arrived: `delivered` (distinct ids), `duplicated` (repeats, and ids at or before the start
    /// cursor, which were never asked for), `reordered` (receipts that filled a hole) and `gap_ids` (ids
    /// the server declared undeliverable). `expected` and `lost` stay 0 here: they depend on how far the
    /// feed went ([`Tracker::integrity`]).
    pub receipts: Integrity,
}

impl Tracker {
    /// A tracker expecting every id after `start`.
    pub fn new(start: u64) -> Self {
        Self::in_epoch(None, start)
    }

    /// A tracker expecting every id after `start` of the feed run `epoch`.
    pub fn in_epoch(epoch: Option<u64>, start: u64) -> Self {
        Tracker { epoch, start, max_seen: start, holes: BTreeMap::new(), receipts: Integrity::default() }
    }

    /// The client's cursor: the highest id received so far (what to ask `after=` next).
    pub fn cursor(&self) -> u64 {
        self.max_seen
    }

    /// The start cursor.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// The feed epoch the ids belong to.
    pub fn epoch(&self) -> Option<u64> {
        self.epoch
    }

    /// Epoch and cursor.
    pub fn position(&self) -> Position {
        Position { epoch: self.epoch, cursor: self.max_seen }
    }

    /// Records a receipt of `id`; true if it was new.
    pub fn receive(&mut self, id: u64) -> bool {
        if id > self.max_seen {
            if id > self.max_seen + 1 {
                self.holes.insert(self.max_seen + 1, id - 1);
            }
            self.max_seen = id;
            self.receipts.delivered += 1;
            return true;
        }
        if id <= self.start {
            self.receipts.duplicated += 1;
            return false;
        }
        // Below the highest id: either it fills a hole (reordered) or it was already received.
        match self.holes.range(..=id).next_back().map(|(&s, &e)| (s, e)) {
            Some((s, e)) if id <= e => {
                self.holes.remove(&s);
                if s < id {
                    self.holes.insert(s, id - 1);
                }
                if id < e {
                    self.holes.insert(id + 1, e);
                }
                self.receipts.reordered += 1;
                self.receipts.delivered += 1;
                true
            }
            _ => {
                self.receipts.duplicated += 1;
                false
            }
        }
    }

    /// The server declared ids `from..=to` undeliverable; they stay missing (lost) but are counted apart.
    pub fn gap(&mut self, from: u64, to: u64) {
        let from = from.max(self.start + 1);
        if to >= from {
            self.receipts.gap_ids += to - from + 1;
        }
    }

    /// Ids expected up to `upto`: every id after the start cursor.
    pub fn expected(&self, upto: u64) -> u64 {
        upto.saturating_sub(self.start)
    }

    /// Ids after the start cursor up to `upto` that never arrived. With `tail` false, ids after the highest
    /// received one are not counted (a cancelled run did not give them time to arrive).
    pub fn lost(&self, upto: u64, tail: bool) -> u64 {
        let holes: u64 = self.holes.iter().filter(|&(&s, _)| s <= upto).map(|(&s, &e)| e.min(upto) - s + 1).sum();
        let missing_tail = if tail { upto.saturating_sub(self.max_seen) } else { 0 };
        holes + missing_tail
    }

    /// Everything the tracker knows, with the feed's last id `upto` (`tail` as in [`Tracker::lost`]).
    pub fn integrity(&self, upto: u64, tail: bool) -> Integrity {
        Integrity { expected: self.expected(upto), lost: self.lost(upto, tail), ..self.receipts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_delivery_is_clean() {
        let mut t = Tracker::new(10);
        for id in 11..=20 {
            assert!(t.receive(id));
        }
        assert_eq!(
            (t.receipts.delivered, t.receipts.duplicated, t.receipts.reordered, t.lost(20, true)),
            (10, 0, 0, 0)
        );
        assert_eq!(t.expected(20), 10);
        assert_eq!(t.cursor(), 20);
    }

    #[test]
    fn counts_loss_duplicates_and_reordering() {
        let mut t = Tracker::new(0);
        for id in [1, 2, 5, 3, 3, 2, 7] {
            t.receive(id);
        }
        // 4 and 6 never came; 3 came late; 3 and 2 came twice.
        assert_eq!(t.receipts.delivered, 5);
        assert_eq!(t.receipts.reordered, 1);
        assert_eq!(t.receipts.duplicated, 2);
        assert_eq!(t.lost(7, true), 2);
        // 8..=9 were published but not received: lost unless the run was cancelled.
        assert_eq!(t.lost(9, true), 4);
        assert_eq!(t.lost(9, false), 2);
        // Only holes up to `upto` count.
        assert_eq!(t.lost(5, true), 1);
    }

    #[test]
    fn ids_before_the_start_were_never_asked_for() {
        let mut t = Tracker::new(5);
        assert!(!t.receive(5));
        assert_eq!(t.receipts.duplicated, 1);
        assert_eq!(t.receipts.delivered, 0);
    }
}
