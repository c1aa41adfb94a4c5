//! The worker's side of the protocol: `feedlab bench --worker`, its share of the clients run by the same
//! [`Local`] a single process uses, driven by its coordinator over stdin and stdout.

use super::*;

/// `feedlab bench --worker`: runs one worker, talking to its coordinator over stdin and stdout.
pub async fn run_worker() -> Result<(), Error> {
    let mut out = tokio::io::stdout();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let io = |e| Error::io("talking to the coordinator", e);
    let Some(first) = lines.next_line().await.map_err(io)? else { return Ok(()) };
    let (groups, start) = match serde_json::from_str(&first) {
        Ok(ToWorker::Start { groups, start, .. }) => (groups, start),
        Ok(other) => return Err(Error::Worker(format!("worker: expected start, got {other:?}"))),
        Err(e) => {
            return Err(Error::Worker(format!("worker: not a start line ({e}); this is for feedlab bench --procs")));
        }
    };
    let mut validated = Vec::with_capacity(groups.len());
    for mut g in groups {
        if let Err(e) = g.validate() {
            send(&mut out, &FromWorker::Failed { error: e.to_string() }).await.map_err(io)?;
            return Err(e);
        }
        validated.push(Arc::new(g));
    }
    let groups = validated;
    let cancel = CancellationToken::new();
    let (tx, mut from_coordinator) = mpsc::channel(4);
    {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            loop {
                match lines.next_line().await {
                    Ok(Some(line)) => match serde_json::from_str::<ToWorker>(&line) {
                        Ok(ToWorker::Cancel) => cancel.cancel(),
                        Ok(msg) => {
                            if tx.send(msg).await.is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "worker: a line from the coordinator that is not the protocol")
                        }
                    },
                    // The coordinator is gone: stop.
                    _ => {
                        cancel.cancel();
                        return;
                    }
                }
            }
        });
    }
    let live = Arc::new(Live::default());
    let out = Arc::new(tokio::sync::Mutex::new(out));
    let reporting = CancellationToken::new();
    let reporter = {
        let (live, out, stop) = (live.clone(), out.clone(), reporting.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(LIVE_EVERY);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.cancelled() => return,
                }
                let _ = send(&mut *out.lock().await, &FromWorker::Live { counts: read(&live) }).await;
            }
        })
    };
    let mut local = Local::start(&groups, &start, live.clone(), cancel.clone()).await?;
    local.ramp(groups[0].ramp_timeout, &ProgressBar::hidden()).await;
    send(&mut *out.lock().await, &FromWorker::Live { counts: read(&live) }).await.map_err(io)?;
    send(&mut *out.lock().await, &FromWorker::Ready).await.map_err(io)?;
    let gone = || Error::Worker("worker: the coordinator went away".into());
    let mut end = None;
    while end.is_none() {
        match from_coordinator.recv().await.ok_or_else(gone)? {
            ToWorker::Window { start_us } => local.open(Window { start: Instant::now(), start_us }),
            ToWorker::End { publish, drain } => end = Some((publish, drain)),
            other => return Err(Error::Worker(format!("worker: unexpected {other:?}"))),
        }
    }
    let (publish, drain) = end.ok_or_else(gone)?;
    let records = local.drain(&publish, drain).await;
    reporting.cancel();
    let _ = reporter.await;
    let totals = fold(records, &publish, start.probe.epoch, cancel.is_cancelled());
    let mut out = out.lock().await;
    send(&mut *out, &FromWorker::Live { counts: read(&live) }).await.map_err(io)?;
    send(&mut *out, &FromWorker::Done { totals }).await.map_err(io)?;
    Ok(())
}
