//! `feedlab cluster` through the real binary: N nodes on one port and one Redis feed (a redis-server of the
//! test's own; SKIPPED without one unless `FEEDLAB_REDIS_REQUIRED=1`), what one node publishes every node
//! serves, SIGTERM stops them all, and a node that dies stops the others.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::*;
use feedlab_server::redis_server::RedisServer;

fn redis() -> Option<RedisServer> {
    if RedisServer::program().is_none() {
        assert!(std::env::var("FEEDLAB_REDIS_REQUIRED").as_deref() != Ok("1"), "no redis-server, and it is required");
        println!("SKIPPED redis: redis-server not found");
        return None;
    }
    Some(RedisServer::start().expect("redis-server starts"))
}

/// Starts `feedlab cluster` with `args`; its first stdout line gives the address and the nodes' pids.
fn cluster(args: &[&str]) -> (Child, String, Vec<u32>) {
    let mut child = feedlab().arg("cluster").args(args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let rest = line.split_once(" listening on http://").unwrap_or_else(|| panic!("unexpected line {line:?}")).1;
    let (addr, pids) = rest.split_once(" (pids ").unwrap();
    let pids = pids.trim().trim_end_matches(")").trim_matches(|c| c == '[' || c == ']');
    (child, addr.to_owned(), pids.split(", ").map(|p| p.parse().unwrap()).collect())
}

/// `kill -SIG pid`.
fn signal(pid: u32, sig: &str) {
    let status = std::process::Command::new("kill").arg(format!("-{sig}")).arg(pid.to_string()).status().unwrap();
    assert!(status.success(), "kill -{sig} {pid}");
}

fn alive(pid: u32) -> bool {
    // A zombie still has /proc/PID; its state is Z.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
}

fn wait_gone(pids: &[u32]) {
    let deadline = Instant::now() + HANG_GUARD;
    while pids.iter().any(|&p| alive(p)) {
        assert!(Instant::now() < deadline, "nodes still running: {pids:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn post(addr: &str, body: &str) -> String {
    use std::io::Write;
    let json = format!("{{\"from\":\"t\",\"body\":\"{body}\"}}");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(HANG_GUARD)).unwrap();
    write!(
        s,
        "POST /messages HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    )
    .unwrap();
    read_all(s)
}

#[test]
fn nodes_share_one_port_and_one_feed_and_stop_together() {
    let Some(redis) = redis() else { return };
    let url = redis.url();
    let (mut child, addr, pids) = cluster(&["--nodes", "3", "--addr", "127.0.0.1:0", "--", "--feed", &url]);
    assert_eq!(pids.len(), 3);
    assert!(pids.iter().all(|&p| alive(p)));
    // New connections land on any node (the kernel picks by the connection's addresses): every one answers
    // the same feed.
    for i in 0..12 {
        assert!(post(&addr, &format!("m{i}")).starts_with("HTTP/1.1 201"), "publish {i}");
    }
    for _ in 0..12 {
        let answer = read_all(send_get(&addr, "/poll?after=0&limit=100"));
        let ids = answer.matches("\"id\":").count();
        assert_eq!(ids, 12, "every node serves every message: {answer}");
    }
    // SIGTERM to the cluster stops every node.
    signal(child.id(), "TERM");
    let status = wait_exit(&mut child, HANG_GUARD).expect("the cluster exits");
    assert!(status.success(), "{status}");
    wait_gone(&pids);
}

#[test]
fn a_node_that_dies_stops_the_others() {
    let Some(redis) = redis() else { return };
    let url = redis.url();
    let (mut child, _, pids) = cluster(&["--nodes", "2", "--addr", "127.0.0.1:0", "--", "--feed", &url]);
    signal(pids[1], "KILL");
    let status = wait_exit(&mut child, HANG_GUARD).expect("the cluster exits");
    assert_eq!(status.code(), Some(1));
    wait_gone(&pids);
}

#[test]
fn several_nodes_without_a_shared_feed_are_refused() {
    let output = feedlab().args(["cluster", "--nodes", "2", "--addr", "127.0.0.1:0"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--feed redis://"), "{stderr}");
    let output = feedlab().args(["cluster", "--nodes", "1", "--", "--addr", "127.0.0.1:0"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("feedlab cluster --addr"));
}
