//! WebSocket frames coming in: the client's bytes decoded into frames, and fragmented messages put back
//! together.
//!
//! Decoding is actix-http's ([`Codec`]); the [`frame_guard`](crate::middleware::frame_guard) sits in front of
//! it so that no frame declared over the limit is ever buffered. [`Incoming`] reads for `/ws`, inside its
//! response body (see `ws.rs`); `/echo` keeps actix-ws's reader. Both reassemble fragmented messages with
//! [`Reassembly`], which checks text for UTF-8 as each fragment arrives, so a message whose second fragment
//! is already invalid is failed there (1007), not after its last fragment. Control frames (ping, pong,
//! close) may arrive between the fragments of a message.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_codec::Decoder;
use actix_http::error::PayloadError;
use actix_http::ws::{CloseCode, CloseReason, Codec, Frame, Item, ProtocolError};
use actix_web::web::{Bytes, BytesMut};
use bytestring::ByteString;
use feedlab_contract::rfc6455::Header;
use futures_util::Stream;

use crate::config::MAX_MESSAGE_BYTES;
use crate::middleware::frame_guard::{Guarded, is_refusal};

/// The client's side of a WebSocket connection: its bytes, guarded, decoded into frames one at a time.
pub struct Incoming {
    payload: Guarded<actix_web::dev::Payload>,
    codec: Codec,
    /// Bytes received but not yet a whole frame. Freed whenever empty: an idle connection holds nothing.
    buf: BytesMut,
    /// The client's byte stream ended.
    ended: bool,
    /// The frame limit, for the close reason.
    max: usize,
    /// Whether to keep each data frame's raw bytes for the protocol inspector (a `client=` the server tracks).
    keep_raw: bool,
    /// The raw bytes of the data frame just decoded, until [`Incoming::take_raw`].
    raw: Option<Bytes>,
}

impl Incoming {
    /// Decodes `payload`, refusing frames over `max` bytes by their declared length; `keep_raw` keeps each
    /// data frame's bytes as they came (masked) for [`Incoming::take_raw`].
    pub fn new(payload: actix_web::dev::Payload, max: usize, keep_raw: bool) -> Self {
        Incoming {
            payload: Guarded::new(payload, max),
            codec: Codec::new().max_size(max),
            buf: BytesMut::new(),
            ended: false,
            max,
            keep_raw,
            raw: None,
        }
    }

    /// The raw bytes of the last frame [`Incoming::poll_frame`] returned, when it was a data frame and
    /// `keep_raw` is on: header, masking key and payload still masked, as on the wire.
    pub fn take_raw(&mut self) -> Option<Bytes> {
        self.raw.take()
    }

    /// Copies the frame at the start of the buffer when it is a whole data frame: the codec is about to
    /// unmask its payload in place. Only chat frames pass here (pongs are control frames), so the copy is rare.
    fn keep_raw_frame(&mut self) {
        let whole = Header::read(&self.buf)
            .filter(Header::is_data)
            .and_then(|header| usize::try_from(header.frame_len()).ok())
            .filter(|&len| len <= self.buf.len());
        self.raw = whole.map(|len| Bytes::copy_from_slice(&self.buf[..len]));
    }

