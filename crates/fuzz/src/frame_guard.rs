//! The WebSocket frame guard (`feedlab_server::frame_guard`): the server's only defence against a client
//! declaring a frame larger than memory.
//!
//! Input: the bytes a client sends after the upgrade. Checked, for several limits and every splitting:
//! the guard refuses the first header declaring more than the limit, with that header's length, by the
//! read that completes the header at the latest and not before its length field is in; it refuses nothing
//! else, passes every read before the refusal unchanged and ends the stream after it. The expected answer
//! comes from [`first_oversized`], a second, whole-buffer reading of RFC 6455 5.2 written apart from the
//! guard's incremental one.

use actix_http::error::PayloadError;
use bytes::Bytes;
use feedlab_server::config::{MAX_ECHO_MESSAGE_BYTES, MAX_MESSAGE_BYTES};
use feedlab_server::frame_guard::{FrameLengths, Guarded};
use futures_util::{FutureExt, StreamExt};

use crate::splittings;

/// The limits tried: the edges of the 7- and 16-bit length fields, and the server's two real limits.
const LIMITS: [usize; 7] = [0, 1, 125, 126, 65_535, MAX_MESSAGE_BYTES, MAX_ECHO_MESSAGE_BYTES];

/// Runs the guard over `data`; panics on a finding.
pub fn check(data: &[u8]) {
    for max in LIMITS {
        let expected = first_oversized(data, max as u64);
        for split in splittings(data) {
            check_lengths(&split, max, expected);
            check_stream(&split, max, expected);
        }
    }
}

/// `FrameLengths` refuses the oversized header by the read completing it, and nothing else.
fn check_lengths(split: &[&[u8]], max: usize, expected: Option<Oversized>) {
    let mut guard = FrameLengths::new(max);
    let mut start = 0;
    for piece in split {
        let end = start + piece.len();
        match guard.follow(piece) {
            Ok(()) => assert!(expected.is_none_or(|o| o.end > end), "limit {max}: {expected:?} let through"),
            Err(declared) => {
                assert!(expected.is_some_and(|o| o.refusable(start, end)), "limit {max}: refused {start}..{end}");
                assert_eq!(Some(declared), expected.map(|o| o.declared), "limit {max}: the length refused");
                return;
            }
        }
        start = end;
    }
}

/// `Guarded` passes every read before the refusal unchanged, then yields `Overflow` once and ends.
fn check_stream(split: &[&[u8]], max: usize, expected: Option<Oversized>) {
    let reads = split.iter().map(|p| Ok::<_, PayloadError>(Bytes::copy_from_slice(p)));
    let mut guarded = Guarded::new(futures_util::stream::iter(reads), max);
    let mut next = || guarded.next().now_or_never().expect("an iterator stream is always ready");
    let mut start = 0;
    for piece in split {
        let end = start + piece.len();
        match next() {
            Some(Ok(bytes)) => {
                assert_eq!(&bytes[..], *piece, "limit {max}: a read was changed");
                assert!(expected.is_none_or(|o| o.end > end), "limit {max}: {expected:?} let through");
            }
            Some(Err(PayloadError::Overflow)) => {
                assert!(expected.is_some_and(|o| o.refusable(start, end)), "limit {max}: refused {start}..{end}");
                assert!(next().is_none(), "limit {max}: the stream goes on after a refusal");
                return;
            }
            other => panic!("limit {max}: unexpected {other:?}"),
        }
        start = end;
    }
    assert!(next().is_none());
}

/// The first frame header declaring more than the limit, as offsets into the client's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oversized {
    /// Just past the length field: from here the guard may know.
    pub known: usize,
    /// Just past the whole header (masking key included): by here it must have refused.
    pub end: usize,
    /// The declared payload length.
    pub declared: u64,
}

impl Oversized {
    /// Whether a refusal of the read `start..end` is right: the length field is in by then, and the header
    /// was not already complete before it.
    fn refusable(self, start: usize, end: usize) -> bool {
        end >= self.known && start < self.end
    }
}

/// Reads `wire` as a sequence of RFC 6455 frames and returns the first whose declared payload length is
/// over `max`, once its length field is complete. `None` when there is none, or the input ends first.
pub fn first_oversized(wire: &[u8], max: u64) -> Option<Oversized> {
    let mut at = 0usize;
    loop {
        let second = *wire.get(at + 1)?;
        let (len_bytes, len7) = match second & 0x7f {
            126 => (2, None),
            127 => (8, None),
            n => (0, Some(u64::from(n))),
        };
        let known = at + 2 + len_bytes;
        let end = known + if second & 0x80 != 0 { 4 } else { 0 };
        let field = wire.get(at + 2..known)?;
        let declared = len7.unwrap_or_else(|| field.iter().fold(0u64, |n, &b| n << 8 | u64::from(b)));
        if declared > max {
            return Some(Oversized { known, end, declared });
        }
        let payload_end = end as u64 + declared;
        if payload_end > wire.len() as u64 {
            return None;
        }
        at = payload_end as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_reads_headers_of_every_size() {
        // A 3-byte masked frame, then a masked frame declaring 70,000 bytes (64-bit length).
        let mut wire = vec![0x81, 0x83, 1, 2, 3, 4, b'a', b'b', b'c'];
        wire.extend([0x82, 0xff, 0, 0, 0, 0, 0, 1, 0x11, 0x70, 9, 9, 9, 9]);
        let big = Oversized { known: 19, end: wire.len(), declared: 70_000 };
        assert_eq!(first_oversized(&wire, 65_536), Some(big));
        assert_eq!(first_oversized(&wire, 70_000), None);
        assert_eq!(first_oversized(&wire, 2), Some(Oversized { known: 2, end: 6, declared: 3 }));
        // A 16-bit length cut short: not known yet.
        assert_eq!(first_oversized(&[0x81, 0xfe, 0xff], 0), None);
        check(&wire);
    }
}
