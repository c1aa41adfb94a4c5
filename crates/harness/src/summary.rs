//! The human summary tables printed on stdout after a run ([`render`]), a soak ([`render_soak`]) or a
//! floor measurement ([`render_floor`]).

use std::collections::BTreeMap;
use std::fmt::Write;

use feedlab_contract::floor::FloorResult;

use crate::result::{BenchResult, CpuPer, Latency};
use crate::soak::SoakResult;

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
    if r.targets.len() > 1 {
        let hop = if r.hop { ", each reconnect hops to the next" } else { "" };
        let _ = writeln!(w, "  clients round-robin over {}{hop}", r.targets.join(", "));
    }
    if r.procs > 1 || !r.source_addr_list.is_empty() {
        let sources = if r.source_addr_list.is_empty() {
            "chosen by the kernel".to_string()
        } else {
            r.source_addr_list.join(", ")
        };
        let _ = writeln!(w, "  clients in {} process(es), source addresses {sources}", r.procs);
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "  messages   published {:>10}   delivered {:>12}   expected {:>12}",
        r.published, r.integrity.delivered, r.integrity.expected
    );
    let _ = writeln!(
        w,
        "  integrity  lost {:>10}   duplicated {:>10}   reordered {:>10}",
        r.integrity.lost, r.integrity.duplicated, r.integrity.reordered
    );
    let _ = writeln!(
        w,
        "  traffic    requests {:>10}   empty answers {:>8}   connections {:>8}   reconnects {:>8}",
        r.requests, r.empty_responses, r.connections, r.reconnects
    );
    if r.chaos.rate_per_s > 0.0 {
        let _ = writeln!(
            w,
            "  chaos      {:.0}% of clients/s dropped: {} drops, {} reconnects after them",
            r.chaos.rate_per_s * 100.0,
            r.chaos.drops,
            r.chaos.reconnects
        );
    }
    let _ = writeln!(w);
    let per = |b: u64| {
        if r.integrity.delivered > 0 {
            format!("{:>12.1}", b as f64 / r.integrity.delivered as f64)
        } else {
            format!("{:>12}", "-")
        }
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
    errors_line(w, &r.errors);
    let p = &r.publish;
    let achieved = match (p.achieved_rate_per_s, p.connections) {
        (Some(rate), Some(conns)) => {
            format!(", published {rate:.1} msg/s of {} asked on {conns} connection(s)", r.rate_per_s)
        }
        _ => String::new(),
    };
    let _ = writeln!(
        w,
        "  publisher: {} requests, {} errors, {} B sent, {} B received, max lag {} us{achieved}",
        p.requests, p.errors, p.sent_bytes, p.received_bytes, p.max_lag_us
    );
    if let Some(warning) = r.rate_warning() {
        let _ = writeln!(w, "  {warning}");
    }
    let _ = writeln!(w);
    cpu_rows(w, r);
    out
}

/// The CPU table: the server's in the steady window and during connection setup, and the harness's own.
fn cpu_rows(w: &mut String, r: &BenchResult) {
    let _ = writeln!(w, "  CPU                     user us   kernel us    total us   per            over");
    let row = |w: &mut String, name: &str, c: &CpuPer, per: &str, over: String| {
        let us = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
        let _ = writeln!(
            w,
            "  {name:<22} {:>8} {:>11} {:>11}   {per:<14} {over}",
            us(c.user_us_per),
            us(c.system_us_per),
            us(c.total_us_per)
        );
    };
    match &r.server_cpu {
        Some(s) => {
            let d = &s.steady;
            let over = format!("{:.1} s steady window, {} delivered (pid {})", d.window_s, d.count, s.pid);
            row(w, "server, steady", d, "delivery", over);
            let c = &s.setup;
            row(w, "server, setup", c, "connect", format!("{:.1} s ramp-up, {} connects", c.window_s, c.count));
        }
        None => {
            let _ = writeln!(w, "  server: not measured (give --server-pid for a server on this machine)");
        }
    }
    if let Some(h) = &r.harness_cpu {
        let label =
            if r.procs > 1 { format!("harness ({} processes)", r.procs + 1) } else { "harness (this process)".into() };
        row(w, &label, h, "received msg", format!("{:.1} s steady window, {} received", h.window_s, h.count));
    }
}

