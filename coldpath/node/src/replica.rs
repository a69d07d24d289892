//! `orion bff`: a BFF replica. Builds the web bundle when stale, attaches to the core (waiting
//! for it), serves REST, WebSocket, the web UI and `/metrics` until Ctrl-C or SIGTERM, then
//! closes its sessions with a close frame.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use orion_grpc::link::InternalCredential;
use orion_grpc::link::client::CoreClient;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::cli::{BffArgs, WebBuild};
use crate::telemetry;

/// Runs a replica until Ctrl-C or SIGTERM.
pub async fn run(args: BffArgs) -> anyhow::Result<()> {
    let metrics = telemetry::prometheus();
    let web_dir = args.web_dir.clone();
    let auto = args.web_build == WebBuild::Auto;
    if let Err(err) =
        tokio::task::spawn_blocking(move || orion_bff::web::ensure_bundle(&web_dir, auto)).await?
    {
        tracing::warn!(cause = %err, "the web workstation is not built; serving the API only");
    }
    let token = match &args.internal_token {
        Some(token) => token.clone(),
        None => {
            let path = args
                .data_dir
                .join(orion_services::identity::INTERNAL_TOKEN_FILE);
            std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "reading the internal credential from {} (set ORION_INTERNAL_TOKEN to the core's)",
                    path.display()
                )
            })?
        }
    };
    let core = CoreClient::new(&args.core_url, InternalCredential::new(&token))?;

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT: shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM: shutting down"),
        }
        let _ = shutdown_tx.send(true);
    });

    let window = Duration::from_millis(args.ws_window_ms.max(1));
    let Some((state, tasks)) =
        orion_bff::replica::start(core, window, metrics, shutdown_rx.clone()).await
    else {
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind(args.http_addr)
        .await
        .with_context(|| format!("binding {}", args.http_addr))?;
    let addr = listener.local_addr()?;
    println!("Orion BFF replica is up: http://{addr}");
    println!("  WebSocket: ws://{addr}/stream?access_token=<token from POST /auth/login>");
    println!("  Core: {}", args.core_url);
    println!("  Ctrl-C stops.");
    state.ready.store(true, Ordering::Release);
    tracing::info!(addr = %addr, core = %args.core_url, "orion bff up");

    let hub = state.stream.hub.clone();
    let ready = Arc::clone(&state.ready);
    let mut stop = shutdown_rx;
    axum::serve(
        listener,
        orion_bff::replica::app(state, &args.web_dir)
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stop.wait_for(|stopping| *stopping).await;
        ready.store(false, Ordering::Release);
    })
    .await
    .context("http server")?;
    hub.drained(Duration::from_secs(5)).await;
    for task in tasks {
        let _ = task.await;
    }
    tracing::info!("stopped");
    Ok(())
}
