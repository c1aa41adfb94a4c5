//! What the feed sends a client, as far as measuring needs it: a message's `id` and `ts`, and gaps (ids
//! the server can no longer deliver), in the shapes every transport carries them.
//!
//! Every message every client receives passes through here, so it is read in one strict pass ([`scan`])
//! instead of being deserialized (twice, for a WebSocket frame: its `type`, then its fields): the scan
//! checks the whole object is JSON, picks out `id`, `ts`, `type`, `from` and `to`, and skips the rest.
//! It is strict in the direction that matters: whatever it accepts, serde reads the same way (the tests
//! compare the two on a corpus and its mutations); where it is unsure (a key or a `type` written with
//! escapes, which no server sends) it refuses, and the message counts as a protocol error.

use serde::Deserialize;

use super::error::ClientError;

/// `"gap": {"from": a, "to": b}` (a poll answer's field, an SSE `gap` event's data, a WebSocket frame's
/// fields): ids the server can no longer deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Gap {
    /// First undeliverable id.
    pub from: u64,
    /// Last undeliverable id.
    pub to: u64,
}

/// What a message looks like to a client: only `id` and `ts` matter for measuring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct MessageHead {
    /// Feed id.
    pub id: u64,
    /// Publish instant, server clock, us since the epoch.
    pub ts: u64,
}

/// Parses one message JSON object (its `type`, if any, is not looked at).
pub fn parse_message(json: &str) -> Result<MessageHead, ClientError> {
    let f = scan(json).map_err(|e| ClientError::Protocol(format!("bad message JSON: {e}")))?;
    f.message().map_err(|e| ClientError::Protocol(format!("bad message JSON: {e}")))
}

/// A WebSocket text frame from the feed: a message, or a gap announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// A feed message.
    Message(MessageHead),
    /// `{"type":"gap","from":a,"to":b}`.
    Gap(Gap),
}

/// Parses a WebSocket text frame: a gap when its `type` is `"gap"`, a message otherwise.
pub fn parse_item(json: &str) -> Result<Item, ClientError> {
    let bad = |e: String| ClientError::Protocol(format!("bad frame JSON: {e}"));
    let f = scan(json).map_err(bad)?;
    match f.kind.one("type").map_err(bad)? {
        Some(Kind::Gap) => {
            Ok(Item::Gap(Gap { from: f.from.u64("from").map_err(bad)?, to: f.to.u64("to").map_err(bad)? }))
        }
        Some(Kind::Other) | Some(Kind::Null) | None => f.message().map(Item::Message).map_err(bad),
        Some(Kind::Invalid) => Err(bad("`type` is not a plain string".into())),
    }
}

/// A JSON object's fields that measuring reads.
#[derive(Debug, Default)]
pub struct Fields {
    id: Slot<Option<u64>>,
    ts: Slot<Option<u64>>,
    from: Slot<Option<u64>>,
    to: Slot<Option<u64>>,
    kind: Slot<Kind>,
}

/// How often a field appeared, and its last value.
#[derive(Debug)]
struct Slot<T> {
    count: u8,
    value: Option<T>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot { count: 0, value: None }
    }
}

impl<T: Copy> Slot<T> {
    fn put(&mut self, value: T) {
        self.count = self.count.saturating_add(1);
        self.value = Some(value);
    }

    /// The value of a field that may appear at most once.
    fn one(&self, name: &str) -> Result<Option<T>, String> {
        if self.count > 1 { Err(format!("duplicate field `{name}`")) } else { Ok(self.value) }
    }
}

impl Slot<Option<u64>> {
    /// A required field that must be a u64.
    fn u64(&self, name: &str) -> Result<u64, String> {
        match self.one(name)? {
            None => Err(format!("missing field `{name}`")),
            Some(None) => Err(format!("`{name}` is not an unsigned integer")),
            Some(Some(v)) => Ok(v),
        }
    }
}

