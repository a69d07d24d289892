//! Starting and stopping the whole process: platform, fan-out, BFF, graceful shutdown.
//!
//! Shutdown order on Ctrl-C or SIGTERM (or when a replay without `--hold` is done): readiness goes false,
//! sessions are told to close (they send a WebSocket close frame), the HTTP server drains its
//! connections, then the producers stop and the stage threads drain the rings and exit.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use orion_bridge::simulator::SimulatorConfig;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{broadcast, mpsc, watch};

use crate::cli::{PlatformArgs, WebBuild};
use crate::platform::{MarketPlatform, PlatformConfig};
use crate::telemetry;
use orion_bff::http::{AppState, app};
use orion_bff::stream::StreamHub;
use orion_bff::stream::fanout::{FrameTable, run_market_fanout, spawn_output_router};
use orion_bridge::clock::{Clock, SystemClock};
use orion_bridge::gateway::CommandGateway;
use orion_hotpath::rfq::{EngineConfig, LastLook};
use orion_journal::{Committer, Ledger, Names};
use orion_services::admin::{AdminService, Effects};
use orion_services::auth::AuthService;
use orion_services::directory::Directory;
use orion_services::identity::{
    DEMO_USERS, Identity, TokenLifetimes, hash_password, load_or_create_secret,
};
use orion_services::rfq::RfqService;
use orion_services::workstation::WorkstationService;
use orion_services::{recovery, relay};
use orion_store::{Store, reference};

/// What one process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything (`orion up`, `orion replay`).
    All,
    /// The core alone (`orion core`): no REST or WebSocket; BFF replicas attach over gRPC.
    Core,
}

