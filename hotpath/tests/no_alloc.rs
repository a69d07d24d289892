//! Zero heap allocations per event: the whole pipeline (normalize, coalesce, flush, stale
//! detection, the RFQ engine's create → quote → accept → trade, output ring) and the order book
//! (place, match, cancel, amend, kill switch) run under a counting global allocator.

mod common;

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{instruments, raw, wait_until};
use std::sync::Arc;

use orion_hotpath::book::{BookEvent, NewOrder, OrderType, TimeInForce};
use orion_hotpath::rfq::engine::class_bit;
use orion_hotpath::rfq::*;
use orion_hotpath::{
    AssetClass, InputPayload, InstrumentId, Layout, OutputPayload, Pipeline, PipelineConfig,
    Polling, Producer, Timer, WaitStrategyKind,
};

struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call unchanged to the system allocator; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `alloc`/`dealloc`; the contract is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn engine(instruments: usize) -> RfqEngine {
    let fx = class_bit(AssetClass::Fx);
    let refs: Vec<InstrumentRef> = (0..instruments)
        .map(|_| InstrumentRef {
            asset_class: AssetClass::Fx,
            price_scale: 5,
            size_scale: 2,
        })
        .collect();
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
    let config = EngineConfig {
        capacity: 1_024,
        orders: OrderRules {
            price_band_bp: 10_000,
            ..OrderRules::default()
        },
        ..EngineConfig::default()
    };
    let mut engine = RfqEngine::new(config, &refs, &[user, user], 1, &[lp, lp, lp]).unwrap();
    engine.open_book(InstrumentId::from_index(0), 125, 1);
    engine
}

/// One match in instrument 0's book: a resting sell from user 1, a buy from user 0 that takes
/// it (IOC), both through the engine's risk checks.
fn order_cycle(cycle: u64, at: u64) -> [EngineCommand; 2] {
    let order = |user: u32, side, tif, price| EngineCommand {
        at,
        command: Command::PlaceOrder {
            request: RequestId(1 << 40 | cycle),
            tenant: TenantId(0),
            order: NewOrder {
                instrument: InstrumentId::from_index(0),
                user: UserId(user),
                side,
                order_type: OrderType::Limit,
                tif,
                price,
                qty: 10,
            },
        },
    };
    [
        order(1, Side::Sell, TimeInForce::Gtc, 120),
        order(0, Side::Buy, TimeInForce::Ioc, 130),
    ]
}

/// One RFQ's life through the rings: create, three quotes, accept the first. Each cycle reuses
/// slot 0 (freed by the trade) with the next serial; quotes are numbered 3 per cycle.
fn rfq_cycle(cycle: u64, at: u64) -> [EngineCommand; 5] {
    let rfq = RfqId::new(cycle + 1, 0).unwrap();
    let quote = |lp: u8| EngineCommand {
        at,
        command: Command::Quote {
            rfq,
            lp: LpId(lp),
            lp_quote_id: cycle,
            price: 100 + i64::from(lp),
            size: 1_000,
            valid_until: at + 1_000_000_000,
        },
    };
    [
        EngineCommand {
            at,
            command: Command::CreateRfq {
                request: RequestId(cycle),
                tenant: TenantId(0),
                user: UserId(0),
                instrument: InstrumentId::from_index(0),
                side: Side::Buy,
                size: 1_000,
                expires_at: at + 5_000_000_000,
                min_size: 0,
                partial_allowed: false,
            },
        },
        quote(0),
        quote(1),
        quote(2),
        EngineCommand {
            at,
            command: Command::Accept {
                request: RequestId(cycle),
                tenant: TenantId(0),
                user: UserId(0),
                rfq,
                quote: QuoteId(3 * cycle + 1),
                size: 0,
            },
        },
    ]
}

