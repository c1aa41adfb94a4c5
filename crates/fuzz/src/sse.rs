//! The harness's SSE parser (`feedlab_harness::clients::sse::EventParser`) and the message JSON it hands
//! on (`clients::message`).
//!
//! Input: an event-stream body as the server would send it. Checked: the events and the comment bytes do
//! not depend on how the body was cut into reads; comment and data bytes never exceed the body (the
//! result's framing is what is left of the body, so an over-count would hide); every event's data goes
//! through the same JSON readers as in a run (a `gap` event's range, a message's `id`/`ts`, a WebSocket
//! frame's item) without a panic.

use feedlab_harness::clients::sse::{Event, EventParser};
use feedlab_harness::clients::{Gap, parse_item, parse_message};

use crate::splittings;

/// Parses `data` as an event-stream body; panics on a finding.
pub fn check(data: &[u8]) {
    let [whole, bytes, random] = splittings(data);
    let reference = parse(&whole);
    assert_eq!(parse(&bytes), reference, "one byte at a time");
    assert_eq!(parse(&random), reference, "in pieces");
    let (events, comment_bytes) = reference;
    let data_bytes: u64 = events.iter().map(|e| e.data.len() as u64).sum();
    assert!(comment_bytes <= data.len() as u64, "{comment_bytes} comment bytes of {}", data.len());
    assert!(
        String::from_utf8(data.to_vec()).is_err() || comment_bytes + data_bytes <= data.len() as u64,
        "{comment_bytes} comment bytes and {data_bytes} data bytes of {}",
        data.len()
    );
    for event in &events {
        if event.event.as_deref() == Some("gap") {
            let _ = serde_json::from_str::<Gap>(&event.data);
        } else {
            let _ = parse_message(&event.data);
            let _ = parse_item(&event.data);
        }
    }
}

/// The events and comment bytes of a body delivered as `reads`.
fn parse(reads: &[&[u8]]) -> (Vec<Event>, u64) {
    let mut parser = EventParser::default();
    let events = reads.iter().flat_map(|r| parser.push(r)).collect();
    (events, parser.comment_bytes)
}
