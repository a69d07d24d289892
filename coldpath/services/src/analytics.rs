//! Analytics for analysts, sales and traders, computed from events and never on the trading
//! path.
//!
//! The `analytics` consumer (through the [consumer runner](crate::consumer): idempotent, dead
//! letters, rebuilt and checksummed by `orion rebuild-read-models`) records facts from the
//! event log: every RFQ's side, which LPs it went to and when, every quote, and every trade
//! with the market Orion saw when it was recorded (`market` in `TradeExecuted`). The measures
//! are derived from those facts when asked for ([`AnalyticsService`]):
//!
//! - **TCA** per trade: slippage against the mid in basis points (positive = a cost: bought
//!   above or sold below the mid), spread capture (how far inside the touch the trade was, bp of
//!   the mid: 0 at the far side, half the spread at the mid), time to execution (RFQ created or
//!   order placed → executed); with a summary by LP and by instrument.
//! - **LP scorecard**: RFQs received, quotes, wins, hit ratio (wins / quotes), response time
//!   p50/p90 (sent → quote) and the mean distance of its quotes to the best quote on the same
//!   RFQ, in bp.
//! - **VWAP**: per trade, the volume-weighted average price of the trades in the trailing
//!   window.

use std::collections::{BTreeMap, HashMap};
use std::time::UNIX_EPOCH;

use orion_store::analytics::{AnalyticsChange, AnalyticsEvent, AnalyticsQuote, AnalyticsTrade};
use orion_store::{Store, StoreError};
use serde::Serialize;
use serde_json::Value;

use crate::consumer::{ApplyError, Event, Handler};

/// This consumer's name in `processed_events`, `consumer_offsets` and its Kafka group.
pub const CONSUMER: &str = "analytics";

/// The streams analytics are computed from.
pub const STREAMS: &[&str] = &["rfq.lifecycle", "rfq.quotes", "execution.trades"];

/// ns since the epoch of an RFC 3339 time.
fn nanos(text: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(text).ok()?;
    i64::try_from(t.duration_since(UNIX_EPOCH).ok()?.as_nanos()).ok()
}

/// What an envelope changes in the analytics models (other event types change nothing).
pub fn analytics_event(envelope: &Value) -> AnalyticsEvent {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let p = &envelope["payload"];
    let at = nanos(envelope["occurredAt"].as_str().unwrap_or_default()).unwrap_or(0);
    let change = match envelope["eventType"].as_str().unwrap_or_default() {
        "RFQCreated" => AnalyticsChange::Rfq {
            rfq_id: text(&p["rfqId"]),
            side: text(&p["side"]),
            requester: text(&p["requester"]),
        },
        "RFQSent" => AnalyticsChange::Sent {
            rfq_id: text(&p["rfqId"]),
            lps: p["lpIds"]
                .as_array()
                .into_iter()
                .flatten()
                .map(text)
                .collect(),
            at,
        },
        "QuoteReceived" => AnalyticsChange::Quote(AnalyticsQuote {
            quote_id: text(&p["quoteId"]),
            rfq_id: text(&p["rfqId"]),
            lp_id: text(&p["lpId"]),
            price: text(&p["price"]),
            received_at: at,
        }),
        "TradeExecuted" => {
            let executed_at = p["executedAt"].as_str().and_then(nanos).unwrap_or(at);
            let venue = p["venue"].as_str().unwrap_or("RFQ").to_owned();
            AnalyticsChange::Trade(Box::new(AnalyticsTrade {
                trade_id: text(&p["tradeId"]),
                tenant: text(&envelope["tenantId"]),
                rfq_id: text(&p["rfqId"]),
                lp_id: text(&p["lpId"]),
                requester: text(&p["requester"]),
                instrument: text(&p["instrumentId"]),
                side: text(&p["side"]),
                size: text(&p["size"]),
                price: text(&p["price"]),
                bid: text(&p["market"]["bid"]),
                ask: text(&p["market"]["ask"]),
                mid: text(&p["market"]["mid"]),
                requested_at: p["requestedAt"]
                    .as_str()
                    .and_then(nanos)
                    .unwrap_or(executed_at),
                executed_at,
                venue,
            }))
        }
        _ => AnalyticsChange::None,
    };
    AnalyticsEvent {
        event_id: text(&envelope["eventId"]),
        tenant: text(&envelope["tenantId"]),
        change,
    }
}

