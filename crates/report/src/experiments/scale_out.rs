//! Experiment 10, `scale-out`: one feed on Redis Streams across several server processes (nodes) on one
//! port, up to 100,000 WebSocket clients. Per step: delivery and loss, p50 / p99, the nodes' CPU and memory
//! (each node read from /proc, memory also per connection) and Redis's CPU. Claims tested: one machine holds
//! 100,000 WebSocket clients that all receive every message (Kaazing's largest row, measured instead of
//! computed); the Redis hop costs a node at most 2 ms at the median; a node on the shared feed holds a
//! connection in as much memory as a lone in-memory node (no per-connection Redis state).

use super::connection_scale::{cpu_us_per_message, mib_per_1000};
use super::{Column, Section, Table, cell, ms, step_table};
use crate::chart::{Axis, BarChart, BarSeries, Chart, Color, RefLine};
use crate::data::{ExperimentData, FeedKind, Step, Transport};
use crate::kaazing;
use crate::style::format_number;
use crate::text::{Text, tr};
use crate::verdict::{Outcome, Verdict, ratio};

/// The client count of the classic table's largest row.
pub const C100K: u64 = 100_000;
/// How much the Redis hop may add to the median delivery latency of one node, ms (issue 12's target).
pub const REDIS_HOP_MS: f64 = 2.0;
/// How much more memory per connection a node on the shared feed may take than a lone in-memory node, as a
/// share: memory growth over a step moves by about this much between identical runs.
pub const MEMORY_TOLERANCE: f64 = 0.25;

/// Server memory growth over the step per client, KiB: the nodes' growth summed (each client is on one node).
fn kib_per_client(s: &Step) -> Option<f64> {
    mib_per_1000(s).map(|m| m * 1024.0 / 1000.0)
}

/// Messages each client should have received: what the harness published to it.
fn complete(s: &Step) -> bool {
    let i = &s.bench.integrity;
    i.expected > 0 && i.delivered == i.expected && i.lost == 0 && s.bench.errors_total() == 0 && !s.bench.cancelled
}

/// `layout` of a step: `6 nodes, redis`.
fn layout(s: &Step) -> Text {
    let feed = match s.params.feed() {
        FeedKind::Memory => tr!(SCALEOUT_FEED_MEMORY),
        FeedKind::Redis => tr!(SCALEOUT_FEED_REDIS),
    };
    match s.params.nodes() {
        1 => tr!(SCALEOUT_LAYOUT_ONE, feed = feed),
        n => tr!(SCALEOUT_LAYOUT, nodes = n.to_string(), feed = feed),
    }
}

/// The busiest node's CPU over the step, as a share of one core (%).
fn busiest_node_pct(s: &Step) -> Option<f64> {
    let cpu = if s.nodes.is_empty() { s.server?.cpu_s } else { s.nodes.iter().map(|n| n.cpu_s).fold(0.0, f64::max) };
    ratio(cpu * 100.0, s.bench.duration_s + s.bench.drain_s)
}

/// The largest node's peak resident memory, MiB.
fn largest_node_mib(s: &Step) -> Option<f64> {
    if s.nodes.is_empty() {
        return s.server.map(|u| u.rss_mib_peak);
    }
    s.nodes.iter().map(|n| n.rss_mib_peak).reduce(f64::max)
}

pub(super) fn shape(data: &ExperimentData) -> Section {
    let mut section = Section::empty(data);
    section.intro = tr!(SCALEOUT_INTRO);
    section.charts = vec![latency_chart(data), memory_chart(data)];
    section.tables = vec![table(data), kaazing_row(data)];
    section.verdicts = vec![c100k(data), redis_hop(data), memory(data)];
    section
}

fn table(data: &ExperimentData) -> Table {
    step_table(
        tr!(SCALEOUT_TABLE),
        &data.steps,
        vec![
            Column::text(tr!(SCALEOUT_COLUMN_LAYOUT), layout),
            Column::clients(),
            Column::rate(),
            Column::delivered(),
            Column::lost(),
            Column::p50_ms(),
            Column::p99_ms(),
            Column::optional(tr!(SCALEOUT_COLUMN_CPU), cpu_us_per_message),
            Column::optional(tr!(SCALEOUT_COLUMN_BUSIEST), busiest_node_pct),
            Column::optional(tr!(SCALEOUT_COLUMN_RSS), largest_node_mib),
            Column::optional(tr!(SCALEOUT_COLUMN_PER_CLIENT), kib_per_client),
            Column::optional(tr!(SCALEOUT_COLUMN_REDIS), |s| s.redis.map(|r| r.cpu_s)),
            Column::optional(tr!(SCALEOUT_COLUMN_REDIS_CONNECTIONS), |s| s.redis_connections.map(|n| n as f64)),
        ],
    )
}

