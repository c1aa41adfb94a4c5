//! Engine.IO v4 and Socket.IO v5 packets, as text: what the two Socket.IO clients read and write, with no
//! socket in sight (so every rule here is unit-tested).
//!
//! An Engine.IO packet is one digit and its data: `0` open (`0{"sid":..,"upgrades":[..],"pingInterval":..,
//! "pingTimeout":..,"maxPayload":..}`), `1` close, `2` ping, `3` pong, `4` message, `5` upgrade, `6` noop.
//! On the polling transport one HTTP body carries several packets separated by the record separator
//! `\x1e`; on WebSocket each packet is one text frame. A message's data is a Socket.IO packet: one digit
//! again (`0` connect, `1` disconnect, `2` event, `4` connect error, ...) and its data, so a feed message
//! arrives as `42["message",{"id":1,...}]`, with a third element, the packet's offset
//! (`42["message",{...},"<offset>"]`), when the server's connection-state recovery is on.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::super::error::ClientError;

/// Where Socket.IO listens (its default `path`, with the trailing slash its client adds).
pub const PATH: &str = "/socket.io/";

/// The event the peer emits every message as (`io.emit("message", msg)`).
pub const EVENT: &str = "message";

/// Engine.IO's record separator between the packets of one polling body.
pub const SEPARATOR: char = '\x1e';

/// The pong a client answers a ping with.
pub const PONG: &str = "3";

/// The upgrade probe a client sends on the new WebSocket, and the answer it waits for.
pub const PROBE: &str = "2probe";
/// The server's answer to [`PROBE`].
pub const PROBE_ANSWER: &str = "3probe";
/// The packet that completes the upgrade: from now on the WebSocket carries the session.
pub const UPGRADE: &str = "5";

/// The Engine.IO handshake: the data of the open packet.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handshake {
    /// The Engine.IO session id: every later polling request and the upgrading WebSocket carry it.
    pub sid: String,
    /// Transports the session may upgrade to (`["websocket"]` on polling, `[]` on WebSocket).
    #[serde(default)]
    pub upgrades: Vec<String>,
    /// How often the server pings, ms.
    pub ping_interval: u64,
    /// How long the server waits for the pong, ms; a client that hears no ping for interval + timeout
    /// considers the connection dead.
    pub ping_timeout: u64,
}

/// One Engine.IO packet read from the server.
#[derive(Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    /// `0{...}`: the session opened.
    Open(Handshake),
    /// `1`: the server closed the session.
    Close,
    /// `2`: the server's heartbeat; answer [`PONG`].
    Ping,
    /// `3probe`: the upgrade probe was answered.
    ProbeAnswer,
    /// `6`: nothing (sent to end a held poll so an upgrade can proceed).
    Noop,
    /// `40{"sid":..,"pid":..}`: the namespace connect was accepted (`pid` when recovery is on).
    Connected {
        /// The recovery session id, when the server's connection-state recovery is on.
        pid: Option<String>,
    },
    /// `41`: the server disconnected this socket.
    Disconnected,
    /// `42["message",{...}(,"<offset>")]`: a feed message.
    Event {
        /// The message JSON exactly as on the wire.
        json: &'a str,
        /// The packet's offset (recovery on), to resume from after a reconnect.
        offset: Option<String>,
    },
}

/// Parses one packet from the server.
pub fn parse(text: &str) -> Result<Packet<'_>, ClientError> {
    let bad = |why: &str| ClientError::Protocol(format!("Engine.IO packet {:?}: {why}", clip(text)));
    let (kind, data) = text.split_at_checked(1).ok_or_else(|| bad("empty"))?;
    match kind {
        "0" => serde_json::from_str(data).map(Packet::Open).map_err(|e| bad(&format!("bad handshake: {e}"))),
        "1" => Ok(Packet::Close),
        "2" if data.is_empty() => Ok(Packet::Ping),
        "3" if data == "probe" => Ok(Packet::ProbeAnswer),
        "6" => Ok(Packet::Noop),
        "4" => parse_socketio(data).map_err(|why| bad(&why)),
        _ => Err(bad("not a packet a server sends a client")),
    }
}

/// Parses the Socket.IO packet inside an Engine.IO message (default namespace, no acknowledgements).
fn parse_socketio(data: &str) -> Result<Packet<'_>, String> {
    let (kind, rest) = data.split_at_checked(1).ok_or("empty Socket.IO packet")?;
    match kind {
        "0" => {
            #[derive(Deserialize)]
            struct Connect {
                pid: Option<String>,
            }
            let c: Connect = serde_json::from_str(rest).map_err(|e| format!("bad connect answer: {e}"))?;
            Ok(Packet::Connected { pid: c.pid })
        }
        "1" => Ok(Packet::Disconnected),
        "2" => {
            let args: Vec<&RawValue> = serde_json::from_str(rest).map_err(|e| format!("bad event: {e}"))?;
            let (name, json, offset) = match args.as_slice() {
                [name, json] => (name, json, None),
                [name, json, offset] => (name, json, Some(*offset)),
                _ => return Err(format!("an event of {} arguments", args.len())),
            };
            if name.get() != format!("\"{EVENT}\"") {
                return Err(format!("an event named {}", name.get()));
            }
            let offset = offset
                .map(|o| serde_json::from_str::<String>(o.get()))
                .transpose()
                .map_err(|e| format!("offset: {e}"))?;
            Ok(Packet::Event { json: json.get(), offset })
        }
        "4" => Err(format!("the server refused the namespace connect: {rest}")),
        _ => Err("a Socket.IO packet the feed never sends".into()),
    }
}