/// The `analytics` consumer.
pub struct AnalyticsProjection {
    store: Store,
}

impl AnalyticsProjection {
    /// Writes into `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

impl Handler for AnalyticsProjection {
    fn name(&self) -> &'static str {
        CONSUMER
    }

    fn streams(&self) -> &'static [&'static str] {
        STREAMS
    }

    async fn apply(&self, event: &Event) -> Result<bool, ApplyError> {
        let change = analytics_event(&event.envelope);
        if change.change == AnalyticsChange::None {
            return Ok(false);
        }
        Ok(self
            .store
            .apply_analytics_event(CONSUMER, &change, orion_bridge::clock::unix_nanos() as i64)
            .await?)
    }
}

/// Basis points of `part` against `whole`.
fn bps(part: f64, whole: f64) -> f64 {
    part / whole * 10_000.0
}

/// Rounded to 1/10,000 of a basis point (what JSON carries).
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn decimal(text: &str) -> Option<f64> {
    text.parse().ok().filter(|x: &f64| x.is_finite())
}

/// One trade's transaction cost.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TcaTrade {
    /// The trade.
    pub trade_id: String,
    /// Instrument id.
    pub instrument_id: String,
    /// `RFQ` or `CLOB`.
    pub venue: String,
    /// The LP (`CLOB` on the order book).
    pub lp_id: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Decimal.
    pub size: String,
    /// Decimal.
    pub price: String,
    /// The mid when the trade was recorded (decimal); null when there was no market.
    pub mid_at_decision: Option<String>,
    /// Against the mid, bp; positive = a cost.
    pub slippage_bps: Option<f64>,
    /// Inside the touch, bp of the mid: 0 at the far side, half the spread at the mid.
    pub spread_capture_bps: Option<f64>,
    /// RFQ created or order placed → executed.
    pub time_to_execution_ms: i64,
    /// RFC 3339.
    pub executed_at: String,
}

impl TcaTrade {
    /// The cost of `t`.
    pub fn of(t: &AnalyticsTrade) -> Self {
        let (price, mid) = (decimal(&t.price), decimal(&t.mid));
        let buy = t.side == "BUY";
        let slippage = price.zip(mid).filter(|(_, m)| *m > 0.0).map(|(p, m)| {
            let signed = if buy { p - m } else { m - p };
            round4(bps(signed, m))
        });
        let capture = match (price, mid, decimal(&t.bid), decimal(&t.ask)) {
            (Some(p), Some(m), Some(bid), Some(ask)) if m > 0.0 => {
                let inside = if buy { ask - p } else { p - bid };
                Some(round4(bps(inside, m)))
            }
            _ => None,
        };
        Self {
            trade_id: t.trade_id.clone(),
            instrument_id: t.instrument.clone(),
            venue: t.venue.clone(),
            lp_id: t.lp_id.clone(),
            side: t.side.clone(),
            size: t.size.clone(),
            price: t.price.clone(),
            mid_at_decision: (!t.mid.is_empty()).then(|| t.mid.clone()),
            slippage_bps: slippage,
            spread_capture_bps: capture,
            time_to_execution_ms: (t.executed_at - t.requested_at).max(0) / 1_000_000,
            executed_at: orion_bridge::clock::rfc3339(t.executed_at.max(0) as u64),
        }
    }
}

/// Slippage statistics of a group of trades, bp.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlippageStats {
    /// Trades measured (those with a market).
    pub count: usize,
    /// Mean.
    pub mean_bps: Option<f64>,
    /// Median.
    pub p50_bps: Option<f64>,
    /// 90th percentile.
    pub p90_bps: Option<f64>,
}

