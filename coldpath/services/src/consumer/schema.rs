//! Decoding and validating what a consumer reads, against the event schemas of
//! `proto/schemas/v1` (compiled in).
//!
//! Readers are lenient where the contract says so and strict where it matters: unknown fields
//! are accepted (`additionalProperties: false` is dropped when the schemas are loaded — a
//! producer may add optional fields within `v1`), unknown event types are left to the consumer
//! (it ignores them), but a message that is not JSON, an envelope missing its fields, a major
//! version other than 1 or a payload that violates its schema is rejected with its reason.

use std::collections::HashMap;

use jsonschema::Validator;
use serde_json::Value;

use super::Event;

/// Why a message can never be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Not JSON, or not an object.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The envelope or its payload violates its schema.
    #[error("schema violation: {0}")]
    Schema(String),
    /// A major version this consumer does not read.
    #[error("unknown major version: {0}")]
    Version(String),
}

impl Rejection {
    /// `MALFORMED`, `SCHEMA` or `VERSION`.
    pub fn kind(&self) -> &'static str {
        match self {
            Rejection::Malformed(_) => "MALFORMED",
            Rejection::Schema(_) => "SCHEMA",
            Rejection::Version(_) => "VERSION",
        }
    }
}

macro_rules! schemas {
    ($($name:literal),* $(,)?) => {
        /// Every event schema of `v1`, by event type.
        pub const PAYLOAD_SCHEMAS: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../../../proto/schemas/v1/", $name, ".json")))),*
        ];
    };
}

schemas!(
    "RFQCreated",
    "RFQSent",
    "QuoteAccepted",
    "QuoteReceived",
    "QuoteAcceptanceRejected",
    "TradeExecuted",
    "RFQExpired",
    "RFQCancelled",
    "RiskLimitBreached",
    "KillSwitchEnabled",
    "KillSwitchDisabled",
    "UserUpdated",
    "LPConfigUpdated",
    "VenueUpdated",
    "FeatureFlagsUpdated",
    "InstrumentUpdated",
    "MarketDataStaleDetected",
    "MarketDataRecovered",
    "MarketTickReceived",
    "TradeConfirmed",
    "SettlementRequested",
    "SettlementCompleted",
    "SettlementFailed",
    "OrderPlaced",
    "OrderAcknowledged",
    "OrderFilled",
    "OrderAmended",
    "OrderCancelled",
    "OrderRejected",
);

/// The envelope's schema.
pub const ENVELOPE_SCHEMA: &str = include_str!("../../../../proto/schemas/v1/envelope.json");

/// The compiled validators.
pub struct Schemas {
    envelope: Validator,
    payloads: HashMap<&'static str, Validator>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas")
            .field("payloads", &self.payloads.len())
            .finish()
    }
}

/// Drops what a lenient reader must not enforce: closed objects, and (on the envelope) the
/// list of event types and the version, which the reader checks itself.
fn lenient(mut schema: Value, envelope: bool) -> Value {
    fn open(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                    map.remove("additionalProperties");
                }
                map.values_mut().for_each(open);
            }
            Value::Array(items) => items.iter_mut().for_each(open),
            _ => {}
        }
    }
    open(&mut schema);
    if envelope {
        if let Some(props) = schema["properties"].as_object_mut() {
            props.insert(
                "eventType".into(),
                serde_json::json!({"type": "string", "minLength": 1}),
            );
            props.insert(
                "eventVersion".into(),
                serde_json::json!({"type": "integer"}),
            );
        }
    }
    schema
}

fn compile(text: &str, envelope: bool) -> Validator {
    let schema: Value = serde_json::from_str(text).expect("compiled-in schemas are JSON");
    jsonschema::validator_for(&lenient(schema, envelope)).expect("compiled-in schemas compile")
}

