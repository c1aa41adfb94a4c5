//! Rebuilding the bytes of an HTTP/1.1 head from what actix parsed (request) or will encode (response).
//!
//! The server cannot see its own socket bytes through actix, so it rebuilds them: the request line and every
//! header as `name: value\r\n`, and for responses exactly what actix-http's h1 encoder adds (`content-length`
//! or `transfer-encoding: chunked`, a `connection` option, `date`). One function per head writes into a
//! [`HeadSink`]: counting into a `usize` on the hot path, or text for the protocol inspector, so the count and
//! the text can never disagree. The harness counts the real socket bytes; a test keeps both within 1%.

use actix_http::{ConnectionType, ResponseHead};
use actix_web::body::BodySize;
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode, Uri, Version};

/// Where head bytes go: a byte counter or a text buffer.
pub trait HeadSink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);

    /// Appends one line of a head: `parts`, then CRLF.
    fn line(&mut self, parts: &[&[u8]]) {
        parts.iter().for_each(|part| self.put(part));
        self.put(b"\r\n");
    }

    /// Appends a `name: value` header line.
    fn header(&mut self, name: &[u8], value: &[u8]) {
        self.line(&[name, b": ", value]);
    }
}

impl HeadSink for usize {
    fn put(&mut self, bytes: &[u8]) {
        *self += bytes.len();
    }
}

impl HeadSink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

fn version_str(version: Version) -> &'static [u8] {
    if version == Version::HTTP_10 { b"HTTP/1.0" } else { b"HTTP/1.1" }
}

fn put_headers(headers: &HeaderMap, sink: &mut impl HeadSink, skip: impl Fn(&header::HeaderName) -> bool) {
    for (name, value) in headers.iter() {
        if skip(name) {
            continue;
        }
        sink.header(name.as_str().as_bytes(), value.as_bytes());
    }
}

/// Writes `GET /path?query HTTP/1.1\r\n`, each header, and the blank line.
pub fn request_head(method: &Method, uri: &Uri, version: Version, headers: &HeaderMap, sink: &mut impl HeadSink) {
    let target = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    sink.line(&[method.as_str().as_bytes(), b" ", target.as_bytes(), b" ", version_str(version)]);
    put_headers(headers, sink, |_| false);
    sink.put(b"\r\n");
}

/// What decides the `connection` option actix writes: the request's connection type (from its version and
/// `Connection` header) unless the response overrides it (an upgrade, or a forced close).
pub fn effective_connection(request: ConnectionType, response: ConnectionType) -> ConnectionType {
    if response == ConnectionType::KeepAlive { request } else { response }
}

/// Writes the status line, the framing and connection headers actix adds, the response's own headers, `date`
/// and the blank line, mirroring actix-http 3's `h1::encoder::MessageType::encode_headers`.
pub fn response_head(
    head: &ResponseHead,
    body: BodySize,
    connection: ConnectionType,
    date: &str,
    sink: &mut impl HeadSink,
) {
    let (status, version, headers) = (head.status, head.version, &head.headers);
    sink.line(&[version_str(version), b" ", status.as_str().as_bytes(), b" ", head.reason().as_bytes()]);

    // Statuses without a body get neither content-length nor transfer-encoding (RFC 9112 6.1 / 6.2).
    let no_body = matches!(
        status,
        StatusCode::CONTINUE | StatusCode::SWITCHING_PROTOCOLS | StatusCode::PROCESSING | StatusCode::NO_CONTENT
    );
    let skip_len = if no_body {
        true
    } else {
        match body {
            BodySize::Stream if version >= Version::HTTP_11 => {
                sink.header(b"transfer-encoding", b"chunked");
                true
            }
            // HTTP/1.0 cannot chunk: the body ends when the connection closes.
            BodySize::Stream => false,
            BodySize::Sized(n) => {
                let mut digits = [0u8; 20];
                sink.header(b"content-length", decimal(n, &mut digits));
                true
            }
            BodySize::None => true,
        }
    };

    let has_upgrade = headers.contains_key(header::UPGRADE);
    let option: Option<&[u8]> = match (connection, has_upgrade) {
        (ConnectionType::Close, true) if version >= Version::HTTP_11 => Some(b"close, upgrade"),
        (ConnectionType::KeepAlive, true) if version < Version::HTTP_11 => Some(b"keep-alive, upgrade"),
        (ConnectionType::Upgrade, _) | (_, true) => Some(b"upgrade"),
        (ConnectionType::KeepAlive, false) if version < Version::HTTP_11 => Some(b"keep-alive"),
        (ConnectionType::Close, false) if version >= Version::HTTP_11 => Some(b"close"),
        _ => None,
    };
    if let Some(option) = option {
        sink.header(b"connection", option);
    }

    put_headers(headers, sink, |name| {
        *name == header::CONNECTION
            || (skip_len && (*name == header::CONTENT_LENGTH || *name == header::TRANSFER_ENCODING))
    });
    if !headers.contains_key(header::DATE) {
        sink.header(b"date", date.as_bytes());
    }
    sink.put(b"\r\n");
}

