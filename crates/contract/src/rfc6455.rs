//! WebSocket frame headers (RFC 6455 section 5.2), the one place the rule is written: their sizes, and
//! [`Header::read`] for what a frame's first bytes say.
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

/// What a frame header says, read from the bytes of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The first byte's top bit: this frame ends its message.
    pub fin: bool,
    /// The first byte's opcode (low 4 bits): 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong.
    pub opcode: u8,
    /// A masking key follows the length (every client-to-server frame).
    pub masked: bool,
    /// The payload's length, from the 7-bit field or the extended length after it.
    pub payload_len: u64,
    /// The header's own length: 2 to [`MAX_HEADER_LEN`] bytes.
    pub len: usize,
}

impl Header {
    /// Reads the header at the start of `bytes`; `None` while it is not all there.
    pub fn read(bytes: &[u8]) -> Option<Header> {
        let (&first, &second) = (bytes.first()?, bytes.get(1)?);
        let masked = second & MASK_BIT != 0;
        let extended = extended_len_bytes(second);
        let len = 2 + extended + if masked { MASK_KEY_BYTES } else { 0 };
        if bytes.len() < len {
            return None;
        }
        let payload_len = match extended {
            0 => u64::from(second & !MASK_BIT),
            // unwrap: the slice is 2 bytes long.
            2 => u64::from(u16::from_be_bytes(bytes[2..4].try_into().unwrap())),
            // unwrap: the slice is 8 bytes long.
            _ => u64::from_be_bytes(bytes[2..10].try_into().unwrap()),
        };
        Some(Header { fin: first & 0x80 != 0, opcode: first & 0x0f, masked, payload_len, len })
    }

    /// The whole frame's length, header and payload.
    pub fn frame_len(&self) -> u64 {
        self.len as u64 + self.payload_len
    }

    /// A data frame (continuation, text, binary) rather than a control frame (close, ping, pong).
    pub fn is_data(&self) -> bool {
        self.opcode & 0x08 == 0
    }
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

    #[test]
    fn headers_are_read_back_as_written() {
        // The RFC's own examples (section 5.7): "Hello" unmasked, then masked with key 37 fa 21 3d.
        let unmasked = [0x81, 0x05, b'H', b'e', b'l', b'l', b'o'];
        let header = Header::read(&unmasked).unwrap();
        assert_eq!(header, Header { fin: true, opcode: 1, masked: false, payload_len: 5, len: 2 });
        assert_eq!((header.frame_len(), header.is_data()), (7, true));
        let masked = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        assert_eq!(Header::read(&masked).unwrap().len, 6);
        // A ping, a fragment, and the two extended lengths.
        assert!(!Header::read(&[0x89, 0x00]).unwrap().is_data());
        assert!(!Header::read(&[0x01, 0x03]).unwrap().fin);
        assert_eq!(Header::read(&[0x82, 0x7e, 0x01, 0x00]).unwrap().payload_len, 256);
        let long = [0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4];
        let header = Header::read(&long).unwrap();
        assert_eq!((header.payload_len, header.len, header.masked), (65_536, MAX_HEADER_LEN, true));
        // Until the header is all there, nothing is read.
        for cut in 0..long.len() {
            assert_eq!(Header::read(&long[..cut]), None, "{cut} bytes");
        }
        for payload in [0, 125, 126, 65_535, 65_536] {
            for masked in [false, true] {
                let len7 = len7_for(payload) | if masked { MASK_BIT } else { 0 };
                let mut bytes = vec![0x81, len7];
                match extended_len_bytes(len7) {
                    2 => bytes.extend_from_slice(&(payload as u16).to_be_bytes()),
                    8 => bytes.extend_from_slice(&payload.to_be_bytes()),
                    _ => {}
                }
                bytes.resize(header_len(payload, masked), 0);
                assert_eq!(Header::read(&bytes).unwrap().len, header_len(payload, masked), "{payload} {masked}");
            }
        }
    }
}
