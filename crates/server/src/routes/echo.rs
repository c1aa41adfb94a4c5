//! `GET /echo`: the classic WebSocket echo server, every text or binary message sent straight back.
//!
//! It shows the protocol with nothing else in the way, and lets protocol test suites exercise our WebSocket
//! stack: fragmentation, control frames, close handshakes, UTF-8 checks. `bash scripts/autobahn.sh` runs
//! Autobahn|Testsuite against it and writes `docs/conformance.md`.
//!
//! Unlike `/ws`, which lets actix-ws put fragmented messages back together, `/echo` reads frames one by one
//! and reassembles them itself ([`Reassembly`]): a text message is checked for UTF-8 as each fragment
//! arrives, so one whose second fragment is already invalid is failed there (1007), not after its last
//! fragment. Control frames (ping, pong, close) may arrive between the fragments of a message.

use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, CloseReason, Item, Message, ProtocolError};
use bytestring::ByteString;

use crate::config::MAX_ECHO_MESSAGE_BYTES;
use crate::error::ApiError;
use crate::routes::ws::{close, protocol_close, upgrade};
use crate::state::AppState;
use crate::stats::Meter;

/// Upgrades and echoes until the client closes.
pub async fn echo(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    meter: web::ReqData<Meter>,
) -> Result<HttpResponse, ApiError> {
    let echo_slot = state.hold_echo_session()?;
    let slot = state.hold_stream()?;
    let (response, mut ws, incoming) = upgrade(&req, body, &[], MAX_ECHO_MESSAGE_BYTES)?;
    let mut incoming = incoming.max_frame_size(MAX_ECHO_MESSAGE_BYTES);
    let meter = meter.into_inner();
    let shutdown = state.shutdown.clone();
    actix_web::rt::spawn(async move {
        let _slots = (slot, echo_slot);
        let _open = meter.open();
        let mut message = Reassembly::default();
        let reason = loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break Some(CloseCode::Away.into()),
                frame = incoming.recv() => {
                    let Some(frame) = frame else { break None };
                    let whole = match frame {
                        Ok(Message::Text(text)) => {
                            meter.ws_received(text.len());
                            Whole::Text(text)
                        }
                        Ok(Message::Binary(bytes)) => {
                            meter.ws_received(bytes.len());
                            Whole::Binary(bytes)
                        }
                        Ok(Message::Continuation(item)) => {
                            let len = fragment_len(&item);
                            meter.ws_received(len);
                            match message.push(item) {
                                Ok(Some(whole)) => whole,
                                Ok(None) => continue,
                                Err(reason) => break Some(reason),
                            }
                        }
                        Ok(Message::Ping(payload)) => {
                            meter.ws_received(payload.len());
                            meter.ws_sent(payload.len());
                            if ws.pong(&payload).await.is_err() {
                                break None;
                            }
                            continue;
                        }
                        Ok(Message::Pong(payload)) => {
                            meter.ws_received(payload.len());
                            continue;
                        }
                        Ok(Message::Nop) => continue,
                        // The closing handshake: answer with the client's own code (and reason).
                        Ok(Message::Close(reason)) => break Some(reason.unwrap_or_else(|| CloseCode::Normal.into())),
                        Err(ProtocolError::Overflow) => break Some(too_big()),
                        Err(err) => break Some(protocol_close(&err)),
                    };
                    meter.ws_sent(whole.len());
                    let sent = match whole {
                        Whole::Text(text) => ws.text(text).await,
                        Whole::Binary(bytes) => ws.binary(bytes).await,
                    };
                    if sent.is_err() {
                        break None;
                    }
                }
            }
        };
        close(ws, &meter, reason).await;
    });
    Ok(response)
}

/// A whole message, ready to echo.
#[derive(Debug, PartialEq)]
enum Whole {
    Text(ByteString),
    Binary(Bytes),
}