/// `n` in decimal, written into `buf` without allocating (every metered response has a length to count).
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[start..];
        }
    }
}

/// A `date` value of the right length for counting: an IMF-fixdate is always 29 bytes.
pub const DATE_PLACEHOLDER: &str = "Thu, 01 Jan 1970 00:00:00 GMT";

/// An IMF-fixdate of now, as actix writes in `date` (always 29 bytes).
pub fn http_date_now() -> String {
    actix_web::http::header::HttpDate::from(std::time::SystemTime::now()).to_string()
}

/// Bytes HTTP/1.1 chunked encoding adds around one chunk of `len` bytes: hex size, CRLF, and CRLF after.
pub fn chunk_framing_len(len: usize) -> usize {
    // Hex digits of `len` (one for 0), counted without formatting: this runs once per chunk sent.
    let digits = (usize::BITS - len.leading_zeros()).div_ceil(4).max(1) as usize;
    digits + 4
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut buf = Vec::new();
        f(&mut buf);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn request_head_is_line_headers_blank() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:9"));
        headers.append(HeaderName::from_static("x-a"), HeaderValue::from_static("1"));
        let uri: Uri = "/poll?after=3".parse().unwrap();
        let head = text(|s| request_head(&Method::GET, &uri, Version::HTTP_11, &headers, s));
        assert!(head.starts_with("GET /poll?after=3 HTTP/1.1\r\n"));
        assert!(head.contains("host: 127.0.0.1:9\r\n") && head.contains("x-a: 1\r\n"));
        assert!(head.ends_with("\r\n\r\n"));
        let mut count = 0usize;
        request_head(&Method::GET, &uri, Version::HTTP_11, &headers, &mut count);
        assert_eq!(count, head.len());
    }

    #[test]
    fn response_head_matches_actix_layout() {
        let mut response = ResponseHead::new(StatusCode::OK);
        response.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let date = http_date_now();
        assert_eq!(date.len(), DATE_PLACEHOLDER.len());
        let head = text(|s| response_head(&response, BodySize::Sized(42), ConnectionType::KeepAlive, &date, s));
        assert_eq!(
            head,
            format!("HTTP/1.1 200 OK\r\ncontent-length: 42\r\ncontent-type: application/json\r\ndate: {date}\r\n\r\n")
        );
    }

    #[test]
    fn switching_protocols_has_no_length_and_says_upgrade() {
        let mut response = ResponseHead::new(StatusCode::SWITCHING_PROTOCOLS);
        response.headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        let head = text(|s| response_head(&response, BodySize::Stream, ConnectionType::Upgrade, "d", s));
        assert_eq!(
            head,
            "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\ndate: d\r\n\r\n"
        );
    }

    #[test]
    fn decimal_writes_every_digit() {
        for n in [0, 7, 10, 42, 65_536, u64::MAX] {
            assert_eq!(decimal(n, &mut [0; 20]), n.to_string().as_bytes());
        }
    }

    #[test]
    fn chunk_framing_counts_hex_digits() {
        assert_eq!(chunk_framing_len(15), 5);
        assert_eq!(chunk_framing_len(16), 6);
        assert_eq!(chunk_framing_len(4096), 8);
        for len in [0, 1, 15, 16, 255, 256, 65_535, 65_536, usize::MAX] {
            assert_eq!(chunk_framing_len(len), format!("{len:x}").len() + 4, "{len}");
        }
    }
}
