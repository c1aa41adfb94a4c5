//! Fuzz targets for feedlab's parsers: every place where bytes from outside become structure.
//!
//! Each module holds one target as a plain function, `check(data)`, that feeds `data` to a parser and
//! panics when the parser panics or breaks one of its invariants (a frame over the limit let through, a
//! byte counted twice, a query that reads differently once written back). The same functions run three
//! ways: under libFuzzer (`fuzz_targets/`, `scripts/fuzz.sh`, needs the `libfuzzer` feature), and from
//! `cargo test` (`tests/corpus.rs`), which replays every committed input in `corpus/<target>/`: the seeds
//! and every input a fuzzing run found, so each finding stays a regression test.
//!
//! Most parsers here are incremental: they see the bytes in whatever reads the network delivered. So each
//! target feeds its input whole, one byte at a time and in pseudo-random pieces drawn from the input
//! itself ([`splittings`]), and checks that the split changes nothing.

#![warn(missing_docs)]

pub mod counting;
pub mod experiment;
pub mod frame_guard;
pub mod query;
pub mod sse;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// One fuzz target: its name (the `fuzz_targets/<name>.rs` binary and the `corpus/<name>/` directory)
/// and its check.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Binary and corpus directory name.
    pub name: &'static str,
    /// Feeds one input to the parser; panics on a finding.
    pub check: fn(&[u8]),
}

/// Every target, the list `tests/corpus.rs` replays and checks against `fuzz_targets/`.
pub const TARGETS: &[Target] = &[
    Target { name: "frame_guard", check: frame_guard::check },
    Target { name: "query", check: query::check },
    Target { name: "counting", check: counting::check },
    Target { name: "sse", check: sse::check },
    Target { name: "experiment", check: experiment::check },
];

/// The ways one input is cut into reads: whole, one byte at a time, and pseudo-random pieces (1 to 24
/// bytes, now and then up to 4 KiB) seeded by the input, so a fuzzer that changes the input also changes
/// the cut and a replayed input is always cut the same way.
pub fn splittings(data: &[u8]) -> [Vec<&[u8]>; 3] {
    let whole = if data.is_empty() { Vec::new() } else { vec![data] };
    let bytes = data.chunks(1).collect();
    let mut rng = rng_for(data);
    let mut random = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let size = if rng.random_ratio(1, 8) { rng.random_range(1..=4096) } else { rng.random_range(1..=24) };
        let (piece, tail) = rest.split_at(size.min(rest.len()));
        random.push(piece);
        rest = tail;
    }
    [whole, bytes, random]
}

/// A generator seeded by the input (FNV-1a, stable across Rust versions, so a committed input is always
/// cut and driven the same way): the targets need repeatable choices, not good randomness.
pub fn rng_for(data: &[u8]) -> SmallRng {
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    SmallRng::seed_from_u64(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_splitting_keeps_every_byte_in_order() {
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        for split in splittings(&data) {
            assert!(split.iter().all(|p| !p.is_empty()));
            assert_eq!(split.concat(), data);
        }
        assert!(splittings(b"").iter().all(Vec::is_empty));
    }
}
