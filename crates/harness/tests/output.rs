//! The result contract: real output validates against the committed schema; Ctrl-C returns partial results.

mod common;

use std::time::Duration;

use common::{bench, config, server};
use feedlab_harness::{BenchResult, CancellationToken, Transport, run_bench};

fn validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../contract/schema/bench.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(r: &BenchResult) {
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    let v = validator();
    let errors: Vec<String> = v.iter_errors(&json).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "output does not match bench.schema.json: {errors:#?}");
    // And the JSON reads back into the same struct (what the suite and report do).
    let back: BenchResult = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), json);
    assert_eq!((back.transport, back.integrity.delivered, back.bytes), (r.transport, r.integrity.delivered, r.bytes));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_validates_against_the_committed_schema() {
    let server = server();
    for transport in [Transport::Poll, Transport::Ws] {
        let mut c = config(&server, transport);
        c.duration = Duration::from_secs(2);
        let r = bench(c).await;
        assert!(!r.timeline.is_empty());
        assert_valid(&r);
    }
}

/// With `--server-pid` the steady window's server CPU is in the result, per delivery and per connect; without
/// it, null. The harness's own CPU is measured either way. (The test server runs in this process, so its
/// pid is ours.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_cpu_is_measured_over_the_steady_window_with_a_server_pid() {
    let server = server();
    let mut c = config(&server, Transport::Ws);
    c.duration = Duration::from_secs(2);
    c.server_pids = vec![std::process::id()];
    let r = bench(c.clone()).await;
    common::assert_clean(&r);
    assert_valid(&r);
    let s = r.server_cpu.unwrap_or_else(|| panic!("no server CPU: {r:#?}"));
    assert_eq!(s.pid, std::process::id());
    // The steady window is the measured window; what the clients received in it is at most all of it.
    assert!((s.steady.window_s - 2.0).abs() < 0.5, "{s:#?}");
    assert!(s.steady.count > 0 && s.steady.count <= r.integrity.delivered, "{s:#?}");
    assert_eq!(s.steady.total_us_per.is_some(), s.steady.count > 0);
    // Setup: the three WebSocket clients connected during the ramp-up.
    assert_eq!(s.setup.count, 3, "{s:#?}");
    let h = r.harness_cpu.unwrap();
    assert_eq!((h.count, h.window_s), (s.steady.count, s.steady.window_s));
    let table = feedlab_harness::summary::render(&r);
    assert!(table.contains("server, steady") && table.contains("harness (this process)"), "{table}");

    c.server_pids.clear();
    let r = bench(c).await;
    assert!(r.server_cpu.is_none() && r.harness_cpu.is_some(), "{r:#?}");
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert!(json["server_cpu"].is_null());
    assert!(feedlab_harness::summary::render(&r).contains("server: not measured"));
}

#[test]
fn schema_rejects_a_result_missing_a_field() {
    let mut json = serde_json::json!({"schema_version": 1});
    assert!(!validator().is_valid(&json));
    json["transport"] = "carrier-pigeon".into();
    assert!(!validator().is_valid(&json));
}

/// Cancelling mid-run (what Ctrl-C does) returns the figures measured so far, marked as partial.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_run_returns_partial_results() {
    let server = server();
    let mut c = config(&server, Transport::Sse);
    c.duration = Duration::from_secs(600);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        trigger.cancel();
    });
    let r = run_bench(c, None, cancel).await.unwrap();
    assert!(r.cancelled);
    assert!(r.duration_s < 600.0);
    assert!(r.published > 0 && r.integrity.delivered > 0, "{r:#?}");
    assert_eq!((r.integrity.duplicated, r.integrity.reordered), (0, 0));
    assert_valid(&r);
}