/// A `type` field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `"gap"`.
    Gap,
    /// Any other string without escapes.
    Other,
    /// `null`.
    Null,
    /// Not a string or null, or a string with escapes (refused rather than decoded).
    Invalid,
}

impl Fields {
    fn message(&self) -> Result<MessageHead, String> {
        Ok(MessageHead { id: self.id.u64("id")?, ts: self.ts.u64("ts")? })
    }
}

/// How deep unknown values may nest (serde_json's own limit is 128).
const MAX_DEPTH: usize = 100;

/// Reads one JSON object in a single pass: checks it is well-formed JSON with nothing after it, and keeps
/// the fields measuring uses. See the module docs.
pub fn scan(json: &str) -> Result<Fields, String> {
    let mut s = Scanner { b: json.as_bytes(), i: 0 };
    let mut f = Fields::default();
    s.ws();
    s.expect(b'{')?;
    s.ws();
    if s.peek() == Some(b'}') {
        s.i += 1;
    } else {
        loop {
            s.ws();
            let key = s.string()?;
            if key.contains(&b'\\') {
                return Err("a key written with escapes".into());
            }
            s.ws();
            s.expect(b':')?;
            s.ws();
            match key {
                b"id" => f.id.put(s.maybe_number()?),
                b"ts" => f.ts.put(s.maybe_number()?),
                b"from" => f.from.put(s.maybe_number()?),
                b"to" => f.to.put(s.maybe_number()?),
                b"type" => f.kind.put(s.kind()?),
                _ => s.skip(1)?,
            }
            s.ws();
            match s.next()? {
                b',' => {}
                b'}' => break,
                c => return Err(format!("expected `,` or `}}`, found `{}` at {}", c as char, s.i - 1)),
            }
        }
    }
    s.ws();
    if s.i != s.b.len() {
        return Err(format!("trailing characters at {}", s.i));
    }
    Ok(f)
}

