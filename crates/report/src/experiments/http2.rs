//! Experiment `http2` (issue 11): what HTTP/2's header compression (HPACK) does to polling's header cost.
//! Poll, long-poll and SSE clients receive 1 msg/s over HTTP/1.1 and over prior-knowledge HTTP/2 (h2c), with
//! minimal and browser headers. HPACK keeps a table of the fields already sent on a connection, so the
//! first request pays for its headers and later ones refer to them: the section sets the first exchange
//! apart from the steady state, compares the overhead per message with WebSocket's 2 B and puts h2 rows in
//! the Kaazing table. WebSocket is not measured here: it upgrades from HTTP/1.1 (actix-web has no RFC 8441).

use feedlab_contract::HttpVersion;

use super::header_overhead::{measured_mbps, quoted_row};
use super::{Column, Section, Table, cell, ms, step_table, transports};
use crate::chart::{Axis, BarChart, BarSeries, Chart, Color, RefLine};
use crate::data::{HeaderProfile, Step, Transport};
use crate::kaazing;
use crate::style::format_number;
use crate::text::{Text, profile, tr, transport};
use crate::verdict::{Outcome, Verdict, ratio};

/// How many times HTTP/2 must cut a poll's steady-state header bytes for "HPACK shrinks the argument".
pub const SHRINK_FACTOR: f64 = 2.0;
/// How many times WebSocket's 2 B polling over h2 may cost per message and still be "near" it.
pub const NEAR_WS_FACTOR: f64 = 10.0;

/// One combination of the sweep (transport, profile, HTTP version).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Combo {
    transport: Transport,
    profile: HeaderProfile,
    http: HttpVersion,
}

/// Head bytes of the first exchange and of the later ones, per request, for one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Heads {
    /// First request's head, per client.
    pub first_request: f64,
    /// First response's head, per client.
    pub first_response: f64,
    /// Later requests' heads, on average (None: no later request).
    pub later_request: Option<f64>,
    /// Later responses' heads, on average (None: no later answer).
    pub later_response: Option<f64>,
}

impl Heads {
    /// From a step's result: the first exchange as recorded, the rest averaged over the later requests
    /// (all requests sent) and answers (those answered).
    pub(crate) fn of(s: &Step) -> Option<Heads> {
        let b = &s.bench;
        let f = b.first_exchange;
        let n = f.requests as f64;
        let later_sent = b.requests.saturating_sub(f.requests) as f64;
        let later_answered = b.requests.saturating_sub(b.unanswered_requests + f.requests) as f64;
        Some(Heads {
            first_request: ratio(f.request_headers as f64, n)?,
            first_response: ratio(f.response_headers as f64, n)?,
            later_request: ratio(b.bytes.request_headers.saturating_sub(f.request_headers) as f64, later_sent),
            later_response: ratio(b.bytes.response_headers.saturating_sub(f.response_headers) as f64, later_answered),
        })
    }

    fn first(&self) -> f64 {
        self.first_request + self.first_response
    }

    fn later(&self) -> Option<f64> {
        Some(self.later_request? + self.later_response?)
    }
}

fn http_of(s: &Step) -> HttpVersion {
    s.bench.http_version
}

/// The combinations in the data, in display order: transport, then profile, then HTTP version.
fn combos(data: &crate::data::ExperimentData) -> Vec<Combo> {
    let mut out = Vec::new();
    for transport in transports(data) {
        for profile in HeaderProfile::ALL {
            for http in HttpVersion::ALL {
                let c = Combo { transport, profile, http };
                if steps_of(data, c).next().is_some() {
                    out.push(c);
                }
            }
        }
    }
    out
}

fn steps_of(data: &crate::data::ExperimentData, c: Combo) -> impl Iterator<Item = &Step> {
    data.steps
        .iter()
        .filter(move |s| s.params.transport == c.transport && s.params.headers == c.profile && http_of(s) == c.http)
}

/// The step the Kaazing table's bytes per message come from: the one with the most clients (Kaazing's
/// scale), as in header-overhead.
fn largest(data: &crate::data::ExperimentData, c: Combo) -> Option<&Step> {
    steps_of(data, c).max_by_key(|s| s.params.clients)
}

