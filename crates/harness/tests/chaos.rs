//! Reliability against a real server: `--chaos` drops connections abruptly and every transport still
//! delivers every id exactly once, in order; a server restart (a new feed epoch) mid-run is reported as
//! `epoch_changed` and never mixes the two feeds' ids.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{bench, config, server};
use feedlab_harness::{Target, Transport};
use feedlab_server::testing::TestServer;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// 20 clients, 5 s, a quarter of them dropped every second: every transport recovers without loss.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transport_survives_chaos() {
    for transport in [Transport::Poll, Transport::Longpoll, Transport::Sse, Transport::Ws] {
        let server = server();
        let mut c = config(&server, transport);
        c.clients = 20;
        c.duration = Duration::from_secs(5);
        c.rate = 4.0;
        c.poll_interval = Duration::from_millis(250);
        c.chaos = 0.25;
        let r = bench(c).await;
        println!(
            "{transport}: drops {} reconnects {} (after chaos {}) lost {} duplicated {} reordered {} errors {:?}",
            r.chaos.drops,
            r.reconnects,
            r.chaos.reconnects,
            r.integrity.lost,
            r.integrity.duplicated,
            r.integrity.reordered,
            r.errors
        );
        assert!(r.chaos.drops > 0, "{transport}: nothing was dropped: {r:#?}");
        assert!(r.chaos.reconnects >= r.chaos.drops, "{transport}: {:?}", r.chaos);
        assert!(r.reconnects >= r.chaos.reconnects, "{transport}: {r:#?}");
        assert!(r.connections > r.clients, "{transport}: a drop must cost a new connection: {r:#?}");
        assert_eq!(r.chaos.rate_per_s, 0.25);
        common::assert_clean(&r);
    }
}

/// A TCP proxy standing for "the server at this address": [`Switch::restart`] drops every connection
/// through it at once (as a crashed server does) and sends new ones to another server, whose feed is a new
/// epoch starting again at id 1.
struct Switch {
    addr: SocketAddr,
    backend: watch::Sender<SocketAddr>,
    conns: Arc<Mutex<JoinSet<()>>>,
}

impl Switch {
    async fn start(first: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (backend, rx) = watch::channel(first);
        let conns: Arc<Mutex<JoinSet<()>>> = Arc::default();
        let spawn_into = conns.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let to = *rx.borrow();
                spawn_into.lock().unwrap().spawn(async move {
                    if let Ok(mut upstream) = TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
            }
        });
        Switch { addr, backend, conns }
    }

    fn restart(&self, next: SocketAddr) {
        self.backend.send_replace(next);
        // Aborting the relay tasks drops both sockets of every connection: no close frame, no goodbye.
        self.conns.lock().unwrap().abort_all();
    }
}

/// The server restarts mid-run (a new epoch): every client is told with a 409, counts `epoch_changed`
/// once, starts again at the new feed's head and receives every id published there; ids of the two feeds
/// are never compared (a client that mixed them would report the new feed's low ids as duplicates, or
/// the old feed's ids as lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_is_an_epoch_change_not_loss() {
    for transport in [Transport::Poll, Transport::Longpoll, Transport::Sse, Transport::Ws] {
        let first = server();
        // Both feeds count from 1, so their ids overlap: mixing them up would show.
        let switch = Switch::start(first.addr).await;
        let mut c = config(&first, transport);
        c.target = Target::parse(&format!("http://{}", switch.addr)).unwrap();
        c.clients = 4;
        c.duration = Duration::from_secs(5);
        c.rate = 5.0;
        c.poll_interval = Duration::from_millis(200);
        let run = tokio::spawn(bench(c));
        tokio::time::sleep(Duration::from_millis(2000)).await;
        // Started now, so its feed's epoch (its creation instant in us) differs from the first one's.
        let second = server();
        switch.restart(second.addr);
        let r = run.await.unwrap();
        println!(
            "{transport}: errors {:?} delivered {} expected {} lost {} duplicated {} publish {:?}",
            r.errors, r.integrity.delivered, r.integrity.expected, r.integrity.lost, r.integrity.duplicated, r.publish
        );
        assert_eq!(r.publish.epoch_changes, 1, "{transport}: the publisher did not notice: {:?}", r.publish);
        assert_eq!(r.errors.get("epoch_changed"), Some(&r.clients), "{transport}: {:?}", r.errors);
        assert_eq!((r.integrity.lost, r.integrity.duplicated, r.integrity.reordered), (0, 0, 0), "{transport}: {r:#?}");
        // Every client reached the last id published into the new feed.
        let (first_id, last_id) = (r.publish.first_id.unwrap(), r.publish.last_id.unwrap());
        assert!(last_id >= first_id);
        assert!(r.integrity.delivered >= r.clients * (last_id - first_id + 1), "{transport}: {r:#?}");
        assert!(r.reconnects >= r.clients, "{transport}: {r:#?}");
        drop((first, second));
    }
}

/// The run records the epoch the server named in `GET /time` (the one clients send back as `epoch=`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_records_the_feed_epoch() {
    let server: TestServer = server();
    let r = bench(config(&server, Transport::Ws)).await;
    common::assert_clean(&r);
    let time = common::get_json(&server, "/time").await;
    assert_eq!(r.publish.epoch, time["epoch"].as_u64(), "{time}");
    assert_eq!(r.publish.epoch_changes, 0);
}
