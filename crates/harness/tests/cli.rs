//! `feedlab bench` as the binary runs it: flags in, table out, `--json FILE` valid against the schema.

mod common;

use clap::Parser;
use feedlab_harness::cli::{BenchArgs, bench};

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    bench: BenchArgs,
}

#[test]
fn bench_writes_a_valid_json_file() {
    let server = common::server();
    let path = std::env::temp_dir().join(format!("feedlab-harness-cli-{}.json", std::process::id()));
    let url = server.url();
    let args = [
        "bench",
        "--target",
        &url,
        "--transport",
        "longpoll",
        "--clients",
        "2",
        "--duration",
        "2s",
        "--rate",
        "4/s",
        "--headers",
        "browser",
        "--json",
        path.to_str().unwrap(),
    ];
    bench(Cli::try_parse_from(args).unwrap().bench).unwrap();
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    let schema: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../contract/schema/bench.schema.json"
    )))
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&json).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(json["transport"], "longpoll");
    assert_eq!(json["headers"], "browser");
    assert!(json["browser_fixture"].as_str().unwrap().starts_with("Chromium "));
    assert_eq!(json["lost"], 0);
}

#[test]
fn unreachable_server_is_a_plain_error_not_a_usage_error() {
    // Bind and drop a listener to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let args = ["bench", "--target", &url, "--transport", "ws", "--duration", "1s"];
    let err = bench(Cli::try_parse_from(args).unwrap().bench).unwrap_err();
    assert!(err.downcast_ref::<clap::Error>().is_none());
    assert!(format!("{err:#}").contains("cannot reach"), "{err:#}");
}
