//! `feedlab floor`: what the kernel alone charges for a push, measured on the machine at hand.
//!
//! A push server's cheapest possible delivery is one `send()` of a small frame to an idle TCP socket whose
//! peer is waiting in epoll. Nothing a server does in user space can take that cost away (it can only share
//! it between frames, by writing several in one call), so every server CPU figure per delivered message is
//! read against it: `server us per delivery / floor us per send`.
//!
//! How it is measured ([`run_floor`]):
//! - **Sockets.** N loopback TCP connections (`--pairs`, 5,000 by default: two sockets each, so at most about
//!   (open-file limit - spare) / 2). The accepted end of each sends, like a server's; the connecting end
//!   reads, like a client's. Nagle is off on the sending end (TCP_NODELAY), as servers set it.
//! - **Sender.** One thread writes a buffer of 1, 4 or 16 frames (a 2-byte WebSocket header and a 32-byte
//!   payload by default) with one non-blocking `send()` to each socket in turn, round-robin: each socket sees
//!   one write every N, so it is always an idle socket that gets written, as in a broadcast. By default it
//!   sends 10,000 times a second (`--send-rate`), the deliveries of 10,000 clients at 1 msg/s, waiting for
//!   each slot on its own CPU. Its CPU is its thread clock (`CLOCK_THREAD_CPUTIME_ID`) read around each
//!   `send()`, the cost of the two reads (calibrated at start) taken off, so the waiting is not counted.
//!   `--send-rate 0` sends flat out and counts the whole window instead.
//! - **Reader.** Another thread waits in `epoll_wait` (level-triggered) on all N reading sockets and does
//!   one `recv()` per ready socket, into a 64 KiB buffer: the least a client can do to take the bytes. Its
//!   CPU is its thread clock over the window, read by the sender at the window's edges. Reader CPU per frame
//!   = its CPU / (bytes received / frame size).
//! - **Windows.** Per number of frames per send: a warm-up (sockets' buffers and the reader settle), then a
//!   measured window, repeated `--repeats` times: median and range. `would_block` counts sends refused for a
//!   full buffer (the reader fell behind); it should be 0.
//!
//! What it includes, and how it compares with the server: on loopback the receiving side's TCP processing
//! (the softirq that queues the segment on the peer socket and wakes its epoll waiter) runs inside the
//! sender's `send()` and is charged to the sender thread as system time (this kernel's softirq time is
//! charged to the interrupted task unless `CONFIG_IRQ_TIME_ACCOUNTING` is set, and the same accounting
//! applies to the server's `/proc/PID/stat`). So the figure is what a server on this machine pays per
//! `send()` to a harness client on the same machine: the same kernel path, the same accounting.
//!
//! Pace and placement decide whether that path includes waking the reader, by far its largest part on a
//! virtual machine (a wakeup of a sleeping thread on another CPU is an inter-processor interrupt). A server
//! pushing to idle clients does user-space work between two sends, so the harness's readers drain faster
//! than it writes and sleep between its sends: each send wakes one. Paced (the default) the floor's reader
//! is in that state: it drains and sleeps, and `reader_wakeups` is close to `sends`. Flat out, the reader
//! never catches up, finds hundreds of sockets ready per wakeup and the sender almost never wakes it: a
//! lower bound no server reaches. [`Placement`]: with the sender and the reader on **two CPUs** (`apart`,
//! the default on a machine with two or more) the reader drains on its own CPU while the sender waits on
//! its own, as the harness reads on the other core while the server pushes, and the sender's waiting never
//! takes the reader's CPU. On **one CPU** (`same`) the reader only runs when the sender is preempted, which
//! no server run has; it is there to show the difference, not as the floor.

mod sys;

use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use feedlab_contract::floor::{FLOOR_SCHEMA_VERSION, FloorCase, FloorResult, FloorRun, Placement};
use feedlab_contract::rfc6455;
use indicatif::ProgressBar;

use crate::Error;
use crate::net::{FD_RESERVE, open_file_limit};
use crate::record::now_us;

/// Loopback connections by default: as many idle sockets as a mid-sized step has clients, well inside the
/// 20,000 open files this machine allows (two per pair).
pub const DEFAULT_PAIRS: usize = 5_000;