/// Renders `feedlab floor`'s result: one row per number of frames per send, median (min-max).
pub fn render_floor(r: &FloorResult) -> String {
    let mut out = String::new();
    let w = &mut out;
    let placement = match (r.sender_cpu, r.reader_cpu) {
        (Some(s), Some(rd)) => format!("sender on CPU {s}, reader on CPU {rd} ({})", r.placement.name()),
        _ => format!("sender and reader not pinned ({} CPUs)", r.cpus),
    };
    let _ = writeln!(
        w,
        "feedlab floor: {} loopback TCP pairs, {} B frames ({} B header + {} B payload), {placement}",
        r.pairs,
        r.frame_bytes(),
        r.header_bytes,
        r.payload_bytes
    );
    let pace = if r.send_rate_per_s > 0.0 {
        format!("{} sends/s (each to a reader asleep in epoll_wait)", r.send_rate_per_s)
    } else {
        "flat out (the reader always busy: a lower bound)".to_string()
    };
    let _ = writeln!(w, "  sending {pace}");
    let _ = writeln!(
        w,
        "  each case: {:.1} s warm-up, then {} x {:.1} s measured windows; thread CPU, median (min-max)",
        r.warmup_s, r.repeats, r.window_s
    );
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "  frames/send  sender us/send         sender us/frame        reader us/frame        sends/s   refused"
    );
    for c in &r.cases {
        let refused: u64 = c.runs.iter().map(|run| run.would_block).sum();
        let _ = writeln!(
            w,
            "  {:>11}  {:<22} {:<22} {:<22} {:>8.0} {:>9}",
            c.frames_per_send,
            format!("{:.2}", c.send_us),
            format!("{:.2}", c.frame_us),
            format!("{:.2}", c.reader_us_per_frame),
            c.sends_per_s.median,
            refused
        );
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "  sender us/send is the floor a push server's CPU per delivered message is read against (one send() per"
    );
    let _ = writeln!(
        w,
        "  delivery; per frame when it coalesces). \"refused\": sends refused for a full buffer (should be 0)."
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

fn errors_line(w: &mut String, errors: &BTreeMap<String, u64>) {
    if errors.is_empty() {
        let _ = writeln!(w, "  errors: none");
    } else {
        let list: Vec<String> = errors.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(w, "  errors: {}", list.join(", "));
    }
}

/// Renders a soak: one line per transport, the server's memory, and the verdict.
pub fn render_soak(r: &SoakResult) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "feedlab soak: {} clients (all four transports), {:.1} s at {} msg/s{}{}",
        r.clients,
        r.duration_s,
        r.rate_per_s,
        if r.chaos_rate_per_s > 0.0 { format!(", chaos {:.0}%/s", r.chaos_rate_per_s * 100.0) } else { String::new() },
        if r.cancelled { "  [CANCELLED: partial]" } else { "" },
    );
    let _ = writeln!(w, "  target {}   published {}", r.target, r.published);
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "  transport  clients    delivered       lost  duplicated  reordered  reconnects  chaos drops  errors  p99 latency us"
    );
    for t in &r.transports {
        let _ = writeln!(
            w,
            "  {:<9} {:>8} {:>12} {:>10} {:>11} {:>10} {:>11} {:>12} {:>7} {:>16}",
            t.transport.name(),
            t.clients,
            t.integrity.delivered,
            t.integrity.lost,
            t.integrity.duplicated,
            t.integrity.reordered,
            t.reconnects,
            t.chaos.drops,
            t.errors_total(),
            t.latency_us.p99
        );
    }
    let _ = writeln!(w);
    match &r.rss {
        Some(m) => {
            let _ = writeln!(
                w,
                "  server memory (pid {}): before clients {} KiB, window start {} KiB, after {:.0} s warm-up {} KiB, end {} KiB, peak {} KiB, growth {:+.2}%",
                m.pid,
                m.before_clients_kib,
                m.window_start_kib,
                m.warmup_s,
                m.start_kib,
                m.end_kib,
                m.peak_kib,
                m.growth_pct
            );
        }
        None => {
            let _ = writeln!(w, "  server memory: not sampled (give --server-pid for a server on this machine)");
        }
    }
    errors_line(w, &r.errors);
    let v = &r.verdict;
    let check = |ok: bool| if ok { "ok" } else { "FAILED" };
    let _ = writeln!(
        w,
        "  verdict: {}   (memory growth < {}%: {}, no errors: {}, nothing lost/duplicated/reordered: {})",
        if v.passed { "PASSED" } else { "FAILED" },
        v.rss_growth_target_pct,
        v.rss_ok.map_or("not measured", check),
        check(v.errors_ok),
        check(v.integrity_ok),
    );
    out
}
