//! `/metrics`: the `/stats` totals in Prometheus text exposition format (version 0.0.4).

use std::fmt::Write;

use super::{Channel, CountersSnapshot, Stats};

/// Reads one metric's value from a snapshot.
type Read = fn(&CountersSnapshot) -> i64;

/// Each metric: name, help, type, and how to read it from a snapshot.
const METRICS: &[(&str, &str, &str, Read)] = &[
    ("feedlab_requests_total", "HTTP requests answered.", "counter", |c| c.requests as i64),
    ("feedlab_empty_responses_total", "Poll answers with no message.", "counter", |c| c.empty_responses as i64),
    ("feedlab_request_header_bytes_total", "Request head bytes received.", "counter", |c| {
        c.request_header_bytes as i64
    }),
    ("feedlab_response_header_bytes_total", "Response head bytes sent.", "counter", |c| c.response_header_bytes as i64),
    ("feedlab_body_bytes_total", "Message payload bytes.", "counter", |c| c.body_bytes as i64),
    ("feedlab_framing_bytes_total", "SSE/WebSocket/chunk framing bytes.", "counter", |c| c.framing_bytes as i64),
    ("feedlab_frames_total", "WebSocket frames and SSE events.", "counter", |c| c.frames as i64),
    ("feedlab_open_connections", "Connections open now.", "gauge", |c| c.open_connections),
    ("feedlab_messages_delivered_total", "Feed messages handed to clients.", "counter", |c| {
        c.messages_delivered as i64
    }),
    ("feedlab_errors_total", "Answers with status 4xx or 5xx.", "counter", |c| c.errors as i64),
    ("feedlab_rejected_total", "503 answers over capacity.", "counter", |c| c.rejected as i64),
    ("feedlab_slow_reader_closes_total", "Streams cut off for not reading.", "counter", |c| {
        c.slow_reader_closes as i64
    }),
];

/// Renders every metric for every channel, plus the feed head.
pub fn render(stats: &Stats, feed_head: u64) -> String {
    let mut out = String::new();
    for (name, help, kind, read) in METRICS {
        // unwrap: writing to a String cannot fail.
        writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}").unwrap();
        for channel in Channel::ALL {
            writeln!(out, "{name}{{transport=\"{}\"}} {}", channel.as_str(), read(&stats.totals(channel))).unwrap();
        }
    }
    writeln!(out, "# HELP feedlab_feed_head Newest message id.\n# TYPE feedlab_feed_head gauge").unwrap();
    writeln!(out, "feedlab_feed_head {feed_head}").unwrap();
    out
}
