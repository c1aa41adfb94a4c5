//! The committed schemas stay true to the types: a fully populated bench, soak and floor result (every
//! option set, every map and list filled) is valid against its schema, and every object of each schema
//! declares exactly the keys the type serializes and requires all of them but the optional ones (fields
//! added without a version bump: nullable, and read as null from a document that lacks them). Adding a
//! field to a type without the schema, or to the schema without the type, fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use feedlab_contract::bench::{
    BenchResult, ChaosStats, CpuPer, FirstExchange, Integrity, Latency, Publish, SCHEMA_VERSION, ServerCpu,
    TimelinePoint, WireBytes,
};
use feedlab_contract::floor::{FLOOR_SCHEMA_VERSION, FloorCase, FloorResult, FloorRun, Placement};
use feedlab_contract::procfs::CpuTimes;
use feedlab_contract::soak::{Rss, RssSample, SOAK_SCHEMA_VERSION, SoakResult, SoakVerdict};
use feedlab_contract::{HeaderProfile, HttpVersion, Spread, Transport, read};
use serde_json::{Value, json};

fn schema(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every field set: each option `Some`, each map and list non-empty, numbers distinct from their
/// defaults.
fn bench_result(transport: Transport) -> BenchResult {
    let latency = Latency { count: 9, mean: 1.5, min: 1, p50: 2, p90: 3, p99: 4, p999: 5, max: 6 };
    BenchResult {
        schema_version: SCHEMA_VERSION,
        harness_version: "0.1.0".into(),
        target: "http://127.0.0.1:8470".into(),
        transport,
        headers: HeaderProfile::Browser,
        browser_fixture: Some("Chromium 1.2.3.4 captured 2000-01-01".into()),
        http_version: HttpVersion::Http2,
        clients: 3,
        duration_s: 10.0,
        drain_s: 0.5,
        rate_per_s: 2.0,
        poll_interval_ms: Some(1000),
        payload_bytes: 64,
        keep_alive: true,
        rtt_ms: 20.0,
        source_addrs: 2,
        source_addr_list: vec!["127.0.0.1".into(), "127.0.0.2".into()],
        procs: 2,
        targets: vec!["http://127.0.0.1:8470".into(), "http://127.0.0.1:8471".into()],
        hop: true,
        started_unix_ms: 1_700_000_000_000,
        cancelled: true,
        published: 20,
        integrity: Integrity { delivered: 58, expected: 60, lost: 2, duplicated: 1, reordered: 1, gap_ids: 1 },
        requests: 30,
        empty_responses: 4,
        unanswered_requests: 1,
        unanswered_request_headers: 40,
        connections: 5,
        reconnects: 2,
        chaos: ChaosStats { rate_per_s: 0.1, drops: 2, reconnects: 2 },
        bytes: WireBytes {
            request_headers: 1,
            response_headers: 2,
            body: 3,
            framing: 4,
            handshake: 5,
            control: 6,
            sent: 7,
            received: 8,
        },
        first_exchange: FirstExchange { requests: 3, request_headers: 9, response_headers: 10 },
        overhead_bytes_per_message: Some(12.5),
        setup_bytes_per_message: Some(0.5),
        latency_us: latency,
        request_latency_us: Some(latency),
        clock_offset_us: -3,
        errors: BTreeMap::from([("http_503".to_string(), 2), ("epoch_changed".to_string(), 1)]),
        publish: Publish {
            requests: 21,
            errors: 1,
            sent_bytes: 100,
            received_bytes: 200,
            max_lag_us: 300,
            probe_request_headers: 40,
            probe_response_headers: 80,
            first_id: Some(11),
            last_id: Some(30),
            epoch: Some(7),
            epoch_changes: 1,
            achieved_rate_per_s: Some(1.9),
            rate_kept: Some(true),
            connections: Some(2),
        },
        timeline: vec![TimelinePoint {
            t_s: 1.0,
            published: 2,
            delivered: 6,
            requests: 3,
            errors: 1,
            sent_bytes: 10,
            received_bytes: 20,
            open_connections: 3,
        }],
        server_cpu: Some(ServerCpu {
            pid: 4242,
            processes: Some(3),
            // Figures whose quotients are exact in binary, so the JSON round trip compares equal.
            steady: CpuPer::new(10.0, CpuTimes { user_s: 0.5, system_s: 0.75 }, 50),
            setup: CpuPer::new(0.5, CpuTimes { user_s: 0.25, system_s: 0.5 }, 5),
        }),
        harness_cpu: Some(CpuPer::new(10.0, CpuTimes { user_s: 0.25, system_s: 0.5 }, 50)),
    }
}

fn floor_result() -> FloorResult {
    let spread = |median: f64| Spread { median, min: median * 0.9, max: median * 1.1 };
    let run = FloorRun {
        window_s: 2.0,
        sends: 100_000,
        would_block: 1,
        sender_cpu_s: 1.6,
        sender_user_s: 0.1,
        sender_system_s: 1.5,
        reader_cpu_s: 0.8,
        reader_bytes: 3_400_000,
        reader_reads: 90_000,
        reader_wakeups: 20_000,
    };
    FloorResult {
        schema_version: FLOOR_SCHEMA_VERSION,
        kind: "floor".into(),
        harness_version: "0.1.0".into(),
        started_unix_ms: 1_700_000_000_000,
        pairs: 5000,
        header_bytes: 2,
        payload_bytes: 32,
        warmup_s: 1.0,
        window_s: 2.0,
        repeats: 3,
        placement: Placement::Apart,
        send_rate_per_s: 10_000.0,
        sender_cpu: Some(0),
        reader_cpu: Some(1),
        cpus: 2,
        cases: vec![FloorCase {
            frames_per_send: 4,
            send_us: spread(16.0),
            frame_us: spread(4.0),
            reader_us_per_frame: spread(2.0),
            sends_per_s: spread(50_000.0),
            runs: vec![run],
        }],
    }
}

fn soak_result() -> SoakResult {
    let timeline = bench_result(Transport::Poll).timeline;
    SoakResult {
        schema_version: SOAK_SCHEMA_VERSION,
        kind: "soak".into(),
        harness_version: "0.1.0".into(),
        target: "http://127.0.0.1:8470".into(),
        started_unix_ms: 1_700_000_000_000,
        duration_s: 600.0,
        cancelled: false,
        clients: 12,
        rate_per_s: 10.0,
        chaos_rate_per_s: 0.05,
        published: 6000,
        errors: BTreeMap::from([("io".to_string(), 3)]),
        lost: 1,
        duplicated: 2,
        reordered: 3,
        reconnects: 4,
        chaos_drops: 5,
        rss: Some(Rss {
            pid: 4242,
            before_clients_kib: 9000,
            window_start_kib: 10_000,
            warmup_s: 60.0,
            start_kib: 10_500,
            end_kib: 10_600,
            peak_kib: 11_000,
            growth_pct: 0.95,
            samples: vec![RssSample { t_s: -1.0, kib: 9500 }, RssSample { t_s: 1.0, kib: 10_000 }],
        }),
        verdict: SoakVerdict {
            rss_growth_target_pct: 5.0,
            rss_ok: Some(true),
            errors_ok: false,
            integrity_ok: false,
            passed: false,
        },
        transports: Transport::FEEDLAB
            .into_iter()
            .map(|t| BenchResult { timeline: Vec::new(), ..bench_result(t) })
            .collect(),
        timeline,
    }
}

fn assert_valid(schema: &Value, value: &Value) {
    let validator = jsonschema::validator_for(schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "not valid against the committed schema: {errors:#?}");
}

/// Walks a schema and a serialized value together, comparing every object's declared and required keys
/// with the keys the value has.
struct Walk<'s> {
    /// The whole schema, for `$ref`s and pointers.
    root: &'s Value,
    /// What does not match, with the value's path.
    problems: Vec<String>,
    /// Pointers of the schema objects with `properties` that some value was checked against.
    checked: BTreeSet<String>,
    /// Paths of values whose schema is an object with no keys to compare (`{"type": "object"}`).
    open: Vec<String>,
}