/// One group per step: its p50 and p99.
fn latency_chart(data: &ExperimentData) -> Chart {
    let p = |f: fn(&Step) -> u64| data.steps.iter().map(move |s| Some(ms(f(s) as f64))).collect::<Vec<_>>();
    let (p50, p99) = (p(|s| s.bench.latency_us.p50), p(|s| s.bench.latency_us.p99));
    let values: Vec<f64> = p50.iter().chain(&p99).flatten().copied().collect();
    Chart::Bars(BarChart {
        name: "latency".into(),
        title: tr!(SCALEOUT_LATENCY_TITLE),
        x_label: tr!(SCALEOUT_X),
        groups: data.steps.iter().map(group).collect(),
        y: Axis::auto(tr!(SCALEOUT_LATENCY_Y), values),
        series: vec![
            BarSeries { label: "p50".into(), color: Color::Transport(Transport::Ws), values: p50 },
            BarSeries { label: "p99".into(), color: Color::Ink, values: p99 },
        ],
        refs: Vec::new(),
    })
}

/// One group per step: server memory per client, against the lone in-memory node's.
fn memory_chart(data: &ExperimentData) -> Chart {
    let values: Vec<Option<f64>> = data.steps.iter().map(kib_per_client).collect();
    let refs = lone_node(data)
        .and_then(kib_per_client)
        .map(|y| vec![RefLine { y, label: tr!(SCALEOUT_MEMORY_REF) }])
        .unwrap_or_default();
    Chart::Bars(BarChart {
        name: "memory".into(),
        title: tr!(SCALEOUT_MEMORY_TITLE),
        x_label: tr!(SCALEOUT_X),
        groups: data.steps.iter().map(group).collect(),
        y: Axis::linear(tr!(SCALEOUT_MEMORY_Y)),
        series: vec![BarSeries { label: tr!(SCALEOUT_MEMORY_SERIES), color: Color::Transport(Transport::Ws), values }],
        refs,
    })
}

/// A chart group: `100,000 clients, 6 nodes, redis`.
fn group(s: &Step) -> Text {
    tr!(SCALEOUT_GROUP, clients = cell(s.params.clients as f64), layout = layout(s))
}

/// The baseline: one node on the in-memory feed (the most clients, if several).
fn lone_node(data: &ExperimentData) -> Option<&Step> {
    data.steps
        .iter()
        .filter(|s| s.params.nodes() == 1 && s.params.feed() == FeedKind::Memory)
        .max_by_key(|s| s.params.clients)
}

/// The same clients on one node over Redis.
fn redis_node(data: &ExperimentData, clients: u64) -> Option<&Step> {
    data.steps
        .iter()
        .find(|s| s.params.nodes() == 1 && s.params.feed() == FeedKind::Redis && s.params.clients == clients)
}

/// The step with the most clients.
fn largest(data: &ExperimentData) -> Option<&Step> {
    data.steps.iter().max_by_key(|s| s.params.clients)
}

/// Kaazing's 100,000-client row, measured: WebSocket overhead bytes per message at the largest step's
/// clients, and the bandwidth at 1 msg/s computed from them (the step itself ran at a lower rate), labelled so.
fn kaazing_row(data: &ExperimentData) -> Table {
    let header = vec![
        tr!(HEADER_KAAZING_SOURCE),
        tr!(SCALEOUT_KAAZING_CLIENTS),
        tr!(HEADER_KAAZING_BYTES),
        tr!(SCALEOUT_KAAZING_BANDWIDTH, rate = format_number(kaazing::RATE_PER_S)),
    ];
    let mut rows = vec![vec![
        tr!(HEADER_KAAZING_WS),
        cell(C100K as f64).into(),
        cell(kaazing::WS_FRAME_BYTES).into(),
        tr!(HEADER_KAAZING_QUOTED, value = kaazing::WS_MBPS[2].to_string()),
    ]];
    if let Some(s) = largest(data)
        && let Some(bytes) = s.bench.overhead_bytes_per_message
    {
        rows.push(vec![
            tr!(SCALEOUT_KAAZING_OURS, layout = layout(s), rate = format_number(s.params.rate_per_s)),
            cell(s.params.clients as f64).into(),
            tr!(HEADER_KAAZING_MEASURED, value = cell(bytes)),
            tr!(
                HEADER_KAAZING_COMPUTED,
                value = format_number(kaazing::mbps(bytes, kaazing::RATE_PER_S, s.params.clients))
            ),
        ]);
    }
    Table { caption: tr!(SCALEOUT_KAAZING_CAPTION, source = tr!(SOURCE_KAAZING)), header, rows }
}

