//! The verdicts of the header-overhead experiment: the 100x gap, 871 B per poll and 2 B per WebSocket
//! frame, each judged on what [`super::measure`] found.

use super::{GAP_FACTOR, Measured, POLL_BYTES_TOLERANCE, WS_BYTES_SLACK, find, profiles, rfc6455_header_bytes};
use crate::data::{HeaderProfile, Transport};
use crate::kaazing;
use crate::style::format_number;
use crate::text::{Text, profile, tr};
use crate::verdict::{Outcome, Verdict, all, at_least_times, close_to, ratio};

pub(super) fn verdicts(m: &[Measured]) -> Vec<Verdict> {
    let mut out = Vec::new();
    // 1. The gap: polling's overhead per message at least 100x WebSocket's, per header profile.
    for p in profiles(m) {
        let poll = find(m, Transport::Poll, p).map(|x| x.per_message);
        let ws = find(m, Transport::Ws, p).map(|x| x.per_message);
        let outcome = at_least_times(poll, ws, GAP_FACTOR);
        let evidence = match (poll, ws) {
            (Some(poll), Some(ws)) => tr!(
                HEADER_GAP_EVIDENCE,
                profile = profile(p),
                poll = format_number(poll),
                ws = format_number(ws),
                ratio = ratio(poll, ws).map_or("-".into(), format_number),
                factor = GAP_FACTOR.to_string()
            ),
            _ => tr!(HEADER_GAP_MISSING, profile = profile(p)),
        };
        out.push(Verdict {
            claim: tr!(HEADER_GAP_CLAIM, factor = GAP_FACTOR.to_string(), profile = profile(p)),
            source: tr!(SOURCE_KAAZING),
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
        let others: Vec<Text> = m
            .iter()
            .filter(|y| y.transport == Transport::Poll && y.profile != x.profile)
            .filter_map(|y| {
                Some(tr!(HEADER_POLL_BYTES_OTHER, bytes = format_number(y.per_request?), profile = profile(y.profile)))
            })
            .collect();
        let evidence = tr!(
            HEADER_POLL_BYTES_EVIDENCE,
            bytes = x.per_request.map_or("-".into(), format_number),
            profile = profile(x.profile),
            others = if others.is_empty() {
                Text::default()
            } else {
                tr!(HEADER_POLL_BYTES_OTHERS, list = Text::join(others, &tr!(LIST_COMMA)))
            },
            share = x
                .per_request
                .map_or("-".into(), |b| format!("{}%", format_number(b / kaazing::POLL_HEADER_BYTES * 100.0))),
            tolerance = (POLL_BYTES_TOLERANCE * 100.0).to_string(),
            disagrees =
                if outcome == Outcome::NotSupported { tr!(HEADER_POLL_BYTES_DISAGREES) } else { Text::default() }
        );
        out.push(Verdict { claim: tr!(HEADER_POLL_BYTES_CLAIM), source: tr!(SOURCE_KAAZING), outcome, evidence });
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
        let items = ws.iter().map(|x| match x.message_bytes {
            Some(size) => tr!(
                HEADER_WS_FRAME_SIZED,
                bytes = format_number(x.per_message),
                profile = profile(x.profile),
                size = format_number(size),
                rfc = rfc6455_header_bytes(size).to_string()
            ),
            None => tr!(HEADER_WS_FRAME_UNSIZED, bytes = format_number(x.per_message), profile = profile(x.profile)),
        });
        let evidence = tr!(
            HEADER_WS_FRAME_EVIDENCE,
            list = Text::join(items, &tr!(LIST_COMMA)),
            slack = WS_BYTES_SLACK.to_string()
        );
        out.push(Verdict { claim: tr!(HEADER_WS_FRAME_CLAIM), source: tr!(SOURCE_KAAZING), outcome, evidence });
    }
    out
}