/// Payload bytes per frame by default: the feed's small messages (the 32-byte payloads).
pub const DEFAULT_PAYLOAD: usize = 32;

/// Frames per `send()` measured by default: one message per call, and what coalescing 4 or 16 gives.
pub const DEFAULT_FRAMES_PER_SEND: [u64; 3] = [1, 4, 16];

/// Sending before each measured window: long enough for every socket to have been written a few times
/// and the reader to reach its steady pace.
pub const DEFAULT_WARMUP: Duration = Duration::from_secs(1);

/// Measured window: hundreds of thousands of sends, so the clock's edges do not matter.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(2);

/// Measured windows per case: enough for a median and a range.
pub const DEFAULT_REPEATS: usize = 3;

/// The largest buffer one `send()` may carry: frames per send times frame size stays under the default
/// socket send buffer, so a send is never split by the kernel.
pub const MAX_SEND_BYTES: usize = 64 * 1024;

/// The reader's receive buffer: larger than anything one socket accumulates between two reads.
const READ_BUFFER: usize = 64 * 1024;

/// Ready sockets taken per `epoll_wait`.
const EPOLL_BATCH: usize = 1024;

/// The reader's `epoll_wait` timeout: only how quickly it notices the end.
const EPOLL_TIMEOUT_MS: i32 = 50;

/// Sends between two looks at the clock when sending flat out (cheap next to a send, and far finer than a
/// window).
const SENDS_PER_CLOCK_CHECK: u64 = 64;

/// Back-to-back thread-clock reads that calibrate what bracketing a send costs by itself.
const CLOCK_CALIBRATION: usize = 10_000;

/// Sends per second by default: 10,000 deliveries a second (10,000 clients x 1 msg/s), slower than the
/// reader takes them, so each send finds its reader asleep in `epoll_wait` and pays for waking it, as a
/// server's sends to an idle harness do.
pub const DEFAULT_SEND_RATE: f64 = 10_000.0;

/// What to measure. [`FloorConfig::default`] has the documented defaults.
#[derive(Debug, Clone)]
pub struct FloorConfig {
    /// Loopback TCP connections.
    pub pairs: usize,
    /// Frame header bytes (default: a server's WebSocket header for the payload, 2 bytes up to 125).
    pub header_bytes: usize,
    /// Frame payload bytes.
    pub payload_bytes: usize,
    /// Frames per `send()`, one case each.
    pub frames_per_send: Vec<u64>,
    /// Sending before each measured window.
    pub warmup: Duration,
    /// Each measured window.
    pub window: Duration,
    /// Measured windows per case.
    pub repeats: usize,
    /// Where the sender and the reader run.
    pub placement: Placement,
    /// Sends per second (0: flat out). See the module docs.
    pub send_rate: f64,
}

impl Default for FloorConfig {
    /// The documented defaults; the threads on two CPUs when this process may use two (see [`Placement`]).
    fn default() -> Self {
        let two_cpus = sys::allowed_cpus().is_ok_and(|c| c.len() >= 2);
        FloorConfig {
            pairs: DEFAULT_PAIRS,
            header_bytes: rfc6455::header_len(DEFAULT_PAYLOAD as u64, false),
            payload_bytes: DEFAULT_PAYLOAD,
            frames_per_send: DEFAULT_FRAMES_PER_SEND.to_vec(),
            warmup: DEFAULT_WARMUP,
            window: DEFAULT_WINDOW,
            repeats: DEFAULT_REPEATS,
            placement: if two_cpus { Placement::Apart } else { Placement::Any },
            send_rate: DEFAULT_SEND_RATE,
        }
    }
}

impl FloorConfig {
    /// Bytes of one frame.
    pub fn frame_bytes(&self) -> usize {
        self.header_bytes + self.payload_bytes
    }

