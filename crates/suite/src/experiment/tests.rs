//! Loading and validating experiment files: good files expand as documented; bad ones fail with the file,
//! the key and what it allows.

use super::*;
use feedlab_contract::{FeedKind, Transport};
use feedlab_harness::Target;

fn parse(text: &str, quick: bool) -> Result<Experiment, Error> {
    Experiment::parse(Path::new("experiments/demo.toml"), text, quick)
}

/// The error message of a bad file, checked to name the file and the key.
fn error(text: &str, key: &str) -> String {
    let err = parse(text, false).expect_err("the file should be rejected");
    assert!(err.is_usage(), "{err}");
    let msg = err.to_string();
    assert!(msg.starts_with("experiments/demo.toml: "), "names the file: {msg}");
    assert!(msg.contains(&format!("`{key}`")), "names the key {key}: {msg}");
    msg
}

#[test]
fn defaults_cover_a_minimal_file() {
    let e = parse("", false).unwrap();
    assert_eq!(e.name, "demo");
    assert_eq!(e.title, "demo");
    assert_eq!(e.steps.len(), 4, "all four transports by default");
    let s = &e.steps[0];
    assert_eq!((s.transport, s.clients, s.rate_per_s), (Transport::Poll, limits::DEFAULT_CLIENTS, 1.0));
    assert_eq!(s.poll_interval, Some(Duration::from_millis(limits::DEFAULT_POLL_INTERVAL_MS)));
    assert_eq!(e.steps[1].poll_interval, None, "push transports have no interval");
    assert_eq!(e.server.max_streams, limits::DEFAULT_MAX_STREAMS);
    assert!(!e.server.fresh_per_step && !e.timeline && e.storm.is_none());
}

#[test]
fn sweeps_expand_to_the_cartesian_product_with_labels_from_varying_axes() {
    let e = parse(
        r#"
        [steps]
        transport = ["poll", "ws"]
        headers = ["minimal", "browser"]
        clients = [10, 20]
        "#,
        false,
    )
    .unwrap();
    let labels: Vec<&str> = e.steps.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "poll minimal 10 clients",
            "poll minimal 20 clients",
            "poll browser 10 clients",
            "poll browser 20 clients",
            "ws minimal 10 clients",
            "ws minimal 20 clients",
            "ws browser 10 clients",
            "ws browser 20 clients",
        ]
    );
}

#[test]
fn socketio_transports_run_against_the_peer_with_their_own_axes() {
    let e = parse(
        r#"
        [steps]
        transport = ["ws", "socketio-polling", "socketio-ws"]
        loads = [{ clients = 1000, rate_per_s = 1 }, { clients = 100, rate_per_s = 100 }]
        socketio_direct = [false, true]
        recovery = [false, true]
        "#,
        false,
    )
    .unwrap();
    // ws x 2 loads, polling x 2 loads x 2 recovery, ws x 2 loads x 2 starts x 2 recovery.
    assert_eq!(e.steps.len(), 2 + 4 + 8);
    let servers: Vec<ServerKind> = e.steps.iter().map(StepPlan::server).collect();
    let ours = ServerKind::Feedlab { nodes: 1, feed: FeedKind::Memory };
    assert_eq!(servers[..3], [ours, ours, ServerKind::SocketIo { recovery: false }]);
    assert_eq!(servers[3], ServerKind::SocketIo { recovery: true });
    let direct = e.steps.iter().find(|s| s.socketio_direct == Some(true)).unwrap();
    assert!(direct.bench_config(Target::parse("http://127.0.0.1:9").unwrap()).socketio_direct);
    assert_eq!(ServerKind::SocketIo { recovery: true }.args(&e.server), ["--recovery"]);
    assert!(ServerKind::SocketIo { recovery: false }.args(&e.server).is_empty());
    assert_eq!(ours.args(&e.server), e.server.args());
}

#[test]
fn loads_pair_clients_with_rates_and_exclude_the_lists() {
    let msg = error("[steps]\nloads = [{ clients = 10, rate_per_s = 1 }]\nclients = 5\n", "steps.clients");
    assert!(msg.contains("not both"), "{msg}");
    let msg = error("[steps]\nloads = [{ clients = 0, rate_per_s = 1 }]\n", "steps.loads.clients");
    assert!(msg.contains("1..=100000"), "{msg}");
    let msg = error("[steps]\nloads = []\n", "steps.loads");
    assert!(msg.contains("empty"), "{msg}");
    let e = parse("[steps]\ntransport = \"ws\"\nloads = [{ clients = 10, rate_per_s = 5 }]\n[quick.steps]\nloads = [{ clients = 2, rate_per_s = 1 }]\n", true).unwrap();
    assert_eq!((e.steps[0].clients, e.steps[0].rate_per_s), (2, 1.0));
}

