//! The metering middleware: one place that counts every request head and response head on the way.
//!
//! It works out the channel from the path ([`Channel::of_path`]) and the client from `client=`, hands
//! handlers a [`Meter`](crate::stats::Meter) through request extensions (so sessions can count frames later),
//! then counts the response head actix will write and any fixed-size body. Streaming bodies (SSE events, WebSocket frames) are counted by their sessions.
//! It also counts TCP connections: [`on_connect`] marks each new one, and its first request counts it.
//!
//! HTTP/2 requests are counted (`requests` and `h2_requests`) but their heads are not: HPACK encodes them
//! inside actix-http's h2 layer, whose compressed sizes the server never sees, and an HTTP/1.1 rebuild
//! would overstate them several times over. `/stats` says so (`h2_head_bytes`); the harness counts the real
//! HEADERS frames on its sockets.

use std::any::Any;
use std::cell::Cell;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::http::Version;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::query;
use crate::state::AppState;
use crate::stats::wire;
use crate::stats::{Channel, Counter, Exchange};

/// A TCP connection no request has used yet (set by [`on_connect`], taken by its first request).
#[derive(Debug)]
struct NewConnection(Cell<bool>);

/// `HttpServer::on_connect`: marks every accepted connection as new, so that its first request counts it
/// ([`Counter::Connections`]). Requests on one HTTP/1 connection are handled one after another, on the
/// thread that accepted it: a `Cell` is enough.
pub fn on_connect(_: &dyn Any, data: &mut Extensions) {
    data.insert(NewConnection(Cell::new(true)));
}

/// Counts the exchange of every metered request (see the module docs).
pub async fn meter(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // Taken by whatever request comes first, metered or not (the page, /stats): a poll that reuses a
    // connection some other request opened did not open one.
    let opened_connection = req.conn_data::<NewConnection>().is_some_and(|new| new.0.replace(false));
    let (Some(channel), Some(state)) = (Channel::of_path(req.path()), req.app_data::<web::Data<AppState>>().cloned())
    else {
        return next.call(req).await;
    };
    let client = query::client_of(req.query_string());
    let h2 = req.version() == Version::HTTP_2;
    let meter = state.stats.meter(channel, client.as_deref());
    let meter = if h2 { meter.over_h2() } else { meter };

    let mut request_bytes = 0usize;
    wire::request_head(req.method(), req.uri(), req.version(), req.headers(), &mut request_bytes);
    // The inspector text is built only for tagged clients (the page), never on the harness's hot path.
    let request_text = meter.client.as_ref().filter(|_| !h2).map(|_| {
        let mut text = Vec::new();
        wire::request_head(req.method(), req.uri(), req.version(), req.headers(), &mut text);
        text
    });
    let request_connection = req.head().connection_type();
    req.extensions_mut().insert(meter.clone());

    let res = next.call(req).await?;

    let response = res.response();
    let head = response.head();
    let body = response.body().size();
    let connection = wire::effective_connection(request_connection, head.connection_type());
    // Counting needs only the date's length (always 29 bytes), not today's date formatted per request.
    let mut response_bytes = 0usize;
    wire::response_head(head, body, connection, wire::DATE_PLACEHOLDER, &mut response_bytes);

    meter.add(Counter::Requests, 1);
    if opened_connection {
        meter.add(Counter::Connections, 1);
    }
    if h2 {
        meter.add(Counter::H2Requests, 1);
    } else {
        meter.add(Counter::RequestHeaderBytes, request_bytes as u64);
        meter.add(Counter::ResponseHeaderBytes, response_bytes as u64);
    }
    if let BodySize::Sized(n) = body {
        meter.add(Counter::BodyBytes, n);
    }
    if head.status.is_client_error() || head.status.is_server_error() {
        meter.add(Counter::Errors, 1);
    }
    if head.status == actix_web::http::StatusCode::SERVICE_UNAVAILABLE {
        meter.add(Counter::Rejected, 1);
    }
    if let (Some(client), Some(request)) = (&meter.client, request_text) {
        let mut text = Vec::new();
        wire::response_head(head, body, connection, &wire::http_date_now(), &mut text);
        client.record(
            channel,
            Exchange {
                request: String::from_utf8_lossy(&request).into_owned(),
                response: String::from_utf8_lossy(&text).into_owned(),
                at_us: feedlab_feed::now_us(),
            },
        );
    }
    Ok(res)
}
