//! The JSON shape of a market-data value, shared by `GET /market/snapshot` and the WebSocket
//! `SNAPSHOT`/`TICK` frames. Prices are exact decimal strings; timestamps RFC 3339 with
//! nanoseconds; floats never appear.

pub use orion_bridge::clock::rfc3339;
use orion_hotpath::{InstrumentSpec, Price, Snapshot};
use serde::Serialize;

/// One instrument's latest value as clients see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MarketView<'a> {
    /// `SNAPSHOT` or `TICK` on the WebSocket; absent over REST.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// Instrument id, e.g. `EUR/USD`.
    pub instrument_id: &'a str,
    /// Best bid.
    pub bid: String,
    /// Best ask.
    pub ask: String,
    /// Exact mid (one more digit when bid + ask is odd).
    pub mid: String,
    /// Ask minus bid.
    pub spread: String,
    /// Source timestamp.
    pub ts: String,
    /// When Orion received the tick.
    pub received_at: String,
    /// Per-instrument sequence, increasing.
    pub seq: u64,
    /// No update within the stale threshold.
    pub stale: bool,
    /// Quality flags (`crossed`, `off_tick`, `late`, `stale`).
    pub flags: Vec<&'static str>,
    /// Source of the tick.
    pub source: &'static str,
    /// Milliseconds since the tick was received, at the time of the response (REST only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_ms: Option<u64>,
}

impl<'a> MarketView<'a> {
    /// The view of `snapshot` for `spec`.
    pub fn new(spec: &'a InstrumentSpec, snapshot: &Snapshot, kind: Option<&'static str>) -> Self {
        let scale = spec.price_scale;
        let (bid, ask) = (
            Price::new(snapshot.bid, scale),
            Price::new(snapshot.ask, scale),
        );
        let mid = Price::mid(bid, ask)
            .map(|m| m.to_string())
            .unwrap_or_default();
        Self {
            kind,
            instrument_id: &spec.symbol,
            bid: bid.to_string(),
            ask: ask.to_string(),
            mid,
            spread: Price::new(snapshot.spread(), scale).to_string(),
            ts: rfc3339(snapshot.source_ts),
            received_at: rfc3339(snapshot.receive_ts),
            seq: snapshot.seq,
            stale: snapshot.is_stale(),
            flags: snapshot.flags.names().collect(),
            source: snapshot.source.as_str(),
            age_ms: None,
        }
    }

    /// Serialises to a JSON string.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("market views always serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orion_hotpath::{AssetClass, InstrumentId, QualityFlags, SourceId};

    #[test]
    fn renders_exact_decimals_and_flags() {
        let spec = InstrumentSpec {
            symbol: "EUR/USD".into(),
            asset_class: AssetClass::Fx,
            price_scale: 5,
            tick_size: 1,
            size_scale: 2,
        };
        let mut flags = QualityFlags::STALE;
        flags.set(QualityFlags::LATE, true);
        let snapshot = Snapshot {
            instrument: InstrumentId::from_index(0),
            seq: 7,
            bid: 108_425,
            ask: 108_428,
            source_ts: 1_763_712_000_123_456_789,
            receive_ts: 1_763_712_000_123_456_999,
            flags,
            source: SourceId::Simulator,
            applied: 7,
        };
        let json: serde_json::Value =
            serde_json::from_str(&MarketView::new(&spec, &snapshot, Some("TICK")).to_json())
                .unwrap();
        assert_eq!(json["type"], "TICK");
        assert_eq!(json["bid"], "1.08425");
        assert_eq!(json["ask"], "1.08428");
        assert_eq!(json["mid"], "1.084265");
        assert_eq!(json["spread"], "0.00003");
        assert_eq!(json["ts"], "2025-11-21T08:00:00.123456789Z");
        assert_eq!(json["stale"], true);
        assert_eq!(json["flags"], serde_json::json!(["late", "stale"]));
        assert_eq!(json["seq"], 7);
        assert!(json.get("ageMs").is_none());
    }
}