/// A cursor over JSON text.
struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Result<u8, String> {
        let c = self.peek().ok_or("unexpected end")?;
        self.i += 1;
        Ok(c)
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        match self.next()? {
            got if got == c => Ok(()),
            got => Err(format!("expected `{}`, found `{}` at {}", c as char, got as char, self.i - 1)),
        }
    }

    /// JSON whitespace.
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// A string (after its opening quote is next); returns its raw bytes between the quotes.
    fn string(&mut self) -> Result<&'a [u8], String> {
        self.expect(b'"')?;
        let start = self.i;
        loop {
            match self.next()? {
                b'"' => return Ok(&self.b[start..self.i - 1]),
                b'\\' => match self.next()? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                    b'u' => {
                        for _ in 0..4 {
                            if !self.next()?.is_ascii_hexdigit() {
                                return Err("bad \\u escape".into());
                            }
                        }
                    }
                    _ => return Err("bad escape".into()),
                },
                c if c < 0x20 => return Err("control character in a string".into()),
                _ => {}
            }
        }
    }

    /// A JSON number; its value when it is an unsigned integer that fits a u64 (None for negative,
    /// fractional, exponent or too large: serde would not read those as a u64 either).
    fn number(&mut self) -> Result<Option<u64>, String> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let mut value: Option<u64> = Some(0);
        match self.next()? {
            b'0' => {
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    return Err("a number with a leading zero".into());
                }
            }
            c @ b'1'..=b'9' => {
                value = Some(u64::from(c - b'0'));
                while let Some(c @ b'0'..=b'9') = self.peek() {
                    self.i += 1;
                    value = value.and_then(|v| v.checked_mul(10)?.checked_add(u64::from(c - b'0')));
                }
            }
            _ => return Err(format!("expected a value at {}", self.i - 1)),
        }
        let mut integer = !negative;
        if self.peek() == Some(b'.') {
            self.i += 1;
            integer = false;
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            integer = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.digits()?;
        }
        Ok(if integer { value } else { None })
    }

    /// One or more digits.
    fn digits(&mut self) -> Result<(), String> {
        if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
            return Err(format!("expected a digit at {}", self.i));
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        Ok(())
    }

    /// A field that must be a u64 where it is read, and may be anything where it is not (a message's `from`
    /// is its author; a gap's `id` is not read): its value when it is a u64.
    fn maybe_number(&mut self) -> Result<Option<u64>, String> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => self.skip(1).map(|()| None),
        }
    }

    /// A `type` value.
    fn kind(&mut self) -> Result<Kind, String> {
        match self.peek() {
            Some(b'"') => {
                let s = self.string()?;
                Ok(if s.contains(&b'\\') {
                    Kind::Invalid
                } else if s == b"gap" {
                    Kind::Gap
                } else {
                    Kind::Other
                })
            }
            Some(b'n') => self.skip(1).map(|()| Kind::Null),
            _ => self.skip(1).map(|()| Kind::Invalid),
        }
    }

    /// Skips any value, checking it is well-formed; `depth` counts the objects and arrays around it.
    fn skip(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        match self.peek().ok_or("unexpected end")? {
            b'"' => self.string().map(|_| ()),
            b'-' | b'0'..=b'9' => self.number().map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            open @ (b'{' | b'[') => {
                self.i += 1;
                let close = if open == b'{' { b'}' } else { b']' };
                self.ws();
                if self.peek() == Some(close) {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    if open == b'{' {
                        self.string()?;
                        self.ws();
                        self.expect(b':')?;
                        self.ws();
                    }
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.next()? {
                        b',' => {}
                        c if c == close => return Ok(()),
                        c => return Err(format!("unexpected `{}` at {}", c as char, self.i - 1)),
                    }
                }
            }
            c => Err(format!("expected a value, found `{}` at {}", c as char, self.i)),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), String> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(format!("expected `{}` at {}", String::from_utf8_lossy(word), self.i))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the scan replaced: serde, reading the type first and then the fields.
    fn serde_item(json: &str) -> Result<Item, ()> {
        #[derive(Deserialize)]
        struct Tagged {
            #[serde(rename = "type")]
            kind: Option<String>,
        }
        let tagged: Tagged = serde_json::from_str(json).map_err(|_| ())?;
        match tagged.kind.as_deref() {
            Some("gap") => serde_json::from_str(json).map(Item::Gap).map_err(|_| ()),
            _ => serde_json::from_str(json).map(Item::Message).map_err(|_| ()),
        }
    }

    fn serde_message(json: &str) -> Result<MessageHead, ()> {
        serde_json::from_str(json).map_err(|_| ())
    }

    /// Messages as servers send them, gaps, and the shapes a strict reader must refuse.
    const CORPUS: &[&str] = &[
        r#"{"id":42,"ts":1795263295090123,"kind":"chat","from":"ana","body":"hi"}"#,
        r#"{"id":1,"ts":2,"kind":"tick","from":"","body":""}"#,
        r#"{"ts":2,"body":"{\"id\":9,\"ts\":9}","id":1}"#,
        r#" { "id" : 7 , "ts" : 8 , "body" : "caf\u00e9 \"q\" \\ \/ \n 中文 😀" } "#,
        r#"{"id":3,"ts":4,"x":{"a":[1,-2.5e+3,true,false,null,{"b":[]}],"c":{}},"y":[]}"#,
        r#"{"id":0,"ts":18446744073709551615}"#,
        r#"{"type":"gap","from":1,"to":4}"#,
        r#"{"to":9,"type":"gap","from":5,"id":"x"}"#,
        r#"{"type":"chat","id":1,"ts":2,"from":"bob","to":"all"}"#,
        r#"{"type":null,"id":1,"ts":2}"#,
        r#"{"type":5,"id":1,"ts":2}"#,
        r#"{"type":"g\u0061p","from":1,"to":2}"#,
        r#"{"type":"gap","from":"a","to":2}"#,
        r#"{"type":"gap","from":1}"#,
        r#"{"type":"gap","type":"gap","from":1,"to":2}"#,
        r#"{"id":1,"id":2,"ts":3}"#,
        r#"{"id":1,"ts":2,"from":"a","from":"b"}"#,
        r#"{"id":1}"#,
        r#"{"id":"1","ts":2}"#,
        r#"{"id":-1,"ts":2}"#,
        r#"{"id":-0,"ts":2}"#,
        r#"{"id":1.0,"ts":2}"#,
        r#"{"id":1e3,"ts":2}"#,
        r#"{"id":01,"ts":2}"#,
        r#"{"id":18446744073709551616,"ts":2}"#,
        r#"{"id":1,"ts":2,}"#,
        r#"{"id":1,"ts":2} x"#,
        r#"{"id":1,"ts":2,"b":"a\x"}"#,
        r#"{"id":1,"ts":2,"b":"\u12g4"}"#,
        "{\"id\":1,\"ts\":2,\"b\":\"tab\there\"}",
        r#"{"\u0069d":1,"ts":2,"id":3}"#,
        r#"{"id":1,"ts":2,"n":nul}"#,
        r#"{"id":1,"ts":2,"a":[1,]}"#,
        r#"[{"id":1,"ts":2}]"#,
        r#"{}"#,
        r#""#,
    ];

    /// Whatever the scan accepts, serde reads the same; and every well-formed message of the corpus is
    /// accepted by both.
    fn agrees(json: &str) {
        if let Ok(item) = parse_item(json) {
            assert_eq!(serde_item(json), Ok(item), "{json}");
        }
        if let Ok(message) = parse_message(json) {
            assert_eq!(serde_message(json), Ok(message), "{json}");
        }
    }

    #[test]
    fn parses_messages() {
        let m = parse_message(r#"{"id":42,"ts":1795263295090123,"kind":"chat","from":"ana","body":"hi"}"#).unwrap();
        assert_eq!((m.id, m.ts), (42, 1795263295090123));
        assert!(parse_message(r#"{"id":"x"}"#).is_err());
        assert!(matches!(parse_item(r#"{"type":"gap","from":1,"to":4}"#), Ok(Item::Gap(g)) if g.to == 4));
        assert!(matches!(parse_item(r#"{"id":1,"ts":2}"#), Ok(Item::Message(m)) if m.id == 1));
    }

    #[test]
    fn the_scan_reads_the_corpus_as_serde_does() {
        for json in CORPUS {
            agrees(json);
            // Where serde reads it and the scan has no reason to refuse (no escaped key or type), both do.
            if !json.contains(r"\u0069d") && !json.contains(r"g\u0061p") {
                assert_eq!(parse_item(json).ok(), serde_item(json).ok(), "{json}");
                assert_eq!(parse_message(json).ok(), serde_message(json).ok(), "{json}");
            }
        }
        assert_eq!(parse_item(CORPUS[0]).unwrap(), Item::Message(MessageHead { id: 42, ts: 1795263295090123 }));
        assert_eq!(parse_item(CORPUS[7]).unwrap(), Item::Gap(Gap { from: 5, to: 9 }));
        // A message's fields are found wherever they are, and never inside a string.
        assert_eq!(parse_message(CORPUS[2]).unwrap(), MessageHead { id: 1, ts: 2 });
    }

    #[test]
    fn the_scan_never_accepts_what_serde_reads_otherwise() {
        // Every truncation, and every byte replaced by a character that matters to JSON.
        for json in CORPUS {
            for end in 0..json.len() {
                if let Some(prefix) = json.get(..end) {
                    agrees(prefix);
                }
            }
            for at in 0..json.len() {
                for c in [b'"', b'\\', b',', b':', b'{', b'}', b'[', b']', b'1', b' ', b'-', b'.', b'e', b'n', 0x01] {
                    let mut bytes = json.as_bytes().to_vec();
                    bytes[at] = c;
                    if let Ok(mutated) = std::str::from_utf8(&bytes) {
                        agrees(mutated);
                    }
                }
            }
        }
    }
}
