//! LP bots: simulated liquidity providers, QUIC clients of the LP gateway like any real LP.
//!
//! Each bot connects, says hello, and then answers every RFQ stream the gateway opens: it waits
//! a short, bot-specific response time and quotes the mid ± a half spread (by asset class,
//! wider for some bots), skewed by its inventory in that instrument (long ⇒ shades prices down
//! to sell, short ⇒ up), rounded outwards to the tick grid, valid for half the RFQ's remaining
//! life at most and never more than three seconds (always shorter than the RFQ), at most
//! `max_quotes_per_sec` quotes a second. Inventory comes from the trade notifications the
//! gateway sends the winner. Bots reconnect when the connection drops.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use orion_hotpath::{AssetClass, InstrumentTable, Price, Qty};
use orion_proto::v1::{
    LpHello, LpWelcome, QuoteAck, QuoteSubmission, RfqNotification, TradeNotification,
};
use rand::{Rng, SeedableRng};
use rustls::pki_types::CertificateDer;

use crate::frame;

/// The LP ids the bots connect as, one per profile (registered in the directory's demo data).
pub const BOT_LPS: &[&str] = &["lp-alpha", "lp-beta", "lp-gamma"];

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
        max_quotes_per_sec: 10_000,
    },
    BotProfile {
        extra_bp: 0.3,
        response: Duration::from_millis(30),
        max_quotes_per_sec: 10_000,
    },
    BotProfile {
        extra_bp: 0.8,
        response: Duration::from_millis(60),
        max_quotes_per_sec: 10_000,
    },
];

fn half_spread_bp(class: AssetClass) -> f64 {
    match class {
        AssetClass::Fx => 0.5,
        AssetClass::Rates => 1.5,
        AssetClass::Credit => 4.0,
    }
}

struct Bot {
    index: usize,
    profile: BotProfile,
    instruments: Arc<InstrumentTable>,
    /// Net position per instrument (positive = long), from trade notifications.
    inventory: Mutex<HashMap<String, i64>>,
    /// (second, quotes sent in it), for the throttle.
    throttle: Mutex<(u64, u32)>,
    next_quote_id: std::sync::atomic::AtomicU64,
}

