//! The harness's counting stream (`feedlab_harness::counting`): every byte figure of a result comes from
//! how it sorts HTTP heads, bodies, RFC 6455 frames and HTTP/2 frames.
//!
//! Input: a script of one connection, as records `>` or `<`, a 16-bit big-endian length, then that many
//! bytes written (`>`) or read (`<`); a first byte `U` instead of `H` makes it a WebSocket upgrade
//! ([`CountingStream::for_upgrade`]), `2` an h2c connection ([`CountingStream::for_h2`]). Checked: every
//! byte lands in exactly one category (of its direction, but for HTTP/2's setup, DATA headers and control,
//! counted for both directions together), `sent` and `received` (and the run-wide live totals) are the
//! bytes fed, the result's categories ([`WireCounters::categorize`]) add up to them, and no counter depends
//! on how the bytes were cut into reads and writes, on short writes, or on merging neighbouring records of
//! one direction.

use std::cell::Cell;
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::task::{Context, Poll, Waker};

use feedlab_harness::counting::{CountingStream, LiveBytes, WireCounters};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use rand::Rng;
use rand::rngs::SmallRng;

use crate::{rng_for, splittings};

/// One step of the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Bytes the client writes.
    Write(Vec<u8>),
    /// Bytes the client reads.
    Read(Vec<u8>),
}

/// What the connection carries, from the script's first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `H`: HTTP/1.1.
    Http,
    /// `U`: a WebSocket upgrade, then frames.
    Upgrade,
    /// `2`: HTTP/2 with prior knowledge.
    H2,
}

impl Mode {
    fn byte(self) -> u8 {
        match self {
            Mode::Http => b'H',
            Mode::Upgrade => b'U',
            Mode::H2 => b'2',
        }
    }
}

/// Reads the script: (mode, steps). A record cut short keeps the bytes there are.
pub fn parse_script(data: &[u8]) -> (Mode, Vec<Op>) {
    let Some((&kind, mut rest)) = data.split_first() else { return (Mode::Http, Vec::new()) };
    let mut ops = Vec::new();
    while let [dir, hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let bytes = tail[..len].to_vec();
        ops.push(if *dir == b'>' { Op::Write(bytes) } else { Op::Read(bytes) });
        rest = &tail[len..];
    }
    let mode = match kind {
        b'U' => Mode::Upgrade,
        b'2' => Mode::H2,
        _ => Mode::Http,
    };
    (mode, ops)
}

/// Writes a script ([`parse_script`]'s inverse, for seeds and tests).
pub fn write_script(mode: Mode, ops: &[Op]) -> Vec<u8> {
    let mut out = vec![mode.byte()];
    for op in ops {
        let (dir, bytes) = match op {
            Op::Write(b) => (b'>', b),
            Op::Read(b) => (b'<', b),
        };
        for piece in bytes.chunks(usize::from(u16::MAX)) {
            out.push(dir);
            out.extend_from_slice(&(piece.len() as u16).to_be_bytes());
            out.extend_from_slice(piece);
        }
    }
    out
}

/// Runs the script through a counting stream; panics on a finding.
pub fn check(data: &[u8]) {
    let (mode, ops) = parse_script(data);
    let written: u64 = ops.iter().map(|op| if let Op::Write(b) = op { b.len() as u64 } else { 0 }).sum();
    let read: u64 = ops.iter().map(|op| if let Op::Read(b) = op { b.len() as u64 } else { 0 }).sum();
    let mut rng = rng_for(data);
    let reference = run(mode, &ops, |b| vec![b], &mut rng);
    let Counts { counters, live } = &reference;
    let [
        sent,
        received,
        req_head,
        req_body,
        resp_head,
        _responses,
        resp_body,
        hs_req,
        hs_resp,
        in_h,
        in_p,
        in_c,
        out_h,
        out_p,
        out_c,
        h2_setup,
        h2_data_header,
        h2_control,
    ] = *counters;
    let h2 = h2_setup + h2_data_header + h2_control;
    assert_eq!((sent, received), (written, read), "sent and received are the bytes fed");
    assert_eq!(*live, [written, read, 0], "live totals, and no socket left open");
    // HTTP/2's setup, DATA headers and control frames are counted for both directions together.
    let ws_or_http_sent = req_head + req_body + hs_req + out_h + out_p + out_c;
    let ws_or_http_received = resp_head + resp_body + hs_resp + in_h + in_p + in_c;
    assert_eq!(ws_or_http_sent + ws_or_http_received + h2, sent + received, "every byte counted once");
    if mode != Mode::H2 {
        assert_eq!((ws_or_http_sent, h2), (sent, 0), "every written byte counted once");
    }

    // The result's categories, for any split of the payload into messages, in-band control (SSE comments,
    // Engine.IO pings), in-band handshake (Engine.IO's open packets) and framing.
    let wire = counters_of(&reference);
    let payload = resp_body + req_body + in_p;
    let messages = rng.random_range(0..=payload);
    let comments = rng.random_range(0..=payload - messages);
    let handshake = rng.random_range(0..=payload - messages - comments);
    let bytes = wire.categorize(messages, comments, handshake);
    let categories =
        [bytes.request_headers, bytes.response_headers, bytes.body, bytes.framing, bytes.handshake, bytes.control];
    assert_eq!(categories.iter().sum::<u64>(), sent + received, "categories add up: {bytes:?}");

    for split in 0..3 {
        let counts = run(mode, &ops, |b| splittings(b)[split].clone(), &mut rng);
        assert_eq!(counts, reference, "splitting {split} changed the counts");
    }
    let merged = run(mode, &merge(&ops), |b| vec![b], &mut rng);
    assert_eq!(merged, reference, "merging neighbouring records changed the counts");
}

