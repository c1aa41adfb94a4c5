//! The reference figures of the classic comparison, quoted (not measured) with their source, so the
//! header-overhead experiment can print them side by side with ours.
//!
//! Kaazing's paper on websocket.org computed header overhead as 871 bytes per poll (one example request and
//! response) times clients polling once a second, against a 2-byte WebSocket frame header. Its "Mbps" is
//! 2^20 bits per second: 871 B x 8 x 1,000 / 2^20 = 6.6. The citation, in both languages, is
//! `[source.kaazing]` of `texts.toml`.

/// Header bytes per poll (request + response) in their example.
pub const POLL_HEADER_BYTES: f64 = 871.0;
/// WebSocket frame overhead per message in their comparison.
pub const WS_FRAME_BYTES: f64 = 2.0;
/// Client counts of their table.
pub const CLIENTS: [u64; 3] = [1_000, 10_000, 100_000];
/// Their polling header bandwidth for [`CLIENTS`], in their Mbps.
pub const POLL_MBPS: [f64; 3] = [6.6, 66.0, 665.0];
/// Their WebSocket overhead bandwidth for [`CLIENTS`], in their Mbps.
pub const WS_MBPS: [f64; 3] = [0.015, 0.153, 1.526];
/// Bits in their "megabit": 2^20.
pub const BITS_PER_MBIT: f64 = 1_048_576.0;
/// Their polling and message rate: once per second per client.
pub const RATE_PER_S: f64 = 1.0;

/// Overhead bandwidth in Kaazing's Mbps for `bytes_per_message` at `rate_per_s` messages per client per second.
pub fn mbps(bytes_per_message: f64, rate_per_s: f64, clients: u64) -> f64 {
    bytes_per_message * 8.0 * rate_per_s * clients as f64 / BITS_PER_MBIT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn their_table_follows_from_their_bytes() {
        for (i, clients) in CLIENTS.iter().enumerate() {
            let poll = mbps(POLL_HEADER_BYTES, RATE_PER_S, *clients);
            assert!((poll - POLL_MBPS[i]).abs() / POLL_MBPS[i] < 0.01, "{poll} vs {}", POLL_MBPS[i]);
            let ws = mbps(WS_FRAME_BYTES, RATE_PER_S, *clients);
            assert!((ws - WS_MBPS[i]).abs() / WS_MBPS[i] < 0.02, "{ws} vs {}", WS_MBPS[i]);
        }
    }
}