impl SlippageStats {
    fn of(values: &mut [f64]) -> Self {
        values.sort_by(f64::total_cmp);
        let rank = |q: f64| {
            (!values.is_empty()).then(|| {
                let i = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
                values[i - 1]
            })
        };
        Self {
            count: values.len(),
            mean_bps: (!values.is_empty())
                .then(|| round4(values.iter().sum::<f64>() / values.len() as f64)),
            p50_bps: rank(0.5),
            p90_bps: rank(0.9),
        }
    }
}

/// `GET /analytics/tca`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tca {
    /// Per trade, oldest first.
    pub trades: Vec<TcaTrade>,
    /// Over all of them.
    pub summary: TcaSummary,
}

/// TCA over all the trades, by LP and by instrument.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TcaSummary {
    /// Trades.
    pub count: usize,
    /// Slippage of all of them.
    pub slippage: SlippageStats,
    /// By LP.
    pub by_lp: BTreeMap<String, SlippageStats>,
    /// By instrument.
    pub by_instrument: BTreeMap<String, SlippageStats>,
}

impl Tca {
    /// The TCA of `trades`.
    pub fn of(trades: &[AnalyticsTrade]) -> Self {
        let trades: Vec<TcaTrade> = trades.iter().map(TcaTrade::of).collect();
        let mut all = Vec::new();
        let mut by_lp: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut by_instrument: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for t in &trades {
            if let Some(s) = t.slippage_bps {
                all.push(s);
                by_lp.entry(t.lp_id.clone()).or_default().push(s);
                by_instrument
                    .entry(t.instrument_id.clone())
                    .or_default()
                    .push(s);
            }
        }
        let stats = |m: BTreeMap<String, Vec<f64>>| {
            m.into_iter()
                .map(|(k, mut v)| (k, SlippageStats::of(&mut v)))
                .collect()
        };
        Self {
            summary: TcaSummary {
                count: trades.len(),
                slippage: SlippageStats::of(&mut all),
                by_lp: stats(by_lp),
                by_instrument: stats(by_instrument),
            },
            trades,
        }
    }
}

/// One LP's record with the caller's RFQs.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LpScore {
    /// The LP (`CLOB` on the order book).
    pub lp_id: String,
    /// RFQs sent to it.
    pub rfqs_received: i64,
    /// Quotes it gave.
    pub quotes: usize,
    /// RFQ trades it won.
    pub wins: usize,
    /// Wins / quotes (0 without quotes).
    pub hit_ratio: f64,
    /// Median time from the RFQ reaching it to its quote.
    pub response_p50_ms: Option<i64>,
    /// 90th percentile of the same.
    pub response_p90_ms: Option<i64>,
    /// Mean distance of its quotes to the best quote on the same RFQ, bp.
    pub mean_distance_to_best_bps: Option<f64>,
}