/// The step the charts and verdicts read: the one with the fewest clients (the experiment's 1,000; more
/// clients only feed the Kaazing table's measured columns, and on a small machine they add queueing that
/// has nothing to do with HTTP's version).
fn main_step(data: &crate::data::ExperimentData, c: Combo) -> Option<&Step> {
    steps_of(data, c).min_by_key(|s| s.params.clients)
}

fn group_name(p: HeaderProfile, http: HttpVersion) -> Text {
    tr!(HTTP2_GROUP, profile = profile(p), http = http.label())
}

pub(super) fn shape(data: &crate::data::ExperimentData) -> Section {
    let combos = combos(data);
    let mut section = Section::empty(data);
    let clients = data.steps.iter().map(|s| s.params.clients);
    let (small, large) = (clients.clone().min().unwrap_or(0), clients.max().unwrap_or(0));
    section.intro =
        tr!(HTTP2_INTRO, small = cell(small as f64), large = cell(large as f64), source = tr!(SOURCE_KAAZING));
    section.charts = vec![heads_chart(data), overhead_chart(data, &combos), latency_chart(data, &combos)];
    section.tables = vec![kaazing_table(data, &combos), heads_table(data), steps_table(data)];
    section.verdicts = verdicts(data);
    section.notes.push(tr!(HTTP2_NOTE_WS));
    section
}

/// The four groups every chart shows: each profile over each version.
fn groups() -> Vec<(HeaderProfile, HttpVersion)> {
    HeaderProfile::ALL.into_iter().flat_map(|p| HttpVersion::ALL.map(|h| (p, h))).collect()
}

/// Poll's head bytes per exchange: the first one and the later ones' average (request + response).
fn heads_chart(data: &crate::data::ExperimentData) -> Chart {
    let groups = groups();
    let heads = |p, http| main_step(data, Combo { transport: Transport::Poll, profile: p, http }).and_then(Heads::of);
    let first: Vec<Option<f64>> = groups.iter().map(|(p, h)| heads(*p, *h).map(|x| x.first())).collect();
    let later: Vec<Option<f64>> = groups.iter().map(|(p, h)| heads(*p, *h).and_then(|x| x.later())).collect();
    let values = first.iter().chain(&later).flatten().copied().chain([kaazing::POLL_HEADER_BYTES]);
    Chart::Bars(BarChart {
        name: "poll-header-bytes".into(),
        title: tr!(HTTP2_HEADS_TITLE),
        x_label: tr!(HTTP2_GROUPS_X),
        groups: groups.iter().map(|(p, h)| group_name(*p, *h)).collect(),
        y: Axis::auto(tr!(HTTP2_HEADS_Y), values),
        series: vec![
            BarSeries { label: tr!(HTTP2_HEADS_FIRST), color: Color::Ink, values: first },
            BarSeries { label: tr!(HTTP2_HEADS_LATER), color: Color::Transport(Transport::Poll), values: later },
        ],
        refs: vec![RefLine { y: kaazing::POLL_HEADER_BYTES, label: tr!(HEADER_BYTES_KAAZING_POLL) }],
    })
}

/// A figure of each transport in each group (profile x version), from the combination's main step.
fn per_group(
    data: &crate::data::ExperimentData,
    combos: &[Combo],
    value: impl Fn(&Step) -> Option<f64>,
) -> Vec<BarSeries> {
    let mut ts: Vec<Transport> = combos.iter().map(|c| c.transport).collect();
    ts.dedup();
    ts.into_iter()
        .map(|t| BarSeries {
            label: transport(t),
            color: Color::Transport(t),
            values: groups()
                .into_iter()
                .map(|(profile, http)| main_step(data, Combo { transport: t, profile, http }).and_then(&value))
                .collect(),
        })
        .collect()
}

