//! The instruments: `/stats`, `/stats/reset`, `/metrics`, `/time`, `/inspect` and `/settings`.

use std::fmt::Write;

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use feedlab_contract::Transport;
use serde::Serialize;

use crate::error::ApiError;
use crate::query;
use crate::state::{AppState, LiveSettings, check_ticker_rate};
use crate::stats::render_prometheus;

fn client_param(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    query::client_param(req.query_string())
}

/// `GET /stats[?client=ID]`: counters per transport, and that client's own when asked.
pub async fn stats(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let client = client_param(&req)?;
    #[derive(Serialize)]
    struct Answer {
        head: u64,
        epoch: u64,
        /// The backend and its trouble: `{"backend":"redis","errors":0,"reconnects":0}`.
        feed: FeedInfo,
        #[serde(flatten)]
        report: crate::stats::StatsReport,
    }
    #[derive(Serialize)]
    struct FeedInfo {
        backend: &'static str,
        #[serde(flatten)]
        counters: crate::backend::BackendCounters,
    }
    let report = state.stats.report(client.as_deref());
    let feed = FeedInfo { backend: state.backend.name(), counters: state.backend.counters() };
    Ok(HttpResponse::Ok().json(Answer { head: state.feed.head(), epoch: state.feed.epoch(), feed, report }))
}

/// `POST /stats/reset[?client=ID]`: zero one client's counters (or all, with the token when one is set).
pub async fn reset_stats(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let client = client_param(&req)?;
    if client.is_none() {
        state.check_token(&req)?;
    }
    state.stats.reset(client.as_deref());
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(render_prometheus(&state.stats, state.feed.head()))
}

/// `GET /time`: the server clock, so a browser can estimate its offset and correct latencies, and the feed
/// epoch, so a streaming client can learn it before its first message.
pub async fn time(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "us": feedlab_feed::now_us(), "epoch": state.feed.epoch() }))
}

/// `GET /inspect?client=ID`: the last request and response heads per transport for that client, and on
/// `ws` the last data frame each way, as on the wire in hex: `"frames": {"sent": "8105…", "received":
/// "8185…"}` (`null` before the first). The page's clients each have their own id, so these are the frames
/// of the page's own connection.
pub async fn inspect(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let client = client_param(&req)?.ok_or_else(|| ApiError::bad("client", "client is required"))?;
    let (exchanges, frames) = state.stats.inspect(&client);
    let mut transports: serde_json::Map<String, serde_json::Value> = exchanges
        .into_iter()
        // unwrap: Exchange is strings and an integer.
        .map(|(channel, exchange)| (channel.name().to_owned(), serde_json::to_value(exchange).unwrap()))
        .collect();
    if let Some(serde_json::Value::Object(ws)) = transports.get_mut(Transport::Ws.name()) {
        let shown = |frame: &[u8]| (!frame.is_empty()).then(|| hex(frame));
        ws.insert(
            "frames".into(),
            serde_json::json!({ "sent": shown(&frames.sent_frame()), "received": shown(&frames.received) }),
        );
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "client": client, "transports": transports })))
}

/// `bytes` as lower-case hex, two digits a byte.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        // unwrap: writing to a String cannot fail.
        write!(out, "{b:02x}").unwrap();
        out
    })
}

#[derive(Serialize)]
struct SettingsAnswer {
    #[serde(flatten)]
    live: LiveSettings,
    disabled: Vec<&'static str>,
    token_required: bool,
    /// Where the feed lives: `"memory"` or `"redis"`.
    feed: &'static str,
    retention: usize,
    heartbeat_ms: u64,
    max_streams: usize,
    max_requests_per_s: u32,
    publish_per_client_per_s: u32,
}

fn settings_answer(state: &AppState) -> HttpResponse {
    let config = &state.config;
    HttpResponse::Ok().insert_header(ContentType::json()).json(SettingsAnswer {
        live: state.settings.borrow().clone(),
        disabled: config.disabled.iter().map(|t| t.name()).collect(),
        token_required: config.publish_token.is_some(),
        feed: state.backend.name(),
        retention: config.retention,
        heartbeat_ms: config.heartbeat.as_millis() as u64,
        max_streams: config.max_streams,
        max_requests_per_s: config.max_requests_per_s,
        publish_per_client_per_s: config.publish_per_client_per_s,
    })
}

/// `GET /settings`: live settings and the fixed limits.
pub async fn settings(state: web::Data<AppState>) -> HttpResponse {
    settings_answer(&state)
}

/// `POST /settings` `{"ticker_per_s": 2}`: change the ticker rate (token required when set).
pub async fn update_settings(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.check_token(&req)?;
    let update: serde_json::Value =
        serde_json::from_slice(&body).map_err(|err| ApiError::bad("body", format!("expected JSON: {err}")))?;
    let Some(fields) = update.as_object() else { return Err(ApiError::bad("body", "expected a JSON object")) };
    let mut live = state.settings.borrow().clone();
    for (key, value) in fields {
        match key.as_str() {
            "ticker_per_s" => {
                let rate = value.as_f64().ok_or_else(|| "ticker_per_s must be a number".to_owned());
                live.ticker_per_s = rate
                    .and_then(check_ticker_rate)
                    .map_err(|why| ApiError::bad("ticker_per_s", format!("ticker_per_s: {why}")))?;
            }
            _ => return Err(ApiError::BadField { field: "body", message: format!("unknown setting {key:?}") }),
        }
    }
    state.settings.send_replace(live);
    Ok(settings_answer(&state))
}