#[test]
fn feedlab_only_features_refuse_socketio() {
    let msg = error("timeline = true\n[steps]\ntransport = [\"ws\", \"socketio-ws\"]\n", "timeline");
    assert!(msg.contains("/stats"), "{msg}");
    let storm = "[steps]\nduration_s = 5\n[storm]\ntransport = \"socketio-polling\"\nclients = 5\nstart_s = 1\nduration_s = 2\n";
    let msg = error(storm, "storm.transport");
    assert!(msg.contains("feedlab's server only"), "{msg}");
}

#[test]
fn poll_intervals_apply_to_polling_only() {
    let e = parse("[steps]\ntransport = [\"poll\", \"sse\"]\npoll_interval_ms = [100, 1000]\n", false).unwrap();
    let labels: Vec<&str> = e.steps.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["poll every 100 ms", "poll every 1000 ms", "sse"]);
}

#[test]
fn quick_overrides_only_what_it_names() {
    let text = r#"
        [steps]
        clients = [1000, 10000]
        duration_s = 10
        rate_per_s = [0.2, 100]
        min_messages = 3
        [quick.steps]
        clients = 20
        duration_s = 2
        [server]
        max_rps = 500
        [quick.server]
        workers = 1
    "#;
    let full = parse(text, false).unwrap();
    let quick = parse(text, true).unwrap();
    assert!(quick.quick && !full.quick);
    assert_eq!(full.steps.len(), 16);
    assert_eq!(quick.steps.len(), 8);
    assert!(quick.steps.iter().all(|s| s.clients == 20));
    // min_messages stretches the slow rate: 3 messages at 0.2/s is 15 s.
    assert_eq!(full.steps[0].duration, Duration::from_secs(15));
    assert_eq!(quick.steps[0].duration, Duration::from_secs(15));
    assert_eq!(quick.steps[1].duration, Duration::from_secs(2));
    assert_eq!((quick.server.max_rps, quick.server.workers), (500, 1));
    assert_eq!((full.server.max_rps, full.server.workers), (500, 0));
}

#[test]
fn storm_is_validated_and_overridable() {
    let text = r#"
        timeline = true
        [steps]
        transport = "poll"
        duration_s = 20
        [storm]
        clients = 500
        poll_interval_ms = 100
        start_s = 5
        duration_s = 10
        [quick.steps]
        duration_s = 8
        [quick.storm]
        start_s = 2
        duration_s = 3
    "#;
    let quick = parse(text, true).unwrap();
    let storm = quick.storm.unwrap();
    assert_eq!((storm.clients, storm.start, storm.duration), (500, Duration::from_secs(2), Duration::from_secs(3)));
    assert!(quick.timeline);
    // A storm that outlasts the step leaves nothing to see recovery in.
    let msg = error(&text.replace("start_s = 2", "start_s = 6"), "quick.storm.start_s");
    assert!(msg.contains("must end before the steps do"), "{msg}");
    let msg = error("[steps]\nduration_s = 5\n[storm]\nstart_s = 1\nduration_s = 1\n", "storm.clients");
    assert!(msg.contains("required"), "{msg}");
    error("[quick.storm]\nclients = 5\n", "quick.storm");
}

#[test]
fn unknown_key_is_named_with_its_table() {
    let msg = error("[steps]\nclients = 10\nclientz = 5\n", "steps.clientz");
    assert!(msg.contains("unknown field `clientz`"), "{msg}");
    assert!(msg.contains("`clients`"), "lists the known keys: {msg}");
    let msg = error("[quick.steps]\nrate = 5\n", "quick.steps.rate");
    assert!(msg.contains("unknown field `rate`"), "{msg}");
    let msg = error("[stormy]\nclients = 5\n", "stormy");
    assert!(msg.contains("unknown field `stormy`"), "{msg}");
}

#[test]
fn out_of_range_values_name_the_allowed_range() {
    let msg = error("[steps]\nclients = [10, 0]\n", "steps.clients");
    assert!(msg.contains("0 is out of range") && msg.contains("1..=100000"), "{msg}");
    let msg = error("[steps]\nrate_per_s = -1\n", "steps.rate_per_s");
    assert!(msg.contains("0..=5000"), "{msg}");
    let msg = error("[steps]\nduration_s = 0.1\n", "steps.duration_s");
    assert!(msg.contains("0.5..=600"), "{msg}");
    let msg = error("[quick.steps]\npoll_interval_ms = 5\n", "quick.steps.poll_interval_ms");
    assert!(msg.contains("10..=60000"), "{msg}");
    let msg = error("[server]\nmax_streams = 50000\n", "server.max_streams");
    assert!(msg.contains("1..=19000"), "{msg}");
    let msg = error("[steps]\nclients = []\n", "steps.clients");
    assert!(msg.contains("empty list"), "{msg}");
}