fn overhead_chart(data: &crate::data::ExperimentData, combos: &[Combo]) -> Chart {
    let series = per_group(data, combos, |s| s.bench.overhead_bytes_per_message);
    let values = series.iter().flat_map(|s| s.values.iter().flatten().copied()).chain([kaazing::WS_FRAME_BYTES]);
    Chart::Bars(BarChart {
        name: "overhead-per-message".into(),
        title: tr!(HTTP2_OVERHEAD_TITLE),
        x_label: tr!(HTTP2_GROUPS_X),
        groups: groups().into_iter().map(|(p, h)| group_name(p, h)).collect(),
        y: Axis::auto(tr!(HEADER_BYTES_Y), values),
        series,
        refs: vec![
            RefLine { y: kaazing::POLL_HEADER_BYTES, label: tr!(HEADER_BYTES_KAAZING_POLL) },
            RefLine { y: kaazing::WS_FRAME_BYTES, label: tr!(HEADER_BYTES_KAAZING_WS) },
        ],
    })
}

fn latency_chart(data: &crate::data::ExperimentData, combos: &[Combo]) -> Chart {
    let series = per_group(data, combos, |s| Some(ms(s.bench.latency_us.p50 as f64)));
    let values = series.iter().flat_map(|s| s.values.iter().flatten().copied()).collect::<Vec<_>>();
    Chart::Bars(BarChart {
        name: "latency".into(),
        title: tr!(HTTP2_LATENCY_TITLE),
        x_label: tr!(HTTP2_GROUPS_X),
        groups: groups().into_iter().map(|(p, h)| group_name(p, h)).collect(),
        y: Axis::auto(tr!(HTTP2_LATENCY_Y), values),
        series,
        refs: Vec::new(),
    })
}

/// Kaazing's table with a row per measured combination, HTTP version named: 1,000 and 10,000 clients
/// measured where a step ran them, 100,000 computed and labelled so.
fn kaazing_table(data: &crate::data::ExperimentData, combos: &[Combo]) -> Table {
    let mut header = vec![tr!(HEADER_KAAZING_SOURCE), tr!(HEADER_KAAZING_BYTES)];
    header.extend(kaazing::CLIENTS.iter().map(|c| tr!(HEADER_KAAZING_CLIENTS, clients = cell(*c as f64))));
    let mut rows = vec![
        quoted_row(tr!(HEADER_KAAZING_POLL), kaazing::POLL_HEADER_BYTES, &kaazing::POLL_MBPS),
        quoted_row(tr!(HEADER_KAAZING_WS), kaazing::WS_FRAME_BYTES, &kaazing::WS_MBPS),
    ];
    for &c in combos {
        let Some(big) = largest(data, c) else { continue };
        let Some(per_message) = big.bench.overhead_bytes_per_message else { continue };
        let name = tr!(
            HTTP2_KAAZING_OURS,
            transport = transport(c.transport),
            profile = profile(c.profile),
            http = c.http.label()
        );
        let mut row = vec![name, cell(per_message).into()];
        for clients in kaazing::CLIENTS {
            let measured = steps_of(data, c).find(|s| s.params.clients == clients).and_then(measured_mbps);
            row.push(match measured {
                Some(v) => tr!(HEADER_KAAZING_MEASURED, value = format_number(v)),
                None => tr!(
                    HEADER_KAAZING_COMPUTED,
                    value = format_number(kaazing::mbps(per_message, big.params.rate_per_s, clients))
                ),
            });
        }
        rows.push(row);
    }
    Table { caption: tr!(HEADER_KAAZING_CAPTION, source = tr!(SOURCE_KAAZING)), header, rows }
}

/// Head bytes per request, request and response apart, first exchange and later ones.
fn heads_table(data: &crate::data::ExperimentData) -> Table {
    let heads = |f: fn(&Heads) -> Option<f64>| move |s: &Step| Heads::of(s).and_then(|h| f(&h));
    step_table(
        tr!(HTTP2_HEADS_CAPTION),
        &data.steps,
        vec![
            Column::text(tr!(HEADER_STEPS_HEADERS), |s| profile(s.params.headers)),
            Column::text(tr!(HTTP2_COLUMN_HTTP), |s| http_of(s).label().into()),
            Column::clients(),
            Column::requests(),
            Column::optional(tr!(HTTP2_COLUMN_FIRST_REQUEST), heads(|h| Some(h.first_request))),
            Column::optional(tr!(HTTP2_COLUMN_FIRST_RESPONSE), heads(|h| Some(h.first_response))),
            Column::optional(tr!(HTTP2_COLUMN_LATER_REQUEST), heads(|h| h.later_request)),
            Column::optional(tr!(HTTP2_COLUMN_LATER_RESPONSE), heads(|h| h.later_response)),
        ],
    )
}

