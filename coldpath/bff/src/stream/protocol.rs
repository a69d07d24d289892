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

/// One instrument a SUBSCRIBE named and the session refused.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusal<'a> {
    /// As the client spelled it.
    pub instrument_id: &'a str,
    /// `UNKNOWN_INSTRUMENT` or `NOT_ENTITLED`.
    #[serde(serialize_with = "code_str")]
    pub code: ErrorCode,
}

fn code_str<S: serde::Serializer>(code: &ErrorCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(code.as_str())
}

#[derive(Serialize)]
struct RefusalFrame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    code: &'static str,
    message: &'a str,
    refused: &'a [Refusal<'a>],
}

/// How many refused instruments the `message` text names; `refused` lists them all.
const NAMED_IN_MESSAGE: usize = 10;

/// Renders the one `ERROR` frame answering a SUBSCRIBE that named instruments the session
/// refused: `refused` lists every one with its reason; `code` is `UNKNOWN_INSTRUMENT` when any
/// is unknown, else `NOT_ENTITLED`. `None` when nothing was refused.
pub fn refusal_frame(refused: &[Refusal<'_>], named: usize) -> Option<String> {
    let code = refused.iter().map(|r| r.code).min_by_key(|c| match c {
        ErrorCode::UnknownInstrument => 0,
        _ => 1,
    })?;
    let mut message = format!("refused {} of {named} instruments: ", refused.len());
    for (i, r) in refused.iter().take(NAMED_IN_MESSAGE).enumerate() {
        if i > 0 {
            message.push_str(", ");
        }
        let why = match r.code {
            ErrorCode::UnknownInstrument => "unknown",
            _ => "not entitled",
        };
        message.push_str(&format!("{} ({why})", r.instrument_id));
    }
    if refused.len() > NAMED_IN_MESSAGE {
        message.push_str(&format!(" and {} more", refused.len() - NAMED_IN_MESSAGE));
    }
    Some(
        serde_json::to_string(&RefusalFrame {
            kind: "ERROR",
            code: code.as_str(),
            message: &message,
            refused,
        })
        .expect("error frames always serialise"),
    )
}

/// The `PONG` frame.
pub const PONG: &str = r#"{"type":"PONG"}"#;

/// Parses a text frame.
pub fn parse(text: &str) -> Result<ClientMessage, String> {
    serde_json::from_str(text).map_err(|e| {
        let mut message = e.to_string();
        // serde quotes the client's text, which may be any UTF-8: cut on a char boundary.
        let mut cut = message.len().min(200);
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_errors_are_cut_on_a_char_boundary() {
        let text = format!(
            r#"{{"type":"SUBSCRIBE","instrumentIds":"{}"}}"#,
            "€".repeat(300)
        );
        let message = parse(&text).unwrap_err();
        assert!(message.len() <= 200 && message.contains('€'), "{message}");
    }

    #[test]
    fn one_refusal_frame_lists_every_refused_instrument() {
        let ids: Vec<String> = (0..2_000).map(|i| format!("NOPE{i}")).collect();
        let mut refused: Vec<Refusal<'_>> = ids
            .iter()
            .map(|id| Refusal {
                instrument_id: id,
                code: ErrorCode::UnknownInstrument,
            })
            .collect();
        refused.push(Refusal {
            instrument_id: "CDX.NA.IG",
            code: ErrorCode::NotEntitled,
        });
        let frame: serde_json::Value =
            serde_json::from_str(&refusal_frame(&refused, 2_002).unwrap()).unwrap();
        assert_eq!(frame["type"], "ERROR");
        assert_eq!(frame["code"], "UNKNOWN_INSTRUMENT");
        assert_eq!(frame["refused"].as_array().unwrap().len(), 2_001);
        assert_eq!(frame["refused"][2_000]["code"], "NOT_ENTITLED");
        let message = frame["message"].as_str().unwrap();
        assert!(message.starts_with("refused 2001 of 2002 instruments: NOPE0 (unknown)"));
        assert!(message.ends_with("and 1991 more"), "{message}");
        assert!(refusal_frame(&[], 3).is_none());
        let entitled_only = [Refusal {
            instrument_id: "CDX.NA.IG",
            code: ErrorCode::NotEntitled,
        }];
        let frame: serde_json::Value =
            serde_json::from_str(&refusal_frame(&entitled_only, 1).unwrap()).unwrap();
        assert_eq!(frame["code"], "NOT_ENTITLED");
    }

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