impl Whole {
    fn len(&self) -> usize {
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
#[derive(Debug, Default)]
struct Reassembly {
    /// The message in progress, `None` between messages.
    kind: Option<Kind>,
    /// The fragments so far, at most [`MAX_ECHO_MESSAGE_BYTES`].
    bytes: BytesMut,
    /// How many leading bytes of a text message are known to be UTF-8. The rest is at most the start of a
    /// character cut in two by a fragment boundary, which only the next fragment can complete or refute.
    checked: usize,
}

impl Reassembly {
    /// Takes one fragment; returns the message once its last fragment is in, or the close reason that fails
    /// the connection: 1009 past [`MAX_ECHO_MESSAGE_BYTES`], 1007 as soon as text cannot be UTF-8.
    fn push(&mut self, item: Item) -> Result<Option<Whole>, CloseReason> {
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
        if self.bytes.len() + fragment.len() > MAX_ECHO_MESSAGE_BYTES {
            *self = Reassembly::default();
            return Err(too_big());
        }
        self.bytes.extend_from_slice(&fragment);
        if kind == Kind::Text {
            self.check_utf8(last)?;
        }
        if !last {
            return Ok(None);
        }
        let bytes = std::mem::take(self).bytes.freeze();
        Ok(Some(match kind {
            Kind::Text => Whole::Text(ByteString::try_from(bytes).map_err(|_| invalid_utf8())?),
            Kind::Binary => Whole::Binary(bytes),
        }))
    }

    fn start(&mut self, kind: Kind) {
        *self = Reassembly { kind: Some(kind), ..Reassembly::default() };
    }

    /// Checks the bytes after `checked`; a character cut at the end may wait for the next fragment.
    fn check_utf8(&mut self, last: bool) -> Result<(), CloseReason> {
        match std::str::from_utf8(&self.bytes[self.checked..]) {
            Ok(_) => self.checked = self.bytes.len(),
            // `error_len() == None`: the bytes end in the middle of a character that could still be valid.
            Err(err) if err.error_len().is_none() && !last => self.checked += err.valid_up_to(),
            Err(_) => {
                *self = Reassembly::default();
                return Err(invalid_utf8());
            }
        }
        Ok(())
    }
}

fn fragment_len(item: &Item) -> usize {
    match item {
        Item::FirstText(bytes) | Item::FirstBinary(bytes) | Item::Continue(bytes) | Item::Last(bytes) => bytes.len(),
    }
}

fn too_big() -> CloseReason {
    CloseReason {
        code: CloseCode::Size,
        description: Some(format!("message over the {MAX_ECHO_MESSAGE_BYTES} byte limit of /echo")),
    }
}

fn invalid_utf8() -> CloseReason {
    CloseReason { code: CloseCode::Invalid, description: Some("text message is not valid UTF-8".into()) }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut message = Reassembly::default();
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
        let mut message = Reassembly::default();
        assert_eq!(message.push(Item::FirstText(bytes("κόσμε".as_bytes()))), Ok(None));
        // 0xF4 0x90 can never start a character (past U+10FFFF): fail now, not at the last fragment.
        assert_eq!(code(message.push(Item::Continue(bytes(&[0xF4, 0x90])))), 1007);
    }

    #[test]
    fn a_character_left_unfinished_by_the_last_fragment_is_invalid() {
        let mut message = Reassembly::default();
        assert_eq!(message.push(Item::FirstText(bytes(b"ok "))), Ok(None));
        assert_eq!(message.push(Item::Continue(bytes(&[0xCE]))), Ok(None));
        assert_eq!(code(message.push(Item::Last(bytes(b"")))), 1007);
    }

    #[test]
    fn binary_is_not_checked_for_utf8() {
        let mut message = Reassembly::default();
        assert_eq!(message.push(Item::FirstBinary(bytes(&[0xFF]))), Ok(None));
        assert_eq!(message.push(Item::Last(bytes(&[0xFE]))), Ok(Some(Whole::Binary(bytes(&[0xFF, 0xFE])))));
    }

    #[test]
    fn over_the_limit_is_1009_and_frees_the_buffer() {
        let mut message = Reassembly::default();
        let half = Bytes::from(vec![0u8; MAX_ECHO_MESSAGE_BYTES / 2]);
        assert_eq!(message.push(Item::FirstBinary(half.clone())), Ok(None));
        assert_eq!(message.push(Item::Continue(half)), Ok(None));
        assert_eq!(code(message.push(Item::Last(bytes(b"x")))), 1009);
        assert_eq!(message.bytes.capacity(), 0);
    }

    #[test]
    fn a_continuation_with_nothing_to_continue_is_1002() {
        assert_eq!(code(Reassembly::default().push(Item::Last(bytes(b"x")))), 1002);
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
