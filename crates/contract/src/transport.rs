//! The transports: the one list every crate, chart and table derives from.
//!
//! Adding a transport starts with one entry here ([`Transport`] and its row in [`Transport::info`]); the
//! server's counters, the harness's `--transport`, the suite's experiment files and the report's tables and
//! charts all follow from [`Transport::ALL`].
//!
//! Not every transport is feedlab's own: Socket.IO's two (`socketio-polling`, `socketio-ws`) are measured
//! against the Socket.IO peer in `peers/socketio/`, by the same harness in the same run. Each row says who
//! serves it ([`ServedBy`]); feedlab's server mounts, counts and offers only [`Transport::FEEDLAB`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How a transport gets news to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// The client asks on a schedule; news waits for the next question.
    Pull,
    /// The server sends news as it happens (a held long-poll answers as soon as there is news).
    Push,
}

/// Which server implements a transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServedBy {
    /// feedlab's own server (`feedlab serve`).
    Feedlab,
    /// The Socket.IO peer (`node peers/socketio/server.mjs`): Socket.IO 4.8 with the contract's publishing
    /// side (`POST /messages`, `GET /time`) and nothing else of it.
    SocketIo,
}

/// One way a client can follow the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Ajax polling: `GET /poll` on a fixed schedule.
    Poll,
    /// Long-polling: `GET /longpoll`, held by the server until there is news, then asked again.
    Longpoll,
    /// Server-Sent Events: one `GET /sse` streaming `text/event-stream`.
    Sse,
    /// WebSocket: one upgraded connection on `/ws`, a text frame per message.
    Ws,
    /// Socket.IO on its HTTP long-polling transport (Engine.IO `transport=polling`): a held `GET` answered
    /// with a batch of packets, client packets in `POST`s.
    #[serde(rename = "socketio-polling")]
    SocketioPolling,
    /// Socket.IO on its WebSocket transport: an Engine.IO packet per frame, reached directly or by
    /// upgrading a polling session as browsers do by default.
    #[serde(rename = "socketio-ws")]
    SocketioWs,
}

/// What is known about a transport: everything but its behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportInfo {
    /// The name on the command line, in JSON, in `/stats` and in experiment files.
    pub name: &'static str,
    /// What tables, charts and the page call it.
    pub label: &'static str,
    /// The same in Chinese, for the report's Chinese pages and charts (the page's own words are in
    /// web/i18n.js; scripts/subset-cjk-font.py reads this file so the fonts hold these characters).
    pub label_zh: &'static str,
    /// The server endpoint it reads the feed from.
    pub path: &'static str,
    /// Pull (asks on a schedule) or push (the server answers when there is news).
    pub delivery: Delivery,
    /// Whether each message costs a new HTTP request (so request headers and keep-alive matter).
    pub request_per_answer: bool,
    /// Who serves it: feedlab's server, or a peer measured beside it.
    pub served_by: ServedBy,
}

const INFO: [TransportInfo; 6] = [
    TransportInfo {
        name: "poll",
        label: "ajax polling",
        label_zh: "轮询",
        path: "/poll",
        delivery: Delivery::Pull,
        request_per_answer: true,
        served_by: ServedBy::Feedlab,
    },
    TransportInfo {
        name: "longpoll",
        label: "long-poll",
        label_zh: "长轮询",
        path: "/longpoll",
        delivery: Delivery::Push,
        request_per_answer: true,
        served_by: ServedBy::Feedlab,
    },
    TransportInfo {
        name: "sse",
        label: "SSE",
        label_zh: "SSE",
        path: "/sse",
        delivery: Delivery::Push,
        request_per_answer: false,
        served_by: ServedBy::Feedlab,
    },
    TransportInfo {
        name: "ws",
        label: "WebSocket",
        label_zh: "WebSocket",
        path: "/ws",
        delivery: Delivery::Push,
        request_per_answer: false,
        served_by: ServedBy::Feedlab,
    },
    // Engine.IO's polling holds each GET until there is news, like our long-poll: push, a request per answer.
    TransportInfo {
        name: "socketio-polling",
        label: "Socket.IO polling",
        label_zh: "Socket.IO 轮询",
        path: "/socket.io/",
        delivery: Delivery::Push,
        request_per_answer: true,
        served_by: ServedBy::SocketIo,
    },
    TransportInfo {
        name: "socketio-ws",
        label: "Socket.IO WebSocket",
        label_zh: "Socket.IO WebSocket",
        path: "/socket.io/",
        delivery: Delivery::Push,
        request_per_answer: false,
        served_by: ServedBy::SocketIo,
    },
];