fn assert_no_allocations(layout: Layout) {
    let table = instruments(1_000);
    let config = PipelineConfig {
        layout,
        wait: WaitStrategyKind::Yield,
        stale_after: Duration::from_nanos(10),
        ..PipelineConfig::default()
    };
    let Pipeline {
        mut input,
        mut outputs,
        counters,
        ..
    } = Pipeline::start_single_producer(&config, &table, Some(engine(1_000)), ()).unwrap();
    let trades = Arc::new(AtomicU64::new(0));
    let outputs_seen = Arc::new(AtomicU64::new(0));
    let drain = {
        let (trades, seen) = (Arc::clone(&trades), Arc::clone(&outputs_seen));
        std::thread::spawn(move || {
            loop {
                match outputs.poll() {
                    Ok(mut events) => {
                        for event in &mut events {
                            seen.fetch_add(1, Ordering::Relaxed);
                            if matches!(
                                event.payload,
                                OutputPayload::Rfq(RfqEvent::TradeExecuted { .. })
                                    | OutputPayload::Rfq(RfqEvent::Order {
                                        event: BookEvent::Trade { .. },
                                        ..
                                    })
                            ) {
                                trades.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    Err(Polling::NoEvents) => std::thread::yield_now(),
                    Err(Polling::Shutdown) => return,
                }
            }
        })
    };
    let mut cycles = 0u64;
    let mut publish = |from: u64, to: u64| {
        for i in from..to {
            let tick = raw((i % 1_000) as u32, 100 + (i % 50) as i64, 1 + i);
            input.publish(|slot| slot.payload = InputPayload::Tick(tick));
            if i % 10_000 == 0 {
                input.publish(|slot| slot.payload = InputPayload::Timer(Timer { now: 1 + i }));
            }
            if i % 100 == 50 {
                for command in rfq_cycle(cycles, 1 + i) {
                    input.publish(|slot| slot.payload = InputPayload::Command(command));
                }
                for command in order_cycle(cycles, 1 + i) {
                    input.publish(|slot| slot.payload = InputPayload::Command(command));
                }
                cycles += 1;
            }
        }
    };
    publish(0, 50_000);
    wait_until(|| counters.ticks_out.get() == 50_000);

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    publish(50_000, 1_050_000);
    wait_until(|| counters.ticks_out.get() == 1_050_000 && counters.commands.get() == 7 * 10_500);
    // Each cycle: an RFQ trade and an order-book trade.
    wait_until(|| trades.load(Ordering::Relaxed) == 2 * 10_500);
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(
        allocations, 0,
        "1,000,000 ticks and 73,500 commands (RFQs and orders) allocated {allocations} times"
    );
    assert!(counters.stale_detected.get() > 0, "stale path exercised");
    drop(input);
    drain.join().unwrap();
    assert!(
        outputs_seen.load(Ordering::Relaxed) > 7 * 10_500,
        "every decision reached the output ring"
    );
}

/// The order book: placing (resting, crossing, IOC, FOK, MARKET), cancelling, amending and a
/// kill switch over a warmed book, with every event consumed.
fn assert_book_never_allocates() {
    use orion_hotpath::book::*;
    let mut books = OrderBooks::new(
        2,
        BookConfig {
            capacity: 8_192,
            levels: 1_024,
        },
    );
    for i in 0..2 {
        books.open(InstrumentId::from_index(i), 100_000, 1);
    }
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut working = [OrderId(0); 4_096];
    let mut events = 0u64;
    let mut run = |books: &mut OrderBooks, steps: u64, events: &mut u64| {
        let mut count = |e: BookEvent| {
            *events += 1;
            std::hint::black_box(e);
        };
        for step in 0..steps {
            let r = next();
            let user = UserId((r % 8) as u32);
            let slot = (r >> 8) as usize % working.len();
            match r % 10 {
                0..=4 => {
                    let side = if r & 1 == 0 { Side::Buy } else { Side::Sell };
                    let (order_type, tif) = match (r >> 20) % 8 {
                        0 => (OrderType::Market, TimeInForce::Ioc),
                        1 => (OrderType::Limit, TimeInForce::Fok),
                        2 => (OrderType::Limit, TimeInForce::Ioc),
                        _ => (OrderType::Limit, TimeInForce::Gtc),
                    };
                    let new = NewOrder {
                        instrument: InstrumentId::from_index((r >> 30) as u32 % 2),
                        user,
                        side,
                        order_type,
                        tif,
                        price: 100_000 + ((r >> 12) % 41) as i64 - 20,
                        qty: 1 + ((r >> 40) % 50) as i64,
                    };
                    if let Some(id) = books.place(new, &mut count) {
                        working[slot] = id;
                    }
                }
                5..=6 => books.cancel(user, working[slot], &mut count),
                7..=8 => books.amend(
                    user,
                    working[slot],
                    Some(1 + ((r >> 40) % 50) as i64),
                    Some(100_000 + ((r >> 12) % 41) as i64 - 20),
                    &mut count,
                ),
                _ if step % 1_000 == 0 => {
                    books.cancel_where(|u| u == user, &mut count);
                }
                _ => books.cancel(user, OrderId(r), &mut count),
            }
        }
    };
    run(&mut books, 50_000, &mut events);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    run(&mut books, 500_000, &mut events);
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(
        allocations, 0,
        "500,000 order-book commands allocated {allocations} times"
    );
    assert!(
        books.trades() > 10_000,
        "matching exercised: {} trades",
        books.trades()
    );
    assert!(events > 500_000, "{events} events");
}

/// One test, both layouts and the order book in turn: the allocation counter is process-wide,
/// so nothing else may run beside the measured window.
#[test]
fn pipeline_never_allocates_per_event() {
    assert_no_allocations(Layout::Fused { core: None });
    assert_no_allocations(Layout::Split {
        normalize_core: None,
        coalesce_core: None,
    });
    assert_book_never_allocates();
}