    /// Checks the settings and this process's limits; returns the CPUs the sender and reader are pinned to.
    pub fn validate(&self) -> Result<(Option<u32>, Option<u32>), Error> {
        let bad = |m: String| Err(Error::Config(m));
        if self.pairs == 0 {
            return bad("--pairs must be at least 1".into());
        }
        if let Some(limit) = open_file_limit() {
            let needed = self.pairs as u64 * 2 + FD_RESERVE;
            if needed > limit {
                let max = limit.saturating_sub(FD_RESERVE) / 2;
                return bad(format!(
                    "{} pairs need about {needed} open files (two sockets per pair, plus {FD_RESERVE} spare) but this \
                     process may open only {limit} (ulimit -n): use at most {max} pairs",
                    self.pairs
                ));
            }
        }
        if self.frame_bytes() == 0 {
            return bad("a frame must have at least one byte (--header-bytes + --payload)".into());
        }
        if self.frames_per_send.is_empty() {
            return bad("--frames-per-send needs at least one value".into());
        }
        for &k in &self.frames_per_send {
            if k == 0 || k as usize * self.frame_bytes() > MAX_SEND_BYTES {
                return bad(format!(
                    "--frames-per-send {k}: must be at least 1 and {k} x {} B frames at most {MAX_SEND_BYTES} B",
                    self.frame_bytes()
                ));
            }
        }
        if self.window.is_zero() {
            return bad("--window must be longer than 0".into());
        }
        if self.repeats == 0 {
            return bad("--repeats must be at least 1".into());
        }
        if !self.send_rate.is_finite() || self.send_rate < 0.0 {
            return bad(format!("--send-rate {}: must be a finite rate >= 0 (0: flat out)", self.send_rate));
        }
        let cpus = sys::allowed_cpus().map_err(|e| Error::io("reading this process's CPUs", e))?;
        match self.placement {
            Placement::Any => Ok((None, None)),
            Placement::Same => Ok((cpus.first().copied(), cpus.first().copied())),
            Placement::Apart => match cpus[..] {
                [sender, reader, ..] => Ok((Some(sender), Some(reader))),
                _ => bad(format!(
                    "--placement apart needs two CPUs and this process may use {}: use --placement any",
                    cpus.len()
                )),
            },
        }
    }
}

/// The reader's running totals, stored by the reader after every batch and read by the sender at the
/// edges of a window (one writer each: plain stores, no contention on the measured path).
#[derive(Debug, Default)]
struct ReaderTotals {
    bytes: AtomicU64,
    reads: AtomicU64,
    wakeups: AtomicU64,
}

/// Both threads' clocks and the reader's totals at one instant.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    at: Instant,
    sender_cpu_s: f64,
    sender_user_s: f64,
    sender_system_s: f64,
    reader_cpu_s: f64,
    reader_bytes: u64,
    reader_reads: u64,
    reader_wakeups: u64,
}

impl Snapshot {
    /// Taken on the sender thread; `reader_clock` is the reader thread's CPU clock.
    fn take(reader_clock: libc::clockid_t, totals: &ReaderTotals) -> std::io::Result<Snapshot> {
        let (sender_user_s, sender_system_s) = sys::this_thread_user_system_s()?;
        Ok(Snapshot {
            at: Instant::now(),
            sender_cpu_s: sys::cpu_clock_s(libc::CLOCK_THREAD_CPUTIME_ID)?,
            sender_user_s,
            sender_system_s,
            reader_cpu_s: sys::cpu_clock_s(reader_clock)?,
            reader_bytes: totals.bytes.load(Relaxed),
            reader_reads: totals.reads.load(Relaxed),
            reader_wakeups: totals.wakeups.load(Relaxed),
        })
    }

    /// The window from `self` to `end`, in which the sender did what `sent` says.
    fn run_until(&self, end: &Snapshot, sent: Sent) -> FloorRun {
        FloorRun {
            window_s: end.at.duration_since(self.at).as_secs_f64(),
            sends: sent.sends,
            would_block: sent.would_block,
            sender_cpu_s: sent.send_cpu_s.unwrap_or(end.sender_cpu_s - self.sender_cpu_s),
            sender_user_s: end.sender_user_s - self.sender_user_s,
            sender_system_s: (end.sender_system_s - self.sender_system_s - sent.clock_reads_s).max(0.0),
            reader_cpu_s: end.reader_cpu_s - self.reader_cpu_s,
            reader_bytes: end.reader_bytes - self.reader_bytes,
            reader_reads: end.reader_reads - self.reader_reads,
            reader_wakeups: end.reader_wakeups - self.reader_wakeups,
        }
    }
}

