//! `POST /messages`: publish a chat message. `{"body":"hi","from":"ana"}` -> `201 {"id":42}`.
//!
//! The body is read with a hard size limit before it is parsed, so an oversized upload costs at most the
//! limit in memory and gets 413; anything but `application/json` gets 415; bad JSON or no `body` gets 400.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;

use crate::config::MAX_MESSAGE_BYTES;
use crate::error::ApiError;
use crate::query;
use crate::state::AppState;

/// Room for the JSON around a maximal message body (quotes, escapes of a few characters, the `from` field).
const MAX_REQUEST_BYTES: usize = MAX_MESSAGE_BYTES + 1024;

#[derive(Debug, Deserialize)]
struct Publish {
    body: String,
    #[serde(default)]
    from: String,
}

/// Publishes one chat message.
pub async fn publish(
    req: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if req.content_type() != "application/json" {
        return Err(ApiError::UnsupportedMediaType);
    }
    let client = query::client_param(req.query_string())?;
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BYTES) {
        return Err(ApiError::TooLarge { limit: MAX_MESSAGE_BYTES });
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| ApiError::bad("body", format!("could not read the body: {err}")))?;
        if body.len() + chunk.len() > MAX_REQUEST_BYTES {
            return Err(ApiError::TooLarge { limit: MAX_MESSAGE_BYTES });
        }
        body.extend_from_slice(&chunk);
    }
    let expected = "expected a JSON object {\"body\": \"...\", \"from\": \"...\"}";
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|err| ApiError::bad("body", format!("{expected}: {err}")))?;
    // serde would also read a struct from a JSON array (`["hi"]`); the contract is an object.
    if !value.is_object() {
        return Err(ApiError::bad("body", expected));
    }
    let message: Publish =
        serde_json::from_value(value).map_err(|err| ApiError::bad("body", format!("{expected}: {err}")))?;
    let publisher = AppState::publisher_key(&req, client.as_deref());
    let entry = state.publish_chat(&publisher, &message.from, &message.body).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": entry.id })))
}
