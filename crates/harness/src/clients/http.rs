//! HTTP plumbing shared by the HTTP transports and the publisher: hyper's client over a
//! [`CountingStream`], requests with a header profile, and refusals read as [`ClientError`]s.
//!
//! hyper 1's `client::conn::http1` is the bare connection-level client: one TCP connection, requests one
//! after another, no pool and no hidden headers (it adds `Content-Length` for a body and nothing else; the
//! harness sets `Host` itself). That keeps every header byte on the wire one the profile chose.
//!
//! `--http 2` uses `client::conn::http2` the same way: one h2c connection with prior knowledge per client
//! (as a browser tab holds one per origin), requests as streams on it. The profile's headers go out as h2
//! fields the way Chromium sends them ([`h2_fields`]): the request line becomes the pseudo-headers, `Host`
//! becomes `:authority`, and the connection-specific headers HTTP/2 forbids (`Connection`, `Keep-Alive`,
//! ...) are dropped. HPACK, done by the `h2` crate under hyper, decides what those fields cost on the wire.

use std::sync::Arc;

use bytes::Bytes;
use feedlab_contract::HttpVersion;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper::header::{HOST, HeaderMap, HeaderName};
use hyper::{Method, Request, Response, StatusCode, Uri, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

use super::error::{ClientError, refusal};
use crate::counting::{CountingStream, LiveBytes, WireCounters};
use crate::net::Connector;

/// One HTTP/1.1 or HTTP/2 connection.
#[derive(Debug)]
pub struct HttpConn {
    sender: Sender,
}

/// hyper's request handle of either version.
#[derive(Debug)]
enum Sender {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

impl HttpConn {
    /// Connects and hands the socket, wrapped in a [`CountingStream`], to hyper.
    pub async fn open(
        connector: &Connector,
        idx: usize,
        counters: &Arc<WireCounters>,
        live: &Arc<LiveBytes>,
        http: HttpVersion,
    ) -> Result<Self, ClientError> {
        let tcp = connector.connect(idx).await.map_err(ClientError::Connect)?;
        Self::over(tcp, counters, live, http).await
    }

    /// Hands an already connected socket, wrapped in a [`CountingStream`], to hyper.
    pub async fn over(
        tcp: TcpStream,
        counters: &Arc<WireCounters>,
        live: &Arc<LiveBytes>,
        http: HttpVersion,
    ) -> Result<Self, ClientError> {
        // hyper's connection futures do the actual reading and writing; they end when the socket closes.
        let sender = match http {
            HttpVersion::Http11 => {
                let io = TokioIo::new(CountingStream::new(tcp, counters.clone(), live.clone()));
                // Title case only changes how names look (`User-Agent`, not `user-agent`), never their length.
                let (sender, conn) = http1::Builder::new().title_case_headers(true).handshake(io).await?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                Sender::H1(sender)
            }
            HttpVersion::Http2 => {
                let io = TokioIo::new(CountingStream::for_h2(tcp, counters.clone(), live.clone()));
                // hyper's defaults, as a client library ships them; the counter sorts whatever they send.
                let (sender, conn) = http2::Builder::new(TokioExecutor::new()).handshake(io).await?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                Sender::H2(sender)
            }
        };
        Ok(HttpConn { sender })
    }

    /// Sends one request and returns the answer with its body still to read. Over HTTP/2 the request is
    /// first turned into h2 fields ([`h2_fields`]).
    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> Result<Response<Incoming>, ClientError> {
        match &mut self.sender {
            Sender::H1(sender) => {
                sender.ready().await?;
                Ok(sender.send_request(req).await?)
            }
            Sender::H2(sender) => {
                sender.ready().await?;
                Ok(sender.send_request(h2_fields(req)).await?)
            }
        }
    }

    /// Whether the server (or an error) closed the connection.
    pub fn is_closed(&self) -> bool {
        match &self.sender {
            Sender::H1(sender) => sender.is_closed(),
            Sender::H2(sender) => sender.is_closed(),
        }
    }
}

/// Headers HTTP/2 forbids (RFC 9113 8.2.2) and Chromium therefore never sends over h2, with `Host`, which
/// becomes `:authority`.
const NOT_IN_H2: [&str; 6] = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host"];

/// An HTTP/1.1-shaped request (origin-form path, `Host` header) as Chromium sends it over HTTP/2: method
/// and path become `:method` and `:path`, `Host` becomes `:authority` (with `:scheme` `http`, this being
/// h2c), connection-specific headers are dropped and the rest keep their order. The `h2` crate writes the
/// pseudo-headers itself (in the order :method, :scheme, :authority, :path; Chromium puts :authority second,
/// which changes no byte count: each is one HPACK field either way).
pub fn h2_fields(req: Request<Full<Bytes>>) -> Request<Full<Bytes>> {
    let (mut head, body) = req.into_parts();
    let authority = head.headers.get(HOST).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let path = head.uri.path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
    match authority.map(|a| format!("http://{a}{path}").parse::<Uri>()) {
        Some(Ok(uri)) => head.uri = uri,
        // Without a valid `Host` the h2 crate refuses the request with a clear error; the harness always
        // sets one, so this is a bug worth seeing.
        _ => tracing::error!(%path, "request without a valid Host cannot go over HTTP/2"),
    }
    let mut headers = HeaderMap::with_capacity(head.headers.len());
    let mut name: Option<HeaderName> = None;
    for (n, value) in std::mem::take(&mut head.headers) {
        // `into_iter` names only the first of repeated headers; the rest follow under `None`.
        name = n.or(name);
        if let Some(n) = name.as_ref().filter(|n| !NOT_IN_H2.contains(&n.as_str())) {
            headers.append(n.clone(), value);
        }
    }
    head.headers = headers;
    head.version = Version::HTTP_2;
    Request::from_parts(head, body)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::RequestHeaders;
    use crate::headers::tests::SAMPLE;
    use crate::{BrowserFixture, Transport};

    #[test]
    fn h2_fields_are_chromiums() {
        let browser = RequestHeaders::Browser(BrowserFixture::from_json(SAMPLE).unwrap());
        let headers = browser.request_headers(Transport::Poll, "10.0.0.1:80", true);
        let req = h2_fields(request(Method::GET, "/poll?after=3", &headers, Bytes::new()));
        // :authority from Host, :scheme http (h2c), :path from the request line.
        assert_eq!(req.uri().to_string(), "http://10.0.0.1:80/poll?after=3");
        assert_eq!(req.version(), Version::HTTP_2);
        let names: Vec<&str> = req.headers().keys().map(|n| n.as_str()).collect();
        // Host and Connection gone, the rest in the captured order.
        assert_eq!(names, ["user-agent", "accept", "referer", "accept-language"]);
        assert_eq!(req.headers()["referer"], "http://10.0.0.1:80/");
    }
}