impl<'s> Walk<'s> {
    fn new(root: &'s Value) -> Self {
        Walk { root, problems: Vec::new(), checked: BTreeSet::new(), open: Vec::new() }
    }

    fn at(&self, pointer: &str) -> &'s Value {
        self.root.pointer(pointer).unwrap_or_else(|| panic!("no {pointer:?} in the schema"))
    }

    /// Checks `value` (at `path` in the document) against the schema node at `pointer`.
    fn walk(&mut self, pointer: &str, value: &Value, path: &str) {
        let schema = self.at(pointer);
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let target = reference.strip_prefix('#').unwrap_or_else(|| panic!("{pointer}: only local $refs"));
            return self.walk(target, value, path);
        }
        let mut branched = false;
        for key in ["oneOf", "anyOf"] {
            for (i, branch) in schema.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
                branched = true;
                // The test fills every option, so the branch that describes a value is the one to check.
                if branch.get("type") != Some(&json!("null")) {
                    if value.is_null() {
                        self.problems.push(format!("{path}: null (the test value should fill every option)"));
                    } else {
                        self.walk(&format!("{pointer}/{key}/{i}"), value, path);
                    }
                }
            }
        }
        match value {
            Value::Object(fields) => {
                if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                    self.checked.insert(pointer.to_string());
                    let serialized: BTreeSet<&str> = fields.keys().map(String::as_str).collect();
                    let declared: BTreeSet<&str> = properties.keys().map(String::as_str).collect();
                    let required: BTreeSet<&str> = schema
                        .get("required")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    // An optional key (declared, not required) is one added without a version bump: it
                    // must take null, which is what a document written before it reads as.
                    let optional: BTreeSet<&str> = declared
                        .difference(&required)
                        .copied()
                        .filter(|key| accepts_null(self.root, &properties[*key]))
                        .collect();
                    let expected_required: BTreeSet<&str> = serialized.difference(&optional).copied().collect();
                    for (what, keys, expected) in
                        [("properties", &declared, &serialized), ("required", &required, &expected_required)]
                    {
                        if keys != expected {
                            self.problems.push(format!(
                                "{path}: schema `{what}` lacks {:?}; the type does not serialize {:?} (or it is \
                                 optional but does not take null)",
                                expected.difference(keys).collect::<Vec<_>>(),
                                keys.difference(expected).collect::<Vec<_>>(),
                            ));
                        }
                    }
                    for (key, field) in fields {
                        if properties.contains_key(key) {
                            assert!(!key.contains(['~', '/']), "{key}: escape it for a JSON pointer");
                            self.walk(&format!("{pointer}/properties/{key}"), field, &format!("{path}.{key}"));
                        }
                    }
                } else if schema.get("additionalProperties").is_some_and(Value::is_object) {
                    for (key, field) in fields {
                        self.walk(&format!("{pointer}/additionalProperties"), field, &format!("{path}.{key}"));
                    }
                } else if !branched {
                    self.open.push(path.to_string());
                }
            }
            Value::Array(items) if schema.get("items").is_some() => {
                for (i, item) in items.iter().enumerate() {
                    self.walk(&format!("{pointer}/items"), item, &format!("{path}[{i}]"));
                }
            }
            _ => {}
        }
    }

    /// Fails with every problem found, and if some object of the schema was never checked (the test
    /// value did not reach it, or it describes nothing the type has).
    fn finish(self) {
        let mut unchecked = BTreeSet::new();
        collect_objects(self.root, "", &mut unchecked);
        let unchecked: Vec<_> = unchecked.difference(&self.checked).collect();
        assert!(self.problems.is_empty(), "the schema and the type disagree: {:#?}", self.problems);
        assert!(unchecked.is_empty(), "schema objects no value was checked against: {unchecked:?}");
    }
}