fn steps_table(data: &crate::data::ExperimentData) -> Table {
    step_table(
        tr!(HTTP2_STEPS_CAPTION),
        &data.steps,
        vec![
            Column::text(tr!(HEADER_STEPS_HEADERS), |s| profile(s.params.headers)),
            Column::text(tr!(HTTP2_COLUMN_HTTP), |s| http_of(s).label().into()),
            Column::clients(),
            Column::overhead(),
            Column::optional(tr!(HEADER_STEPS_SETUP), |s| s.bench.setup_bytes_per_message),
            Column::optional(tr!(HTTP2_COLUMN_CONTROL), |s| {
                ratio(s.bench.bytes.control as f64, s.bench.integrity.delivered as f64)
            }),
            Column::p50_ms(),
            Column::p99_ms(),
        ],
    )
}

/// Poll's figures over each version with one profile: (HTTP/1.1, HTTP/2) steps.
fn poll_pair(data: &crate::data::ExperimentData, p: HeaderProfile) -> (Option<&Step>, Option<&Step>) {
    let at = |http| main_step(data, Combo { transport: Transport::Poll, profile: p, http });
    (at(HttpVersion::Http11), at(HttpVersion::Http2))
}

/// The profile the verdicts are judged on: browser headers when measured (the 871 B were a browser's).
fn judged_profile(data: &crate::data::ExperimentData) -> HeaderProfile {
    match poll_pair(data, HeaderProfile::Browser) {
        (Some(_), Some(_)) => HeaderProfile::Browser,
        _ => HeaderProfile::Minimal,
    }
}

