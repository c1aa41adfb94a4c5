//! Request header profiles: which headers a simulated client sends, in wire order.
//!
//! Header bytes are most of polling's cost, so what a client sends decides the result. Two profiles:
//! - `minimal`: what a bare HTTP/1.1 client must send: `Host` (plus `Accept: text/event-stream` for SSE and
//!   the upgrade headers for WebSocket, which those protocols require).
//! - `browser`: the exact header list a current Chromium sends for a same-origin `fetch()`, captured with
//!   real headless Chromium and stored with its capture date in `fixtures/chromium-fetch.json`:
//!
//! ```json
//! {"chromium_version": "...", "captured": "YYYY-MM-DD",
//!  "request": "GET /poll?after=0 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n...\r\n\r\n",
//!  "headers": [["Host", "127.0.0.1:8080"], ["Connection", "keep-alive"], ...]}
//! ```
//!
//! The harness replays `headers` in order with the target's `Host`; the captured host is replaced by the
//! target's in every value too (`Origin`, `Referer`), so the byte count is what that browser would send to
//! this server. EventSource and the WebSocket handshake are not `fetch()`: for them the browser profile is
//! *derived* from the capture (documented at [`RequestHeaders::request_headers`]), not captured.
//!
//! Header names go out in the fixture's case only as far as hyper allows (it writes title case); the byte
//! count is the same either way.

use std::path::{Path, PathBuf};

use feedlab_contract::{HeaderProfile, Transport};
use serde::{Deserialize, Serialize};

use crate::Error;

/// The fixture captured with this source tree, compiled in so `--headers browser` works wherever the binary
/// runs; `--browser-fixture FILE` replays another capture.
pub const EMBEDDED_FIXTURE: &str = include_str!("../fixtures/chromium-fetch.json");

/// Where the captured Chromium header fixture lives in the source tree.
pub fn default_fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("chromium-fetch.json")
}

/// The subprotocol the contract's `/ws` selects when offered.
pub const WS_SUBPROTOCOL: &str = "feedlab.v1";

/// Which headers clients send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestHeaders {
    /// Only what the protocol requires.
    Minimal,
    /// Replay of a captured Chromium `fetch()`.
    Browser(BrowserFixture),
}

/// A captured Chromium request, as stored in the fixture file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserFixture {
    /// Chromium version string that sent the request.
    pub chromium_version: String,
    /// Capture date, `YYYY-MM-DD`.
    pub captured: String,
    /// The raw request head exactly as captured (request line, headers, blank line; CRLF line ends).
    pub request: String,
    /// The same headers as a list, in wire order.
    pub headers: Vec<(String, String)>,
}

impl BrowserFixture {
    /// Parses a fixture and checks its header list is exactly the captured request head.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let fixture: BrowserFixture = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if !fixture.request.ends_with("\r\n\r\n") {
            return Err("`request` must end with an empty line (CRLF CRLF)".into());
        }
        let (_, head) = fixture.request.split_once("\r\n").ok_or("`request` has no request line ending in CRLF")?;
        let rendered: String = fixture.headers.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
        if head != format!("{rendered}\r\n") {
            return Err("`headers` does not match the header lines of `request` (same order, same bytes)".into());
        }
        if fixture.captured_host().is_none() {
            return Err("the captured request has no Host header".into());
        }
        Ok(fixture)
    }

    /// The capture compiled into the binary ([`EMBEDDED_FIXTURE`]).
    pub fn embedded() -> Self {
        // unwrap: the committed fixture is checked by `embedded_fixture_is_valid` below.
        Self::from_json(EMBEDDED_FIXTURE).unwrap()
    }

    /// Reads and checks a fixture file.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(format!(
                "browser header fixture {}: {e} (it is captured with headless Chromium; use --headers minimal \
                 until it exists)",
                path.display()
            ))
        })?;
        Self::from_json(&text).map_err(|e| Error::Config(format!("browser header fixture {}: {e}", path.display())))
    }

    fn captured_host(&self) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("host")).map(|(_, v)| v.as_str())
    }

    /// The captured header list retargeted at `authority`, in wire order.
    fn retargeted(&self, authority: &str) -> Vec<(String, String)> {
        let old = self.captured_host().unwrap_or_default();
        self.headers
            .iter()
            .map(|(n, v)| {
                let v = if n.eq_ignore_ascii_case("host") {
                    authority.to_string()
                } else if !old.is_empty() {
                    v.replace(old, authority)
                } else {
                    v.clone()
                };
                (n.clone(), v)
            })
            .collect()
    }
}

impl RequestHeaders {
    /// The profile's name in results.
    pub fn profile(&self) -> HeaderProfile {
        match self {
            RequestHeaders::Minimal => HeaderProfile::Minimal,
            RequestHeaders::Browser(_) => HeaderProfile::Browser,
        }
    }