    /// The next frame: `Ready(None)` when the client's stream ended (connection gone), `Err` with the close
    /// that fails the connection when its bytes break the protocol.
    pub fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame, CloseReason>>> {
        loop {
            if self.keep_raw {
                self.keep_raw_frame();
            }
            match self.codec.decode(&mut self.buf) {
                Ok(Some(frame)) => return Poll::Ready(Some(Ok(frame))),
                Ok(None) => {}
                Err(err) => return Poll::Ready(Some(Err(codec_close(&err)))),
            }
            if self.ended {
                return Poll::Ready(None);
            }
            match Pin::new(&mut self.payload).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => self.buf.extend_from_slice(&chunk),
                Poll::Ready(Some(Err(PayloadError::Overflow))) => {
                    self.ended = true;
                    return Poll::Ready(Some(Err(CloseReason {
                        code: CloseCode::Size,
                        description: Some(format!("frame over the {} byte limit", self.max)),
                    })));
                }
                // The connection ended (or broke): nobody is left to tell.
                Poll::Ready(Some(Err(_)) | None) => {
                    self.ended = true;
                    return Poll::Ready(None);
                }
                Poll::Pending => {
                    if self.buf.is_empty() && self.buf.capacity() > 0 {
                        self.buf = BytesMut::new();
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

/// A whole message, reassembled.
#[derive(Debug, PartialEq)]
pub enum Whole {
    /// A text message, checked to be UTF-8.
    Text(ByteString),
    /// A binary message.
    Binary(Bytes),
}

impl Whole {
    /// Its payload's length.
    pub fn len(&self) -> usize {
        match self {
            Whole::Text(text) => text.len(),
            Whole::Binary(bytes) => bytes.len(),
        }
    }
}

/// What the first frame of a fragmented message said it was.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Binary,
}

/// A fragmented message being put back together (RFC 6455 section 5.4): the first frame says text or
/// binary and has FIN clear, continuation frames follow, the one with FIN set ends it. The codec already
/// refuses a continuation with nothing to continue and a new message inside an unfinished one (1002).
#[derive(Debug)]
pub struct Reassembly {
    /// The message in progress, `None` between messages.
    kind: Option<Kind>,
    /// The fragments so far, at most `max` bytes.
    bytes: BytesMut,
    /// How many leading bytes of a text message are known to be UTF-8. The rest is at most the start of a
    /// character cut in two by a fragment boundary, which only the next fragment can complete or refute.
    checked: usize,
    /// The largest message taken.
    max: usize,
}

impl Reassembly {
    /// Nothing in progress; messages up to `max` bytes.
    pub fn new(max: usize) -> Self {
        Reassembly { kind: None, bytes: BytesMut::new(), checked: 0, max }
    }

    /// True while a text message is in progress.
    pub fn in_text(&self) -> bool {
        self.kind == Some(Kind::Text)
    }

    /// Takes one fragment; returns the message once its last fragment is in, or the close reason that fails
    /// the connection: 1009 past the size limit, 1007 as soon as text cannot be UTF-8.
    pub fn push(&mut self, item: Item) -> Result<Option<Whole>, CloseReason> {
        let (fragment, last) = match item {
            Item::FirstText(fragment) => {
                self.start(Kind::Text);
                (fragment, false)
            }
            Item::FirstBinary(fragment) => {
                self.start(Kind::Binary);
                (fragment, false)
            }
            Item::Continue(fragment) => (fragment, false),
            Item::Last(fragment) => (fragment, true),
        };
        let Some(kind) = self.kind else {
            return Err(CloseReason {
                code: CloseCode::Protocol,
                description: Some("continuation frame with no message to continue".into()),
            });
        };
        if self.bytes.len() + fragment.len() > self.max {
            self.reset();
            return Err(too_big(self.max));
        }
        self.bytes.extend_from_slice(&fragment);
        if kind == Kind::Text {
            self.check_utf8(last)?;
        }
        if !last {
            return Ok(None);
        }
        let bytes = std::mem::take(&mut self.bytes).freeze();
        self.reset();
        Ok(Some(match kind {
            Kind::Text => Whole::Text(ByteString::try_from(bytes).map_err(|_| invalid_utf8())?),
            Kind::Binary => Whole::Binary(bytes),
        }))
    }

    fn start(&mut self, kind: Kind) {
        self.reset();
        self.kind = Some(kind);
    }

    /// Back to "between messages", the buffer freed.
    fn reset(&mut self) {
        *self = Reassembly::new(self.max);
    }

    /// Checks the bytes after `checked`; a character cut at the end may wait for the next fragment.
    fn check_utf8(&mut self, last: bool) -> Result<(), CloseReason> {
        match std::str::from_utf8(&self.bytes[self.checked..]) {
            Ok(_) => self.checked = self.bytes.len(),
            // `error_len() == None`: the bytes end in the middle of a character that could still be valid.
            Err(err) if err.error_len().is_none() && !last => self.checked += err.valid_up_to(),
            Err(_) => {
                self.reset();
                return Err(invalid_utf8());
            }
        }
        Ok(())
    }
}

/// The payload length of one fragment.
pub fn fragment_len(item: &Item) -> usize {
    match item {
        Item::FirstText(bytes) | Item::FirstBinary(bytes) | Item::Continue(bytes) | Item::Last(bytes) => bytes.len(),
    }
}

/// The close of a message over `max` bytes (1009).
pub fn too_big(max: usize) -> CloseReason {
    CloseReason { code: CloseCode::Size, description: Some(format!("message over the {max} byte limit")) }
}

/// The close of a text message that is not UTF-8 (1007).
pub fn invalid_utf8() -> CloseReason {
    CloseReason { code: CloseCode::Invalid, description: Some("text message is not valid UTF-8".into()) }
}

/// The close for a frame actix-http's codec refused, chosen from the error's kind alone (what `/ws` uses):
/// 1009 for a length over the limit (the codec's `Overflow`, or our frame guard's refusal), 1007 for text
/// that is not UTF-8 (actix-ws's reader wraps the `Utf8Error` itself), 1002 for anything else. The codec's
/// one `Io` error, set reserved bits, is a 1002 like the rest.
pub fn codec_close(err: &ProtocolError) -> CloseReason {
    let size = || (CloseCode::Size, format!("message over the {MAX_MESSAGE_BYTES} byte limit"));
    let (code, text) = match err {
        ProtocolError::Overflow => size(),
        ProtocolError::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<std::str::Utf8Error>()) => {
            (CloseCode::Invalid, "text frame is not valid UTF-8".to_owned())
        }
        // Our frame guard refused a declared length before buffering it.
        ProtocolError::Io(io) if is_refusal(io) => {
            (CloseCode::Size, format!("frame over the {MAX_MESSAGE_BYTES} byte limit"))
        }
        other => (CloseCode::Protocol, format!("protocol error: {other}")),
    };
    CloseReason { code, description: Some(text) }
}

/// [`codec_close`], and for the errors actix-ws's aggregating reader reports only as text (a plain
/// `io::Error` carrying a message), that text: 1007 for a reassembled text that is not UTF-8, 1009 past its
/// continuation limit. `/echo` reassembles itself, so these are a fallback; the tests drive actix-ws's real
/// reader to each error, so they fail the day its wording changes.
pub fn protocol_close(err: &ProtocolError) -> CloseReason {
    match err {
        ProtocolError::Io(io)
            if io.kind() == std::io::ErrorKind::InvalidData && io.to_string().to_lowercase().contains("utf-8") =>
        {
            CloseReason { code: CloseCode::Invalid, description: Some("text frame is not valid UTF-8".to_owned()) }
        }
        ProtocolError::Io(io) if io.to_string().contains("maximum continuation size") => CloseReason {
            code: CloseCode::Size,
            description: Some(format!("message over the {MAX_MESSAGE_BYTES} byte limit")),
        },
        other => codec_close(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MAX_ECHO_MESSAGE_BYTES;

    fn bytes(b: &[u8]) -> Bytes {
        Bytes::copy_from_slice(b)
    }

    fn code(result: Result<Option<Whole>, CloseReason>) -> u16 {
        result.expect_err("the connection should fail").code.into()
    }

    #[test]
    fn text_reassembles_across_a_character_cut_in_two() {
        // "κόσμε": the first fragment ends halfway through the two bytes of "ό".
        let text = "κόσμε".as_bytes();
        let mut message = Reassembly::new(MAX_ECHO_MESSAGE_BYTES);
        assert_eq!(message.push(Item::FirstText(bytes(&text[..3]))), Ok(None));
        assert_eq!(message.checked, 2);
        assert_eq!(message.push(Item::Continue(bytes(&text[3..7]))), Ok(None));
        assert_eq!(message.push(Item::Last(bytes(&text[7..]))), Ok(Some(Whole::Text("κόσμε".into()))));
        // Ready for the next message.
        assert_eq!(message.kind, None);
        assert!(message.bytes.is_empty());
    }

    #[test]
    fn invalid_utf8_fails_at_the_fragment_that_breaks_it() {
        let mut message = Reassembly::new(MAX_ECHO_MESSAGE_BYTES);
        assert_eq!(message.push(Item::FirstText(bytes("κόσμε".as_bytes()))), Ok(None));
        // 0xF4 0x90 can never start a character (past U+10FFFF): fail now, not at the last fragment.
        assert_eq!(code(message.push(Item::Continue(bytes(&[0xF4, 0x90])))), 1007);
    }

    #[test]
    fn a_character_left_unfinished_by_the_last_fragment_is_invalid() {
        let mut message = Reassembly::new(MAX_ECHO_MESSAGE_BYTES);
        assert_eq!(message.push(Item::FirstText(bytes(b"ok "))), Ok(None));
        assert_eq!(message.push(Item::Continue(bytes(&[0xCE]))), Ok(None));
        assert_eq!(code(message.push(Item::Last(bytes(b"")))), 1007);
    }

    #[test]
    fn binary_is_not_checked_for_utf8() {
        let mut message = Reassembly::new(MAX_ECHO_MESSAGE_BYTES);
        assert_eq!(message.push(Item::FirstBinary(bytes(&[0xFF]))), Ok(None));
        assert_eq!(message.push(Item::Last(bytes(&[0xFE]))), Ok(Some(Whole::Binary(bytes(&[0xFF, 0xFE])))));
    }

    #[test]
    fn over_the_limit_is_1009_and_frees_the_buffer() {
        let mut message = Reassembly::new(MAX_ECHO_MESSAGE_BYTES);
        let half = Bytes::from(vec![0u8; MAX_ECHO_MESSAGE_BYTES / 2]);
        assert_eq!(message.push(Item::FirstBinary(half.clone())), Ok(None));
        assert_eq!(message.push(Item::Continue(half)), Ok(None));
        assert_eq!(code(message.push(Item::Last(bytes(b"x")))), 1009);
        assert_eq!(message.bytes.capacity(), 0);
    }

    #[test]
    fn a_continuation_with_nothing_to_continue_is_1002() {
        assert_eq!(code(Reassembly::new(MAX_ECHO_MESSAGE_BYTES).push(Item::Last(bytes(b"x")))), 1002);
    }

    /// `(first byte, payload)` frames as a client sends them: masked, with a key that changes the bytes.
    fn masked(frames: &[(u8, &[u8])]) -> Vec<u8> {
        let key = [0x37, 0xFA, 0x21, 0x3D];
        let mut out = Vec::new();
        for (first, payload) in frames {
            out.push(*first);
            match payload.len() {
                n @ 0..=125 => out.push(0x80 | n as u8),
                n => {
                    out.push(0x80 | 126);
                    out.extend_from_slice(&(n as u16).to_be_bytes());
                }
            }
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        out
    }

    /// actix-ws's own reader (as `/echo`'s handshake builds it) over `bytes`, from a request that is a valid
    /// WebSocket handshake.
    fn actix_ws_reader(bytes: Vec<u8>) -> actix_ws::MessageStream {
        use actix_web::FromRequest;
        use actix_web::http::header;
        use futures_util::FutureExt;
        let req = actix_web::test::TestRequest::get()
            .insert_header((header::UPGRADE, "websocket"))
            .insert_header((header::CONNECTION, "upgrade"))
            .insert_header((header::SEC_WEBSOCKET_VERSION, "13"))
            .insert_header((header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ=="))
            .to_http_request();
        let chunk: Result<Bytes, PayloadError> = Ok(Bytes::from(bytes));
        let stream: actix_http::BoxedPayloadStream = Box::pin(futures_util::stream::iter([chunk]));
        let mut payload = actix_web::dev::Payload::from(stream);
        let body = actix_web::web::Payload::from_request(&req, &mut payload).now_or_never().unwrap().unwrap();
        actix_ws::handle(&req, body).unwrap().2
    }

    /// The first error actix-ws's aggregating reader (continuations up to `max`) reports for `frames`.
    fn aggregated_error(frames: &[(u8, &[u8])], max: usize) -> ProtocolError {
        use futures_util::{FutureExt, StreamExt};
        let mut reader = actix_ws_reader(masked(frames)).aggregate_continuations().max_continuation_size(max);
        loop {
            match reader.next().now_or_never() {
                Some(Some(Err(err))) => return err,
                Some(Some(Ok(_))) => {}
                other => panic!("actix-ws reported no error for {frames:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn actix_ws_errors_known_only_by_their_text_still_get_their_codes() {
        // A fragmented text over the reader's continuation limit: actix-ws says so only in words.
        let err = aggregated_error(&[(0x01, &[b'x'; 100]), (0x00, &[b'x'; 100]), (0x80, b"x")], 150);
        assert_eq!(u16::from(protocol_close(&err).code), 1009, "{err}");
        // A reassembled text that is not UTF-8: the Utf8Error is turned into a string.
        let err = aggregated_error(&[(0x01, &[0xCE, 0xBA, 0xE1]), (0x80, &[0xBD, 0xB9, 0xCF, 0x83, 0xFF])], 1024);
        assert_eq!(u16::from(protocol_close(&err).code), 1007, "{err}");
        // The codec's own kinds, through the same reader: codec_close needs no text for them.
        let single = actix_ws_reader(masked(&[(0x81, &[0xC3, 0x28])]));
        let err = futures_util::FutureExt::now_or_never(futures_util::StreamExt::into_future(single)).unwrap().0;
        let err = err.expect("an item").expect_err("bad UTF-8 in one frame is an error");
        assert_eq!(u16::from(codec_close(&err).code), 1007, "{err}");
    }

    #[test]
    fn codec_close_reads_kinds_not_words() {
        use std::io::{Error, ErrorKind};
        // The same words without the kind behind them are a plain protocol error (1002) to codec_close.
        let worded = [
            ProtocolError::Io(Error::new(ErrorKind::InvalidData, "invalid utf-8 sequence of 1 bytes from index 0")),
            ProtocolError::Io(Error::other("Exceeded maximum continuation size")),
        ];
        for err in &worded {
            assert_eq!(u16::from(codec_close(err).code), 1002, "{err}");
        }
        assert_eq!(u16::from(codec_close(&ProtocolError::Overflow).code), 1009);
        let refusal = ProtocolError::Io(Error::other(PayloadError::Overflow));
        assert_eq!(u16::from(codec_close(&refusal).code), 1009);
    }

    #[test]
    fn codec_errors_get_the_rfc_close_codes() {
        use std::io::{Error, ErrorKind};
        let io = |kind, text: &str| ProtocolError::Io(Error::new(kind, text.to_owned()));
        let not_utf8 = vec![0xC3, 0x28];
        let utf8_error = std::str::from_utf8(&not_utf8).unwrap_err().to_string();
        let cases = [
            (io(ErrorKind::InvalidData, "Received a frame with non-zero reserved bits"), 1002),
            (io(ErrorKind::InvalidData, &utf8_error), 1007),
            (io(ErrorKind::Other, "Exceeded maximum continuation size"), 1009),
            (ProtocolError::Overflow, 1009),
            (ProtocolError::InvalidLength(126), 1002),
            (ProtocolError::BadOpCode, 1002),
            (ProtocolError::ContinuationNotStarted, 1002),
        ];
        for (err, want) in cases {
            assert_eq!(u16::from(protocol_close(&err).code), want, "{err}");
        }
    }
}