/// Runs the platform until `stop` resolves or Ctrl-C. `on_started` gets the running platform
/// (the replay uses it to attach its source).
pub async fn serve<F, S>(
    args: &PlatformArgs,
    role: Role,
    simulator: Option<SimulatorConfig>,
    on_started: F,
) -> anyhow::Result<()>
where
    F: FnOnce(&MarketPlatform) -> S,
    S: Future<Output = ()> + Send + 'static,
{
    let metrics = telemetry::prometheus();
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating data dir {}", args.data_dir.display()))?;
    let secret = load_or_create_secret(args.jwt_secret.as_deref(), &args.data_dir)
        .context("loading the token secret")?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let identity = Arc::new(Identity::new(
        &secret,
        TokenLifetimes {
            access_secs: args.access_ttl.as_secs().max(1),
            refresh_secs: args.refresh_ttl.as_secs().max(1),
        },
        Arc::clone(&clock),
    ));

    let web_dir = args.web_dir.clone();
    let web_build = args.web_build;
    if let Err(err) = tokio::task::spawn_blocking(move || {
        orion_bff::web::ensure_bundle(&web_dir, web_build == WebBuild::Auto)
    })
    .await?
    {
        tracing::warn!(cause = %err, "the web workstation is not built; serving the API only");
    }
    let mut catalog = orion_bridge::catalog::default_catalog();
    let instruments = Arc::new(orion_bridge::catalog::instrument_table_with_room(
        &catalog,
        SPARE_INSTRUMENTS,
    ));
    let store = Store::connect(&args.database_url())
        .await
        .context("opening the store (ORION_DATABASE_URL)")?;
    let reference_prices: Vec<String> = catalog.iter().map(|e| e.initial_mid.to_string()).collect();
    seed_directory(&store, &instruments, &reference_prices, &args.demo_password)
        .await
        .context("seeding reference data")?;
    // Instruments defined at runtime before this start take their slots again, and the
    // simulator prices them as it prices the catalog.
    catalog.extend(
        recovery::restore_instruments(&store, &instruments)
            .await
            .context("restoring instruments defined at runtime")?,
    );
    let directory = Arc::new(
        Directory::load(&store)
            .await
            .context("loading the directory")?,
    );
    let auth = Arc::new(
        AuthService::load(
            Arc::clone(&identity),
            Arc::clone(&directory),
            store.clone(),
            Arc::clone(&clock),
        )
        .await
        .context("loading revoked tokens")?,
    );
    let auth = match &args.jwks_url {
        Some(url) => {
            let keys = crate::jwks::start(url.clone(), Arc::clone(&clock)).await?;
            Arc::new(
                Arc::into_inner(auth)
                    .expect("the auth service is not shared yet")
                    .with_external_keys(keys),
            )
        }
        None => auth,
    };
    let (mut engine, recovered) = recovery::engine(
        &store,
        &instruments,
        &directory,
        engine_config(args.order_rules()),
    )
    .await
    .context("rebuilding the engine from the store")?;
    let restored =
        recovery::restore_orders(&mut engine, &store, &instruments, &directory, &catalog)
            .await
            .context("rebuilding the order books from the store")?;
    tracing::info!(
        open_rfqs = recovered.open_rfqs,
        quotes = recovered.quotes,
        resting_orders = restored.rows.len(),
        "engine recovered"
    );
    // The engine's books as rebuilt, to check against the journal's view of the same rows.
    let engine_books: Vec<(String, u64)> = instruments
        .iter()
        .map(|(id, spec)| (spec.symbol.clone(), engine.books().checksum(id)))
        .collect();
    // With Kafka, every tick a source publishes is also copied to `marketdata.ticks`.
    let tick_tap = args
        .kafka_brokers
        .as_ref()
        .map(|_| orion_bridge::tap::tick_tap(TICK_TAP_CAPACITY));
    let mut platform = MarketPlatform::start_with(
        &PlatformConfig {
            pipeline: args.pipeline_config(),
            simulator,
            feed_addr: args.feed_addr,
            tick_tap: tick_tap.as_ref().map(|(tap, _)| Arc::clone(tap)),
        },
        catalog,
        Arc::clone(&instruments),
        Some(engine),
    )?;
    let ledger = Arc::new(Ledger::new(recovered.last_outbox_position));
    // Probe the store twice a second: while it does not answer, commands are refused at once
    // (503) instead of waiting on a pool that cannot connect.
    let store_probe = {
        let (store, ledger) = (store.clone(), Arc::clone(&ledger));
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_millis(500));
            let mut was_up = true;
            loop {
                every.tick().await;
                let up = tokio::time::timeout(std::time::Duration::from_millis(800), store.ping())
                    .await
                    .unwrap_or(false);
                if up != was_up {
                    tracing::warn!(up, "store health changed");
                    was_up = up;
                }
                ledger.set_store_up(up);
                metrics::gauge!("orion_store_up").set(if up { 1.0 } else { 0.0 });
            }
        })
    };
    let gateway = Arc::new(CommandGateway::new(
        platform.input().expect("fresh platform has an input"),
        1,
    ));
    let (decisions_tx, decisions_rx) = mpsc::unbounded_channel();
    let committer = Committer::new(
        store.clone(),
        Arc::clone(&ledger),
        Arc::clone(&instruments),
        Arc::clone(&directory) as Arc<dyn Names>,
        args.env.clone(),
    )
    .with_market(Arc::clone(&platform.snapshots));
    committer.resume_orders(restored.rows, restored.last_priority);
    let books = committer.book_view();
    for (symbol, checksum) in &engine_books {
        if books.checksum(symbol) != *checksum {
            tracing::error!(instrument = %symbol, "the rebuilt order book differs from the stored one");
            metrics::counter!("orion_book_recovery_mismatches_total").increment(1);
        }
    }
    let committer = tokio::spawn(committer.run(decisions_rx));
    let lp_identity = orion_lp::tls::load_or_create(
        &args.data_dir,
        args.quic_cert.as_deref().zip(args.quic_key.as_deref()),
    )
    .context("loading the LP gateway certificate")?;
    let certificate = lp_identity.chain[0].clone();
    let lp_gateway = orion_lp::gateway::LpGateway::start(
        args.quic_addr,
        lp_identity,
        Arc::clone(&gateway),
        &ledger,
        Arc::clone(&instruments),
        Arc::clone(&directory),
    )
    .with_context(|| format!("binding the LP gateway on {}", args.quic_addr))?;
    let quic_addr = lp_gateway.local_addr()?;
    orion_lp::bots::start(quic_addr, certificate, Arc::clone(&instruments))?;
    let updates_tx = orion_bff::stream::updates::spawn_renderer(ledger.subscribe_updates());
    let bus = match &args.kafka_brokers {
        Some(brokers) => relay::Bus::kafka(brokers, &args.env)
            .await
            .with_context(|| format!("connecting to Kafka at {brokers}"))?,
        None => relay::Bus::local(4_096),
    };
    let ticks_stop = Arc::new(AtomicBool::new(false));
    let tick_publisher = match (&tick_tap, &args.kafka_brokers) {
        (Some((tap, rx)), Some(brokers)) => Some(
            orion_services::ticks::spawn(
                rx.clone(),
                Arc::clone(tap),
                Arc::clone(&instruments),
                brokers,
                &args.env,
                args.pipeline_config().late_after.as_nanos() as u64,
                Arc::clone(&ticks_stop),
            )
            .context("starting the tick publisher")?,
        ),
        _ => None,
    };
    drop(tick_tap);
    let (relay_stop_tx, relay_stop_rx) = watch::channel(false);
    let relay_task = tokio::spawn(relay::run(store.clone(), bus, relay_stop_rx.clone()));
    let registry = orion_services::consumer::Registry::default();
    let (notes_tx, notes_rx) = broadcast::channel(1_024);
    orion_bff::stream::updates::spawn_notification_renderer(notes_rx, updates_tx.clone());
    let consumer_tasks = crate::consumers::start(
        &crate::consumers::ConsumerContext {
            store: store.clone(),
            journal: decisions_tx.downgrade(),
            directory: Arc::clone(&directory),
            clock: Arc::clone(&clock),
            settlement: args.settlement(),
            kafka: args.kafka_brokers.clone(),
            env: args.env.clone(),
            max_attempts: args.consumer_max_attempts.clone(),
            registry: registry.clone(),
            notifications: notes_tx,
            head: ledger.subscribe_head(),
        },
        &relay_stop_rx,
    );
    let rfqs = Arc::new(RfqService::new(
        Arc::clone(&gateway),
        Arc::clone(&ledger),
        store.clone(),
        Arc::clone(&instruments),
        Arc::clone(&directory),
        Arc::clone(&clock),
    ));
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (frames_tx, frames_rx) = watch::channel(Arc::new(FrameTable {
        window: 0,
        frames: vec![None; platform.instruments.len()],
    }));
    let (notify_tx, _) = broadcast::channel(1_024);
    // The core role serves no sessions: its replicas fan out from their own mirrors.
    let market_drain = platform
        .take_market_drain()
        .expect("fresh platform has its drain");
    let fanout = (role == Role::All).then(|| {
        tokio::spawn(run_market_fanout(
            market_drain,
            Arc::clone(&platform.instruments),
            frames_tx,
            args.ws_window(),
            shutdown_rx.clone(),
        ))
    });
    let admin = Arc::new(AdminService::new(
        Effects::new(
            Arc::clone(&directory),
            Arc::clone(&gateway),
            Arc::clone(&instruments),
            platform.simulator(),
        ),
        decisions_tx.downgrade(),
        Arc::clone(&ledger),
        store.clone(),
        Arc::clone(&clock),
    ));
    let output_router = spawn_output_router(
        platform
            .take_output_drain()
            .expect("fresh platform has its drain"),
        Arc::clone(&platform.instruments),
        notify_tx.clone(),
        decisions_tx,
    );
    let exporter = tokio::spawn(telemetry::export_counters(
        Arc::clone(&platform.counters),
        Arc::clone(&platform.stats),
        Arc::clone(&platform.snapshots),
        platform.input_ring_size,
        metrics.clone(),
    ));

    let spread_sampler = tokio::spawn(orion_services::market_samples::run(
        store.clone(),
        Arc::clone(&instruments),
        Arc::clone(&platform.snapshots),
        orion_services::market_samples::RETENTION,
        shutdown_rx.clone(),
    ));
    let market_makers = args
        .market_makers
        .then(|| start_market_makers(&rfqs, &directory, &platform, shutdown_rx.clone()))
        .flatten();
    let ready = Arc::new(AtomicBool::new(false));
    let hub = StreamHub::new(frames_rx, notify_tx, updates_tx, shutdown_rx.clone());
    let state = AppState {
        instruments: Arc::clone(&platform.instruments),
        snapshots: Arc::clone(&platform.snapshots),
        auth,
        admin: Some(admin),
        directory: Arc::clone(&directory),
        metrics,
        hub: hub.clone(),
        ready: Arc::clone(&ready),
        rfqs: Some(rfqs),
        workstation: WorkstationService::new(store.clone()),
        analytics: orion_services::analytics::AnalyticsService::new(store.clone()),
        posttrade: Some(orion_services::posttrade::PostTradeService::new(
            store.clone(),
        )),
        ops: Some(orion_services::consumer::ops::OpsService::new(
            store.clone(),
            registry,
        )),
        books: Some(books.clone()),
    };
    let store_for_grpc = store;
    let internal = match role {
        Role::All => None,
        Role::Core => Some(orion_grpc::link::InternalCredential::new(
            &orion_services::identity::load_or_create_internal_token(
                args.internal_token.as_deref(),
                &args.data_dir,
            )
            .context("loading the internal credential")?,
        )),
    };
    let link = internal.as_ref().map(|_| {
        orion_bff::link::export(
            orion_bff::link::api(orion_bff::http::api(state.clone())),
            &hub,
            &directory,
            books.clone(),
            Arc::clone(&instruments),
            args.ws_window(),
            shutdown_rx.clone(),
        )
    });
    let grpc = orion_grpc::serve(
        args.grpc_addr,
        orion_grpc::GrpcContext {
            auth: Arc::clone(&state.auth),
            directory: Arc::clone(&directory),
            commands: Arc::clone(state.rfqs.as_ref().expect("set above")),
            ledger: Arc::clone(&ledger),
            instruments: Arc::clone(&instruments),
            snapshots: Arc::clone(&platform.snapshots),
            books,
            posttrade: orion_services::posttrade::PostTradeService::new(store_for_grpc),
            admin: Arc::clone(state.admin.as_ref().expect("set above")),
            internal,
            link,
        },
        shutdown_rx.clone(),
    )
    .await
    .with_context(|| format!("binding gRPC on {}", args.grpc_addr))?;
    // Install the signal handlers before announcing the address: a Ctrl-C that arrives any
    // time after the banner drains gracefully instead of killing the process.
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let listener = tokio::net::TcpListener::bind(args.http_addr)
        .await
        .with_context(|| format!("binding {}", args.http_addr))?;
    let http_addr = listener.local_addr()?;
    print_banner(
        role,
        http_addr,
        args,
        platform.feed_addr(),
        quic_addr,
        grpc.addr,
    );
    let stop = on_started(&platform);
    ready.store(true, Ordering::Release);
    tracing::info!(http = %http_addr, grpc = %grpc.addr, ?role, "orion up");

    let signal = {
        let ready = Arc::clone(&ready);
        async move {
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("SIGINT: shutting down"),
                _ = terminate.recv() => tracing::info!("SIGTERM: shutting down"),
                _ = stop => tracing::info!("source finished: shutting down"),
            }
            ready.store(false, Ordering::Release);
            let _ = shutdown_tx.send(true);
        }
    };
    // The core serves only health, readiness and metrics over HTTP; replicas serve the rest.
    let router = match role {
        Role::All => app(state, &args.web_dir),
        Role::Core => orion_bff::http::ops_router(state),
    };
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(signal)
    .await
    .context("http server")?;
    // Upgraded WebSocket connections outlive the HTTP server's own drain: wait for the sessions
    // to send their close frames.
    hub.drained(std::time::Duration::from_secs(5)).await;
    if let Some(fanout) = fanout {
        let _ = fanout.await;
    }
    let _ = grpc.task.await;
    exporter.abort();
    spread_sampler.abort();
    if let Some(bots) = market_makers {
        bots.abort();
    }
    store_probe.abort();
    // Close the command gateway, stop the producers and let the rings drain; the router then
    // ends, the committer writes what was decided, and only then the process exits.
    gateway.close();
    lp_gateway.close();
    tokio::task::spawn_blocking(move || {
        platform.stop();
        let _ = output_router.join();
    })
    .await?;
    let _ = committer.await;
    ticks_stop.store(true, Ordering::Release);
    if let Some(publisher) = tick_publisher {
        let _ = tokio::task::spawn_blocking(move || publisher.join()).await;
    }
    let _ = relay_stop_tx.send(true);
    for task in consumer_tasks {
        let _ = task.await;
    }
    if let Ok(published) = relay_task.await {
        tracing::info!(published, "outbox relay stopped");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Writes the demo directory into an empty store; demo users seeded before passwords were
/// stored get the demo password now.
async fn seed_directory(
    store: &Store,
    instruments: &orion_hotpath::InstrumentTable,
    reference_prices: &[String],
    demo_password: &str,
) -> anyhow::Result<()> {
    let password = demo_password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await?;
    reference::seed(
        store,
        &Directory::demo_seed(instruments, reference_prices, &hash),
    )
    .await?;
    for user in DEMO_USERS {
        store
            .set_missing_password(user.tenant, user.username, &hash)
            .await?;
    }
    Ok(())
}

/// Slots for instruments defined at runtime (every per-instrument array on the hot path is
/// sized for them at start).
const SPARE_INSTRUMENTS: usize = 64;

/// Ticks the tap holds for the `marketdata.ticks` publisher before it drops (about a second
/// of a busy feed).
const TICK_TAP_CAPACITY: usize = 65_536;

/// Starts the market-maker bots as the house trader; `None` when the directory lacks it.
fn start_market_makers(
    rfqs: &Arc<RfqService>,
    directory: &Arc<Directory>,
    platform: &MarketPlatform,
    stop: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    use orion_services::market_maker::{MARKET_MAKER, MarketMakerConfig};
    let claims = orion_services::identity::Claims {
        sub: MARKET_MAKER.1.to_owned(),
        tenant: MARKET_MAKER.0.to_owned(),
        roles: vec!["ROLE_TRADER".to_owned()],
        ent: ["fx", "rates", "credit"].map(str::to_owned).to_vec(),
        ins: Vec::new(),
        typ: orion_services::identity::TokenKind::Access,
        iss: "orion".to_owned(),
        iat: 0,
        exp: u64::MAX,
        jti: String::new(),
    };
    let Some(caller) = orion_services::rfq::Caller::resolve(claims, directory) else {
        tracing::warn!("the market maker's user is not in the directory; no market makers");
        return None;
    };
    Some(tokio::spawn(orion_services::market_maker::run(
        Arc::clone(rfqs),
        caller,
        Arc::clone(&platform.instruments),
        Arc::clone(&platform.snapshots),
        MarketMakerConfig::default(),
        stop,
    )))
}

/// The engine's sizing and last-look rules in `orion up`.
fn engine_config(orders: orion_hotpath::rfq::OrderRules) -> EngineConfig {
    EngineConfig {
        capacity: 16_384,
        // The service admits 1..=300 s from its own clock; the engine decides a moment later,
        // so its floor leaves room for the time a command spends reaching it.
        min_expiry_ns: 500_000_000,
        max_expiry_ns: orion_services::rfq::MAX_EXPIRY_SECONDS * 1_000_000_000,
        last_look: LastLook {
            max_quote_age_ns: 10_000_000_000,
            max_drift_bp: 25,
        },
        max_users: 4_096,
        orders,
    }
}

fn print_banner(
    role: Role,
    addr: std::net::SocketAddr,
    args: &PlatformArgs,
    feed: Option<std::net::SocketAddr>,
    quic: std::net::SocketAddr,
    grpc: std::net::SocketAddr,
) {
    match role {
        Role::All => {
            println!("Orion is up: http://{addr}");
            println!("  WebSocket: ws://{addr}/stream?access_token=<token from POST /auth/login>");
        }
        Role::Core => {
            println!("Orion core is up: http://{addr} (health, readiness, metrics)");
            println!("  Replicas: `orion bff --core-url http://{grpc}` serve REST and WebSocket");
            println!(
                "  Internal credential: ORION_INTERNAL_TOKEN or {}",
                args.data_dir
                    .join(orion_services::identity::INTERNAL_TOKEN_FILE)
                    .display()
            );
        }
    }
    println!("  gRPC: {grpc}");
    println!("  LP gateway (QUIC): {quic}");
    if let Some(feed) = feed {
        println!("  UDP feed:  {feed}");
    }
    let users: Vec<&str> = DEMO_USERS.iter().map(|u| u.username).collect();
    let password = if args.demo_password == "demo" {
        "demo"
    } else {
        "(ORION_DEMO_PASSWORD)"
    };
    println!("  Demo logins: {} — password {password}", users.join(", "));
    println!("  Ctrl-C stops.");
}
