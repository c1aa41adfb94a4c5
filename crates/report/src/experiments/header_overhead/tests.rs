//! The header-overhead shaping and verdicts on synthetic steps, each verdict both ways.

use super::*;
use crate::experiments::fixture::{data, step};
use crate::text::Lang::{En, Zh};
use crate::verdict::Outcome;

fn run(poll_bpm: f64, ws_bpm: f64, poll_headers_per_request: f64) -> Section {
    let mk = |t: Transport, clients: u64, bpm: f64| {
        step(t, clients, |s| {
            s.bench.overhead_bytes_per_message = Some(bpm);
            if t == Transport::Poll {
                s.bench.requests = s.bench.integrity.delivered;
                s.bench.bytes.request_headers = (poll_headers_per_request * 0.6 * s.bench.requests as f64) as u64;
                s.bench.bytes.response_headers = (poll_headers_per_request * 0.4 * s.bench.requests as f64) as u64;
            }
        })
    };
    shape(&data(
        "header-overhead",
        vec![
            mk(Transport::Poll, 1000, poll_bpm),
            mk(Transport::Poll, 10_000, poll_bpm),
            mk(Transport::Ws, 1000, ws_bpm),
        ],
    ))
}

#[test]
fn gap_supported_at_100x_or_more() {
    let s = run(871.0, 2.0, 871.0);
    assert_eq!(s.verdicts[0].outcome, Outcome::Supported);
    assert!(s.verdicts[0].evidence[En].contains("436x"), "{:?}", s.verdicts[0].evidence);
    assert!(s.verdicts[0].evidence[Zh].contains("436 倍"), "{:?}", s.verdicts[0].evidence);
}

#[test]
fn gap_not_supported_below_100x() {
    let s = run(150.0, 2.0, 150.0);
    assert_eq!(s.verdicts[0].outcome, Outcome::NotSupported);
}

#[test]
fn poll_bytes_verdict_both_ways() {
    assert_eq!(run(871.0, 2.0, 800.0).verdicts[1].outcome, Outcome::Supported);
    let s = run(150.0, 2.0, 150.0);
    assert_eq!(s.verdicts[1].outcome, Outcome::NotSupported);
    assert!(s.verdicts[1].evidence[En].contains("disagrees"));
}

#[test]
fn ws_frame_verdict_both_ways() {
    assert_eq!(run(871.0, 2.0, 871.0).verdicts[2].outcome, Outcome::Supported);
    assert_eq!(run(871.0, 8.0, 871.0).verdicts[2].outcome, Outcome::NotSupported);
}

/// A WebSocket step delivering messages of `size` bytes at `bpm` overhead bytes each.
fn ws_with_messages(bpm: f64, size: u64) -> Section {
    shape(&data(
        "header-overhead",
        vec![step(Transport::Ws, 1000, |s| {
            s.bench.overhead_bytes_per_message = Some(bpm);
            s.bench.bytes.body = size * s.bench.integrity.delivered;
        })],
    ))
}

#[test]
fn ws_frame_verdict_follows_rfc6455_message_sizes() {
    let framing = |s: &Section| s.verdicts.iter().find(|v| v.claim[En].contains("2 B of framing")).cloned().unwrap();
    let small = framing(&ws_with_messages(2.0, 100));
    assert_eq!(small.outcome, Outcome::Supported, "{:?}", small.evidence);
    assert!(small.evidence[En].contains("messages of 100 B"), "{:?}", small.evidence);
    // 141 B messages need the 16-bit length: 4 B is RFC-correct, and the claim's 2 B does not hold for them.
    let large = framing(&ws_with_messages(4.0, 141));
    assert_eq!(large.outcome, Outcome::NotSupported);
    assert!(large.evidence[En].contains("RFC 6455 header: 4 B"), "{:?}", large.evidence);
    assert!(large.evidence[Zh].contains("RFC 6455 头部：4 B"), "{:?}", large.evidence);
    assert_eq!(rfc6455_header_bytes(125.0), 2.0);
    assert_eq!(rfc6455_header_bytes(126.0), 4.0);
    assert_eq!(rfc6455_header_bytes(70_000.0), 10.0);
}

#[test]
fn missing_websocket_is_inconclusive() {
    let s = shape(&data("header-overhead", vec![step(Transport::Poll, 1000, |_| {})]));
    assert_eq!(s.verdicts[0].outcome, Outcome::Inconclusive);
}

#[test]
fn table_marks_measured_and_computed() {
    let s = run(871.0, 2.0, 871.0);
    let t = &s.tables[0];
    assert_eq!(&t.rows[0][0][En], "Kaazing polling (quoted)");
    let poll = t.rows.iter().find(|r| r[0][En].contains("ours: poll")).unwrap();
    assert!(
        poll[2][En].ends_with("measured") && poll[3][En].ends_with("measured") && poll[4][En].ends_with("computed")
    );
    assert!(poll[2][Zh].ends_with("实测") && poll[4][Zh].ends_with("计算"));
    // 871 B x 8 x 1 msg/s x 100,000 / 2^20 = 664.5
    assert!(poll[4][En].starts_with("664") || poll[4][En].starts_with("665"), "{poll:?}");
    assert_eq!(poll[4][En].split(' ').next(), poll[4][Zh].split(' ').next(), "one number, two wordings");
    let ws = t.rows.iter().find(|r| r[0][En].contains("ours: ws")).unwrap();
    assert!(ws[3][En].ends_with("computed"));
}