/// `GET /analytics/lp-scorecard`.
pub fn scorecard(
    quotes: &[orion_store::analytics::QuoteRow],
    sent: &[(String, i64)],
    trades: &[AnalyticsTrade],
) -> Vec<LpScore> {
    // The best price per RFQ: the lowest ask to a buyer, the highest bid to a seller.
    let mut best: HashMap<&str, f64> = HashMap::new();
    for q in quotes {
        let (Some(side), Some(price)) = (&q.side, decimal(&q.quote.price)) else {
            continue;
        };
        let entry = best.entry(q.quote.rfq_id.as_str()).or_insert(price);
        *entry = if side == "BUY" {
            entry.min(price)
        } else {
            entry.max(price)
        };
    }
    #[derive(Default)]
    struct Tally {
        quotes: usize,
        responses: Vec<i64>,
        distances: Vec<f64>,
        wins: usize,
        sent: i64,
    }
    let mut lps: BTreeMap<String, Tally> = BTreeMap::new();
    for (lp, count) in sent {
        lps.entry(lp.clone()).or_default().sent = *count;
    }
    for q in quotes {
        let tally = lps.entry(q.quote.lp_id.clone()).or_default();
        tally.quotes += 1;
        if let Some(sent_at) = q.sent_at {
            tally
                .responses
                .push((q.quote.received_at - sent_at).max(0) / 1_000_000);
        }
        if let (Some(best), Some(price)) =
            (best.get(q.quote.rfq_id.as_str()), decimal(&q.quote.price))
        {
            if *best > 0.0 {
                tally.distances.push(bps((price - best).abs(), *best));
            }
        }
    }
    for t in trades.iter().filter(|t| t.venue == "RFQ") {
        lps.entry(t.lp_id.clone()).or_default().wins += 1;
    }
    lps.into_iter()
        .map(|(lp_id, mut t)| {
            t.responses.sort_unstable();
            let rank = |q: f64| {
                (!t.responses.is_empty()).then(|| {
                    let i = ((q * t.responses.len() as f64).ceil() as usize)
                        .clamp(1, t.responses.len());
                    t.responses[i - 1]
                })
            };
            LpScore {
                lp_id,
                rfqs_received: t.sent,
                quotes: t.quotes,
                wins: t.wins,
                hit_ratio: if t.quotes == 0 {
                    0.0
                } else {
                    round4(t.wins as f64 / t.quotes as f64)
                },
                response_p50_ms: rank(0.5),
                response_p90_ms: rank(0.9),
                mean_distance_to_best_bps: (!t.distances.is_empty())
                    .then(|| round4(t.distances.iter().sum::<f64>() / t.distances.len() as f64)),
            }
        })
        .collect()
}

/// One point of a rolling VWAP: at a trade, over the trades of the trailing window.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VwapPoint {
    /// Unix ms of the trade.
    pub t: i64,
    /// Volume-weighted average price of the window.
    pub vwap: f64,
    /// Traded in the window (decimal).
    pub volume: f64,
}

/// The rolling VWAP over `window_ms` of `trades` (oldest first), one point per trade.
pub fn vwap(trades: &[AnalyticsTrade], window_ms: i64) -> Vec<VwapPoint> {
    let window = window_ms.saturating_mul(1_000_000);
    let mut out = Vec::with_capacity(trades.len());
    let (mut value, mut volume) = (0.0, 0.0);
    let mut first = 0;
    let priced: Vec<(i64, f64, f64)> = trades
        .iter()
        .filter_map(|t| Some((t.executed_at, decimal(&t.price)?, decimal(&t.size)?)))
        .collect();
    for (i, &(at, price, size)) in priced.iter().enumerate() {
        value += price * size;
        volume += size;
        while priced[first].0 <= at - window && first < i {
            value -= priced[first].1 * priced[first].2;
            volume -= priced[first].2;
            first += 1;
        }
        if volume > 0.0 {
            out.push(VwapPoint {
                t: at / 1_000_000,
                vwap: (value / volume * 1e10).round() / 1e10,
                volume,
            });
        }
    }
    out
}

/// One instrument of a basket and its weight.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BasketComponent {
    /// Instrument id.
    pub instrument_id: String,
    /// Weight (positive; weights are normalised by their sum).
    pub weight: f64,
}

/// `PUT /analytics/baskets/{id}` body.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "EUR and GBP", "base": "100", "components": [{"instrumentId": "EUR/USD", "weight": 0.5}, {"instrumentId": "GBP/USD", "weight": 0.5}]}))]
pub struct BasketDefinition {
    /// Name.
    pub name: String,
    /// The index's value at definition (decimal).
    pub base: String,
    /// 1 to 20 instruments.
    pub components: Vec<BasketComponent>,
}

/// A basket as `GET /analytics/baskets` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Basket {
    /// Id.
    pub basket_id: String,
    /// Name.
    pub name: String,
    /// The index's value at definition (decimal).
    pub base: String,
    /// Its instruments and weights.
    pub components: Vec<BasketComponent>,
    /// Definition or last redefinition (RFC 3339): where the index starts at `base`.
    pub defined_at: String,
}