/// The namespace connect a client sends: `40`, or with connection-state recovery the session to resume,
/// `40{"pid":"..","offset":".."}` (Socket.IO's client sends both once it has a `pid`, the offset only once
/// it has received a packet).
pub fn connect(pid: Option<&str>, offset: Option<&str>) -> String {
    #[derive(serde::Serialize)]
    struct Resume<'a> {
        pid: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        offset: Option<&'a str>,
    }
    match pid {
        // unwrap: a struct of strings always serializes.
        Some(pid) => format!("40{}", serde_json::to_string(&Resume { pid, offset }).unwrap()),
        None => "40".to_owned(),
    }
}

/// Splits a polling body into its packets.
pub fn payload(body: &str) -> impl Iterator<Item = &str> {
    body.split(SEPARATOR)
}

/// The cache buster Engine.IO's client adds to every polling request (`t=`): 8 base-36 characters, the
/// low digits of the clock in ms and three random ones, as `randomString()` makes them.
pub fn cache_buster(now_ms: u64, random: u32) -> String {
    let mut s = base36(now_ms);
    s.drain(..s.len().saturating_sub(5));
    s.extend(base36(u64::from(random) % 36u64.pow(3) + 36u64.pow(3)).chars().skip(1));
    s
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    // unwrap: the digits are ASCII.
    String::from_utf8(out).unwrap()
}

/// The start of `text`, for error messages.
fn clip(text: &str) -> &str {
    let end = text.char_indices().nth(80).map_or(text.len(), |(i, _)| i);
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_a_socketio_server_sends() {
        let open = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
        let Packet::Open(h) = parse(open).unwrap() else { panic!() };
        assert_eq!(
            (h.sid.as_str(), h.upgrades.as_slice(), h.ping_interval),
            ("lv_VI97HAXpY6yYWAAAC", &["websocket".to_owned()][..], 25000)
        );
        assert_eq!(parse("2").unwrap(), Packet::Ping);
        assert_eq!(parse("3probe").unwrap(), Packet::ProbeAnswer);
        assert_eq!(parse("6").unwrap(), Packet::Noop);
        assert_eq!(parse("1").unwrap(), Packet::Close);
        assert_eq!(parse(r#"40{"sid":"a"}"#).unwrap(), Packet::Connected { pid: None });
        assert_eq!(parse(r#"40{"sid":"a","pid":"p"}"#).unwrap(), Packet::Connected { pid: Some("p".into()) });
        assert_eq!(parse("41").unwrap(), Packet::Disconnected);
        let msg = r#"{"id":7,"ts":1,"kind":"chat","from":"a","body":"x,\"]"}"#;
        assert_eq!(parse(&format!(r#"42["message",{msg}]"#)).unwrap(), Packet::Event { json: msg, offset: None });
        assert_eq!(
            parse(&format!(r#"42["message",{msg},"MhQ1a"]"#)).unwrap(),
            Packet::Event { json: msg, offset: Some("MhQ1a".into()) }
        );
    }

    #[test]
    fn refuses_what_the_feed_never_sends() {
        for bad in
            ["", "9", "2probe", "4", "43[]", r#"42["other",{}]"#, r#"42["message"]"#, r#"44{"message":"no"}"#, "0{}"]
        {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.kind(), "protocol", "{bad:?}: {err}");
        }
    }

    #[test]
    fn connect_resumes_a_session_when_it_has_one() {
        assert_eq!(connect(None, None), "40");
        assert_eq!(connect(Some("p1"), None), r#"40{"pid":"p1"}"#);
        assert_eq!(connect(Some("p1"), Some("o9")), r#"40{"pid":"p1","offset":"o9"}"#);
    }

    #[test]
    fn payloads_split_on_the_record_separator() {
        let body = "40{\"sid\":\"a\"}\x1e42[\"message\",{}]\x1e2";
        assert_eq!(payload(body).collect::<Vec<_>>(), ["40{\"sid\":\"a\"}", "42[\"message\",{}]", "2"]);
    }

    #[test]
    fn cache_busters_look_like_engine_ios() {
        // Date.now() = 1700000000000 is "loyw3v28" in base 36; randomString() keeps its last five digits.
        let t = cache_buster(1_700_000_000_000, 0);
        assert_eq!(t, "w3v28000");
        assert_eq!(cache_buster(1_700_000_000_000, 36 * 36 * 36 - 1), "w3v28zzz");
        assert!(cache_buster(5, 7).len() >= 4);
    }
}
