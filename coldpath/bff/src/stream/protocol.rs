//! The WebSocket protocol's messages (`docs/api.md`, "WebSocket"), parsed and rendered apart
//! from any socket so they can be tested alone.

use serde::{Deserialize, Serialize};

/// A message from the client.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClientMessage {
    /// Start receiving a channel (default `market`, with instrument ids).
    Subscribe(SubscriptionRequest),
    /// Stop receiving; mirrors `SUBSCRIBE`.
    Unsubscribe(SubscriptionRequest),
    /// Liveness check, answered with `PONG`.
    Ping,
}

/// The body of `SUBSCRIBE`/`UNSUBSCRIBE`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionRequest {
    /// `market` (default), `rfqs`, `trades`, `orders`, `depth` or `notifications`.
    #[serde(default)]
    pub channel: Option<String>,
    /// Instruments, for the `market` and `depth` channels.
    #[serde(default)]
    pub instrument_ids: Vec<String>,
}

/// A subscribable channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Market data per instrument.
    Market,
    /// Market-data and system notifications.
    Notifications,
    /// RFQ lifecycle updates.
    Rfqs,
    /// Trades.
    Trades,
    /// The user's orders.
    Orders,
    /// Order-book depth per instrument.
    Depth,
}

impl SubscriptionRequest {
    /// The channel named, `None` when unknown.
    pub fn channel(&self) -> Option<Channel> {
        match self.channel.as_deref() {
            None | Some("market") => Some(Channel::Market),
            Some("notifications") => Some(Channel::Notifications),
            Some("rfqs") => Some(Channel::Rfqs),
            Some("trades") => Some(Channel::Trades),
            Some("orders") => Some(Channel::Orders),
            Some("depth") => Some(Channel::Depth),
            Some(_) => None,
        }
    }
}

/// Why a client frame was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Not JSON, not a known message, or missing fields.
    BadMessage,
    /// Binary frames are not part of the protocol.
    BinaryNotSupported,
    /// No such channel, or not available in this build.
    UnknownChannel,
    /// No such instrument.
    UnknownInstrument,
    /// The user is not entitled to the instrument.
    NotEntitled,
}

impl ErrorCode {
    fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadMessage => "BAD_MESSAGE",
            ErrorCode::BinaryNotSupported => "BINARY_NOT_SUPPORTED",
            ErrorCode::UnknownChannel => "UNKNOWN_CHANNEL",
            ErrorCode::UnknownInstrument => "UNKNOWN_INSTRUMENT",
            ErrorCode::NotEntitled => "NOT_ENTITLED",
        }
    }
}

#[derive(Serialize)]
struct ErrorFrame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    code: &'static str,
    message: &'a str,
}

/// Renders an `ERROR` frame.
pub fn error_frame(code: ErrorCode, message: &str) -> String {
    serde_json::to_string(&ErrorFrame {
        kind: "ERROR",
        code: code.as_str(),
        message,
    })
    .expect("error frames always serialise")
}

/// The `PONG` frame.
pub const PONG: &str = r#"{"type":"PONG"}"#;

/// Parses a text frame.
pub fn parse(text: &str) -> Result<ClientMessage, String> {
    serde_json::from_str(text).map_err(|e| {
        let mut message = e.to_string();
        message.truncate(200);
        message
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_contract_messages() {
        assert_eq!(parse(r#"{"type":"PING"}"#), Ok(ClientMessage::Ping));
        let sub = parse(r#"{"type":"SUBSCRIBE","instrumentIds":["EUR/USD"]}"#).unwrap();
        let ClientMessage::Subscribe(req) = sub else {
            panic!("subscribe expected")
        };
        assert_eq!(
            (req.channel(), req.instrument_ids.as_slice()),
            (Some(Channel::Market), &["EUR/USD".to_string()][..])
        );
        let ClientMessage::Unsubscribe(req) =
            parse(r#"{"type":"UNSUBSCRIBE","channel":"trades"}"#).unwrap()
        else {
            panic!("unsubscribe expected")
        };
        assert_eq!(req.channel(), Some(Channel::Trades));
        assert_eq!(
            SubscriptionRequest {
                channel: Some("gossip".into()),
                ..Default::default()
            }
            .channel(),
            None
        );
    }

    #[test]
    fn refuses_garbage() {
        for bad in [
            "",
            "{",
            "[]",
            r#"{"type":"HELLO"}"#,
            r#"{"instrumentIds":[]}"#,
            r#"{"type":"SUBSCRIBE","instrumentIds":"EUR/USD"}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let frame: serde_json::Value =
            serde_json::from_str(&error_frame(ErrorCode::BadMessage, "nope")).unwrap();
        assert_eq!(frame["type"], "ERROR");
        assert_eq!(frame["code"], "BAD_MESSAGE");
    }
}
