//! The human summary table printed on stdout after a run.

use std::fmt::Write;

use crate::result::{BenchResult, Latency};

/// Renders `r` as a plain-text table (no colours: it is often redirected to a file).
pub fn render(r: &BenchResult) -> String {
    let mut out = String::new();
    let w = &mut out;
    let interval = r.poll_interval_ms.map(|ms| format!(", every {ms} ms")).unwrap_or_default();
    let _ = writeln!(
        w,
        "feedlab bench: {} x {} clients{interval}, {:.1} s at {} msg/s, payload {} B, headers {}{}{}",
        r.transport,
        r.clients,
        r.duration_s,
        r.rate_per_s,
        r.payload_bytes,
        r.headers,
        if r.rtt_ms > 0.0 { format!(", rtt {} ms", r.rtt_ms) } else { String::new() },
        if r.cancelled { "  [CANCELLED: partial]" } else { "" },
    );
    if let Some(f) = &r.browser_fixture {
        let _ = writeln!(w, "  browser headers: {f}");
    }
    let _ = writeln!(w, "  target {}  (keep-alive {})", r.target, if r.keep_alive { "on" } else { "off" });
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "  messages   published {:>10}   delivered {:>12}   expected {:>12}",
        r.published, r.delivered, r.expected
    );
    let _ = writeln!(
        w,
        "  integrity  lost {:>10}   duplicated {:>10}   reordered {:>10}",
        r.lost, r.duplicated, r.reordered
    );
    let _ = writeln!(
        w,
        "  traffic    requests {:>10}   empty answers {:>8}   connections {:>8}",
        r.requests, r.empty_responses, r.connections
    );
    let _ = writeln!(w);
    let per = |b: u64| {
        if r.delivered > 0 { format!("{:>12.1}", b as f64 / r.delivered as f64) } else { format!("{:>12}", "-") }
    };
    let b = &r.bytes;
    let _ = writeln!(w, "  bytes                 total    per message");
    for (name, v) in [
        ("request headers", b.request_headers),
        ("response headers", b.response_headers),
        ("body (messages)", b.body),
        ("framing", b.framing),
        ("handshake", b.handshake),
        ("control", b.control),
        ("sent", b.sent),
        ("received", b.received),
    ] {
        let _ = writeln!(w, "  {name:<17} {v:>12} {}", per(v));
    }
    let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
    let _ = writeln!(
        w,
        "  overhead per message {} B   setup per message {} B",
        opt(r.overhead_bytes_per_message),
        opt(r.setup_bytes_per_message)
    );
    let _ = writeln!(w);
    let _ = writeln!(w, "  latency (us)       count       mean        p50        p90        p99      p99.9        max");
    latency_row(w, "delivery", &r.latency_us);
    if let Some(l) = &r.request_latency_us {
        latency_row(w, "request", l);
    }
    let _ = writeln!(w);
    if r.errors.is_empty() {
        let _ = writeln!(w, "  errors: none");
    } else {
        let list: Vec<String> = r.errors.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(w, "  errors: {}", list.join(", "));
    }
    let p = &r.publish;
    let _ = writeln!(
        w,
        "  publisher: {} requests, {} errors, {} B sent, {} B received, max lag {} us",
        p.requests, p.errors, p.sent_bytes, p.received_bytes, p.max_lag_us
    );
    out
}

fn latency_row(w: &mut String, name: &str, l: &Latency) {
    let _ = writeln!(
        w,
        "  {name:<12} {:>10} {:>10.0} {:>10} {:>10} {:>10} {:>10} {:>10}",
        l.count, l.mean, l.p50, l.p90, l.p99, l.p999, l.max
    );
}
