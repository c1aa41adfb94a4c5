//! Socket.IO: the harness's Engine.IO client against the Socket.IO peer (`node peers/socketio/server.mjs`).
//!
//! - Socket.IO's own client (`peers/socketio/client.mjs`) and the harness's, connected at the same time,
//!   receive the same ids in the same order, on polling, on WebSocket started directly, and on WebSocket
//!   reached by upgrading (so the harness speaks the protocol as Socket.IO's own client does).
//! - With the server's connection-state recovery on, `--chaos` drops lose nothing; with it off they lose
//!   messages, and the loss is counted.
//! - Pings are answered in time (a short ping interval, and no reconnect).
//!
//! They need node and the peer's packages (`npm ci` in `peers/socketio`); without them they say SKIPPED,
//! unless `FEEDLAB_PEERS_REQUIRED=1` (set by `.ci/run`) makes that a failure.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::bench;
use feedlab_harness::{BenchConfig, BenchResult, Target, Transport};

/// How long a node process may take to start and print its first line.
const START: Duration = Duration::from_secs(20);

fn peer_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../peers/socketio")
}

/// Whether node and the peer's packages are here; if not, the test is skipped (or fails when required).
fn available(test: &str) -> bool {
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let packages = peer_dir().join("node_modules/socket.io/package.json").exists()
        && peer_dir().join("node_modules/socket.io-client/package.json").exists();
    if node && packages {
        return true;
    }
    let why =
        format!("SKIPPED: node or peers/socketio/node_modules missing (node: {node}, packages: {packages}): {test}");
    assert!(std::env::var("FEEDLAB_PEERS_REQUIRED").as_deref() != Ok("1"), "{why} (FEEDLAB_PEERS_REQUIRED=1)");
    // Straight to stderr, not through the test harness's capture, so the skip shows in a passing run.
    let _ = writeln!(std::io::stderr(), "{why}");
    false
}

/// A node child printing lines on stdout, read by a thread; killed when dropped.
struct Node {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Node {
    fn start(script: &str, args: &[&str]) -> Node {
        let mut child = Command::new("node")
            .arg(peer_dir().join(script))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node {script}: {e}"));
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Node { child, lines }
    }

