//! Request header profiles: which headers simulated clients send (DESIGN.md section 4).
//!
//! The names only; the harness holds what each profile sends (the browser profile replays a captured
//! Chromium `fetch()`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which request header set the simulated clients sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeaderProfile {
    /// What a bare client must send (`Host`, plus what SSE and the WebSocket upgrade require).
    #[default]
    Minimal,
    /// The exact header set a current Chromium sends for a same-origin `fetch()`.
    Browser,
}

impl HeaderProfile {
    /// Every profile, in display order.
    pub const ALL: [HeaderProfile; 2] = [HeaderProfile::Minimal, HeaderProfile::Browser];

    /// The names of [`HeaderProfile::ALL`] (for a CLI's possible values).
    pub const NAMES: [&'static str; 2] = ["minimal", "browser"];

    /// The name in files and on the command line.
    pub const fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

impl fmt::Display for HeaderProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for HeaderProfile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HeaderProfile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("{s:?} is not a header profile: use {}", HeaderProfile::NAMES.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in HeaderProfile::ALL {
            assert_eq!(p.name().parse::<HeaderProfile>(), Ok(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        assert!("curl".parse::<HeaderProfile>().is_err());
    }
}
