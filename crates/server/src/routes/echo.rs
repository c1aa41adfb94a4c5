//! `GET /echo`: the classic WebSocket echo server, every text or binary message sent straight back.
//!
//! It shows the protocol with nothing else in the way, and lets protocol test suites (Autobahn|Testsuite)
//! exercise our WebSocket stack: fragmentation, control frames, close handshakes, UTF-8 checks.

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode};

use crate::error::ApiError;
use crate::routes::ws::{close, handshake, protocol_close};
use crate::state::AppState;
use crate::stats::Meter;
use crate::stats::wire::ws_frame_header_len;

/// Upgrades and echoes until the client closes.
pub async fn echo(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    meter: web::ReqData<Meter>,
) -> Result<HttpResponse, ApiError> {
    let slot = state.hold_stream()?;
    let (response, mut ws, mut incoming) = handshake(&req, body, &[])?;
    let meter = meter.into_inner();
    let shutdown = state.shutdown.clone();
    actix_web::rt::spawn(async move {
        let _slot = slot;
        let _open = meter.open();
        let reason = loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break Some(CloseCode::Away.into()),
                frame = incoming.recv() => {
                    let Some(frame) = frame else { break None };
                    let sent = match frame {
                        Ok(AggregatedMessage::Text(text)) => {
                            meter.frame(text.len(), ws_frame_header_len(text.len(), true));
                            meter.frame(text.len(), ws_frame_header_len(text.len(), false));
                            ws.text(text).await
                        }
                        Ok(AggregatedMessage::Binary(bytes)) => {
                            meter.frame(bytes.len(), ws_frame_header_len(bytes.len(), true));
                            meter.frame(bytes.len(), ws_frame_header_len(bytes.len(), false));
                            ws.binary(bytes).await
                        }
                        Ok(AggregatedMessage::Ping(payload)) => ws.pong(&payload).await,
                        Ok(AggregatedMessage::Pong(_)) => Ok(()),
                        Ok(AggregatedMessage::Close(reason)) => break reason.or(Some(CloseCode::Normal.into())),
                        Err(err) => break Some(protocol_close(&err)),
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
