//! A short soak against a real server: all four transports at once, with chaos, the memory of this
//! process sampled (the test server runs in it), and the result valid against both committed schemas.
//! The long soak (minutes, a separate server process) is a benchmark, not a test.

mod common;

use std::time::Duration;

use feedlab_harness::soak::SOAK_TRANSPORTS;
use feedlab_harness::{BenchConfig, CancellationToken, SoakConfig, SoakResult, Target, Transport, run_soak};

fn validate(schema_file: &str, json: &serde_json::Value) {
    let path = format!("{}/../contract/schema/{schema_file}", env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v.iter_errors(json).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "does not match {schema_file}: {errors:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_soak_runs_every_transport_at_once() {
    let server = common::server();
    let mut base = BenchConfig::new(Target::parse(&server.url()).unwrap(), Transport::Ws);
    base.clients = 20;
    base.duration = Duration::from_secs(10);
    base.rate = 5.0;
    base.chaos = 0.1;
    base.seed = Some(3);
    let soak = SoakConfig { base, server_pid: Some(std::process::id()) };
    let r = run_soak(soak, None, CancellationToken::new()).await.unwrap();
    print!("{}", feedlab_harness::summary::render_soak(&r));

    let order: Vec<Transport> = r.transports.iter().map(|t| t.transport).collect();
    assert_eq!(order, SOAK_TRANSPORTS);
    assert_eq!(r.clients, 20);
    for t in &r.transports {
        assert_eq!(t.clients, 5);
        assert_eq!(
            (t.integrity.lost, t.integrity.duplicated, t.integrity.reordered),
            (0, 0, 0),
            "{}: {t:#?}",
            t.transport
        );
        // One publisher fed every transport: each client has every message.
        assert_eq!(t.integrity.delivered, t.published * t.clients, "{}: {t:#?}", t.transport);
        assert!(t.timeline.is_empty());
    }
    assert!(r.published > 0);
    assert!(r.chaos_drops > 0 && r.reconnects >= r.chaos_drops, "{r:#?}");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(r.verdict.errors_ok && r.verdict.integrity_ok);
    assert!(!r.timeline.is_empty());

    let rss = r.rss.as_ref().expect("memory was sampled");
    assert!(rss.start_kib > 0 && rss.peak_kib >= rss.start_kib.max(rss.end_kib), "{rss:?}");
    assert!(rss.samples.iter().any(|s| s.t_s >= 0.0));
    assert_eq!(r.verdict.rss_ok, Some(rss.growth_pct < r.verdict.rss_growth_target_pct));

    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    validate("soak.schema.json", &json);
    for t in json["transports"].as_array().unwrap() {
        validate("bench.schema.json", t);
    }
    // And it reads back (compared as JSON: the last digit of a float may differ after a round trip).
    let back: SoakResult = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), json);
}

#[test]
fn soak_schema_rejects_a_bench_result() {
    let path = format!("{}/../contract/schema/soak.schema.json", env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    assert!(!v.is_valid(&serde_json::json!({"schema_version": 1, "transport": "ws"})));
}
