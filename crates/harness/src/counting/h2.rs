//! Following HTTP/2 frames in one direction of an h2c connection, knowing only the bytes: the 9-byte frame
//! header (the contract's [`http`](feedlab_contract::http) module) says each frame's type and length, and
//! that is all counting needs. HPACK is never decoded: a HEADERS block costs its length, whatever it says.
//!
//! Where each byte goes (the issue 11 rules, and the contract's byte categories):
//! - the client's 24-byte connection preface and every SETTINGS frame that is not an ack: `setup`;
//! - HEADERS and CONTINUATION frames, payload and frame header: `head`;
//! - DATA payload: `body` (split later into message bytes and envelope); DATA frame headers: `framing`;
//! - everything else (WINDOW_UPDATE, PING, SETTINGS acks, RST_STREAM, GOAWAY, PRIORITY, unknown types),
//!   payload and frame header: `control`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use feedlab_contract::http::{FLAG_ACK, FRAME_HEADER_LEN, FrameHeader, FrameType, PREFACE};

/// The counters one direction's bytes go to (see the module docs).
pub(super) struct Sinks<'a> {
    /// Connection preface and SETTINGS (not acks).
    pub setup: &'a AtomicU64,
    /// HEADERS and CONTINUATION frames.
    pub head: &'a AtomicU64,
    /// DATA payload.
    pub body: &'a AtomicU64,
    /// DATA frame headers.
    pub framing: &'a AtomicU64,
    /// Every other frame.
    pub control: &'a AtomicU64,
}

/// Which sink a frame's bytes go to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Class {
    #[default]
    Setup,
    Head,
    Body,
    Control,
}

impl Class {
    /// Where a frame's header and payload go.
    fn of(header: FrameHeader) -> (Class, Class) {
        match header.kind {
            FrameType::Data => (Class::Body, Class::Body),
            FrameType::Headers | FrameType::Continuation => (Class::Head, Class::Head),
            FrameType::Settings if header.flags & FLAG_ACK == 0 => (Class::Setup, Class::Setup),
            FrameType::Settings | FrameType::Other(_) => (Class::Control, Class::Control),
        }
    }
}

/// Follows h2 frames in one direction. The header of a DATA frame is framing, not body: [`Class::Body`]
/// for a header means "DATA frame header" and is counted as framing.
#[derive(Debug, Default)]
pub(super) struct H2Scanner {
    /// Preface bytes still to come (24 on the client's sending side, 0 on its receiving side).
    preface_left: usize,
    /// Frame header bytes gathered so far (a header can be split across reads).
    header: [u8; FRAME_HEADER_LEN],
    have: usize,
    /// Payload bytes of the current frame still to come, and where they go.
    payload_left: u64,
    payload: Class,
}

impl H2Scanner {
    /// The scanner of the bytes a client writes: the preface first, then frames.
    pub(super) fn client_to_server() -> Self {
        H2Scanner { preface_left: PREFACE.len(), ..Self::default() }
    }

    /// The scanner of the bytes a client reads: frames from the first byte (the server's SETTINGS).
    pub(super) fn server_to_client() -> Self {
        Self::default()
    }

    /// Counts `buf`, the next bytes in this direction. A frame header is counted once its 9 bytes are in
    /// (its type is in the fourth); one atomic add per sink per call.
    pub(super) fn scan(&mut self, mut buf: &[u8], sinks: &Sinks<'_>) {
        let mut n = [0u64; 5];
        const SETUP: usize = 0;
        const HEAD: usize = 1;
        const BODY: usize = 2;
        const FRAMING: usize = 3;
        const CONTROL: usize = 4;
        let slot = |class: Class| match class {
            Class::Setup => SETUP,
            Class::Head => HEAD,
            Class::Body => BODY,
            Class::Control => CONTROL,
        };
        while !buf.is_empty() {
            if self.preface_left > 0 {
                let k = buf.len().min(self.preface_left);
                self.preface_left -= k;
                n[SETUP] += k as u64;
                buf = &buf[k..];
                continue;
            }
            if self.payload_left > 0 {
                let k = (buf.len() as u64).min(self.payload_left);
                self.payload_left -= k;
                n[slot(self.payload)] += k;
                buf = &buf[k as usize..];
                continue;
            }
            let k = buf.len().min(FRAME_HEADER_LEN - self.have);
            self.header[self.have..self.have + k].copy_from_slice(&buf[..k]);
            self.have += k;
            buf = &buf[k..];
            if self.have == FRAME_HEADER_LEN {
                self.have = 0;
                let header = FrameHeader::parse(&self.header);
                let (head_class, payload_class) = Class::of(header);
                let at = if head_class == Class::Body { FRAMING } else { slot(head_class) };
                n[at] += FRAME_HEADER_LEN as u64;
                self.payload = payload_class;
                self.payload_left = u64::from(header.len);
            }
        }
        let sinks = [sinks.setup, sinks.head, sinks.body, sinks.framing, sinks.control];
        for (counter, k) in sinks.into_iter().zip(n) {
            if k > 0 {
                counter.fetch_add(k, Relaxed);
            }
        }
    }