/// One second of a basket index.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BasketPoint {
    /// Unix ms.
    pub t: i64,
    /// `base × Σ wᵢ·midᵢ(t)/midᵢ(t₀) / Σ wᵢ`.
    pub value: f64,
    /// The components' mids that second (decimal).
    pub mids: BTreeMap<String, String>,
}

/// `GET /analytics/baskets/{id}/series`: the index once a second since its definition (the
/// latest hour at most).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BasketSeries {
    /// The basket.
    pub basket: Basket,
    /// Oldest first.
    pub points: Vec<BasketPoint>,
}

/// Points of a basket series at most (an hour at one per second).
pub const BASKET_POINTS: usize = 3_600;

/// The index of `components` over `samples` (per instrument: `(unix s, mid)` oldest first):
/// `base` at the first second every component has a mid, then each second they all have one.
pub fn basket_index(
    base: f64,
    components: &[BasketComponent],
    samples: &BTreeMap<String, BTreeMap<i64, String>>,
) -> Vec<BasketPoint> {
    let total: f64 = components.iter().map(|c| c.weight).sum();
    let Some(first) = samples.get(&components[0].instrument_id) else {
        return Vec::new();
    };
    let mut start: Option<BTreeMap<String, f64>> = None;
    let mut out = Vec::new();
    for &t in first.keys() {
        let mids: Option<BTreeMap<String, String>> = components
            .iter()
            .map(|c| {
                let mid = samples.get(&c.instrument_id)?.get(&t)?;
                Some((c.instrument_id.clone(), mid.clone()))
            })
            .collect();
        let Some(mids) = mids else { continue };
        let numeric: Option<BTreeMap<String, f64>> = mids
            .iter()
            .map(|(k, v)| Some((k.clone(), decimal(v).filter(|m| *m > 0.0)?)))
            .collect();
        let Some(numeric) = numeric else { continue };
        let start = start.get_or_insert_with(|| numeric.clone());
        let value = components
            .iter()
            .map(|c| c.weight * numeric[&c.instrument_id] / start[&c.instrument_id])
            .sum::<f64>()
            * base
            / total;
        out.push(BasketPoint {
            t: t * 1_000,
            value: (value * 1e8).round() / 1e8,
            mids,
        });
    }
    out
}

/// Reads for the analytics API, scoped to a tenant (and to a trader's own trades).
#[derive(Clone)]
pub struct AnalyticsService {
    store: Store,
}

/// Who asks: their tenant, and their user name when they may only see their own trades.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Tenant.
    pub tenant: String,
    /// Set for traders: only their trades and RFQs.
    pub own: Option<String>,
}

impl AnalyticsService {
    /// Over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Trades executed in `[from, to)` (ns) of `instrument`, oldest first.
    pub async fn trades(
        &self,
        scope: &Scope,
        range: (i64, i64),
        instrument: Option<&str>,
    ) -> Result<Vec<AnalyticsTrade>, StoreError> {
        self.store
            .analytics_trades(&scope.tenant, range, instrument, scope.own.as_deref())
            .await
    }

    /// Defines (or redefines, restarting it at `base`) the tenant's basket `id` at `now` (ns).
    pub async fn define_basket(
        &self,
        tenant: &str,
        id: &str,
        definition: &BasketDefinition,
        now: i64,
    ) -> Result<Basket, StoreError> {
        let record = orion_store::market_samples::BasketRecord {
            basket_id: id.to_owned(),
            name: definition.name.clone(),
            base: definition.base.clone(),
            components: serde_json::to_string(&definition.components)
                .expect("components serialise"),
            defined_at: now,
        };
        self.store.save_basket(tenant, &record).await?;
        Ok(basket(record))
    }

    /// The tenant's baskets.
    pub async fn baskets(&self, tenant: &str) -> Result<Vec<Basket>, StoreError> {
        Ok(self
            .store
            .baskets(tenant)
            .await?
            .into_iter()
            .map(basket)
            .collect())
    }