/// Whether a property's schema takes null (`"type": [..., "null"]`, or a `oneOf`/`anyOf` branch of type null).
fn accepts_null(root: &Value, schema: &Value) -> bool {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return root.pointer(reference.trim_start_matches('#')).is_some_and(|s| accepts_null(root, s));
    }
    let typed = match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => false,
    };
    typed
        || ["oneOf", "anyOf"].iter().any(|key| {
            schema.get(*key).and_then(Value::as_array).is_some_and(|bs| bs.iter().any(|b| accepts_null(root, b)))
        })
}

/// The optional keys of the schema object at `pointer` (declared, not required).
fn optional_keys(schema: &Value, pointer: &str) -> Vec<String> {
    let node = schema.pointer(pointer).unwrap_or_else(|| panic!("no {pointer:?} in the schema"));
    let required: Vec<&Value> = node["required"].as_array().map(|r| r.iter().collect()).unwrap_or_default();
    node["properties"].as_object().unwrap().keys().filter(|k| !required.contains(&&json!(k))).cloned().collect()
}

/// Pointers of every schema node that declares `properties`.
fn collect_objects(node: &Value, pointer: &str, out: &mut BTreeSet<String>) {
    match node {
        Value::Object(map) => {
            if map.get("properties").is_some_and(Value::is_object) {
                out.insert(pointer.to_string());
            }
            for (key, child) in map {
                // Under `properties` the keys are field names, not schema keywords: descend into each.
                collect_objects(child, &format!("{pointer}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_objects(child, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn a_full_bench_result_is_valid_against_its_schema() {
    let result = bench_result(Transport::Ws);
    let value = serde_json::to_value(&result).unwrap();
    assert_valid(&schema("bench.schema.json"), &value);
    // And the strict reader takes it back as it was.
    let back: BenchResult = read::from_json(Path::new("bench.json"), &result.to_json()).unwrap();
    assert_eq!(back, result);
}

#[test]
fn a_full_soak_result_is_valid_against_its_schemas() {
    let result = soak_result();
    let value = serde_json::to_value(&result).unwrap();
    assert_valid(&schema("soak.schema.json"), &value);
    let bench = schema("bench.schema.json");
    for transport in value["transports"].as_array().unwrap() {
        assert_valid(&bench, transport);
    }
    let back: SoakResult = read::from_json(Path::new("soak.json"), &result.to_json()).unwrap();
    assert_eq!(back, result);
}

#[test]
fn the_bench_schema_declares_exactly_what_the_type_serializes() {
    let bench = schema("bench.schema.json");
    let mut walk = Walk::new(&bench);
    walk.walk("", &serde_json::to_value(bench_result(Transport::Poll)).unwrap(), "$");
    assert_eq!(walk.open, Vec::<String>::new());
    walk.finish();
}

#[test]
fn the_soak_schema_declares_exactly_what_the_type_serializes() {
    let soak = schema("soak.schema.json");
    let value = serde_json::to_value(soak_result()).unwrap();
    let mut walk = Walk::new(&soak);
    walk.walk("", &value, "$");
    // The soak schema leaves its bench results and timeline points to the bench schema: check them there.
    let open: Vec<&str> = walk.open.iter().map(String::as_str).collect();
    assert_eq!(open, ["$.timeline[0]", "$.transports[0]", "$.transports[1]", "$.transports[2]", "$.transports[3]"]);
    walk.finish();
    let bench = schema("bench.schema.json");
    let mut walk = Walk::new(&bench);
    for (i, transport) in value["transports"].as_array().unwrap().iter().enumerate() {
        walk.walk("", transport, &format!("$.transports[{i}]"));
    }
    // A bench result inside a soak has no timeline of its own: its points are checked as the soak's.
    for (i, point) in value["timeline"].as_array().unwrap().iter().enumerate() {
        walk.walk("/properties/timeline/items", point, &format!("$.timeline[{i}]"));
    }
    walk.finish();
}

#[test]
fn a_full_floor_result_is_valid_against_its_schema() {
    let result = floor_result();
    let value = serde_json::to_value(&result).unwrap();
    let floor = schema("floor.schema.json");
    assert_valid(&floor, &value);
    let mut walk = Walk::new(&floor);
    walk.walk("", &value, "$");
    assert_eq!(walk.open, Vec::<String>::new());
    walk.finish();
    let back: FloorResult = read::from_json(Path::new("floor.json"), &result.to_json()).unwrap();
    assert_eq!(back, result);
}

/// The versioning rule: a document written before an optional field existed lacks it, is still valid
/// against the schema, and reads with that field null.
#[test]
fn optional_bench_fields_read_as_null_from_older_documents() {
    let bench = schema("bench.schema.json");
    let mut value = serde_json::to_value(bench_result(Transport::Ws)).unwrap();
    let mut removed = Vec::new();
    for (pointer, at) in [("", ""), ("/properties/publish", "/publish")] {
        for key in optional_keys(&bench, pointer) {
            let parent = value.pointer_mut(at).unwrap().as_object_mut().unwrap();
            assert!(parent.remove(&key).is_some(), "{at}/{key}: the full result should have it");
            removed.push(format!("{at}/{key}"));
        }
    }
    assert!(removed.len() >= 5, "the bench schema's optional fields: {removed:?}");
    assert_valid(&bench, &value);
    let back: BenchResult = read::from_json(Path::new("old.json"), &value.to_string()).unwrap();
    let back = serde_json::to_value(back).unwrap();
    for pointer in &removed {
        assert_eq!(back.pointer(pointer), Some(&Value::Null), "{pointer}");
    }
    // A required field is still required.
    value.as_object_mut().unwrap().remove("lost");
    let err = read::from_json::<BenchResult>(Path::new("old.json"), &value.to_string()).unwrap_err();
    assert!(err.to_string().contains("lost"), "{err}");
}

/// The walk itself can fail: a field the schema does not know, or a property the type does not have.
#[test]
fn the_walk_catches_a_key_on_either_side() {
    let bench = schema("bench.schema.json");
    let mut value = serde_json::to_value(bench_result(Transport::Sse)).unwrap();
    value["bytes"]["compressed"] = json!(0);
    let mut walk = Walk::new(&bench);
    walk.walk("", &value, "$");
    assert!(walk.problems.iter().any(|p| p.starts_with("$.bytes:") && p.contains("compressed")), "{:?}", walk.problems);

    let mut bench = bench;
    bench["$defs"]["latency"]["properties"]["p9999"] = json!({"type": "integer"});
    let value = serde_json::to_value(bench_result(Transport::Sse)).unwrap();
    let mut walk = Walk::new(&bench);
    walk.walk("", &value, "$");
    assert!(walk.problems.iter().any(|p| p.starts_with("$.latency_us:") && p.contains("p9999")), "{:?}", walk.problems);

    // A field left out of `required` must take null (it is optional only as a field added later).
    let mut bench = schema("bench.schema.json");
    let required = bench["required"].as_array_mut().unwrap();
    required.retain(|k| k != "clients");
    let mut walk = Walk::new(&bench);
    walk.walk("", &value, "$");
    assert!(walk.problems.iter().any(|p| p.starts_with("$:") && p.contains("clients")), "{:?}", walk.problems);
}
