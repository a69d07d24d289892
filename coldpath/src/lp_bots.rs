//! LP bots: simulated liquidity providers that quote every RFQ they are asked to.
//!
//! Each bot hears of an RFQ once its creation is committed, waits a short, bot-specific
//! response time, and quotes: the mid at creation ± a half spread (by asset class, wider for
//! some bots), skewed by the bot's inventory in that instrument (a bot that is long shades its
//! price to sell), rounded outwards to the tick grid, valid for half the RFQ's remaining life
//! at most (always shorter than the RFQ). A per-second throttle caps each bot's quotes. Bots
//! only quote; they never call execution. Inventory comes from the committed trades they won.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use orion_bridge::gateway::CommandGateway;
use orion_hotpath::pipeline::MultiInput;
use orion_hotpath::rfq::{Command, LpId, RfqEvent, Side};
use orion_hotpath::{AssetClass, InstrumentTable};
use rand::{Rng, SeedableRng};
use tokio::sync::broadcast::error::RecvError;

use crate::durability::Ledger;
use crate::store::reference::LPS;

/// One bot's temperament.
#[derive(Debug, Clone, Copy)]
pub struct BotProfile {
    /// Extra half spread in basis points on top of the asset class's.
    pub extra_bp: f64,
    /// Typical response time.
    pub response: Duration,
    /// Quotes per second at most.
    pub max_quotes_per_sec: u32,
}

/// The profiles of the built-in bots, by LP index.
pub const PROFILES: [BotProfile; 3] = [
    BotProfile {
        extra_bp: 0.0,
        response: Duration::from_millis(15),
        max_quotes_per_sec: 2_000,
    },
    BotProfile {
        extra_bp: 0.3,
        response: Duration::from_millis(30),
        max_quotes_per_sec: 2_000,
    },
    BotProfile {
        extra_bp: 0.8,
        response: Duration::from_millis(60),
        max_quotes_per_sec: 2_000,
    },
];

fn half_spread_bp(class: AssetClass) -> f64 {
    match class {
        AssetClass::Fx => 0.5,
        AssetClass::Rates => 1.5,
        AssetClass::Credit => 4.0,
    }
}

/// Starts one task per bot; they run until the ledger's channel closes.
pub fn start(
    gateway: Arc<CommandGateway<MultiInput>>,
    ledger: &Ledger,
    instruments: Arc<InstrumentTable>,
) {
    for (index, profile) in PROFILES.iter().copied().enumerate().take(LPS.len()) {
        let mut rfqs = ledger.subscribe_rfqs();
        let (gateway, instruments) = (Arc::clone(&gateway), Arc::clone(&instruments));
        tokio::spawn(async move {
            let lp = LpId(index as u8);
            let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(0xB07 + index as u64);
            let mut inventory: HashMap<u32, i64> = HashMap::new();
            // RFQs quoted and not yet traded (pruned when large), to learn fills.
            let mut quoted: HashMap<orion_hotpath::rfq::RfqId, (u32, Side, i64)> = HashMap::new();
            let (mut second, mut sent) = (0u64, 0u32);
            let mut next_quote_id = 1u64;
            loop {
                let event = match rfqs.recv().await {
                    Ok(committed) => committed.event,
                    Err(RecvError::Lagged(n)) => {
                        metrics::counter!("orion_lp_bot_missed_rfqs_total").increment(n);
                        continue;
                    }
                    Err(RecvError::Closed) => break,
                };
                if let RfqEvent::TradeExecuted {
                    rfq, lp: filled, ..
                } = event
                {
                    if let Some((instrument, side, size)) = quoted.remove(&rfq) {
                        if filled == lp {
                            // The requester bought from us: we are shorter.
                            let signed = if side == Side::Buy { -size } else { size };
                            *inventory.entry(instrument).or_default() += signed;
                        }
                    }
                    continue;
                }
                let RfqEvent::RfqCreated {
                    rfq,
                    instrument,
                    side,
                    size,
                    expires_at,
                    lps,
                    mid_x2,
                    ..
                } = event
                else {
                    continue;
                };
                if lps & (1 << index) == 0 {
                    continue;
                }
                let now = orion_bridge::clock::unix_nanos();
                if now / 1_000_000_000 != second {
                    (second, sent) = (now / 1_000_000_000, 0);
                }
                if sent >= profile.max_quotes_per_sec {
                    continue;
                }
                sent += 1;
                let Some(spec) = instruments.spec(instrument) else {
                    continue;
                };
                let tick = spec.tick_size;
                let position = *inventory.get(&instrument.raw()).unwrap_or(&0);
                // Long inventory ⇒ sell cheaper / buy cheaper: shade by up to 0.5 bp.
                let skew_bp = (position as f64 / (size.max(1) as f64 * 10.0)).clamp(-0.5, 0.5);
                let half_bp =
                    half_spread_bp(spec.asset_class) + profile.extra_bp + rng.random::<f64>() * 0.2;
                let mid = mid_x2 as f64 / 2.0;
                let raw = match side {
                    // The requester buys: the LP offers above mid.
                    Side::Buy => mid * (1.0 + (half_bp - skew_bp) / 10_000.0),
                    Side::Sell => mid * (1.0 - (half_bp + skew_bp) / 10_000.0),
                };
                let price = match side {
                    Side::Buy => ((raw / tick as f64).ceil() as i64) * tick,
                    Side::Sell => ((raw / tick as f64).floor() as i64) * tick,
                };
                let remaining = expires_at.saturating_sub(now);
                let validity = (remaining / 2).min(3_000_000_000);
                let jitter = rng.random_range(0.5..1.5);
                tokio::time::sleep(profile.response.mul_f64(jitter)).await;
                let now = orion_bridge::clock::unix_nanos();
                let command = Command::Quote {
                    rfq,
                    lp,
                    lp_quote_id: next_quote_id,
                    price: price.max(tick),
                    size,
                    valid_until: now + validity,
                };
                next_quote_id += 1;
                if gateway.try_submit(command).is_ok() {
                    metrics::counter!("orion_lp_bot_quotes_total", "lp" => LPS[index].0)
                        .increment(1);
                    if quoted.len() > 10_000 {
                        quoted.clear();
                    }
                    quoted.insert(rfq, (instrument.raw(), side, size));
                }
            }
        });
    }
}
