//! HTTP/1.1 plumbing shared by the HTTP transports and the publisher: hyper's client over a
//! [`CountingStream`], requests with a header profile, and refusals read as [`ClientError`]s.
//!
//! hyper 1's `client::conn::http1` is the bare connection-level client: one TCP connection, requests one
//! after another, no pool and no hidden headers (it adds `Content-Length` for a body and nothing else; the
//! harness sets `Host` itself). That keeps every header byte on the wire one the profile chose.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::error::{ClientError, refusal};
use crate::counting::{CountingStream, LiveBytes, WireCounters};
use crate::net::Connector;

/// One HTTP/1.1 connection.
#[derive(Debug)]
pub struct HttpConn {
    sender: SendRequest<Full<Bytes>>,
}

impl HttpConn {
    /// Connects and hands the socket, wrapped in a [`CountingStream`], to hyper.
    pub async fn open(
        connector: &Connector,
        idx: usize,
        counters: &Arc<WireCounters>,
        live: &Arc<LiveBytes>,
    ) -> Result<Self, ClientError> {
        let tcp = connector.connect(idx).await.map_err(ClientError::Connect)?;
        Self::over(tcp, counters, live).await
    }

    /// Hands an already connected socket, wrapped in a [`CountingStream`], to hyper.
    pub async fn over(
        tcp: TcpStream,
        counters: &Arc<WireCounters>,
        live: &Arc<LiveBytes>,
    ) -> Result<Self, ClientError> {
        let io = TokioIo::new(CountingStream::new(tcp, counters.clone(), live.clone()));
        // Title case only changes how names look (`User-Agent`, not `user-agent`), never their length.
        let (sender, conn) = http1::Builder::new().title_case_headers(true).handshake(io).await?;
        // hyper's connection future does the actual reading and writing; it ends when the socket closes.
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(HttpConn { sender })
    }

    /// Sends one request and returns the answer with its body still to read.
    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> Result<Response<Incoming>, ClientError> {
        self.sender.ready().await?;
        Ok(self.sender.send_request(req).await?)
    }

    /// Whether the server (or an error) closed the connection.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// Builds a request with `headers` in order (the profile's, `Host` first).
pub fn request(method: Method, path: &str, headers: &[(String, String)], body: Bytes) -> Request<Full<Bytes>> {
    request_with(method, path, &header_map(headers), body)
}

/// Builds a request with headers already parsed ([`header_map`]): what a client asking the same thing again
/// and again (a poller) uses, so the names are not parsed for every request.
pub fn request_with(method: Method, path: &str, headers: &HeaderMap, body: Bytes) -> Request<Full<Bytes>> {
    let mut req = Request::new(Full::new(body));
    *req.method_mut() = method;
    match path.parse() {
        Ok(uri) => *req.uri_mut() = uri,
        // Paths are built by the harness from numbers; a failure here is a bug worth seeing in the errors.
        Err(e) => tracing::error!(%path, error = %e, "invalid request path"),
    }
    *req.headers_mut() = headers.clone();
    req
}

/// `headers` parsed, in order (the profile's, `Host` first); a header that is not valid HTTP is skipped
/// with a warning.
pub fn header_map(headers: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        match (hyper::header::HeaderName::try_from(name.as_str()), hyper::header::HeaderValue::try_from(value.as_str()))
        {
            (Ok(n), Ok(v)) => {
                map.append(n, v);
            }
            _ => tracing::warn!(%name, "skipping a header that is not valid HTTP"),
        }
    }
    map
}

/// The answer if it is a `200`; otherwise its body is read and the refusal returned as an error
/// ([`refusal`]: a 503 with its `Retry-After`, a 409 saying the server restarted, ...).
pub async fn ok(resp: Response<Incoming>) -> Result<Response<Incoming>, ClientError> {
    let status = resp.status();
    if status == StatusCode::OK {
        return Ok(resp);
    }
    let (head, body) = resp.into_parts();
    let body = body.collect().await?.to_bytes();
    Err(refusal(status.as_u16(), &head.headers, &body))
}
