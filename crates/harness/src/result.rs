//! The result of one bench run: the contract's [`feedlab_contract::bench`] types, which the harness writes.

pub use feedlab_contract::bench::*;