pub(crate) fn verdicts(data: &crate::data::ExperimentData) -> Vec<Verdict> {
    let p = judged_profile(data);
    let (h1, h2) = poll_pair(data, p);
    let mut out = Vec::new();

    // 1. HPACK shrinks the 871-byte argument: steady-state poll heads over h2 vs over HTTP/1.1.
    let h1_heads = h1.and_then(Heads::of);
    let h2_heads = h2.and_then(Heads::of);
    let h1_later = h1_heads.and_then(|h| h.later());
    let h2_later = h2_heads.and_then(|h| h.later());
    let shrink = h1_later.zip(h2_later).and_then(|(a, b)| ratio(a, b));
    let outcome = match shrink {
        Some(f) => Outcome::from_bool(f >= SHRINK_FACTOR),
        None => Outcome::Inconclusive,
    };
    let evidence = match (h1_heads, h2_heads, h1_later, h2_later, shrink) {
        (Some(a), Some(b), Some(al), Some(bl), Some(f)) => tr!(
            HTTP2_HPACK_EVIDENCE,
            profile = profile(p),
            h1 = format_number(al),
            h1_first = format_number(a.first()),
            h2_first = format_number(b.first()),
            h2 = format_number(bl),
            h2_request = b.later_request.map_or("-".into(), format_number),
            h2_response = b.later_response.map_or("-".into(), format_number),
            ratio = format_number(f),
            share = format!("{}%", format_number(bl / kaazing::POLL_HEADER_BYTES * 100.0)),
            factor = SHRINK_FACTOR.to_string()
        ),
        _ => tr!(HTTP2_MISSING, profile = profile(p)),
    };
    out.push(Verdict {
        claim: tr!(HTTP2_HPACK_CLAIM, factor = SHRINK_FACTOR.to_string()),
        source: tr!(SOURCE_KAAZING),
        outcome,
        evidence,
    });

    // 2. Polling over h2 near WebSocket's 2 B per message.
    let per_message = h2.and_then(|s| s.bench.overhead_bytes_per_message);
    let limit = kaazing::WS_FRAME_BYTES * NEAR_WS_FACTOR;
    let outcome = per_message.map_or(Outcome::Inconclusive, |b| Outcome::from_bool(b <= limit));
    let push: Vec<Text> = [Transport::Longpoll, Transport::Sse]
        .into_iter()
        .filter_map(|t| {
            let s = main_step(data, Combo { transport: t, profile: p, http: HttpVersion::Http2 })?;
            Some(tr!(
                HTTP2_NEAR_WS_OTHER,
                transport = transport(t),
                bytes = format_number(s.bench.overhead_bytes_per_message?)
            ))
        })
        .collect();
    let evidence = match per_message {
        Some(b) => tr!(
            HTTP2_NEAR_WS_EVIDENCE,
            profile = profile(p),
            bytes = format_number(b),
            h1 = h1.and_then(|s| s.bench.overhead_bytes_per_message).map_or("-".into(), format_number),
            times = ratio(b, kaazing::WS_FRAME_BYTES).map_or("-".into(), format_number),
            others = Text::join(push, &tr!(LIST_COMMA)),
            limit = format_number(limit)
        ),
        None => tr!(HTTP2_MISSING, profile = profile(p)),
    };
    out.push(Verdict {
        claim: tr!(HTTP2_NEAR_WS_CLAIM, factor = NEAR_WS_FACTOR.to_string()),
        source: tr!(SOURCE_KAAZING),
        outcome,
        evidence,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::fixture::{data, step};

    /// A poll step over `http` whose heads cost `first` B (request + response, per client) on the first
    /// exchange and `later` B on each later one, and `per_message` B of overhead per message.
    fn poll(p: HeaderProfile, http: HttpVersion, first: u64, later: u64, per_message: f64) -> Step {
        step(Transport::Poll, 100, |s| {
            s.params.headers = p;
            let b = &mut s.bench;
            b.http_version = http;
            b.requests = 1000;
            b.unanswered_requests = 0;
            b.first_exchange.requests = 100;
            b.first_exchange.request_headers = 100 * first / 2;
            b.first_exchange.response_headers = 100 * first / 2;
            b.bytes.request_headers = 100 * first / 2 + 900 * later / 2;
            b.bytes.response_headers = 100 * first / 2 + 900 * later / 2;
            b.overhead_bytes_per_message = Some(per_message);
        })
    }

    #[test]
    fn hpack_verdict_compares_steady_state_heads() {
        let steps = vec![
            poll(HeaderProfile::Browser, HttpVersion::Http11, 700, 700, 800.0),
            poll(HeaderProfile::Browser, HttpVersion::Http2, 300, 40, 90.0),
        ];
        let v = verdicts(&data("http2", steps));
        assert_eq!(v[0].outcome, Outcome::Supported, "{:?}", v[0].evidence);
        assert!(v[0].evidence[crate::text::Lang::En].contains("17.5x"), "{:?}", v[0].evidence);
        assert_eq!(v[1].outcome, Outcome::NotSupported, "90 B is not near 2 B");

        let close = vec![
            poll(HeaderProfile::Minimal, HttpVersion::Http11, 100, 100, 150.0),
            poll(HeaderProfile::Minimal, HttpVersion::Http2, 90, 80, 15.0),
        ];
        let v = verdicts(&data("http2", close));
        assert_eq!((v[0].outcome, v[1].outcome), (Outcome::NotSupported, Outcome::Supported));
        // Without an HTTP/2 step nothing is decided.
        let v = verdicts(&data("http2", vec![poll(HeaderProfile::Minimal, HttpVersion::Http11, 1, 1, 1.0)]));
        assert_eq!((v[0].outcome, v[1].outcome), (Outcome::Inconclusive, Outcome::Inconclusive));
    }

    #[test]
    fn heads_split_the_first_exchange_from_the_rest() {
        let s = poll(HeaderProfile::Minimal, HttpVersion::Http2, 200, 20, 1.0);
        let h = Heads::of(&s).unwrap();
        assert_eq!(
            (h.first_request, h.first_response, h.later_request, h.later_response),
            (100.0, 100.0, Some(10.0), Some(10.0))
        );
        let table = kaazing_table(
            &data("http2", vec![s.clone()]),
            &[Combo { transport: Transport::Poll, profile: HeaderProfile::Minimal, http: HttpVersion::Http2 }],
        );
        assert_eq!(table.rows.len(), 3);
        assert!(table.rows[2][0][crate::text::Lang::En].contains("HTTP/2"), "{:?}", table.rows[2]);
    }
}
