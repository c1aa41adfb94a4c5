//! What the feed sends a client, as far as measuring needs it: a message's `id` and `ts`, and gaps (ids
//! the server can no longer deliver), in the shapes every transport carries them.

use serde::Deserialize;

use super::error::ClientError;

/// `"gap": {"from": a, "to": b}` (a poll answer's field, an SSE `gap` event's data, a WebSocket frame's
/// fields): ids the server can no longer deliver.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Gap {
    /// First undeliverable id.
    pub from: u64,
    /// Last undeliverable id.
    pub to: u64,
}

/// What a message looks like to a client: only `id` and `ts` matter for measuring.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct MessageHead {
    /// Feed id.
    pub id: u64,
    /// Publish instant, server clock, us since the epoch.
    pub ts: u64,
}

/// Parses one message JSON object.
pub fn parse_message(json: &str) -> Result<MessageHead, ClientError> {
    serde_json::from_str(json).map_err(|e| ClientError::Protocol(format!("bad message JSON: {e}")))
}

/// A WebSocket text frame from the feed: a message, or a gap announcement.
#[derive(Debug, Clone, Copy)]
pub enum Item {
    /// A feed message.
    Message(MessageHead),
    /// `{"type":"gap","from":a,"to":b}`.
    Gap(Gap),
}

/// Parses a WebSocket text frame.
pub fn parse_item(json: &str) -> Result<Item, ClientError> {
    #[derive(Deserialize)]
    struct Tagged {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    let tagged: Tagged =
        serde_json::from_str(json).map_err(|e| ClientError::Protocol(format!("bad frame JSON: {e}")))?;
    match tagged.kind.as_deref() {
        Some("gap") => {
            serde_json::from_str(json).map(Item::Gap).map_err(|e| ClientError::Protocol(format!("bad gap frame: {e}")))
        }
        _ => parse_message(json).map(Item::Message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_messages() {
        let m = parse_message(r#"{"id":42,"ts":1795263295090123,"kind":"chat","from":"ana","body":"hi"}"#).unwrap();
        assert_eq!((m.id, m.ts), (42, 1795263295090123));
        assert!(parse_message(r#"{"id":"x"}"#).is_err());
        assert!(matches!(parse_item(r#"{"type":"gap","from":1,"to":4}"#), Ok(Item::Gap(g)) if g.to == 4));
        assert!(matches!(parse_item(r#"{"id":1,"ts":2}"#), Ok(Item::Message(m)) if m.id == 1));
    }
}
