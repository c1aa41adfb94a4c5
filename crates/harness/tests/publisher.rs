//! The publisher keeps the asked rate when the server is slow to answer, and says so when it cannot.
//!
//! Our server answers publishes quickly, so these tests stand in a tiny HTTP server of their own whose
//! `POST /messages` answers only after a delay: one that answers every publish late but in parallel (the
//! publisher must still send on schedule, on several connections), and one that answers one publish at a
//! time (at most a few per second: no publisher can keep the rate, and the result must say so).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use feedlab_harness::clients::Live;
use feedlab_harness::publisher::{PublishPlan, Publisher};
use feedlab_harness::{BenchConfig, CancellationToken, Target, Transport, run_bench};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// How the fake server answers `POST /messages`.
#[derive(Clone)]
struct Slow {
    /// Time between a publish arriving and its answer.
    delay: Duration,
    /// Held while a publish is answered, when the server answers one at a time.
    one_at_a_time: Option<Arc<Mutex<()>>>,
    /// Publishes received (counted on arrival).
    arrivals: Arc<AtomicU64>,
    /// Ids handed out.
    ids: Arc<AtomicU64>,
}

impl Slow {
    fn new(delay: Duration, one_at_a_time: bool) -> Slow {
        Slow { delay, one_at_a_time: one_at_a_time.then(Arc::default), arrivals: Arc::default(), ids: Arc::default() }
    }

    /// Serves on a port of its own; returns the target URL.
    async fn start(&self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let this = self.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(this.clone().serve(stream));
            }
        });
        url
    }

    /// One keep-alive connection: request after request. Enough HTTP/1.1 for the harness's client: a head
    /// up to CRLF CRLF and a `Content-Length` body.
    async fn serve(self, mut stream: TcpStream) {
        let mut buf = Vec::new();
        loop {
            let head_end = loop {
                if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break at + 4;
                }
                let mut chunk = [0u8; 4096];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            };
            let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < head_end + length {
                let mut chunk = [0u8; 4096];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            buf.drain(..head_end + length);
            let (status, body) = if head.starts_with("POST /messages ") {
                self.arrivals.fetch_add(1, Relaxed);
                let _turn = match &self.one_at_a_time {
                    Some(lock) => Some(lock.lock().await),
                    None => None,
                };
                tokio::time::sleep(self.delay).await;
                ("201 Created", format!("{{\"id\":{}}}", self.ids.fetch_add(1, Relaxed) + 1))
            } else if head.starts_with("GET /time ") {
                ("200 OK", r#"{"us":0}"#.to_string())
            } else {
                // The start-cursor probe and the poller's polls: an empty page.
                ("200 OK", r#"{"messages":[],"next":0,"gap":null}"#.to_string())
            };
            let answer = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            if stream.write_all(answer.as_bytes()).await.is_err() {
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_do_not_slow_the_schedule() {
    // Every answer takes 300 ms: one connection could publish about 3 per second, the schedule asks 40.
    let slow = Slow::new(Duration::from_millis(300), false);
    let url = slow.start().await;
    let mut publisher = Publisher::new(Target::parse(&url).unwrap());
    let live = Live::default();
    let plan = PublishPlan {
        start: Instant::now(),
        duration: Duration::from_secs(2),
        rate: 40.0,
        payload: 16,
        answer_grace: Duration::from_secs(5),
    };
    let p = publisher.publish(plan, &live, &CancellationToken::new()).await;
    // Every scheduled publish went out and reached the server, none waiting for an earlier answer.
    assert_eq!(p.requests, 80, "{p:#?}");
    assert_eq!(slow.arrivals.load(Relaxed), 80);
    assert_eq!((p.errors, live.published.load(Relaxed)), (0, 80), "{p:#?}");
    assert!(p.connections.unwrap() > 1, "{p:#?}");
    // A fast server is published to on one connection, and the rate is the window's, however early the
    // last answer came.
    let fast = Slow::new(Duration::ZERO, false);
    let mut publisher = Publisher::new(Target::parse(&fast.start().await).unwrap());
    let live = Live::default();
    let plan = PublishPlan { start: Instant::now(), rate: 10.0, ..plan };
    let q = publisher.publish(plan, &live, &CancellationToken::new()).await;
    assert_eq!((q.requests, q.connections, q.achieved_rate_per_s, q.rate_kept), (20, Some(1), Some(10.0), Some(true)));
    assert_eq!((p.first_id, p.last_id), (Some(1), Some(80)));
    assert_eq!(p.achieved_rate_per_s, Some(40.0));
    assert_eq!(p.rate_kept, Some(true), "{p:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_the_server_cannot_take_is_reported_as_not_kept() {
    // One publish at a time, 200 ms each: at most 5 per second, whatever the publisher does.
    let slow = Slow::new(Duration::from_millis(200), true);
    let url = slow.start().await;
    let mut c = BenchConfig::new(Target::parse(&url).unwrap(), Transport::Poll);
    c.duration = Duration::from_secs(2);
    c.rate = 40.0;
    c.drain = Duration::from_secs(1);
    c.seed = Some(1);
    let r = run_bench(c, None, CancellationToken::new()).await.unwrap();
    let p = &r.publish;
    assert_eq!(p.rate_kept, Some(false), "{p:#?}");
    let achieved = p.achieved_rate_per_s.unwrap();
    assert!(achieved < 40.0 * 0.95, "{p:#?}");
    assert_eq!(r.published as f64 / 2.0, achieved);
    // The table says so in a line of its own, and the JSON carries it.
    let table = feedlab_harness::summary::render(&r);
    let warning = table
        .lines()
        .find(|l| l.trim_start().starts_with("WARNING: rate not kept"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(warning.contains("asked 40 msg/s"), "{warning}");
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(json["publish"]["rate_kept"], false);
}