    /// The profile's name in results.
    pub fn name(&self) -> &'static str {
        self.profile().name()
    }

    /// Headers for one request, in wire order, `Host` first.
    ///
    /// - Poll and long-poll: the profile as is. Without keep-alive, `Connection: close` (replacing the
    ///   browser's `keep-alive`): that is how HTTP/1.1 says "one request per connection", and it lets the
    ///   server close first, so TIME_WAIT stays on its side instead of eating the harness's ports.
    /// - SSE: `Accept: text/event-stream` (browser: replacing `Accept`, plus `Cache-Control: no-cache`, as
    ///   EventSource sends).
    /// - WebSocket: the upgrade headers tungstenite requires (`Host`, `Connection`, `Upgrade`,
    ///   `Sec-WebSocket-Version`; the caller adds `Sec-WebSocket-Key`), `Sec-WebSocket-Protocol`, and for
    ///   the browser profile Chromium's handshake extras taken from the capture: `Pragma`, `Cache-Control`,
    ///   `User-Agent`, `Origin`, `Accept-Encoding`, `Accept-Language`. No `Sec-WebSocket-Extensions`: the
    ///   harness cannot speak permessage-deflate, so it must not offer it.
    /// - Socket.IO polling: as poll (its `POST`s add `Content-Type` in the browser profile, see
    ///   `clients::socketio`), without `Accept-Encoding`: Socket.IO gzips polling answers of 1 KiB and more
    ///   for a client that offers it, and the harness cannot decode them, so it must not offer it.
    /// - Socket.IO WebSocket: as WebSocket without `Sec-WebSocket-Protocol` (Socket.IO's client asks none).
    pub fn request_headers(&self, transport: Transport, authority: &str, keep_alive: bool) -> Vec<(String, String)> {
        let h = |n: &str, v: &str| (n.to_string(), v.to_string());
        match (self, transport) {
            (RequestHeaders::Minimal, Transport::Poll | Transport::Longpoll | Transport::SocketioPolling) => {
                let mut v = vec![h("Host", authority)];
                if !keep_alive {
                    v.push(h("Connection", "close"));
                }
                v
            }
            (RequestHeaders::Minimal, Transport::Sse) => vec![h("Host", authority), h("Accept", "text/event-stream")],
            (RequestHeaders::Minimal, Transport::Ws) => ws_required(authority, Some(WS_SUBPROTOCOL)),
            (RequestHeaders::Minimal, Transport::SocketioWs) => ws_required(authority, None),
            (RequestHeaders::Browser(f), Transport::Poll | Transport::Longpoll) => {
                let mut v = f.retargeted(authority);
                set_or_push(&mut v, "Connection", if keep_alive { "keep-alive" } else { "close" });
                v
            }
            (RequestHeaders::Browser(f), Transport::SocketioPolling) => {
                let mut v = f.retargeted(authority);
                set_or_push(&mut v, "Connection", if keep_alive { "keep-alive" } else { "close" });
                v.retain(|(n, _)| !n.eq_ignore_ascii_case("accept-encoding"));
                v
            }
            (RequestHeaders::Browser(f), Transport::Sse) => {
                let mut v = f.retargeted(authority);
                set_or_push(&mut v, "Accept", "text/event-stream");
                let at = v.iter().position(|(n, _)| n.eq_ignore_ascii_case("accept")).map_or(v.len(), |i| i + 1);
                v.insert(at, h("Cache-Control", "no-cache"));
                v
            }
            (RequestHeaders::Browser(f), Transport::Ws | Transport::SocketioWs) => {
                let captured = f.retargeted(authority);
                let from = |name: &str| captured.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).cloned();
                let subprotocol = (transport == Transport::Ws).then_some(WS_SUBPROTOCOL);
                let mut v = ws_required(authority, subprotocol);
                v.push(h("Pragma", "no-cache"));
                v.push(h("Cache-Control", "no-cache"));
                v.extend(from("User-Agent"));
                v.push(h("Origin", &format!("http://{authority}")));
                v.extend(from("Accept-Encoding"));
                v.extend(from("Accept-Language"));
                v
            }
        }
    }

    /// Chromium version and capture date, for the result file.
    pub fn fixture_label(&self) -> Option<String> {
        match self {
            RequestHeaders::Minimal => None,
            RequestHeaders::Browser(f) => Some(format!("Chromium {} captured {}", f.chromium_version, f.captured)),
        }
    }
}