impl Transport {
    /// Every transport, in the order every chart and table lists them: feedlab's own first.
    pub const ALL: [Transport; 6] = [
        Transport::Poll,
        Transport::Longpoll,
        Transport::Sse,
        Transport::Ws,
        Transport::SocketioPolling,
        Transport::SocketioWs,
    ];

    /// The transports feedlab's server serves ([`ServedBy::Feedlab`]): the start of [`Transport::ALL`], so
    /// their [`Transport::index`] is also their position here (arrays of the server's counters use it).
    pub const FEEDLAB: [Transport; 4] = [Transport::Poll, Transport::Longpoll, Transport::Sse, Transport::Ws];

    /// The names of [`Transport::ALL`], in order (for a CLI's possible values).
    pub const NAMES: [&'static str; 6] =
        [INFO[0].name, INFO[1].name, INFO[2].name, INFO[3].name, INFO[4].name, INFO[5].name];

    /// The names of [`Transport::FEEDLAB`], in order (the server's `--disable`).
    pub const FEEDLAB_NAMES: [&'static str; 4] = [INFO[0].name, INFO[1].name, INFO[2].name, INFO[3].name];

    /// Its row of the table.
    pub const fn info(self) -> &'static TransportInfo {
        &INFO[self as usize]
    }

    /// See [`TransportInfo::name`].
    pub const fn name(self) -> &'static str {
        self.info().name
    }

    /// See [`TransportInfo::label`].
    pub const fn label(self) -> &'static str {
        self.info().label
    }

    /// See [`TransportInfo::label_zh`].
    pub const fn label_zh(self) -> &'static str {
        self.info().label_zh
    }

    /// See [`TransportInfo::path`].
    pub const fn path(self) -> &'static str {
        self.info().path
    }

    /// True for the push transports (long-poll included: it holds the question until there is news).
    pub fn is_push(self) -> bool {
        self.info().delivery == Delivery::Push
    }

    /// See [`TransportInfo::request_per_answer`]: poll, long-poll and Socket.IO polling.
    pub const fn request_per_answer(self) -> bool {
        self.info().request_per_answer
    }

    /// Whether the transport can run over HTTP/2 (h2c): feedlab's plain HTTP ones (poll, long-poll, SSE).
    /// WebSocket needs HTTP/1.1's upgrade (no RFC 8441 in actix-web); Socket.IO's peer speaks HTTP/1.1.
    pub const fn speaks_h2(self) -> bool {
        matches!(self, Transport::Poll | Transport::Longpoll | Transport::Sse)
    }

    /// See [`TransportInfo::served_by`].
    pub const fn served_by(self) -> ServedBy {
        self.info().served_by
    }

    /// Position in [`Transport::ALL`], for arrays indexed by transport.
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a transport; says which names are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTransport(pub String);

impl fmt::Display for UnknownTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a transport: use {}", self.0, Transport::NAMES.join(", "))
    }
}

impl std::error::Error for UnknownTransport {}

impl FromStr for Transport {
    type Err = UnknownTransport;

    /// Exactly the names of [`Transport::NAMES`]: no aliases, so a typo in a file is an error, not a guess.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Transport::ALL.into_iter().find(|t| t.name() == s).ok_or_else(|| UnknownTransport(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_follows_the_enum() {
        for (i, t) in Transport::ALL.into_iter().enumerate() {
            assert_eq!(t.index(), i);
            assert_eq!(t.name().parse::<Transport>(), Ok(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.name()));
            assert_eq!(Transport::NAMES[i], t.name());
        }
        assert!(!Transport::Poll.is_push() && Transport::Longpoll.is_push());
        assert!(Transport::Longpoll.request_per_answer() && !Transport::Sse.request_per_answer());
        assert!(Transport::SocketioPolling.request_per_answer() && !Transport::SocketioWs.request_per_answer());
    }

    #[test]
    fn feedlab_serves_the_start_of_the_list() {
        let ours: Vec<Transport> = Transport::ALL.into_iter().filter(|t| t.served_by() == ServedBy::Feedlab).collect();
        assert_eq!(ours, Transport::FEEDLAB);
        assert_eq!(Transport::ALL[..Transport::FEEDLAB.len()], Transport::FEEDLAB);
        assert_eq!(Transport::FEEDLAB_NAMES, Transport::FEEDLAB.map(Transport::name));
        assert_eq!("socketio-ws".parse::<Transport>(), Ok(Transport::SocketioWs));
        assert_eq!(serde_json::to_string(&Transport::SocketioPolling).unwrap(), "\"socketio-polling\"");
    }

    #[test]
    fn names_are_exact() {
        let err = "websocket".parse::<Transport>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"websocket\" is not a transport: use poll, longpoll, sse, ws, socketio-polling, socketio-ws"
        );
        assert!(serde_json::from_str::<Transport>("\"ajax\"").is_err());
    }
}
