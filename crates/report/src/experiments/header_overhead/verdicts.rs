//! The verdicts of the header-overhead experiment: the 100x gap, 871 B per poll and 2 B per WebSocket
//! frame, each judged on what [`super::measure`] found.

use super::{GAP_FACTOR, Measured, POLL_BYTES_TOLERANCE, WS_BYTES_SLACK, find, profiles, rfc6455_header_bytes};
use crate::data::{HeaderProfile, Transport};
use crate::kaazing;
use crate::style::format_number;
use crate::verdict::{Outcome, Verdict, all, at_least_times, close_to, ratio};

pub(super) fn verdicts(m: &[Measured]) -> Vec<Verdict> {
    let mut out = Vec::new();
    // 1. The gap: polling's overhead per message at least 100x WebSocket's, per header profile.
    for p in profiles(m) {
        let poll = find(m, Transport::Poll, p).map(|x| x.per_message);
        let ws = find(m, Transport::Ws, p).map(|x| x.per_message);
        let outcome = at_least_times(poll, ws, GAP_FACTOR);
        let evidence = match (poll, ws) {
            (Some(poll), Some(ws)) => format!(
                "with {} headers, polling costs {} B per message and WebSocket {} B: {}x (threshold {}x).",
                p.name(),
                format_number(poll),
                format_number(ws),
                ratio(poll, ws).map_or("-".into(), format_number),
                GAP_FACTOR
            ),
            _ => format!("with {} headers, polling or WebSocket was not measured.", p.name()),
        };
        out.push(Verdict {
            claim: format!(
                "WebSocket framing costs 2 B per message where polling costs 871 B of headers: polling carries at \
                 least {GAP_FACTOR}x more overhead per message ({} headers).",
                p.name()
            ),
            source: kaazing::SOURCE.into(),
            outcome,
            evidence,
        });
    }
    // 2. 871 B per poll: judged on browser headers when measured (their figure is a browser's).
    let poll_browser = find(m, Transport::Poll, HeaderProfile::Browser);
    let poll_judged = poll_browser.or_else(|| find(m, Transport::Poll, HeaderProfile::Minimal));
    if let Some(x) = poll_judged {
        let outcome = match x.per_request {
            Some(b) => Outcome::from_bool(close_to(b, kaazing::POLL_HEADER_BYTES, POLL_BYTES_TOLERANCE, 0.0)),
            None => Outcome::Inconclusive,
        };
        let others: Vec<String> = m
            .iter()
            .filter(|y| y.transport == Transport::Poll && y.profile != x.profile)
            .filter_map(|y| Some(format!("{} B with {} headers", format_number(y.per_request?), y.profile.name())))
            .collect();
        let evidence = format!(
            "one poll (request + response heads) takes {} B with {} headers{}, {} of the quoted 871 B \
             (tolerance ±{}%).{}",
            x.per_request.map_or("-".into(), format_number),
            x.profile.name(),
            if others.is_empty() { String::new() } else { format!(" ({})", others.join(", ")) },
            x.per_request.map_or("-".into(), |b| format!("{}%", format_number(b / kaazing::POLL_HEADER_BYTES * 100.0))),
            POLL_BYTES_TOLERANCE * 100.0,
            if outcome == Outcome::NotSupported {
                " The measurement disagrees with the paper's figure: theirs came from one example exchange, \
                 ours from the headers our clients and server actually send."
            } else {
                ""
            }
        );
        out.push(Verdict {
            claim: "Each poll carries about 871 B of HTTP request and response headers.".into(),
            source: kaazing::SOURCE.into(),
            outcome,
            evidence,
        });
    }
    // 3. 2 B per WebSocket frame.
    let ws: Vec<&Measured> = m.iter().filter(|x| x.transport == Transport::Ws).collect();
    if !ws.is_empty() {
        // The claim's 2 B is RFC 6455's header for payloads up to 125 B; the verdict says which size ours were.
        let outcome = all(ws.iter().map(|x| {
            let rfc = x.message_bytes.map_or(kaazing::WS_FRAME_BYTES, rfc6455_header_bytes);
            Outcome::from_bool(
                x.per_message > 0.0
                    && x.per_message <= kaazing::WS_FRAME_BYTES + WS_BYTES_SLACK
                    && rfc <= kaazing::WS_FRAME_BYTES,
            )
        }));
        let evidence = format!(
            "{} (accepted: up to {} B over the 2 B header, for heartbeat pings). RFC 6455 gives a 2 B header only \
             to messages of at most 125 B; longer ones need 4 B.",
            ws.iter()
                .map(|x| match x.message_bytes {
                    Some(size) => format!(
                        "{} B per message with {} headers, messages of {} B on average (RFC 6455 header: {} B)",
                        format_number(x.per_message),
                        x.profile.name(),
                        format_number(size),
                        rfc6455_header_bytes(size)
                    ),
                    None => format!("{} B per message with {} headers", format_number(x.per_message), x.profile.name()),
                })
                .collect::<Vec<_>>()
                .join(", "),
            WS_BYTES_SLACK
        );
        out.push(Verdict {
            claim: "A WebSocket message costs 2 B of framing.".into(),
            source: kaazing::SOURCE.into(),
            outcome,
            evidence,
        });
    }
    out
}
