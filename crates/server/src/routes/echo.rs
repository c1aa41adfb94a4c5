//! `GET /echo`: the classic WebSocket echo server, every text or binary message sent straight back.
//!
//! It shows the protocol with nothing else in the way, and lets protocol test suites exercise our WebSocket
//! stack: fragmentation, control frames, close handshakes, UTF-8 checks. `bash scripts/autobahn.sh` runs
//! Autobahn|Testsuite against it and writes `docs/conformance.md`.
//!
//! `/echo` keeps actix-ws's session and frame reader as they are (it is the reference the conformance suite
//! checks), reading frames one by one and reassembling fragmented messages with [`Reassembly`] (see
//! `frames.rs`). Control frames (ping, pong, close) may arrive between the fragments of a message.

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, Message, ProtocolError};

use crate::config::MAX_ECHO_MESSAGE_BYTES;
use crate::error::ApiError;
use crate::routes::frames::{Reassembly, Whole, fragment_len, protocol_close, too_big};
use crate::routes::ws::{close, upgrade};
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
        let mut message = Reassembly::new(MAX_ECHO_MESSAGE_BYTES);
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
                        Err(ProtocolError::Overflow) => break Some(too_big(MAX_ECHO_MESSAGE_BYTES)),
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