    /// Counts the bytes of a frame header the connection ended in the middle of into `control`: a frame that
    /// never arrived carried no message, and its type may not even be known.
    pub(super) fn cut_off_header(&mut self, control: &AtomicU64) {
        if self.have > 0 {
            control.fetch_add(self.have as u64, Relaxed);
            self.have = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, flags: u8, payload: &[u8]) -> Vec<u8> {
        let len = payload.len() as u32;
        let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags, 0, 0, 0, 1];
        f.extend_from_slice(payload);
        f
    }

    /// `wire` fed to `scanner` in chunks of `chunk` bytes, then the stream's end: what each sink got, in the
    /// order setup, head, body, framing, control.
    fn scan_all(mut scanner: H2Scanner, wire: &[u8], chunk: usize) -> [u64; 5] {
        let counters: [AtomicU64; 5] = Default::default();
        let sinks = Sinks {
            setup: &counters[0],
            head: &counters[1],
            body: &counters[2],
            framing: &counters[3],
            control: &counters[4],
        };
        wire.chunks(chunk).for_each(|c| scanner.scan(c, &sinks));
        scanner.cut_off_header(&counters[4]);
        counters.map(|c| c.load(Relaxed))
    }

    #[test]
    fn every_frame_type_goes_to_its_sink_whatever_the_split() {
        let mut wire = PREFACE.to_vec();
        wire.extend(frame(4, 0, &[0; 12])); // SETTINGS: setup 21
        wire.extend(frame(4, 1, &[])); // SETTINGS ack: control 9
        wire.extend(frame(8, 0, &[0; 4])); // WINDOW_UPDATE: control 13
        wire.extend(frame(1, 4, &[0x82; 20])); // HEADERS: head 29
        wire.extend(frame(9, 4, &[0x82; 3])); // CONTINUATION: head 12
        wire.extend(frame(0, 1, b"hello")); // DATA: framing 9, body 5
        wire.extend(frame(6, 0, &[0; 8])); // PING: control 17
        wire.extend(frame(3, 0, &[0; 4])); // RST_STREAM: control 13
        wire.extend(frame(7, 0, &[0; 8])); // GOAWAY: control 17
        let expected = [24 + 21, 29 + 12, 5, 9, 9 + 13 + 17 + 13 + 17];
        assert_eq!(expected.iter().sum::<u64>(), wire.len() as u64);
        for chunk in [1, 2, 7, 9, 10, wire.len()] {
            assert_eq!(scan_all(H2Scanner::client_to_server(), &wire, chunk), expected, "chunks of {chunk}");
        }
    }

    /// Fuzzing found it (crates/fuzz, target `counting`): the bytes of a frame header the connection ended
    /// in the middle of were never counted, so the categories fell short of the bytes received.
    #[test]
    fn a_header_cut_off_by_the_end_of_the_stream_is_counted() {
        let mut wire = frame(4, 0, &[0; 6]); // SETTINGS: setup 15
        wire.extend(&frame(1, 4, &[0x82; 2])[..7]); // 7 bytes of a HEADERS frame's header, then the end
        for chunk in 1..=wire.len() {
            assert_eq!(scan_all(H2Scanner::server_to_client(), &wire, chunk), [15, 0, 0, 0, 7], "chunks of {chunk}");
        }
    }
}