/// "One machine holds 100,000 WebSocket clients, all receiving every message."
fn c100k(data: &ExperimentData) -> Verdict {
    let claim = tr!(SCALEOUT_C100K_CLAIM, clients = cell(C100K as f64));
    let (outcome, evidence) = match largest(data) {
        Some(s) if s.params.clients >= C100K => {
            let i = &s.bench.integrity;
            let evidence = tr!(
                SCALEOUT_C100K_EVIDENCE,
                clients = cell(s.params.clients as f64),
                layout = layout(s),
                rate = format_number(s.params.rate_per_s),
                delivered = cell(i.delivered as f64),
                expected = cell(i.expected as f64),
                lost = cell(i.lost as f64),
                errors = cell(s.bench.errors_total() as f64),
                p99 = cell(ms(s.bench.latency_us.p99 as f64))
            );
            (Outcome::from_bool(complete(s)), evidence)
        }
        Some(s) => (Outcome::Inconclusive, tr!(SCALEOUT_C100K_SHORT, clients = cell(s.params.clients as f64))),
        None => (Outcome::Inconclusive, tr!(SCALEOUT_NONE)),
    };
    Verdict { claim, source: tr!(SOURCE_KAAZING), outcome, evidence }
}

/// "The Redis hop costs a node at most 2 ms at the median": every one-node pair (the same clients, in-memory
/// feed and Redis) must be within it.
fn redis_hop(data: &ExperimentData) -> Verdict {
    let claim = tr!(SCALEOUT_HOP_CLAIM, ms = format_number(REDIS_HOP_MS));
    let pairs: Vec<(&Step, &Step)> = data
        .steps
        .iter()
        .filter(|m| m.params.nodes() == 1 && m.params.feed() == FeedKind::Memory && m.bench.integrity.delivered > 0)
        .filter_map(|m| Some((m, redis_node(data, m.params.clients).filter(|r| r.bench.integrity.delivered > 0)?)))
        .collect();
    if pairs.is_empty() {
        return Verdict {
            claim,
            source: tr!(SOURCE_SCALEOUT),
            outcome: Outcome::Inconclusive,
            evidence: tr!(SCALEOUT_HOP_NONE),
        };
    }
    let p50 = |s: &Step| ms(s.bench.latency_us.p50 as f64);
    let items: Vec<Text> = pairs
        .iter()
        .map(|(m, r)| {
            tr!(
                SCALEOUT_HOP_ITEM,
                clients = cell(m.params.clients as f64),
                memory = cell(p50(m)),
                redis = cell(p50(r)),
                added = cell(p50(r) - p50(m))
            )
        })
        .collect();
    let outcome = Outcome::from_bool(pairs.iter().all(|(m, r)| p50(r) - p50(m) <= REDIS_HOP_MS));
    let evidence =
        tr!(SCALEOUT_HOP_EVIDENCE, items = Text::join(items, &tr!(LIST_SEMICOLON)), ms = format_number(REDIS_HOP_MS));
    Verdict { claim, source: tr!(SOURCE_SCALEOUT), outcome, evidence }
}

