//! Where a server keeps its feed: in its own memory (one process, the default) or on Redis Streams, shared by
//! every node pointed at the same Redis (issue 12). The names only; the server holds the backends.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which feed backend the server ran with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedKind {
    /// The embedded in-memory feed: one per process, so one node.
    #[default]
    Memory,
    /// One feed on Redis Streams, shared by any number of nodes.
    Redis,
}

impl FeedKind {
    /// Every backend, in display order.
    pub const ALL: [FeedKind; 2] = [FeedKind::Memory, FeedKind::Redis];

    /// The names of [`FeedKind::ALL`], as files and `/settings` say them.
    pub const NAMES: [&'static str; 2] = ["memory", "redis"];

    /// The name in files.
    pub const fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Whether several server processes can share this feed (ids and epoch agree across them).
    pub const fn shared(self) -> bool {
        matches!(self, FeedKind::Redis)
    }
}

impl fmt::Display for FeedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FeedKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FeedKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("{s:?} is not a feed backend: use {}", FeedKind::NAMES.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in FeedKind::ALL {
            assert_eq!(k.name().parse::<FeedKind>(), Ok(k));
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
        }
        assert!("postgres".parse::<FeedKind>().unwrap_err().contains("memory, redis"));
        assert!(FeedKind::Redis.shared() && !FeedKind::Memory.shared());
    }
}
