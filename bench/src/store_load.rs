//! Capacity of the durable tail: the group committer and the outbox relay, each driven as fast
//! as it will go.
//!
//! A real engine (the one `orion up` builds, restored from the store under test) produces a
//! realistic decision stream — per RFQ: created, three quotes, accepted, traded — with a waiting
//! request registered in the ledger for every create and accept, exactly as the REST handlers
//! do. The whole stream is queued before the committer starts, so every transaction is a full
//! batch and the figure is the committer's capacity, not the offered load. The relay then
//! publishes the outbox those commits wrote, on the local bus or on Kafka, and the consumers
//! replay it (`consumer_replay`).

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use orion_hotpath::InstrumentId;
use orion_hotpath::rfq::engine::EngineConfig;
use orion_hotpath::rfq::*;
use orion_journal::{Committer, JournalInput, Ledger, Names, Pending, PendingInfo};
use orion_services::directory::Directory;
use orion_services::relay::{self, Bus, RelayTuning};
use orion_store::{Store, reference};
use tokio::sync::{mpsc, oneshot};

/// 100,000.00 of EUR/USD in size units (two decimals).
const SIZE_UNITS: i64 = 10_000_000;

/// Quotes per RFQ in the generated stream.
pub const QUOTES_PER_RFQ: usize = 3;

/// What one capacity run measured.
#[derive(Debug, Clone)]
pub struct StoreFigures {
    /// `sqlite` or `postgres`.
    pub store: &'static str,
    /// Decisions committed.
    pub events: usize,
    /// Seconds the committer took for all of them.
    pub commit_seconds: f64,
    /// Outbox rows relayed.
    pub relayed: u64,
    /// Seconds the relay took for all of them.
    pub relay_seconds: f64,
    /// `local bus` or `kafka`.
    pub bus: &'static str,
    /// CPU this process used while committing, in cores (CPU seconds per wall second).
    pub commit_cores: f64,
    /// CPU this process used while relaying (tuned), in cores.
    pub relay_cores: f64,
    /// The same outbox relayed with the settings before tuning (`RelayTuning::BASELINE`) in
    /// the same process, when asked: rows and seconds.
    pub baseline: Option<(u64, f64)>,
    /// The committed log replayed into the analytics consumer and, for comparison, the
    /// blotters one (on the local-bus run).
    pub replays: Vec<crate::consumer_replay::Replay>,
}

impl StoreFigures {
    /// Committed decisions per second.
    pub fn commit_rate(&self) -> f64 {
        self.events as f64 / self.commit_seconds
    }

    /// Relayed events per second.
    pub fn relay_rate(&self) -> f64 {
        self.relayed as f64 / self.relay_seconds
    }

    /// Relayed events per second with the baseline settings.
    pub fn baseline_rate(&self) -> Option<f64> {
        self.baseline.map(|(rows, seconds)| rows as f64 / seconds)
    }
}

/// Commits `rfqs` RFQ→trade cycles into the store at `database_url`, then relays the outbox to
/// Kafka at `brokers` (or the local bus); with `compare`, relays the same outbox first with the
/// baseline settings, then again with the tuned ones.
pub async fn run(
    database_url: &str,
    rfqs: usize,
    brokers: Option<&str>,
    compare: bool,
) -> Result<StoreFigures> {
    let catalog = orion_bridge::catalog::default_catalog();
    let instruments = Arc::new(orion_bridge::catalog::instrument_table(&catalog));
    let store = Store::connect(database_url)
        .await
        .context("opening the store")?;
    reference::seed(&store, &Directory::demo_seed(&instruments, &[], "")).await?;
    let directory = Arc::new(Directory::load(&store).await?);
    let config = EngineConfig {
        capacity: 16_384,
        ..EngineConfig::default()
    };
    let (mut engine, recovered) =
        orion_services::recovery::engine(&store, &instruments, &directory, config).await?;
    let ledger = Arc::new(Ledger::new(recovered.last_outbox_position));
    let events = decisions(&mut engine, &ledger, rfqs);
    let count = events.len();

    let (tx, rx) = mpsc::unbounded_channel();
    for event in events {
        tx.send(JournalInput::Engine(event))
            .expect("receiver alive");
    }
    drop(tx);
    let names: Arc<dyn Names> = directory;
    let committer = Committer::new(store.clone(), ledger, instruments, names, "bench".into());
    let (start, cpu) = (Instant::now(), process_cpu_seconds());
    committer.run(rx).await;
    let commit_seconds = start.elapsed().as_secs_f64();
    let commit_cores = (process_cpu_seconds() - cpu) / commit_seconds;

    let bus = |tuning: RelayTuning| async move {
        Ok::<_, anyhow::Error>(match brokers {
            Some(b) => Bus::kafka_tuned(b, "bench", &tuning).await?,
            None => Bus::local(1 << 16),
        })
    };
    let bus_name = if brokers.is_some() {
        "kafka"
    } else {
        "local bus"
    };
    let baseline = if compare {
        // Only this run's rows: the store may hold an earlier run's, already published.
        let first = store
            .unpublished(1)
            .await?
            .first()
            .map_or(i64::MAX, |r| r.position);
        let bus = bus(RelayTuning::BASELINE).await?;
        let start = Instant::now();
        let rows = relay::relay_all(&store, bus, RelayTuning::BASELINE).await?;
        let seconds = start.elapsed().as_secs_f64();
        store.mark_unpublished_from(first).await?;
        Some((rows, seconds))
    } else {
        None
    };
    let tuned = bus(RelayTuning::TUNED).await?;
    let (start, cpu) = (Instant::now(), process_cpu_seconds());
    let relayed = relay::relay_all(&store, tuned, RelayTuning::TUNED).await?;
    let relay_seconds = start.elapsed().as_secs_f64();
    let relay_cores = (process_cpu_seconds() - cpu) / relay_seconds;
    let replays = if brokers.is_none() {
        crate::consumer_replay::run(&store).await?
    } else {
        Vec::new()
    };
    Ok(StoreFigures {
        store: if store.is_sqlite() {
            "sqlite"
        } else {
            "postgres"
        },
        events: count,
        commit_seconds,
        relayed,
        relay_seconds,
        bus: bus_name,
        commit_cores,
        relay_cores,
        baseline,
        replays,
    })
}