    /// The index of the tenant's basket `id` since its definition; `None` when unknown.
    pub async fn basket_series(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<BasketSeries>, StoreError> {
        let Some(basket) = self
            .baskets(tenant)
            .await?
            .into_iter()
            .find(|b| b.basket_id == id)
        else {
            return Ok(None);
        };
        let since = humantime::parse_rfc3339_weak(&basket.defined_at)
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64);
        let mut samples = BTreeMap::new();
        for c in &basket.components {
            let series: BTreeMap<i64, String> = self
                .store
                .samples(&c.instrument_id, since)
                .await?
                .into_iter()
                .map(|s| (s.t, s.mid))
                .collect();
            samples.insert(c.instrument_id.clone(), series);
        }
        let base = decimal(&basket.base).unwrap_or(100.0);
        let mut points = if basket.components.is_empty() {
            Vec::new()
        } else {
            basket_index(base, &basket.components, &samples)
        };
        if points.len() > BASKET_POINTS {
            points.drain(..points.len() - BASKET_POINTS);
        }
        Ok(Some(BasketSeries { basket, points }))
    }

    /// The LP scorecard.
    pub async fn scorecard(&self, scope: &Scope) -> Result<Vec<LpScore>, StoreError> {
        let (quotes, sent) = self
            .store
            .analytics_quotes(&scope.tenant, scope.own.as_deref())
            .await?;
        let trades = self.trades(scope, (0, i64::MAX), None).await?;
        Ok(scorecard(&quotes, &sent, &trades))
    }
}