/// "A node on the shared feed holds a connection in as much memory as a lone in-memory node."
fn memory(data: &ExperimentData) -> Verdict {
    let claim = tr!(SCALEOUT_MEMORY_CLAIM);
    let base = lone_node(data).and_then(|s| Some((s, kib_per_client(s)?)));
    let shared: Vec<(&Step, f64)> = data
        .steps
        .iter()
        .filter(|s| s.params.feed() == FeedKind::Redis)
        .filter_map(|s| Some((s, kib_per_client(s)?)))
        .collect();
    let (outcome, evidence) = match base {
        Some((b, base_kib)) if base_kib > 0.0 && !shared.is_empty() => {
            let worst = shared.iter().map(|(_, k)| *k).fold(f64::MIN, f64::max);
            let items: Vec<Text> =
                shared.iter().map(|(s, k)| tr!(SCALEOUT_MEMORY_ITEM, group = group(s), kib = cell(*k))).collect();
            let evidence = tr!(
                SCALEOUT_MEMORY_EVIDENCE,
                base = cell(base_kib),
                clients = cell(b.params.clients as f64),
                items = Text::join(items, &tr!(LIST_SEMICOLON)),
                tolerance = format_number(MEMORY_TOLERANCE * 100.0)
            );
            (Outcome::from_bool(worst <= base_kib * (1.0 + MEMORY_TOLERANCE)), evidence)
        }
        _ => (Outcome::Inconclusive, tr!(SCALEOUT_MEMORY_NONE)),
    };
    Verdict { claim, source: tr!(SOURCE_SCALEOUT), outcome, evidence }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ServerUsage;
    use crate::experiments::fixture::{data, step};
    use crate::text::Lang::{En, Zh};

    /// A WebSocket step of `clients` on `nodes` nodes of `feed`, with `p50_ms` and `kib` per client.
    fn at(clients: u64, nodes: u64, feed: FeedKind, p50_ms: u64, kib: f64, lost: u64) -> Step {
        step(Transport::Ws, clients, |s| {
            s.params.nodes = (nodes != 1).then_some(nodes);
            s.params.feed = (feed != FeedKind::Memory).then_some(feed);
            s.bench.latency_us.p50 = p50_ms * 1000;
            s.bench.integrity.lost = lost;
            s.bench.integrity.expected = s.bench.integrity.delivered + lost;
            let grow = kib * clients as f64 / 1024.0;
            let node = ServerUsage {
                cpu_s: 1.0,
                rss_mib_start: 10.0,
                rss_mib_peak: 10.0 + grow / nodes as f64,
                rss_mib_end: 10.0,
            };
            s.nodes = if nodes > 1 { vec![node; nodes as usize] } else { Vec::new() };
            s.server = Some(ServerUsage { rss_mib_peak: 10.0 + grow, ..node });
            s.redis = (feed == FeedKind::Redis).then_some(ServerUsage::default());
        })
    }

    fn verdicts(steps: Vec<Step>) -> Vec<Outcome> {
        shape(&data("scale-out", steps)).verdicts.iter().map(|v| v.outcome).collect()
    }

    #[test]
    fn all_three_claims_both_ways() {
        let good = vec![
            at(10_000, 1, FeedKind::Memory, 3, 10.0, 0),
            at(10_000, 1, FeedKind::Redis, 4, 11.0, 0),
            at(100_000, 6, FeedKind::Redis, 20, 11.5, 0),
        ];
        assert_eq!(verdicts(good), [Outcome::Supported; 3]);
        let bad = vec![
            at(10_000, 1, FeedKind::Memory, 3, 10.0, 0),
            at(10_000, 1, FeedKind::Redis, 6, 14.0, 0),
            at(100_000, 6, FeedKind::Redis, 20, 11.0, 7),
        ];
        assert_eq!(verdicts(bad), [Outcome::NotSupported; 3]);
        // Nothing at 100,000 clients, no memory baseline: the data cannot decide.
        let short = vec![at(50_000, 4, FeedKind::Redis, 20, 11.0, 0)];
        assert_eq!(verdicts(short), [Outcome::Inconclusive; 3]);
    }

    #[test]
    fn the_table_names_layouts_and_the_kaazing_row_is_labelled() {
        let s = shape(&data("scale-out", vec![at(100_000, 6, FeedKind::Redis, 20, 11.0, 0)]));
        assert_eq!(&s.tables[0].rows[0][2][En], "6 nodes, Redis");
        assert!(s.tables[0].rows[0][2][Zh].contains("6 个节点"));
        let kaazing = &s.tables[1];
        assert_eq!(kaazing.rows.len(), 2);
        assert!(kaazing.rows[1][2][En].ends_with("measured"), "{:?}", kaazing.rows[1]);
        assert!(kaazing.rows[1][3][En].ends_with("computed"), "{:?}", kaazing.rows[1]);
    }
}