/// CPU time (user + system) this process has used, from `/proc/self/stat` (0 elsewhere).
fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start at state, field 3.
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 (1-based), 11 and 12 here; 100 ticks per second.
    (ticks(11) + ticks(12)) / 100.0
}

/// Drives `engine` through `rfqs` cycles and returns its decisions, registering a waiting
/// request for every create and accept as the REST handlers would.
fn decisions(engine: &mut RfqEngine, ledger: &Ledger, rfqs: usize) -> Vec<RfqEvent> {
    let instrument = InstrumentId::from_index(0);
    let (mid, step) = (108_425i64, 7i64);
    engine.handle_mid(instrument, 2 * mid);
    let mut at = orion_bridge::clock::unix_nanos();
    let mut out = Vec::with_capacity(rfqs * (QUOTES_PER_RFQ + 3));
    for lp in 0..3u8 {
        let set = EngineCommand {
            at,
            command: Command::SetLpConnected {
                lp: LpId(lp),
                connected: true,
            },
        };
        engine.handle(&set, &mut |e| out.push(e));
    }
    let mut next_request = 1u64;
    let register = |request: u64, operation: &'static str| {
        // The answers are dropped: nobody waits on them here.
        let (reply, _) = oneshot::channel();
        ledger.expect(
            RequestId(request),
            Pending {
                info: PendingInfo {
                    correlation_id: format!("bench-{request}"),
                    tenant: "acme".into(),
                    user: "trader@acme".into(),
                    idempotency: Some((operation, format!("key-{request}"))),
                    trace_parent: String::new(),
                },
                reply,
            },
        );
    };
    for i in 0..rfqs {
        // Spaced in engine time to stay inside the user's RFQ rate limit.
        at += 25_000_000;
        let request = next_request;
        next_request += 1;
        register(request, "create");
        let mut rfq = None;
        let create = EngineCommand {
            at,
            command: Command::CreateRfq {
                request: RequestId(request),
                tenant: TenantId(0),
                user: UserId(0),
                instrument,
                side: Side::Buy,
                size: SIZE_UNITS,
                expires_at: at + 10_000_000_000,
                min_size: 0,
                partial_allowed: false,
            },
        };
        engine.handle(&create, &mut |e| {
            if let RfqEvent::RfqCreated { rfq: id, .. } = e {
                rfq = Some(id);
            }
            out.push(e);
        });
        let rfq = rfq.expect("the engine accepts the bench's RFQ");
        let mut best = None;
        for lp in 0..QUOTES_PER_RFQ as u8 {
            let quote = EngineCommand {
                at: at + 1_000_000,
                command: Command::Quote {
                    rfq,
                    lp: LpId(lp),
                    lp_quote_id: i as u64,
                    price: mid + 5 + i64::from(lp) * step % 11,
                    size: SIZE_UNITS,
                    valid_until: at + 5_000_000_000,
                },
            };
            engine.handle(&quote, &mut |e| {
                if let RfqEvent::QuoteReceived { quote, .. } = e {
                    best.get_or_insert(quote);
                }
                out.push(e);
            });
        }
        let request = next_request;
        next_request += 1;
        register(request, "accept");
        let accept = EngineCommand {
            at: at + 2_000_000,
            command: Command::Accept {
                request: RequestId(request),
                tenant: TenantId(0),
                user: UserId(0),
                rfq,
                quote: best.expect("quoted"),
                size: 0,
            },
        };
        engine.handle(&accept, &mut |e| out.push(e));
    }
    out
}