impl Default for Schemas {
    fn default() -> Self {
        Self {
            envelope: compile(ENVELOPE_SCHEMA, true),
            payloads: PAYLOAD_SCHEMAS
                .iter()
                .map(|(name, text)| (*name, compile(text, false)))
                .collect(),
        }
    }
}

impl Schemas {
    /// Decodes and validates one message.
    pub fn decode(&self, bytes: &[u8]) -> Result<Event, Rejection> {
        let envelope: Value = serde_json::from_slice(bytes)
            .map_err(|e| Rejection::Malformed(format!("not JSON: {e}")))?;
        if !envelope.is_object() {
            return Err(Rejection::Malformed("not a JSON object".into()));
        }
        if let Some(version) = envelope.get("eventVersion").and_then(Value::as_i64) {
            if version != 1 {
                return Err(Rejection::Version(format!(
                    "eventVersion {version}; this reader understands 1"
                )));
            }
        }
        if let Some(err) = self.envelope.iter_errors(&envelope).next() {
            return Err(Rejection::Schema(format!(
                "envelope: {err} at {}",
                err.instance_path
            )));
        }
        let event_type = envelope["eventType"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if let Some(validator) = self.payloads.get(event_type.as_str()) {
            if let Some(err) = validator.iter_errors(&envelope["payload"]).next() {
                return Err(Rejection::Schema(format!(
                    "{event_type} payload: {err} at {}",
                    err.instance_path
                )));
            }
        }
        Ok(Event {
            event_id: envelope["eventId"].as_str().unwrap_or_default().to_owned(),
            tenant: envelope["tenantId"].as_str().unwrap_or_default().to_owned(),
            event_type,
            envelope,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(event_type: &str, version: i64, payload: Value) -> Vec<u8> {
        json!({
            "eventId": "0b9f1d1e-3c55-4bfc-9b0d-4f7fd3f5a001", "eventType": event_type, "eventVersion": version,
            "occurredAt": "2026-11-21T08:00:00Z", "producer": "test", "tenantId": "acme",
            "correlationId": "c-1", "causationId": "c-1",
            "entity": {"entityType": "RFQ", "entityId": "7", "sequence": 1}, "payload": payload,
            "addedLater": true,
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn valid_events_pass_with_unknown_fields_and_types() {
        let schemas = Schemas::default();
        let ok = schemas
            .decode(&envelope(
                "RFQCancelled",
                1,
                json!({"rfqId": "7", "status": "CANCELLED", "newField": 1}),
            ))
            .unwrap();
        assert_eq!(
            (ok.event_type.as_str(), ok.tenant.as_str()),
            ("RFQCancelled", "acme")
        );
        let unknown = schemas
            .decode(&envelope("SomethingNew", 1, json!({"x": 1})))
            .unwrap();
        assert_eq!(unknown.event_type, "SomethingNew");
    }

    #[test]
    fn non_recoverable_messages_are_rejected_with_their_kind() {
        let schemas = Schemas::default();
        assert_eq!(
            schemas.decode(b"{not json").unwrap_err().kind(),
            "MALFORMED"
        );
        assert_eq!(schemas.decode(b"[1,2]").unwrap_err().kind(), "MALFORMED");
        assert_eq!(
            schemas
                .decode(&envelope(
                    "RFQCancelled",
                    2,
                    json!({"rfqId": "7", "status": "CANCELLED"})
                ))
                .unwrap_err()
                .kind(),
            "VERSION"
        );
        let wrong_type = schemas
            .decode(&envelope(
                "RFQCancelled",
                1,
                json!({"rfqId": 7, "status": "CANCELLED"}),
            ))
            .unwrap_err();
        assert_eq!(wrong_type.kind(), "SCHEMA", "{wrong_type}");
        let no_tenant =
            br#"{"eventId":"x","eventType":"RFQCancelled","eventVersion":1,"payload":{}}"#;
        assert_eq!(schemas.decode(no_tenant).unwrap_err().kind(), "SCHEMA");
    }
}
