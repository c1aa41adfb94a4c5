//! Experiment 1, `header-overhead`: the Kaazing table. Clients of each transport receive 1 msg/s with minimal
//! and browser header profiles at 1,000 and 10,000 clients; 100,000 is computed from the measured bytes per
//! message and labelled so. Claims tested: 871 B per poll, 2 B per WebSocket frame, and the 100x gap between
//! them.

#[cfg(test)]
mod tests;
mod verdicts;

use std::collections::BTreeMap;

use feedlab_contract::rfc6455;

use super::{Column, Section, Table, cell, of, step_table, transports};
use crate::chart::{Axis, BarChart, BarSeries, Chart, Color, LineChart, LineKind, RefLine, Series};
use crate::data::{ExperimentData, HeaderProfile, Step, Transport};
use crate::kaazing;
use crate::style::format_number;
use crate::text::{Text, profile, tr, transport};
use crate::verdict::ratio;

/// How many times more overhead per message polling must cost than WebSocket for "supported".
pub const GAP_FACTOR: f64 = 100.0;
/// Tolerance around Kaazing's 871 B per poll (a share of it) for "supported".
pub const POLL_BYTES_TOLERANCE: f64 = 0.25;
/// Slack over RFC 6455's frame header size accepted as the same figure: heartbeat pings and the close spread
/// over few messages add a fraction of a byte per message.
pub const WS_BYTES_SLACK: f64 = 1.0;

/// Bytes of a server-to-client frame header for payloads of `len` bytes on average (RFC 6455 5.2, the
/// contract's rule): the 2 B of the classic claim hold up to 125 bytes; longer payloads need a 16-bit (4 B)
/// or 64-bit (10 B) length. An average above a size limit counts as past it.
pub fn rfc6455_header_bytes(len: f64) -> f64 {
    rfc6455::header_len(len.ceil() as u64, false) as f64
}

/// What was measured for one transport and header profile.
#[derive(Debug, Clone, PartialEq)]
struct Measured {
    transport: Transport,
    profile: HeaderProfile,
    /// Overhead bytes per delivered message from the largest step (the Kaazing figure).
    per_message: f64,
    /// Header bytes per request (request + response heads); the "871 B per poll" figure for polling.
    per_request: Option<f64>,
    /// Publish rate of the steps (messages per second per client).
    rate: f64,
    /// Average message size on the wire (JSON bytes per delivered message), which sets the frame header size.
    message_bytes: Option<f64>,
    /// Measured overhead bandwidth in Kaazing's Mbps, by client count.
    mbps: BTreeMap<u64, f64>,
}

/// Measured overhead bandwidth of a step in Kaazing's Mbps: the harness's overhead bytes per message (its
/// definition: handshakes and SSE heads excluded) x messages delivered per second.
pub(super) fn measured_mbps(s: &Step) -> Option<f64> {
    let bytes = s.bench.overhead_bytes_per_message? * s.bench.integrity.delivered as f64;
    ratio(bytes * 8.0, s.bench.duration_s).map(|bits| bits / kaazing::BITS_PER_MBIT)
}

/// Request and response head bytes per request: one poll's headers, the "871 B" figure.
fn header_bytes_per_request(s: &Step) -> Option<f64> {
    let b = &s.bench;
    ratio((b.bytes.request_headers + b.bytes.response_headers) as f64, b.requests as f64)
}

fn measure(data: &ExperimentData) -> Vec<Measured> {
    let mut out = Vec::new();
    for t in transports(data) {
        for profile in HeaderProfile::ALL {
            let steps: Vec<&Step> = of(data, t)
                .filter(|s| s.params.headers == profile && s.bench.overhead_bytes_per_message.is_some())
                .collect();
            let Some(largest) = steps.iter().max_by_key(|s| s.params.clients) else { continue };
            let b = &largest.bench;
            out.push(Measured {
                transport: t,
                profile,
                // unwrap-free: steps without the figure were filtered out above.
                per_message: b.overhead_bytes_per_message.unwrap_or_default(),
                per_request: header_bytes_per_request(largest),
                rate: largest.params.rate_per_s,
                message_bytes: ratio(b.bytes.body as f64, b.integrity.delivered as f64),
                mbps: steps.iter().filter_map(|s| Some((s.params.clients, measured_mbps(s)?))).collect(),
            });
        }
    }
    out
}

fn find(m: &[Measured], t: Transport, p: HeaderProfile) -> Option<&Measured> {
    m.iter().find(|x| x.transport == t && x.profile == p)
}

pub(super) fn shape(data: &ExperimentData) -> Section {
    let m = measure(data);
    let mut section = Section::empty(data);
    section.intro =
        tr!(HEADER_INTRO, rate = format_number(m.first().map_or(1.0, |x| x.rate)), source = tr!(SOURCE_KAAZING));
    section.charts = vec![bytes_chart(&m), bandwidth_chart(&m)];
    section.tables = vec![kaazing_table(&m), measured_table(data)];
    section.verdicts = verdicts::verdicts(&m);
    section
}

fn profiles(m: &[Measured]) -> Vec<HeaderProfile> {
    let mut p: Vec<_> = m.iter().map(|x| x.profile).collect();
    p.sort();
    p.dedup();
    p
}

