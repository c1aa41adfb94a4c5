//! WebSocket frame sizes (RFC 6455 section 5.2), the one place the rule is written.
//!
//! A frame header is 2 bytes (FIN, RSV1-3, opcode; MASK, 7-bit length), then an extended length when the
//! 7-bit field says so (126: 16 bits follow, 127: 64 bits follow), then a 4-byte masking key when the frame
//! is masked (every client-to-server frame is). So a server's frame of a message under 126 bytes costs
//! 2 bytes, the documents' figure; a client's costs 6.

/// The 7-bit length value meaning "a 16-bit length follows".
pub const LEN_16: u8 = 126;

/// The 7-bit length value meaning "a 64-bit length follows".
pub const LEN_64: u8 = 127;

/// The largest payload whose length fits the 7-bit field itself.
pub const MAX_LEN_7: u64 = 125;

/// The masking key's size.
pub const MASK_KEY_BYTES: usize = 4;

/// The bit of a header's second byte saying a masking key follows the length (the other 7 bits are the
/// length field).
pub const MASK_BIT: u8 = 0x80;

/// The longest frame header: 2 bytes, a 64-bit extended length and a masking key (14 bytes).
pub const MAX_HEADER_LEN: usize = header_len(u64::MAX, true);

/// Bytes of extended length that follow a 7-bit length field of `len7` (0, 2 or 8).
pub const fn extended_len_bytes(len7: u8) -> usize {
    match len7 & 0x7f {
        LEN_16 => 2,
        LEN_64 => 8,
        _ => 0,
    }
}

/// The 7-bit length field for a payload of `payload` bytes.
pub const fn len7_for(payload: u64) -> u8 {
    if payload <= MAX_LEN_7 {
        payload as u8
    } else if payload <= u16::MAX as u64 {
        LEN_16
    } else {
        LEN_64
    }
}

/// Header bytes of a frame carrying `payload` bytes: 2, 4 or 10, plus the masking key when `masked`.
pub const fn header_len(payload: u64, masked: bool) -> usize {
    2 + extended_len_bytes(len7_for(payload)) + if masked { MASK_KEY_BYTES } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_sizes_follow_the_length_field() {
        assert_eq!(header_len(0, false), 2);
        assert_eq!(header_len(125, false), 2);
        assert_eq!(header_len(126, false), 4);
        assert_eq!(header_len(65_535, false), 4);
        assert_eq!(header_len(65_536, false), 10);
        assert_eq!(header_len(5, true), 6);
        assert_eq!(header_len(1000, true), 8);
        assert_eq!(MAX_HEADER_LEN, 14);
        assert_eq!(extended_len_bytes(MASK_BIT | 126), 2);
        assert_eq!(extended_len_bytes(127), 8);
        assert_eq!(extended_len_bytes(125), 0);
    }
}
