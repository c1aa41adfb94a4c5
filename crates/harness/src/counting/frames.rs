//! Following RFC 6455 frames in one direction of a WebSocket, knowing only the bytes: which are frame
//! headers, which data-frame payload, which control frames. Sizes come from [`rfc6455`], the contract's
//! one statement of the rule.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use feedlab_contract::rfc6455;

/// The longest frame header: 2 bytes, a 64-bit length, a masking key.
const MAX_FRAME_HEADER: usize = 2 + 8 + rfc6455::MASK_KEY_BYTES;

/// Follows RFC 6455 frames in one direction, knowing only the bytes: header (2..14 bytes: opcode, mask
/// bit, 7/16/64-bit length, optional 4-byte mask key; sizes from [`rfc6455`]), then `length` payload bytes.
#[derive(Debug, Default)]
pub(super) struct FrameScanner {
    /// Header bytes gathered so far (a header can be split across reads).
    header: [u8; MAX_FRAME_HEADER],
    have: usize,
    /// Payload bytes of the current frame still to come.
    payload_left: u64,
    /// Whether the current frame is a control frame (opcode >= 8).
    control: bool,
}

impl FrameScanner {
    /// Counts `buf`, the next bytes in this direction: data-frame header bytes into `header`, data-frame
    /// payload into `payload`, control frames (header and payload) into `control`. Header bytes are counted
    /// as they arrive (the first one's opcode says data or control), not once the header is complete, so a
    /// connection cut mid-header still has every byte it carried counted. One atomic add per counter per call.
    pub(super) fn scan(&mut self, mut buf: &[u8], header: &AtomicU64, payload: &AtomicU64, control: &AtomicU64) {
        let (mut h, mut p, mut c) = (0u64, 0u64, 0u64);
        while !buf.is_empty() {
            if self.payload_left > 0 {
                let n = (buf.len() as u64).min(self.payload_left);
                self.payload_left -= n;
                *(if self.control { &mut c } else { &mut p }) += n;
                buf = &buf[n as usize..];
                continue;
            }
            // Gather header bytes one at a time until the header's full length is known and present.
            if self.have == 0 {
                self.control = buf[0] & 0x08 != 0;
            }
            self.header[self.have] = buf[0];
            self.have += 1;
            buf = &buf[1..];
            *(if self.control { &mut c } else { &mut h }) += 1;
            if let Some(payload_len) = self.header_complete() {
                self.payload_left = payload_len;
                self.have = 0;
            }
        }
        for (counter, n) in [(header, h), (payload, p), (control, c)] {
            if n > 0 {
                counter.fetch_add(n, Relaxed);
            }
        }
    }

    /// When all header bytes are present: the payload length.
    fn header_complete(&self) -> Option<u64> {
        if self.have < 2 {
            return None;
        }
        let masked = self.header[1] & 0x80 != 0;
        let len7 = self.header[1] & 0x7f;
        let ext = rfc6455::extended_len_bytes(len7);
        let total = 2 + ext + if masked { rfc6455::MASK_KEY_BYTES } else { 0 };
        if self.have < total {
            return None;
        }
        let payload = match ext {
            0 => u64::from(len7),
            2 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
            // unwrap: the slice is exactly 8 bytes.
            _ => u64::from_be_bytes(self.header[2..10].try_into().unwrap()),
        };
        Some(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(frames: &[u8], chunk: usize) -> (u64, u64, u64) {
        let (h, p, c) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
        let mut s = FrameScanner::default();
        for part in frames.chunks(chunk) {
            s.scan(part, &h, &p, &c);
        }
        (h.into_inner(), p.into_inner(), c.into_inner())
    }

    #[test]
    fn frames_by_size_and_kind() {
        let mut wire = Vec::new();
        // Text frame, 5-byte payload: 2-byte header.
        wire.extend_from_slice(&[0x81, 5]);
        wire.extend_from_slice(b"hello");
        // Text frame, 300-byte payload: 2 + 2-byte length.
        wire.extend_from_slice(&[0x81, 126, 0x01, 0x2c]);
        wire.extend(std::iter::repeat_n(b'x', 300));
        // Masked pong with 2 payload bytes: 2 + 4-byte key + 2.
        wire.extend_from_slice(&[0x8a, 0x82, 1, 2, 3, 4, 9, 9]);
        // Text frame, 70,000-byte payload: 2 + 8-byte length.
        wire.extend_from_slice(&[0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
        wire.extend(std::iter::repeat_n(b'y', 70_000));
        for chunk in [1, 3, 7, 4096, wire.len()] {
            assert_eq!(scan_all(&wire, chunk), (2 + 4 + 10, 5 + 300 + 70_000, 8), "chunk {chunk}");
        }
    }

    /// Fuzzing found it (crates/fuzz, target `counting`): bytes of a header the connection ended in the
    /// middle of were never counted, so the categories fell short of the bytes received.
    #[test]
    fn a_header_cut_off_by_the_end_of_the_stream_is_counted() {
        // A whole text frame, then the first 3 of a 64-bit-length header; a whole ping, then 1 header byte.
        for (wire, want) in [(&[0x81, 1, b'a', 0x81, 127, 0][..], (2 + 3, 1, 0)), (&[0x89, 0, 0x8a][..], (0, 0, 3))] {
            for chunk in 1..=wire.len() {
                assert_eq!(scan_all(wire, chunk), want, "{wire:?} in chunks of {chunk}");
            }
        }
    }
}