fn bytes_chart(m: &[Measured]) -> Chart {
    let profiles = profiles(m);
    let mut ts: Vec<_> = m.iter().map(|x| x.transport).collect();
    ts.sort();
    ts.dedup();
    let values = m.iter().map(|x| x.per_message).chain([kaazing::POLL_HEADER_BYTES, kaazing::WS_FRAME_BYTES]);
    Chart::Bars(BarChart {
        name: "bytes-per-message".into(),
        title: tr!(HEADER_BYTES_TITLE),
        x_label: tr!(HEADER_BYTES_X),
        groups: profiles.iter().map(|p| tr!(HEADER_BYTES_GROUP, profile = profile(*p))).collect(),
        y: Axis::auto(tr!(HEADER_BYTES_Y), values),
        series: ts
            .iter()
            .map(|t| BarSeries {
                label: transport(*t),
                color: Color::Transport(*t),
                values: profiles.iter().map(|p| find(m, *t, *p).map(|x| x.per_message)).collect(),
            })
            .collect(),
        refs: vec![
            RefLine { y: kaazing::POLL_HEADER_BYTES, label: tr!(HEADER_BYTES_KAAZING_POLL) },
            RefLine { y: kaazing::WS_FRAME_BYTES, label: tr!(HEADER_BYTES_KAAZING_WS) },
        ],
    })
}

/// The profile compared with Kaazing's: browser headers when measured (their 871 B came from a browser).
fn chart_profile(m: &[Measured], t: Transport) -> Option<&Measured> {
    find(m, t, HeaderProfile::Browser).or_else(|| find(m, t, HeaderProfile::Minimal))
}

fn bandwidth_chart(m: &[Measured]) -> Chart {
    let rate = m.first().map_or(kaazing::RATE_PER_S, |x| x.rate);
    let top = *kaazing::CLIENTS.last().unwrap_or(&100_000);
    let mut series = Vec::new();
    for t in Transport::ALL {
        let Some(x) = chart_profile(m, t) else { continue };
        let measured: Vec<(f64, f64)> = x.mbps.iter().map(|(c, v)| (*c as f64, *v)).collect();
        series.push(Series {
            label: tr!(HEADER_BANDWIDTH_MEASURED, transport = transport(t), profile = profile(x.profile)),
            color: Color::Transport(t),
            kind: LineKind::Measured,
            points: measured.clone(),
        });
        if let Some(last) = measured.last().filter(|l| (l.0 as u64) < top) {
            series.push(Series {
                label: tr!(HEADER_BANDWIDTH_COMPUTED, transport = transport(t)),
                color: Color::Transport(t),
                kind: LineKind::MeasuredDashed,
                points: vec![*last, (top as f64, kaazing::mbps(x.per_message, x.rate, top))],
            });
        }
    }
    let clients = kaazing::CLIENTS.map(|c| c as f64);
    series.push(Series {
        label: tr!(HEADER_BANDWIDTH_KAAZING_POLL),
        color: Color::Theory,
        kind: LineKind::Theory,
        points: clients.iter().copied().zip(kaazing::POLL_MBPS).collect(),
    });
    series.push(Series {
        label: tr!(HEADER_BANDWIDTH_KAAZING_WS),
        color: Color::Theory,
        kind: LineKind::Level,
        points: clients.iter().copied().zip(kaazing::WS_MBPS).collect(),
    });
    Chart::Lines(LineChart {
        name: "bandwidth".into(),
        title: tr!(HEADER_BANDWIDTH_TITLE, rate = format_number(rate)),
        x: Axis::log(tr!(HEADER_BANDWIDTH_X)),
        y: Axis::log(tr!(HEADER_BANDWIDTH_Y)),
        series,
    })
}

fn kaazing_table(m: &[Measured]) -> Table {
    let mut header = vec![tr!(HEADER_KAAZING_SOURCE), tr!(HEADER_KAAZING_BYTES)];
    header.extend(kaazing::CLIENTS.iter().map(|c| tr!(HEADER_KAAZING_CLIENTS, clients = cell(*c as f64))));
    let mut rows = vec![
        quoted_row(tr!(HEADER_KAAZING_POLL), kaazing::POLL_HEADER_BYTES, &kaazing::POLL_MBPS),
        quoted_row(tr!(HEADER_KAAZING_WS), kaazing::WS_FRAME_BYTES, &kaazing::WS_MBPS),
    ];
    for x in m {
        let ours = tr!(HEADER_KAAZING_OURS, transport = transport(x.transport), profile = profile(x.profile));
        let mut row = vec![ours, cell(x.per_message).into()];
        for c in kaazing::CLIENTS {
            row.push(match x.mbps.get(&c) {
                Some(v) => tr!(HEADER_KAAZING_MEASURED, value = format_number(*v)),
                None => tr!(HEADER_KAAZING_COMPUTED, value = format_number(kaazing::mbps(x.per_message, x.rate, c))),
            });
        }
        rows.push(row);
    }
    Table { caption: tr!(HEADER_KAAZING_CAPTION, source = tr!(SOURCE_KAAZING)), header, rows }
}

pub(super) fn quoted_row(name: Text, bytes: f64, mbps: &[f64]) -> Vec<Text> {
    let mut row = vec![name, cell(bytes).into()];
    // Quoted numbers are printed exactly as the source gives them, not re-rounded.
    row.extend(mbps.iter().map(|v| tr!(HEADER_KAAZING_QUOTED, value = v.to_string())));
    row
}

fn measured_table(data: &ExperimentData) -> Table {
    step_table(
        tr!(HEADER_STEPS_CAPTION),
        &data.steps,
        vec![
            Column::text(tr!(HEADER_STEPS_HEADERS), |s| profile(s.params.headers)),
            Column::clients(),
            Column::requests(),
            Column::optional(tr!(HEADER_STEPS_PER_REQUEST), header_bytes_per_request),
            Column::overhead(),
            Column::optional(tr!(HEADER_STEPS_SETUP), |s| s.bench.setup_bytes_per_message),
            Column::optional(tr!(HEADER_STEPS_MBPS), measured_mbps),
        ],
    )
}
