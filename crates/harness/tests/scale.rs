//! Scale runs, ignored by default (minutes, and they measure the machine): run with
//! `FEEDLAB_SCALE_CLIENTS=1000 FEEDLAB_SCALE_TRANSPORT=ws cargo test -p feedlab-harness --release --test scale -- --ignored --nocapture`.
//! They print the summary table; the only assertions are the integrity ones, which hold at any scale.

mod common;

use std::time::Duration;

use feedlab_harness::Transport;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: minutes long, run by hand"]
async fn many_clients() {
    let clients: usize = std::env::var("FEEDLAB_SCALE_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let transport = match std::env::var("FEEDLAB_SCALE_TRANSPORT").as_deref() {
        Ok("poll") => Transport::Poll,
        Ok("longpoll") => Transport::Longpoll,
        Ok("sse") => Transport::Sse,
        _ => Transport::Ws,
    };
    let secs: u64 = std::env::var("FEEDLAB_SCALE_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let server = common::server();
    let mut c = common::config(&server, transport);
    c.clients = clients;
    c.duration = Duration::from_secs(secs);
    c.rate = 1.0;
    let r = common::bench(c).await;
    println!("{}", feedlab_harness::summary::render(&r));
    assert_eq!((r.integrity.lost, r.integrity.duplicated, r.integrity.reordered), (0, 0, 0));
}