/// What a run counted: every [`WireCounters`] field in declaration order, and the live (sent, received,
/// open) after the stream was dropped.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    counters: [u64; 18],
    live: [u64; 3],
}

/// Feeds `ops` to a fresh counting stream, each record cut by `cut`; writes are accepted a
/// pseudo-random number of bytes at a time and reads land behind bytes already in the buffer.
fn run<'a>(mode: Mode, ops: &'a [Op], cut: impl Fn(&'a [u8]) -> Vec<&'a [u8]>, rng: &mut SmallRng) -> Counts {
    let counters = WireCounters::new();
    let live = Arc::new(LiveBytes::default());
    let reads = ops.iter().filter_map(|op| if let Op::Read(b) = op { Some(cut(b)) } else { None }).flatten();
    let accept = Rc::new(Cell::new(1));
    let socket = Scripted { reads: reads.map(<[u8]>::to_vec).collect(), accept: accept.clone() };
    let mut stream = match mode {
        Mode::Http => CountingStream::new(socket, counters.clone(), live.clone()),
        Mode::Upgrade => CountingStream::for_upgrade(socket, counters.clone(), live.clone()),
        Mode::H2 => CountingStream::for_h2(socket, counters.clone(), live.clone()),
    };
    let mut cx = Context::from_waker(Waker::noop());
    for op in ops {
        match op {
            Op::Write(bytes) => {
                for mut piece in cut(bytes) {
                    while !piece.is_empty() {
                        accept.set(rng.random_range(1..=piece.len()));
                        let Poll::Ready(Ok(n)) = Pin::new(&mut stream).poll_write(&mut cx, piece) else {
                            unreachable!("the scripted socket always takes a byte")
                        };
                        piece = &piece[n..];
                    }
                }
            }
            Op::Read(bytes) => {
                for piece in cut(bytes) {
                    let junk = rng.random_range(0..=8);
                    let mut storage = vec![0u8; junk + piece.len()];
                    let mut buf = ReadBuf::new(&mut storage);
                    buf.advance(junk);
                    let poll = Pin::new(&mut stream).poll_read(&mut cx, &mut buf);
                    assert!(matches!(poll, Poll::Ready(Ok(()))) && &buf.filled()[junk..] == piece);
                }
            }
        }
    }
    drop(stream);
    let get = WireCounters::get;
    let fields = counters_of_arc(&counters);
    Counts { counters: fields.map(get), live: [&live.sent, &live.received, &live.open].map(get) }
}

/// The counters of a finished run, rebuilt as a `WireCounters` (for `categorize`).
fn counters_of(counts: &Counts) -> WireCounters {
    let c = WireCounters::default();
    for (field, value) in counters_of_arc(&c).into_iter().zip(counts.counters) {
        field.store(value, std::sync::atomic::Ordering::Relaxed);
    }
    c
}

/// Every counter of `c`, in declaration order.
fn counters_of_arc(c: &WireCounters) -> [&AtomicU64; 18] {
    [
        &c.sent,
        &c.received,
        &c.request_head,
        &c.request_body,
        &c.response_head,
        &c.responses,
        &c.response_body,
        &c.handshake_request,
        &c.handshake_response,
        &c.ws_in_header,
        &c.ws_in_payload,
        &c.ws_in_control,
        &c.ws_out_header,
        &c.ws_out_payload,
        &c.ws_out_control,
        &c.h2_setup,
        &c.h2_data_header,
        &c.h2_control,
    ]
}

/// `ops` with neighbouring records of one direction joined.
fn merge(ops: &[Op]) -> Vec<Op> {
    let mut out: Vec<Op> = Vec::new();
    for op in ops {
        match (out.last_mut(), op) {
            (Some(Op::Write(a)), Op::Write(b)) | (Some(Op::Read(a)), Op::Read(b)) => a.extend_from_slice(b),
            _ => out.push(op.clone()),
        }
    }
    out
}

/// A socket that hands out scripted reads, one per `poll_read`, and takes at most `accept` bytes a write.
#[derive(Debug)]
struct Scripted {
    reads: VecDeque<Vec<u8>>,
    /// Set by `run` before each write.
    accept: Rc<Cell<usize>>,
}

impl AsyncRead for Scripted {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        // unwrap: `run` reads exactly as many times as it scripted reads.
        let next = self.reads.pop_front().unwrap();
        buf.put_slice(&next);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Scripted {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(buf.len().min(self.accept.get())))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_read_back() {
        let ops = vec![Op::Write(b"GET / HTTP/1.1\r\n\r\n".to_vec()), Op::Read(vec![7; 70_000])];
        let script = write_script(Mode::Upgrade, &ops);
        let (mode, back) = parse_script(&script);
        assert_eq!(mode, Mode::Upgrade);
        assert_eq!(merge(&back), ops);
        check(&script);
    }

    #[test]
    fn h2_frames_are_counted_once() {
        let frame = |kind: u8, flags: u8, len: usize| {
            let mut f = vec![0, (len >> 8) as u8, len as u8, kind, flags, 0, 0, 0, 1];
            f.resize(9 + len, 0x61);
            f
        };
        let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        hello.extend(frame(4, 0, 6));
        hello.extend(frame(1, 4, 30));
        let answer: Vec<u8> = [frame(4, 0, 12), frame(4, 1, 0), frame(1, 4, 20), frame(0, 1, 300)].concat();
        let ops = vec![Op::Write(hello), Op::Read(answer), Op::Write(frame(8, 0, 4))];
        let script = write_script(Mode::H2, &ops);
        assert_eq!(parse_script(&script).0, Mode::H2);
        check(&script);
    }
}
