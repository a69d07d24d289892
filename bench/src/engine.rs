//! RFQ engine measurements on one core: quotes per second and accept-decision latency.
//!
//! Each round creates an RFQ, submits [`QUOTES_PER_RFQ`] quotes from distinct LPs and accepts
//! the best one, driving the engine directly (no ring) so the figures are the state machine's
//! own. Quote throughput is timed over each burst of quotes; every accept is timed alone with the
//! monotonic clock and recorded in an hdrhistogram, together with the clock's own cost measured
//! the same way.

use std::time::Instant;

use hdrhistogram::Histogram;
use orion_hotpath::rfq::engine::{
    EngineConfig, InstrumentRef, LpRef, RfqEngine, UserRef, class_bit,
};
use orion_hotpath::rfq::*;
use orion_hotpath::{AssetClass, InstrumentId};

/// Quotes per RFQ in each round (distinct LPs).
pub const QUOTES_PER_RFQ: usize = 10;

/// An engine with one FX instrument, one user and `QUOTES_PER_RFQ` LPs, no limits in the way.
pub fn engine() -> RfqEngine {
    let fx = class_bit(AssetClass::Fx);
    let instruments = [InstrumentRef {
        asset_class: AssetClass::Fx,
        price_scale: 5,
        size_scale: 2,
    }];
    let user = UserRef {
        tenant: TenantId(0),
        entitlements: fx,
        max_notional: i64::MAX,
        max_rfqs_per_sec: u32::MAX,
    };
    let lp = LpRef {
        asset_classes: fx,
        tenants: 1,
        max_rfqs_per_sec: u32::MAX,
        connected: true,
        enabled: true,
    };
    let mut engine = RfqEngine::new(
        EngineConfig::default(),
        &instruments,
        &[user],
        1,
        &[lp; QUOTES_PER_RFQ],
    )
    .expect("valid sizing");
    engine.handle_mid(InstrumentId::from_index(0), 2 * 108_425);
    engine
}

/// Runs one round at engine time `at`: returns (ns spent on the quotes, ns on the accept).
pub fn round(engine: &mut RfqEngine, at: u64, request: u64) -> (u64, u64) {
    let mut rfq = None;
    let mut first_quote = QuoteId(0);
    engine.handle(
        &EngineCommand {
            at,
            command: Command::CreateRfq {
                request: RequestId(request),
                tenant: TenantId(0),
                user: UserId(0),
                instrument: InstrumentId::from_index(0),
                side: Side::Buy,
                size: 100_000,
                expires_at: at + 10_000_000_000,
                min_size: 0,
                partial_allowed: false,
            },
        },
        &mut |e| {
            if let RfqEvent::RfqCreated { rfq: id, .. } = e {
                rfq = Some(id);
            }
        },
    );
    let rfq = rfq.expect("the RFQ is created");
    let quotes: [EngineCommand; QUOTES_PER_RFQ] = std::array::from_fn(|lp| EngineCommand {
        at: at + 1,
        command: Command::Quote {
            rfq,
            lp: LpId(lp as u8),
            lp_quote_id: request,
            price: 108_430 + (lp as i64 * 7) % 11,
            size: 100_000,
            valid_until: at + 5_000_000_000,
        },
    });
    let start = Instant::now();
    for q in &quotes {
        engine.handle(q, &mut |e| {
            if let RfqEvent::QuoteReceived { quote, .. } = e {
                if first_quote.0 == 0 {
                    first_quote = quote;
                }
            }
        });
    }
    let quoting = start.elapsed().as_nanos() as u64;
    let best = engine
        .view(rfq)
        .and_then(|v| v.best(at + 2))
        .map_or(first_quote, |q| q.quote);
    let accept = EngineCommand {
        at: at + 2,
        command: Command::Accept {
            request: RequestId(request),
            tenant: TenantId(0),
            user: UserId(0),
            rfq,
            quote: best,
            size: 0,
        },
    };
    let mut traded = false;
    let start = Instant::now();
    engine.handle(&accept, &mut |e| {
        traded |= matches!(e, RfqEvent::TradeExecuted { .. })
    });
    let accepting = start.elapsed().as_nanos() as u64;
    assert!(traded, "every round trades");
    (quoting, accepting)
}

/// What [`measure`] found.
pub struct EngineFigures {
    /// Quotes per second on one core.
    pub quotes_per_sec: f64,
    /// Accept decision latency, ns (includes one clock read).
    pub accept: Histogram<u64>,
    /// The cost of timing alone (two clock reads around nothing), ns.
    pub clock: Histogram<u64>,
    /// Rounds run.
    pub rounds: u64,
    /// Bytes per open RFQ slot.
    pub bytes_per_rfq: usize,
}

/// Runs `rounds` rounds after a warm-up.
pub fn measure(rounds: u64) -> EngineFigures {
    let mut engine = engine();
    let mut accept = Histogram::<u64>::new_with_bounds(1, 1_000_000_000, 3).expect("bounds");
    let mut clock = Histogram::<u64>::new_with_bounds(1, 1_000_000_000, 3).expect("bounds");
    let base = 1_700_000_000_000_000_000u64;
    for i in 0..10_000 {
        round(&mut engine, base + i * 10, i);
    }
    let mut quote_ns = 0u64;
    for i in 0..rounds {
        let (q, a) = round(&mut engine, base + (10_000 + i) * 10, 10_000 + i);
        quote_ns += q;
        accept.saturating_record(a.max(1));
        let start = Instant::now();
        clock.saturating_record((start.elapsed().as_nanos() as u64).max(1));
    }
    EngineFigures {
        quotes_per_sec: (rounds * QUOTES_PER_RFQ as u64) as f64 / (quote_ns as f64 / 1e9),
        accept,
        clock,
        rounds,
        bytes_per_rfq: RfqEngine::bytes_per_rfq(),
    }
}
