//! gRPC against REST for one unary command, in the same run against the same `orion up`:
//! create an RFQ (answered once durable) through `RFQService/CreateRFQ` and through
//! `POST /rfqs`, alternating, one client, so both see the same server, store and load. Each
//! RFQ is cancelled after it is measured (not timed) so open-RFQ limits never refuse one, and a
//! risk officer lifts the trader's RFQ rate limit first.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use orion_grpc::pb::{self, rfq_service_client::RfqServiceClient};
use tonic::Request;

use crate::orion_process::OrionProcess;

/// What the comparison measured: request sent → durable answer, nanoseconds.
pub struct UnaryResult {
    /// Rounds per face.
    pub rounds: usize,
    /// Through gRPC.
    pub grpc: Histogram<u64>,
    /// Through REST.
    pub rest: Histogram<u64>,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1_000, 60_000_000_000, 3).expect("bounds")
}

/// Runs `rounds` creations per face against a fresh `orion up` of `orion`.
pub async fn run(orion: &std::path::Path, rounds: usize) -> Result<UnaryResult> {
    let server = OrionProcess::start(orion, "unary", &["--market-makers", "false"])?;
    let grpc_addr = server.grpc.context("gRPC address")?;
    let http = reqwest::Client::new();
    let base = format!("http://{}", server.http);
    let login: serde_json::Value = http
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({"username": "trader@acme", "password": "demo"}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["accessToken"].as_str().context("token")?.to_owned();
    // A risk officer lifts the trader's RFQ rate limit (50/s) for the run.
    let risk: serde_json::Value = http
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({"username": "risk@acme", "password": "demo"}))
        .send()
        .await?
        .json()
        .await?;
    let lifted = http
        .post(format!("{base}/admin/limits"))
        .bearer_auth(risk["accessToken"].as_str().context("risk token")?)
        .json(&serde_json::json!({"userId": "trader@acme", "maxNotional": 1_000_000_000_000i64, "maxRfqsPerSec": 1_000_000}))
        .send()
        .await?;
    anyhow::ensure!(
        lifted.status().is_success(),
        "raising the trader's limits: {}",
        lifted.status()
    );
    let mut rfqs = RfqServiceClient::connect(format!("http://{grpc_addr}")).await?;
    // Wait for a price: an RFQ needs one.
    let deadline = Instant::now() + Duration::from_secs(15);
    while http
        .get(format!("{base}/market/snapshot?instrumentId=EUR/USD"))
        .bearer_auth(&token)
        .send()
        .await?
        .status()
        != 200
    {
        if Instant::now() > deadline {
            bail!("no price for EUR/USD");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (mut grpc, mut rest) = (histogram(), histogram());
    for round in 0..rounds + rounds / 10 {
        let measured = round >= rounds / 10; // the first tenth warms both paths up
        let key = format!("unary-grpc-{round}");
        let mut request = Request::new(pb::CreateRfqRequest {
            instrument_id: "EUR/USD".into(),
            side: pb::Side::Buy as i32,
            size: "100000".into(),
            expiry_seconds: 30,
            idempotency_key: Some(key),
            ..Default::default()
        });
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
        let sent = Instant::now();
        let created = rfqs.create_rfq(request).await?.into_inner();
        if measured {
            grpc.saturating_record(sent.elapsed().as_nanos() as u64);
        }
        cancel(&http, &base, &token, &created.rfq_id).await?;

        let sent = Instant::now();
        let response = http
            .post(format!("{base}/rfqs"))
            .bearer_auth(&token)
            .header("Idempotency-Key", format!("unary-rest-{round}"))
            .json(&serde_json::json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "100000", "expirySeconds": 30}))
            .send()
            .await?;
        let status = response.status();
        let body: serde_json::Value = response.json().await?;
        if measured {
            rest.saturating_record(sent.elapsed().as_nanos() as u64);
        }
        if status != 201 {
            bail!("POST /rfqs answered {status}: {body}");
        }
        cancel(
            &http,
            &base,
            &token,
            body["rfqId"].as_str().unwrap_or_default(),
        )
        .await?;
    }
    Ok(UnaryResult { rounds, grpc, rest })
}

async fn cancel(http: &reqwest::Client, base: &str, token: &str, rfq: &str) -> Result<()> {
    http.post(format!("{base}/rfqs/{rfq}/cancel"))
        .bearer_auth(token)
        .send()
        .await?;
    Ok(())
}