#[test]
fn wrong_types_name_the_key_and_what_it_allows() {
    let msg = error("[steps]\nclients = \"many\"\n", "steps.clients");
    assert!(msg.contains("invalid type: string \"many\""), "{msg}");
    assert!(msg.contains("allowed: a whole number in 1..=100000"), "{msg}");
    let msg = error("[steps]\nduration_s = [1, 2]\n", "steps.duration_s");
    assert!(msg.contains("invalid type") && msg.contains("0.5..=600"), "{msg}");
    let msg = error("[steps]\ntransport = \"smoke-signals\"\n", "steps.transport");
    assert!(msg.contains("unknown variant") && msg.contains("\"longpoll\""), "{msg}");
    let msg = error("[steps]\nclients = 1.5\n", "steps.clients");
    assert!(msg.contains("invalid type: floating point"), "{msg}");
    let msg = error("timeline = 1\n", "timeline");
    assert!(msg.contains("true or false"), "{msg}");
    let msg = error("[steps]\nclients = [10, -3]\n", "steps.clients");
    assert!(msg.contains("-3"), "{msg}");
}

#[test]
fn plans_beyond_this_machine_are_refused_on_load() {
    // 3 sockets per client through the RTT relay: 100,000 clients cannot fit any open-file limit here.
    let msg = error("[steps]\nclients = 100000\nrtt_ms = 50\n", "steps.clients");
    assert!(msg.contains("open files"), "{msg}");
    let msg = error(
        &format!("[steps]\nclients = [{}]\n", (1..=60).map(|c| c.to_string()).collect::<Vec<_>>().join(",")),
        "steps",
    );
    assert!(msg.contains("at most 200"), "{msg}");
}

#[test]
fn file_names_must_be_experiment_names() {
    let err = Experiment::parse(Path::new("experiments/Bad Name.toml"), "", false).unwrap_err();
    assert!(err.to_string().contains("lowercase"), "{err}");
}

#[test]
fn syntax_errors_name_the_file() {
    let err = parse("[steps\nclients = 1\n", false).unwrap_err();
    assert!(err.to_string().starts_with("experiments/demo.toml: "), "{err}");
}

#[test]
fn repeats_run_the_sweep_in_rounds_and_the_floor_is_asked_for() {
    let e = parse(
        "floor = true\n[steps]\ntransport = [\"poll\", \"ws\"]\nrepeats = 3\n[quick.steps]\nrepeats = 1\n",
        false,
    )
    .unwrap();
    assert!(e.floor);
    let got: Vec<(Transport, Option<u32>)> = e.steps.iter().map(|s| (s.transport, s.repeat)).collect();
    assert_eq!(got.len(), 6);
    assert_eq!(got[..3], [(Transport::Poll, Some(0)), (Transport::Ws, Some(0)), (Transport::Poll, Some(1))]);
    // The floor's time counts in the plan.
    let steps: Duration = e.steps.iter().map(StepPlan::estimate).sum();
    assert_eq!(e.estimate(), steps + floor_estimate(false));
    let q = parse("floor = true\n[steps]\nrepeats = 3\n[quick.steps]\nrepeats = 1\n", true).unwrap();
    assert!(q.steps.iter().all(|s| s.repeat.is_none()) && q.steps.len() == 4);
    assert!(!parse("", false).unwrap().floor);
    let msg = error("[steps]\nrepeats = 0\n", "steps.repeats");
    assert!(msg.contains("1..=10"), "{msg}");
    let msg = error("[steps]\nclients = [1, 2, 3, 4, 5]\nrate_per_s = [1, 2, 3, 4, 5]\nrepeats = 3\n", "steps");
    assert!(msg.contains("300 steps"), "{msg}");
}

#[test]
fn loads_may_set_nodes_on_a_shared_feed() {
    let text = "[steps]\ntransport = \"ws\"\nloads = [{ clients = 10, rate_per_s = 1 }, { clients = 20, rate_per_s = 1, nodes = 2, feed = \"redis\" }]\n";
    let e = parse(text, false).unwrap();
    let got: Vec<(&str, u64, FeedKind)> = e.steps.iter().map(|s| (s.label.as_str(), s.nodes, s.feed)).collect();
    assert_eq!(
        got,
        [("ws 10 clients 1 node memory", 1, FeedKind::Memory), ("ws 20 clients 2 nodes redis", 2, FeedKind::Redis)]
    );
    assert_eq!(e.steps[1].server(), ServerKind::Feedlab { nodes: 2, feed: FeedKind::Redis });
    let msg = error("[steps]\nloads = [{ clients = 10, rate_per_s = 1, nodes = 2 }]\n", "steps.loads.nodes");
    assert!(msg.contains("feed = \"redis\""), "{msg}");
    let msg = error(
        "[steps]\nloads = [{ clients = 10, rate_per_s = 1, nodes = 9, feed = \"redis\" }]\n",
        "steps.loads.nodes",
    );
    assert!(msg.contains("1..=8"), "{msg}");
    let peer = "[steps]\ntransport = [\"ws\", \"socketio-ws\"]\nloads = [{ clients = 10, rate_per_s = 1, feed = \"redis\" }]\n";
    assert!(error(peer, "steps.loads").contains("socketio-ws"));
}