/// Starts the built-in bots against the gateway at `addr`, trusting `certificate`.
pub fn start(
    addr: SocketAddr,
    certificate: CertificateDer<'static>,
    instruments: Arc<InstrumentTable>,
) -> anyhow::Result<()> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certificate)?;
    let client = quinn::ClientConfig::with_root_certificates(Arc::new(roots))?;
    let target: SocketAddr = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    for (index, profile) in PROFILES.iter().copied().enumerate().take(BOT_LPS.len()) {
        let mut endpoint = quinn::Endpoint::client(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        endpoint.set_default_client_config(client.clone());
        let bot = Arc::new(Bot {
            index,
            profile,
            instruments: Arc::clone(&instruments),
            inventory: Mutex::new(HashMap::new()),
            throttle: Mutex::new((0, 0)),
            next_quote_id: std::sync::atomic::AtomicU64::new(1),
        });
        tokio::spawn(async move {
            loop {
                match bot.session(&endpoint, target).await {
                    Ok(()) => tracing::info!(lp = BOT_LPS[index], "LP bot disconnected"),
                    Err(err) => {
                        tracing::debug!(lp = BOT_LPS[index], cause = %err, "LP bot connection failed")
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }
    Ok(())
}

impl Bot {
    async fn session(
        self: &Arc<Self>,
        endpoint: &quinn::Endpoint,
        addr: SocketAddr,
    ) -> anyhow::Result<()> {
        let connection = endpoint.connect(addr, "localhost")?.await?;
        let (mut send, mut recv) = connection.open_bi().await?;
        frame::write(
            &mut send,
            &LpHello {
                lp_id: BOT_LPS[self.index].into(),
            },
        )
        .await?;
        let _ = send.finish();
        let welcome: LpWelcome = frame::read(&mut recv, &mut Vec::new()).await?;
        anyhow::ensure!(welcome.accepted, "gateway refused: {}", welcome.reason);
        loop {
            tokio::select! {
                stream = connection.accept_bi() => {
                    let (send, recv) = stream?;
                    let bot = Arc::clone(self);
                    tokio::spawn(async move {
                        if let Err(err) = bot.answer(send, recv).await {
                            tracing::debug!(cause = %err, "LP bot stream failed");
                        }
                    });
                }
                stream = connection.accept_uni() => {
                    let mut recv = stream?;
                    if let Ok(trade) = frame::read::<TradeNotification>(&mut recv, &mut Vec::new()).await {
                        self.record_fill(&trade);
                    }
                }
            }
        }
    }

    fn record_fill(&self, trade: &TradeNotification) {
        let Some(spec) = self
            .instruments
            .id(&trade.instrument_id)
            .and_then(|id| self.instruments.spec(id))
        else {
            return;
        };
        let Ok(size) = Qty::parse(&trade.size, spec.size_scale) else {
            return;
        };
        // The requester bought ⇒ we sold.
        let signed = if trade.side == "BUY" {
            -size.units()
        } else {
            size.units()
        };
        *self
            .inventory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(trade.instrument_id.clone())
            .or_default() += signed;
    }

    fn admit(&self) -> bool {
        let now = orion_bridge::clock::unix_nanos() / 1_000_000_000;
        let mut throttle = self.throttle.lock().unwrap_or_else(|p| p.into_inner());
        if throttle.0 != now {
            *throttle = (now, 0);
        }
        throttle.1 += 1;
        throttle.1 <= self.profile.max_quotes_per_sec
    }

    async fn answer(
        &self,
        mut send: quinn::SendStream,
        mut recv: quinn::RecvStream,
    ) -> anyhow::Result<()> {
        let mut buf = Vec::new();
        let rfq: RfqNotification = frame::read(&mut recv, &mut buf).await?;
        if !self.admit() {
            let _ = send.finish();
            return Ok(());
        }
        let Some(spec) = self
            .instruments
            .id(&rfq.instrument_id)
            .and_then(|id| self.instruments.spec(id))
        else {
            let _ = send.finish();
            return Ok(());
        };
        let (Ok(mid), Ok(size)) = (
            Price::parse(&rfq.mid, spec.price_scale.saturating_add(1)),
            Qty::parse(&rfq.size, spec.size_scale),
        ) else {
            let _ = send.finish();
            return Ok(());
        };
        let mid = mid.units() as f64 / 10.0;
        let tick = spec.tick_size as f64;
        let position = *self
            .inventory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&rfq.instrument_id)
            .unwrap_or(&0);
        let skew_bp = (position as f64 / (size.units().max(1) as f64 * 10.0)).clamp(-0.5, 0.5);
        let (half_bp, delay) = {
            let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(rfq.expires_at_ns ^ self.index as u64);
            (
                half_spread_bp(spec.asset_class)
                    + self.profile.extra_bp
                    + rng.random::<f64>() * 0.2,
                self.profile.response.mul_f64(rng.random_range(0.5..1.5)),
            )
        };
        let buyer = rfq.side == "BUY";
        let price = if buyer {
            ((mid * (1.0 + (half_bp - skew_bp) / 10_000.0)) / tick).ceil() * tick
        } else {
            ((mid * (1.0 - (half_bp + skew_bp) / 10_000.0)) / tick).floor() * tick
        };
        tokio::time::sleep(delay).await;
        let now = orion_bridge::clock::unix_nanos();
        let validity = (rfq.expires_at_ns.saturating_sub(now) / 2).min(3_000_000_000);
        let submission = QuoteSubmission {
            rfq_id: rfq.rfq_id.clone(),
            lp_quote_id: self
                .next_quote_id
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            price: Price::new((price as i64).max(spec.tick_size), spec.price_scale).to_string(),
            size: rfq.size.clone(),
            valid_until_ns: now + validity,
        };
        frame::write(&mut send, &submission).await?;
        let _ = send.finish();
        let ack: QuoteAck = frame::read(&mut recv, &mut buf).await?;
        metrics::counter!("orion_lp_bot_quotes_total", "lp" => BOT_LPS[self.index], "accepted" => if ack.accepted { "true" } else { "false" })
            .increment(1);
        Ok(())
    }
}
