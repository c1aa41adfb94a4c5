//! HTTP versions and the one fact about HTTP/2's wire the harness needs: the frame header (RFC 9113 4.1).
//!
//! The HTTP transports (poll, long-poll, SSE) run over HTTP/1.1 or over HTTP/2 with prior knowledge (h2c:
//! cleartext, no upgrade, as `curl --http2-prior-knowledge` does). WebSocket stays on HTTP/1.1: RFC 8441
//! (WebSocket over h2) is not served by actix-web. The harness's counting stream sorts h2 bytes by frame
//! type; HPACK (the header compression) is never parsed here: the frame header says how long a HEADERS
//! block is, and that length is what it costs on the wire.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which HTTP version the simulated clients spoke.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum HttpVersion {
    /// HTTP/1.1, text heads, one request at a time per connection.
    #[default]
    #[serde(rename = "1.1")]
    Http11,
    /// HTTP/2 over cleartext TCP with prior knowledge (h2c), HPACK-compressed headers.
    #[serde(rename = "2")]
    Http2,
}

impl HttpVersion {
    /// Every version, in display order.
    pub const ALL: [HttpVersion; 2] = [HttpVersion::Http11, HttpVersion::Http2];

    /// The names of [`HttpVersion::ALL`], as in files and on the command line (`--http 2`).
    pub const NAMES: [&'static str; 2] = ["1.1", "2"];

    /// The name in files and on the command line.
    pub const fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The label in tables and charts (`HTTP/1.1`, `HTTP/2`).
    pub const fn label(self) -> &'static str {
        match self {
            HttpVersion::Http11 => "HTTP/1.1",
            HttpVersion::Http2 => "HTTP/2",
        }
    }
}

impl fmt::Display for HttpVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for HttpVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HttpVersion::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| format!("{s:?} is not an HTTP version: use {}", HttpVersion::NAMES.join(" or ")))
    }
}

/// The client connection preface every h2 connection opens with (RFC 9113 3.4), before its SETTINGS.
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Length of every h2 frame header: 24-bit payload length, type, flags, 31-bit stream id.
pub const FRAME_HEADER_LEN: usize = 9;

/// The SETTINGS frame's ACK flag (RFC 9113 6.5): an ack carries no settings, only a receipt.
pub const FLAG_ACK: u8 = 0x1;

/// An h2 frame type (RFC 9113 6), as far as counting needs to tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameType {
    /// DATA (0x0): body bytes.
    Data,
    /// HEADERS (0x1): an HPACK-compressed header block (or its first part).
    Headers,
    /// CONTINUATION (0x9): the rest of a header block too large for one frame.
    Continuation,
    /// SETTINGS (0x4): connection parameters, or (with [`FLAG_ACK`]) their receipt.
    Settings,
    /// Anything else: WINDOW_UPDATE, PING, RST_STREAM, GOAWAY, PRIORITY, PUSH_PROMISE, unknown types.
    Other(u8),
}

impl FrameType {
    /// The type of the octet in a frame header's fourth byte.
    pub const fn of(byte: u8) -> Self {
        match byte {
            0x0 => FrameType::Data,
            0x1 => FrameType::Headers,
            0x4 => FrameType::Settings,
            0x9 => FrameType::Continuation,
            other => FrameType::Other(other),
        }
    }
}

/// A parsed h2 frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Payload length (the 9 header bytes not included).
    pub len: u32,
    /// Frame type.
    pub kind: FrameType,
    /// Flags octet.
    pub flags: u8,
}

impl FrameHeader {
    /// Reads the 9-byte frame header.
    pub fn parse(header: &[u8; FRAME_HEADER_LEN]) -> Self {
        FrameHeader {
            len: u32::from_be_bytes([0, header[0], header[1], header[2]]),
            kind: FrameType::of(header[3]),
            flags: header[4],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for v in HttpVersion::ALL {
            assert_eq!(v.name().parse::<HttpVersion>(), Ok(v));
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{v}\""));
        }
        assert!("3".parse::<HttpVersion>().unwrap_err().contains("1.1 or 2"));
    }

    #[test]
    fn frame_headers_parse() {
        // A SETTINGS ack, then 0x012345 bytes of HEADERS on stream 1.
        assert_eq!(
            FrameHeader::parse(&[0, 0, 0, 4, 1, 0, 0, 0, 0]),
            FrameHeader { len: 0, kind: FrameType::Settings, flags: FLAG_ACK }
        );
        let h = FrameHeader::parse(&[1, 0x23, 0x45, 1, 4, 0, 0, 0, 1]);
        assert_eq!((h.len, h.kind), (0x012345, FrameType::Headers));
        assert_eq!(FrameType::of(8), FrameType::Other(8));
    }
}
