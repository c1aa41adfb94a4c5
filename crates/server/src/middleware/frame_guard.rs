//! A guard on the bytes a WebSocket client sends, refusing a frame by its declared length before it arrives.
//!
//! actix-http 3 checks a frame against its size limit only once the whole frame is buffered, so a client that
//! declares a 2^40-byte frame and keeps sending would grow server memory without bound (measured: 300 MiB
//! sent, 300 MiB more resident). This guard reads only the frame headers as bytes stream past (RFC 6455 5.2:
//! two bytes, an optional 2- or 8-byte extended length, a 4-byte mask; the sizes come from
//! [`feedlab_contract::rfc6455`]) and ends the stream with
//! [`PayloadError::Overflow`] as soon as a header declares more than the limit. Everything else, parsing,
//! unmasking and validation, stays with actix-http's codec (read by `routes/frames.rs` for `/ws`, by actix-ws
//! for `/echo`): the guard only counts.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_http::error::PayloadError;
use bytes::Bytes;
use feedlab_contract::rfc6455::{self, MASK_BIT, MASK_KEY_BYTES, MAX_HEADER_LEN};
use futures_util::Stream;

/// Where the guard is in the client's byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// Inside a frame header: the bytes seen so far.
    Header { bytes: [u8; MAX_HEADER_LEN], seen: usize },
    /// Inside a payload: bytes still to pass before the next header.
    Payload { remaining: u64 },
}

impl Position {
    /// At the start of a frame header.
    const NEXT_FRAME: Position = Position::Header { bytes: [0; MAX_HEADER_LEN], seen: 0 };
}

/// Tracks frame boundaries and refuses an oversized declared length.
#[derive(Debug, Clone, Copy)]
pub struct FrameLengths {
    position: Position,
    max: u64,
}

impl FrameLengths {
    /// A guard allowing frames of at most `max` payload bytes.
    pub fn new(max: usize) -> Self {
        Self { position: Position::NEXT_FRAME, max: max as u64 }
    }

    /// Follows `chunk`; `Err(declared)` when a frame header declares more than the limit.
    pub fn follow(&mut self, chunk: &[u8]) -> Result<(), u64> {
        let mut rest = chunk;
        while !rest.is_empty() {
            match &mut self.position {
                Position::Payload { remaining } => {
                    let take = (*remaining).min(rest.len() as u64);
                    *remaining -= take;
                    rest = &rest[take as usize..];
                    if *remaining == 0 {
                        self.position = Position::NEXT_FRAME;
                    }
                }
                Position::Header { bytes, seen } => {
                    bytes[*seen] = rest[0];
                    *seen += 1;
                    rest = &rest[1..];
                    if *seen < 2 {
                        continue;
                    }
                    let extended = rfc6455::extended_len_bytes(bytes[1]);
                    let mask = if bytes[1] & MASK_BIT != 0 { MASK_KEY_BYTES } else { 0 };
                    if *seen < 2 + extended + mask {
                        continue;
                    }
                    let length = match extended {
                        2 => u64::from(u16::from_be_bytes([bytes[2], bytes[3]])),
                        8 => u64::from_be_bytes(bytes[2..10].try_into().unwrap_or([0xFF; 8])),
                        _ => u64::from(bytes[1] & !MASK_BIT),
                    };
                    if length > self.max {
                        return Err(length);
                    }
                    self.position =
                        if length == 0 { Position::NEXT_FRAME } else { Position::Payload { remaining: length } };
                }
            }
        }
        Ok(())
    }
}

/// The client's byte stream, passed through unchanged until a frame declares too much.
pub struct Guarded<S> {
    inner: S,
    lengths: FrameLengths,
    refused: bool,
}

impl<S> Guarded<S> {
    /// Guards `inner` with a limit of `max` payload bytes per frame.
    pub fn new(inner: S, max: usize) -> Self {
        Self { inner, lengths: FrameLengths::new(max), refused: false }
    }
}

impl<S: Stream<Item = Result<Bytes, PayloadError>> + Unpin> Stream for Guarded<S> {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.refused {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                if self.lengths.follow(&chunk).is_err() {
                    self.refused = true;
                    return Poll::Ready(Some(Err(PayloadError::Overflow)));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            other => other,
        }
    }
}

/// True when `err` (as actix-ws wraps it for `/echo`) is this guard's refusal.
pub fn is_refusal(err: &std::io::Error) -> bool {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<PayloadError>())
        .is_some_and(|e| matches!(e, PayloadError::Overflow))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(len: u64, masked: bool) -> Vec<u8> {
        let mask_bit = if masked { 0x80 } else { 0 };
        let mut out = vec![0x81];
        match len {
            0..=125 => out.push(mask_bit | len as u8),
            126..=65_535 => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&len.to_be_bytes());
            }
        }
        if masked {
            out.extend_from_slice(&[1, 2, 3, 4]);
        }
        out
    }

    #[test]
    fn frames_under_the_limit_pass_in_any_chunking() {
        let mut wire = Vec::new();
        for len in [0u64, 5, 125, 126, 1000, 65_535] {
            wire.extend(header(len, true));
            wire.extend(std::iter::repeat_n(b'x', len as usize));
        }
        for chunk in [1, 2, 3, 7, 1000, wire.len()] {
            let mut guard = FrameLengths::new(65_535);
            for piece in wire.chunks(chunk) {
                assert_eq!(guard.follow(piece), Ok(()), "chunks of {chunk}");
            }
            assert!(matches!(guard.position, Position::Header { seen: 0, .. }), "ends between frames");
        }
    }

    #[test]
    fn an_oversized_declaration_is_refused_from_its_header_alone() {
        let mut guard = FrameLengths::new(64 * 1024);
        assert_eq!(guard.follow(&header(1 << 40, true)), Err(1 << 40));
        let mut guard = FrameLengths::new(64 * 1024);
        assert_eq!(guard.follow(&header(65_536 + 1, true)), Err(65_537));
    }

    #[test]
    fn a_large_frame_after_small_ones_is_found() {
        let mut wire = header(3, true);
        wire.extend_from_slice(b"abc");
        wire.extend(header(200_000, true));
        let mut guard = FrameLengths::new(100_000);
        assert_eq!(guard.follow(&wire), Err(200_000));
    }
}