    /// The next line, within [`START`].
    fn line(&self) -> String {
        self.lines.recv_timeout(START).unwrap_or_else(|e| panic!("no line from node: {e}"))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Socket.IO peer, on a free port.
struct Peer {
    /// The node process, killed with the peer.
    _node: Node,
    url: String,
}

impl Peer {
    fn start(args: &[&str]) -> Peer {
        let node = Node::start("server.mjs", &[&["--addr", "127.0.0.1:0"], args].concat());
        let line = node.line();
        let url = line.strip_prefix("feedlab listening on ").unwrap_or_else(|| panic!("listening line: {line:?}"));
        Peer { url: url.to_owned(), _node: node }
    }

    fn config(&self, transport: Transport) -> BenchConfig {
        let mut c = BenchConfig::new(Target::parse(&self.url).unwrap(), transport);
        c.clients = 3;
        c.duration = Duration::from_secs(2);
        c.rate = 20.0;
        c.drain = Duration::from_secs(3);
        c.seed = Some(11);
        c
    }
}

/// Socket.IO's own client, following the peer.
struct Official {
    node: Node,
    stdin: Option<ChildStdin>,
}

impl Official {
    /// Starts it on `transport` (`polling`, `websocket` or `upgrade`) and waits until it is connected.
    fn connect(peer: &Peer, transport: &str) -> Official {
        let mut node = Node::start("client.mjs", &["--url", &peer.url, "--transport", transport]);
        let stdin = node.child.stdin.take();
        let first = node.line();
        assert!(first.starts_with(r#"{"connected":true"#), "Socket.IO's client did not connect: {first}");
        Official { node, stdin }
    }

    /// Stops it (its stdin closes) and returns the ids it printed, after checking it never disconnected.
    fn ids(mut self) -> Vec<u64> {
        drop(self.stdin.take());
        let _ = self.node.child.wait();
        let mut ids = Vec::new();
        for line in self.node.lines.try_iter() {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            assert!(v.get("disconnected").is_none(), "Socket.IO's own client lost its connection: {line}");
            if let Some(id) = v.get("id") {
                ids.push(id.as_u64().unwrap());
            }
        }
        ids
    }
}

fn summary(r: &BenchResult) -> String {
    format!(
        "{} ({} clients): delivered {} of {} lost {} dup {} reordered {} drops {} reconnects {} connections {} \
         requests {} errors {:?} bytes {:?} overhead/msg {:?}",
        r.transport,
        r.clients,
        r.integrity.delivered,
        r.integrity.expected,
        r.integrity.lost,
        r.integrity.duplicated,
        r.integrity.reordered,
        r.chaos.drops,
        r.reconnects,
        r.connections,
        r.requests,
        r.errors,
        r.bytes,
        r.overhead_bytes_per_message,
    )
}

/// The three ways a Socket.IO client follows the feed: transport, `--socketio-direct`, and the same for
/// Socket.IO's own client.
const MODES: [(Transport, bool, &str); 3] = [
    (Transport::SocketioPolling, false, "polling"),
    (Transport::SocketioWs, true, "websocket"),
    (Transport::SocketioWs, false, "upgrade"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ours_and_socketios_own_client_receive_the_same_ids() {
    if !available("ours_and_socketios_own_client_receive_the_same_ids") {
        return;
    }
    for (transport, direct, official_transport) in MODES {
        let peer = Peer::start(&[]);
        let official = Official::connect(&peer, official_transport);
        let mut c = peer.config(transport);
        c.socketio_direct = direct;
        let r = bench(c).await;
        println!("{official_transport}: {}", summary(&r));
        let ids = official.ids();
        // A fresh peer: the run started after id 0, and published 1..=last.
        let last = r.publish.last_id.expect("the harness published");
        assert_eq!(r.publish.first_id, Some(1));
        assert_eq!(ids, (1..=last).collect::<Vec<_>>(), "{official_transport}: Socket.IO's own client");
        // Ours: every id after the start exactly once, in order, no error: the same ids.
        common::assert_clean(&r);
        assert_eq!(r.integrity.expected, last * r.clients);
        assert_eq!(r.reconnects, 0, "{}", summary(&r));
        assert!(r.bytes.handshake > 0 && r.bytes.framing > 0, "{}", summary(&r));
        if direct {
            // On WebSocket every message is the frame `42["message",<json>]`: 14 bytes of Socket.IO around
            // the JSON, and a 4-byte frame header (the payload is 126 bytes or more).
            assert_eq!(r.bytes.framing, r.integrity.delivered * (14 + 4), "{}", summary(&r));
        }
    }
}

/// A run against a fresh peer started with `peer_args`: 10 clients for 4 s, a message every 5 ms (so a
/// reconnect, a new connection and handshake, misses some unless they are replayed), 30% of the clients
/// dropped every second. Checked: drops happened and were reconnected, every id was delivered or lost,
/// none twice or out of order.
async fn dropped(peer_args: &[&str], (transport, direct, name): (Transport, bool, &str)) -> BenchResult {
    let peer = Peer::start(peer_args);
    let mut c = peer.config(transport);
    c.socketio_direct = direct;
    c.clients = 10;
    c.duration = Duration::from_secs(4);
    c.rate = 200.0;
    c.chaos = 0.3;
    let r = bench(c).await;
    println!("{name} {peer_args:?}: {}", summary(&r));
    assert!(r.chaos.drops > 0, "{name}: nothing was dropped: {}", summary(&r));
    assert!(r.chaos.reconnects >= r.chaos.drops, "{name}: {}", summary(&r));
    assert_eq!(r.integrity.delivered + r.integrity.lost, r.integrity.expected, "{name}: {}", summary(&r));
    assert_eq!((r.integrity.duplicated, r.integrity.reordered), (0, 0), "{name}: {}", summary(&r));
    r
}

/// With recovery on, a dropped WebSocket client resumes its session and loses nothing (the recovery-off
/// test shows that the same drops lose messages without it). A polling client resumes too when the server
/// noticed the drop, that is when its `GET` was held; dropped in the instant between an answer and its
/// next `GET`, it leaves the server believing the old session alive, which then cannot be resumed: that
/// is counted (`session_not_resumed`), and only then may messages be lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_on_loses_nothing_to_dropped_connections() {
    if !available("recovery_on_loses_nothing_to_dropped_connections") {
        return;
    }
    for mode in MODES {
        let r = dropped(&["--recovery"], mode).await;
        let not_resumed = r.errors.get("session_not_resumed").copied().unwrap_or(0);
        if mode.0 == Transport::SocketioWs {
            assert_eq!((r.integrity.lost, not_resumed), (0, 0), "{}: {}", mode.2, summary(&r));
        } else {
            assert!(r.integrity.lost == 0 || not_resumed > 0, "{}: lost without cause: {}", mode.2, summary(&r));
        }
    }
}

/// Without recovery Socket.IO keeps no position: a reconnect is a new session, and what was emitted
/// meanwhile is lost, and counted as lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_off_loses_what_was_sent_while_away_and_counts_it() {
    if !available("recovery_off_loses_what_was_sent_while_away_and_counts_it") {
        return;
    }
    for mode in MODES {
        let r = dropped(&[], mode).await;
        assert!(r.integrity.lost > 0, "{}: without recovery a reconnect must lose messages: {}", mode.2, summary(&r));
        // Nothing asked to be resumed: the loss is the protocol's, not a failed resumption.
        assert!(!r.errors.contains_key("session_not_resumed"), "{}: {}", mode.2, summary(&r));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_are_answered_in_time() {
    if !available("pings_are_answered_in_time") {
        return;
    }
    for (transport, direct, name) in MODES {
        // A ping every 200 ms, to be answered within 300 ms: a client that did not pong would be dropped
        // (and would reconnect) several times in 3 s.
        let peer = Peer::start(&["--ping-interval", "200", "--ping-timeout", "300"]);
        let mut c = peer.config(transport);
        c.socketio_direct = direct;
        c.duration = Duration::from_secs(3);
        let r = bench(c).await;
        println!("{name}: {}", summary(&r));
        common::assert_clean(&r);
        assert_eq!(r.reconnects, 0, "{name}: {}", summary(&r));
        // Pings and pongs are control bytes.
        assert!(r.bytes.control >= 3 * 10 * 2, "{name}: {}", summary(&r));
    }
}
