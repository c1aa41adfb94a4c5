//! `feedlab-suite`: the experiment suite behind `feedlab run`.
//!
//! Placeholder while being built.
#![warn(missing_docs)]

pub mod cli;
mod error;
pub mod experiment;

pub use error::Error;
pub use experiment::Experiment;