/// Measures the floor (see the module docs). Blocking: it runs two threads of its own for about
/// `cases x repeats x (warm-up + window)` and returns when they are done. `progress`, if given, counts
/// measured windows.
pub fn run_floor(config: &FloorConfig, progress: Option<ProgressBar>) -> Result<FloorResult, Error> {
    let (sender_cpu, reader_cpu) = config.validate()?;
    let cpus = sys::allowed_cpus().map_err(|e| Error::io("reading this process's CPUs", e))?.len() as u64;
    let started_unix_ms = now_us() / 1000;
    let (senders, readers) = open_pairs(config.pairs).map_err(|e| Error::io("opening loopback TCP pairs", e))?;
    let send_fds: Vec<RawFd> = senders.iter().map(AsRawFd::as_raw_fd).collect();
    let read_fds: Vec<RawFd> = readers.iter().map(AsRawFd::as_raw_fd).collect();
    let progress = progress.unwrap_or_else(ProgressBar::hidden);
    progress.set_length((config.frames_per_send.len() * config.repeats) as u64);

    let stop = AtomicBool::new(false);
    let totals = ReaderTotals::default();
    let (stop, totals, send_fds, progress_ref) = (&stop, &totals, &send_fds[..], &progress);
    let cases = std::thread::scope(|scope| {
        let (clock_tx, clock_rx) = mpsc::channel();
        let reader = scope.spawn(|| read_all(&read_fds, reader_cpu, stop, totals, clock_tx));
        let sender = scope.spawn(move || {
            // The reader says its clock once it is pinned and watching; no clock means it failed.
            let measured = match clock_rx.recv() {
                Ok(clock) => send_all(config, send_fds, sender_cpu, clock, totals, progress_ref),
                Err(_) => Ok(Vec::new()),
            };
            stop.store(true, Relaxed);
            measured
        });
        let cases = sender.join().map_err(|_| Error::Config("the floor's sender thread panicked".into()))?;
        let read = reader.join().map_err(|_| Error::Config("the floor's reader thread panicked".into()))?;
        read.map_err(|e| Error::io("floor reader", e))?;
        cases.map_err(|e| Error::io("floor sender", e))
    })?;
    progress.finish_and_clear();
    drop((senders, readers));

    let frame_bytes = config.frame_bytes() as u64;
    let cases = cases
        .into_iter()
        .map(|(k, runs)| {
            FloorCase::from_runs(k, frame_bytes, runs).ok_or_else(|| {
                Error::Config(format!("{k} frames per send: nothing was sent or received in the measured windows"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FloorResult {
        schema_version: FLOOR_SCHEMA_VERSION,
        kind: "floor".into(),
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        started_unix_ms,
        pairs: config.pairs as u64,
        header_bytes: config.header_bytes as u64,
        payload_bytes: config.payload_bytes as u64,
        warmup_s: config.warmup.as_secs_f64(),
        window_s: config.window.as_secs_f64(),
        repeats: config.repeats as u64,
        placement: config.placement,
        send_rate_per_s: config.send_rate,
        sender_cpu,
        reader_cpu,
        cpus,
        cases,
    })
}

/// `n` connected loopback TCP pairs, non-blocking: (sending ends, reading ends).
fn open_pairs(n: usize) -> std::io::Result<(Vec<std::net::TcpStream>, Vec<std::net::TcpStream>)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let (mut senders, mut readers) = (Vec::with_capacity(n), Vec::with_capacity(n));
    // One at a time: the listen queue never overflows, and each accepted socket is the one just connected.
    for _ in 0..n {
        let reader = std::net::TcpStream::connect(addr)?;
        let (sender, _) = listener.accept()?;
        sender.set_nodelay(true)?;
        sender.set_nonblocking(true)?;
        reader.set_nonblocking(true)?;
        senders.push(sender);
        readers.push(reader);
    }
    Ok((senders, readers))
}

/// The sender thread: every case, every repeat, warm-up then window. Returns each case's runs.
fn send_all(
    config: &FloorConfig,
    fds: &[RawFd],
    cpu: Option<u32>,
    reader_clock: libc::clockid_t,
    totals: &ReaderTotals,
    progress: &ProgressBar,
) -> std::io::Result<Vec<(u64, Vec<FloorRun>)>> {
    if let Some(cpu) = cpu {
        sys::pin_this_thread(cpu)?;
    }
    let mut sender = Sender::new(fds, config.send_rate)?;
    let frame = frame(config.header_bytes, config.payload_bytes);
    let mut cases = Vec::new();
    for &k in &config.frames_per_send {
        let buf = frame.repeat(k as usize);
        let mut runs = Vec::with_capacity(config.repeats);
        for _ in 0..config.repeats {
            sender.send_for(config.warmup, &buf)?;
            let start = Snapshot::take(reader_clock, totals)?;
            let sent = sender.send_for(config.window, &buf)?;
            let end = Snapshot::take(reader_clock, totals)?;
            runs.push(start.run_until(&end, sent));
            progress.inc(1);
        }
        cases.push((k, runs));
    }
    Ok(cases)
}

/// One frame: a server's WebSocket text-frame header when `header_bytes` is that header's size for the
/// payload, zero bytes otherwise (the kernel does not look at them), then the payload.
fn frame(header_bytes: usize, payload_bytes: usize) -> Vec<u8> {
    let mut frame = vec![0u8; header_bytes];
    if header_bytes == 2 && header_bytes == rfc6455::header_len(payload_bytes as u64, false) {
        // FIN + text opcode; unmasked, 7-bit length.
        frame.copy_from_slice(&[0x81, rfc6455::len7_for(payload_bytes as u64)]);
    }
    frame.resize(header_bytes + payload_bytes, b'x');
    frame
}

/// What one stretch of sending did.
#[derive(Debug, Clone, Copy, Default)]
struct Sent {
    /// Whole sends.
    sends: u64,
    /// Sends refused as full.
    would_block: u64,
    /// Paced: the sender's CPU inside its `send()` calls (each one bracketed by thread-clock reads, their
    /// own cost taken off). Flat out: None, the window's thread CPU is all sending.
    send_cpu_s: Option<f64>,
    /// Paced: the CPU of the clock reads themselves (mostly system time), to take off the window's system CPU.
    clock_reads_s: f64,
}

/// The sending side: the sockets, whose turn it is, and the pace.
struct Sender<'a> {
    fds: &'a [RawFd],
    next: usize,
    /// Time between two sends (None: flat out).
    interval: Option<Duration>,
    /// CPU of reading the thread clock twice with nothing in between, seconds.
    clock_pair_s: f64,
}

impl<'a> Sender<'a> {
    fn new(fds: &'a [RawFd], send_rate: f64) -> std::io::Result<Sender<'a>> {
        let interval = (send_rate > 0.0).then(|| Duration::from_secs_f64(1.0 / send_rate));
        // Calibrate: what two back-to-back clock reads measure is the bracketing's own share.
        let clock = libc::CLOCK_THREAD_CPUTIME_ID;
        let mut total = 0.0;
        for _ in 0..CLOCK_CALIBRATION {
            let a = sys::cpu_clock_s(clock)?;
            total += sys::cpu_clock_s(clock)? - a;
        }
        Ok(Sender { fds, next: 0, interval, clock_pair_s: total / CLOCK_CALIBRATION as f64 })
    }

    /// One `send()` of `buf` to the next socket.
    fn send_one(&mut self, buf: &[u8], sent: &mut Sent) -> std::io::Result<()> {
        match sys::send(self.fds[self.next], buf)? {
            sys::Transfer::Bytes(n) if n == buf.len() => sent.sends += 1,
            // A partial write cannot happen below the send buffer's size; count it with the refusals rather
            // than pretend it was whole.
            sys::Transfer::Bytes(_) | sys::Transfer::WouldBlock => sent.would_block += 1,
        }
        self.next = (self.next + 1) % self.fds.len();
        Ok(())
    }

    /// Sends `buf` round-robin for `how_long`, flat out or at the pace.
    fn send_for(&mut self, how_long: Duration, buf: &[u8]) -> std::io::Result<Sent> {
        let start = Instant::now();
        let end = start + how_long;
        let mut sent = Sent::default();
        let Some(interval) = self.interval else {
            loop {
                for _ in 0..SENDS_PER_CLOCK_CHECK {
                    self.send_one(buf, &mut sent)?;
                }
                if Instant::now() >= end {
                    return Ok(sent);
                }
            }
        };
        let clock = libc::CLOCK_THREAD_CPUTIME_ID;
        let mut cpu = 0.0;
        let mut slot = start;
        while slot < end {
            // Wait for the slot on this CPU (the reader, on its own, drains and goes back to sleep).
            while Instant::now() < slot {
                std::hint::spin_loop();
            }
            let before = sys::cpu_clock_s(clock)?;
            self.send_one(buf, &mut sent)?;
            cpu += sys::cpu_clock_s(clock)? - before - self.clock_pair_s;
            slot += interval;
            // Behind by more than a slot (the machine was busy): carry on from now rather than burst.
            let now = Instant::now();
            if now > slot + interval {
                slot = now;
            }
        }
        sent.send_cpu_s = Some(cpu.max(0.0));
        sent.clock_reads_s = (sent.sends + sent.would_block) as f64 * self.clock_pair_s;
        Ok(sent)
    }
}

/// The reader thread: pins itself, watches every reading socket, hands its CPU clock to the sender, then
/// takes whatever arrives until `stop`.
fn read_all(
    fds: &[RawFd],
    cpu: Option<u32>,
    stop: &AtomicBool,
    totals: &ReaderTotals,
    clock_tx: mpsc::Sender<libc::clockid_t>,
) -> std::io::Result<()> {
    if let Some(cpu) = cpu {
        sys::pin_this_thread(cpu)?;
    }
    let epoll = sys::Epoll::new()?;
    for &fd in fds {
        epoll.add_readable(fd)?;
    }
    // If the sender is gone there is nobody to read for.
    if clock_tx.send(sys::this_thread_clock()?).is_err() {
        return Ok(());
    }
    drop(clock_tx);
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; EPOLL_BATCH];
    let mut ready = Vec::with_capacity(EPOLL_BATCH);
    let mut buf = vec![0u8; READ_BUFFER];
    let (mut bytes, mut reads, mut wakeups) = (0u64, 0u64, 0u64);
    while !stop.load(Relaxed) {
        epoll.wait(&mut events, &mut ready, EPOLL_TIMEOUT_MS)?;
        if ready.is_empty() {
            continue;
        }
        wakeups += 1;
        for &fd in &ready {
            match sys::recv(fd, &mut buf)? {
                sys::Transfer::Bytes(0) => epoll.remove(fd),
                sys::Transfer::Bytes(n) => {
                    bytes += n as u64;
                    reads += 1;
                }
                sys::Transfer::WouldBlock => {}
            }
        }
        totals.bytes.store(bytes, Relaxed);
        totals.reads.store(reads, Relaxed);
        totals.wakeups.store(wakeups, Relaxed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_websocket_frames_when_the_header_fits() {
        assert_eq!(frame(2, 3), [0x81, 3, b'x', b'x', b'x']);
        assert_eq!(frame(0, 2), b"xx");
        assert_eq!(frame(4, 1), [0, 0, 0, 0, b'x']);
    }

    #[test]
    fn bad_settings_are_refused_with_the_flag() {
        let bad = |f: fn(&mut FloorConfig)| {
            let mut c = FloorConfig::default();
            f(&mut c);
            c.validate().unwrap_err().to_string()
        };
        assert!(bad(|c| c.pairs = 0).contains("--pairs"));
        if open_file_limit().is_some() {
            assert!(bad(|c| c.pairs = 1_000_000).contains("ulimit -n"));
        }
        assert!(bad(|c| c.frames_per_send = vec![1, 0]).contains("--frames-per-send 0"));
        assert!(bad(|c| c.frames_per_send = vec![100_000]).contains("at most"));
        assert!(bad(|c| c.repeats = 0).contains("--repeats"));
        assert!(bad(|c| (c.header_bytes, c.payload_bytes) = (0, 0)).contains("at least one byte"));
    }
}
