//! Every route of the server, defined once in [`configure`] and used by `run`, handler tests and socket tests.
//!
//! One file per transport, mirroring the harness's `clients/`: `poll.rs`, `longpoll.rs`, `sse.rs`, `ws.rs`,
//! mounted at the contract's paths ([`Transport::path`]) through `transport_route`; plus `publish.rs`
//! (`POST /messages`), `echo.rs`, `info.rs` (stats, metrics, time, inspect, settings) and `files.rs` (the
//! embedded page and the results directory). The metering middleware (`middleware/meter.rs`) counts every
//! exchange of the transports, echo and publish on the way.

mod echo;
mod files;
mod info;
mod longpoll;
mod poll;
mod publish;
mod sse;
mod ws;

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{HttpResponse, Route, web};
use feedlab_contract::Transport;

use crate::error::json_error;
use crate::middleware::meter;
use crate::stats::Channel;

/// The handler of each transport: the one place a new transport of the contract is wired to its file here
/// (the match is exhaustive, so the compiler asks for it). A peer's transport (Socket.IO's) has none: the
/// peer serves it, this server answers its path like any unknown one.
fn transport_route(transport: Transport) -> Option<Route> {
    match transport {
        Transport::Poll => Some(web::get().to(poll::poll)),
        Transport::Longpoll => Some(web::get().to(longpoll::longpoll)),
        Transport::Sse => Some(web::get().to(sse::sse)),
        Transport::Ws => Some(web::get().to(ws::ws)),
        Transport::SocketioPolling | Transport::SocketioWs => None,
    }
}

/// Registers every route. The transport, echo and publish endpoints sit in a scope wrapped by the meter.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|err, _| {
        actix_web::error::InternalError::from_response("", json_error(StatusCode::BAD_REQUEST, err.to_string())).into()
    }));
    let metered = web::scope("").wrap(from_fn(meter::meter));
    let metered = Transport::ALL.into_iter().fold(metered, |scope, transport| match transport_route(transport) {
        Some(route) => scope.service(resource(transport.path(), route)),
        None => scope,
    });
    cfg.service(
        metered
            .service(resource(Channel::Echo.path(), web::get().to(echo::echo)))
            .service(resource(Channel::Publish.path(), web::post().to(publish::publish)))
            .service(resource("/stats", web::get().to(info::stats)))
            .service(resource("/stats/reset", web::post().to(info::reset_stats)))
            .service(resource("/metrics", web::get().to(info::metrics)))
            .service(resource("/time", web::get().to(info::time)))
            .service(resource("/inspect", web::get().to(info::inspect)))
            .service(
                web::resource("/settings")
                    .get(info::settings)
                    .post(info::update_settings)
                    .default_service(web::to(method_not_allowed)),
            )
            .service(resource("/results/{path:.*}", web::get().to(files::results)))
            .service(resource("/{path:.*}", web::get().to(files::page))),
    );
}

/// A resource with one method; any other method gets 405 with a JSON body instead of actix's empty 404.
fn resource(path: &str, route: Route) -> actix_web::Resource {
    web::resource(path).route(route).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed() -> HttpResponse {
    json_error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed on this endpoint")
}