fn ws_required(authority: &str, subprotocol: Option<&str>) -> Vec<(String, String)> {
    [("Host", authority), ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")]
        .into_iter()
        .chain(subprotocol.map(|p| ("Sec-WebSocket-Protocol", p)))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn set_or_push(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    match headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        Some(slot) => slot.1 = value.to_string(),
        None => headers.push((name.to_string(), value.to_string())),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A made-up sample in the fixture's format (not a capture: the real one comes from headless Chromium).
    pub(crate) const SAMPLE: &str = r#"{
        "chromium_version": "0.0.0.0-sample",
        "captured": "2000-01-01",
        "request": "GET /poll HTTP/1.1\r\nHost: 127.0.0.1:9999\r\nConnection: keep-alive\r\nUser-Agent: Sample/1.0\r\nAccept: */*\r\nReferer: http://127.0.0.1:9999/\r\nAccept-Language: en-US\r\n\r\n",
        "headers": [["Host","127.0.0.1:9999"],["Connection","keep-alive"],["User-Agent","Sample/1.0"],
                    ["Accept","*/*"],["Referer","http://127.0.0.1:9999/"],["Accept-Language","en-US"]]
    }"#;

    #[test]
    fn loads_and_retargets_in_order() {
        let f = BrowserFixture::from_json(SAMPLE).unwrap();
        let p = RequestHeaders::Browser(f);
        let v = p.request_headers(Transport::Poll, "10.0.0.1:80", true);
        let names: Vec<_> = v.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Host", "Connection", "User-Agent", "Accept", "Referer", "Accept-Language"]);
        assert_eq!(v[0].1, "10.0.0.1:80");
        assert_eq!(v[4].1, "http://10.0.0.1:80/");
        let closed = p.request_headers(Transport::Poll, "10.0.0.1:80", false);
        assert_eq!(closed[1], ("Connection".into(), "close".into()));
        let sse = p.request_headers(Transport::Sse, "h:1", true);
        assert!(sse.contains(&("Accept".into(), "text/event-stream".into())));
        assert!(sse.contains(&("Cache-Control".into(), "no-cache".into())));
    }

    #[test]
    fn embedded_fixture_is_valid() {
        let fixture = BrowserFixture::from_json(EMBEDDED_FIXTURE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(BrowserFixture::embedded(), fixture);
        // The file in the source tree is the one compiled in.
        assert_eq!(BrowserFixture::load(&default_fixture_path()).unwrap(), fixture);
    }

    #[test]
    fn rejects_inconsistent_fixture() {
        let bad = SAMPLE.replace(r#"["Accept","*/*"],"#, "");
        assert!(BrowserFixture::from_json(&bad).unwrap_err().contains("does not match"));
        assert!(BrowserFixture::from_json("{}").is_err());
    }

    #[test]
    fn minimal_is_minimal() {
        let v = RequestHeaders::Minimal.request_headers(Transport::Poll, "a:1", true);
        assert_eq!(v, vec![("Host".to_string(), "a:1".to_string())]);
        let ws = RequestHeaders::Minimal.request_headers(Transport::Ws, "a:1", true);
        assert_eq!(ws[0].0, "Host");
        assert!(ws.iter().any(|(n, v)| n == "Sec-WebSocket-Protocol" && v == WS_SUBPROTOCOL));
        let sio = RequestHeaders::Minimal.request_headers(Transport::SocketioWs, "a:1", true);
        assert_eq!(sio, ws[..4]);
        let polling = RequestHeaders::Minimal.request_headers(Transport::SocketioPolling, "a:1", true);
        assert_eq!(polling, v);
    }

    #[test]
    fn socketio_offers_nothing_it_cannot_decode() {
        let p = RequestHeaders::Browser(
            BrowserFixture::from_json(
                &SAMPLE
                    .replace(
                        r#"["Accept-Language","en-US"]"#,
                        r#"["Accept-Language","en-US"],["Accept-Encoding","gzip"]"#,
                    )
                    .replace(r"Accept-Language: en-US\r\n", r"Accept-Language: en-US\r\nAccept-Encoding: gzip\r\n"),
            )
            .unwrap(),
        );
        let poll = p.request_headers(Transport::Poll, "h:1", true);
        assert!(poll.iter().any(|(n, _)| n == "Accept-Encoding"));
        let polling = p.request_headers(Transport::SocketioPolling, "h:1", true);
        assert_eq!(polling.len(), poll.len() - 1);
        assert!(!polling.iter().any(|(n, _)| n == "Accept-Encoding"));
        let ws = p.request_headers(Transport::SocketioWs, "h:1", true);
        assert!(!ws.iter().any(|(n, _)| n == "Sec-WebSocket-Protocol"));
        assert_eq!(ws.len() + 1, p.request_headers(Transport::Ws, "h:1", true).len());
    }
}