fn basket(r: orion_store::market_samples::BasketRecord) -> Basket {
    Basket {
        basket_id: r.basket_id,
        name: r.name,
        base: r.base,
        components: serde_json::from_str(&r.components).unwrap_or_default(),
        defined_at: orion_bridge::clock::rfc3339(r.defined_at.max(0) as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade(side: &str, price: &str, market: (&str, &str, &str), lp: &str) -> AnalyticsTrade {
        AnalyticsTrade {
            trade_id: "1".into(),
            tenant: "acme".into(),
            venue: "RFQ".into(),
            rfq_id: "9".into(),
            lp_id: lp.into(),
            requester: "trader@acme".into(),
            instrument: "EUR/USD".into(),
            side: side.into(),
            size: "1000000".into(),
            price: price.into(),
            bid: market.0.into(),
            ask: market.1.into(),
            mid: market.2.into(),
            requested_at: 1_000_000_000,
            executed_at: 1_250_000_000,
        }
    }

    #[test]
    fn slippage_is_a_cost_on_either_side_and_capture_is_measured_from_the_far_touch() {
        let market = ("1.08400", "1.08420", "1.08410");
        let buy = TcaTrade::of(&trade("BUY", "1.08420", market, "lp-a"));
        // Paid the ask: 1 pip above the mid of 1.0841 ≈ 0.9224 bp, nothing captured.
        assert_eq!(buy.slippage_bps, Some(0.9224));
        assert_eq!(buy.spread_capture_bps, Some(0.0));
        assert_eq!(buy.time_to_execution_ms, 250);
        let sell = TcaTrade::of(&trade("SELL", "1.08410", market, "lp-a"));
        // Sold at the mid: no slippage, half the spread captured.
        assert_eq!(sell.slippage_bps, Some(0.0));
        assert_eq!(sell.spread_capture_bps, Some(0.9224));
        let improved = TcaTrade::of(&trade("SELL", "1.08415", market, "lp-a"));
        assert!(improved.slippage_bps.unwrap() < 0.0, "sold above the mid");
        let blind = TcaTrade::of(&trade("BUY", "1.08420", ("", "", ""), "lp-a"));
        assert_eq!((blind.slippage_bps, blind.mid_at_decision), (None, None));
    }

    #[test]
    fn the_summary_groups_by_lp_and_instrument() {
        let market = ("1.08400", "1.08420", "1.08410");
        let tca = Tca::of(&[
            trade("BUY", "1.08420", market, "lp-a"),
            trade("BUY", "1.08410", market, "lp-b"),
            trade("BUY", "1.08420", ("", "", ""), "lp-b"),
        ]);
        assert_eq!(tca.summary.count, 3);
        assert_eq!(tca.summary.slippage.count, 2);
        assert_eq!(tca.summary.slippage.mean_bps, Some(0.4612));
        assert_eq!(tca.summary.by_lp["lp-b"].count, 1);
        assert_eq!(tca.summary.by_instrument["EUR/USD"].p90_bps, Some(0.9224));
    }

    #[test]
    fn a_basket_starts_at_its_base_and_moves_with_its_weighted_mids() {
        let components = vec![
            BasketComponent {
                instrument_id: "A".into(),
                weight: 3.0,
            },
            BasketComponent {
                instrument_id: "B".into(),
                weight: 1.0,
            },
        ];
        let series = |pairs: &[(i64, &str)]| -> BTreeMap<i64, String> {
            pairs.iter().map(|(t, m)| (*t, (*m).to_owned())).collect()
        };
        let samples = BTreeMap::from([
            (
                "A".to_owned(),
                series(&[(1, "2.0"), (2, "2.0"), (3, "2.2"), (4, "2.2")]),
            ),
            // B has no mid at second 1: the index starts at second 2.
            (
                "B".to_owned(),
                series(&[(2, "1.0"), (3, "1.0"), (4, "0.5")]),
            ),
        ]);
        let points = basket_index(100.0, &components, &samples);
        let values: Vec<(i64, f64)> = points.iter().map(|p| (p.t, p.value)).collect();
        // A +10 % with weight 3/4, then B −50 % with weight 1/4.
        assert_eq!(values, vec![(2_000, 100.0), (3_000, 107.5), (4_000, 95.0)]);
        assert_eq!(points[2].mids["B"], "0.5");
    }

    #[test]
    fn the_vwap_rolls_over_its_window() {
        let at = |s: i64, price: &str, size: &str| AnalyticsTrade {
            executed_at: s * 1_000_000_000,
            price: price.into(),
            size: size.into(),
            ..trade("BUY", "1", ("", "", ""), "lp-a")
        };
        let points = vwap(
            &[at(0, "10", "1"), at(1, "20", "3"), at(10, "30", "1")],
            5_000,
        );
        assert_eq!(points.len(), 3);
        assert_eq!(points[1].vwap, 17.5);
        assert_eq!(points[1].volume, 4.0);
        // At 10 s the first two trades have left the 5 s window.
        assert_eq!((points[2].vwap, points[2].volume), (30.0, 1.0));
    }

    #[test]
    fn the_scorecard_counts_wins_responses_and_distance_to_the_best_quote() {
        use orion_store::analytics::QuoteRow;
        let quote = |id: &str, lp: &str, price: &str, ms: i64| QuoteRow {
            quote: AnalyticsQuote {
                quote_id: id.into(),
                rfq_id: "9".into(),
                lp_id: lp.into(),
                price: price.into(),
                received_at: ms * 1_000_000,
            },
            side: Some("BUY".into()),
            sent_at: Some(0),
        };
        let quotes = [
            quote("1", "lp-a", "1.00000", 20),
            quote("2", "lp-b", "1.00010", 40),
        ];
        let sent = [("lp-a".to_owned(), 1), ("lp-b".to_owned(), 1)];
        let won = trade("BUY", "1.00000", ("", "", ""), "lp-a");
        let card = scorecard(&quotes, &sent, &[won]);
        assert_eq!(card.len(), 2);
        assert_eq!((card[0].lp_id.as_str(), card[0].wins), ("lp-a", 1));
        assert_eq!(card[0].hit_ratio, 1.0);
        assert_eq!(card[0].mean_distance_to_best_bps, Some(0.0));
        assert_eq!(card[1].mean_distance_to_best_bps, Some(1.0));
        assert_eq!(card[1].response_p50_ms, Some(40));
        assert_eq!(card[1].hit_ratio, 0.0);
    }
}
