//! Traces and logs as an operator's collector sees them: Orion exports OTLP to a real OTLP/gRPC
//! receiver (the `TraceService` of the OpenTelemetry protocol, served here), and one accepted
//! quote must give one connected trace — the client's request, the core's decision and commit,
//! the relay, and every consumer the trade reaches — with `tenantId` and `correlationId` on its
//! spans; the JSON logs carry the same fields at the top level.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use serde_json::{Value, json};
use support::{Broker, Orion};

/// One received span, flattened.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    name: String,
    kind: i32,
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent: Vec<u8>,
    attributes: HashMap<String, String>,
}

/// An OTLP/gRPC trace receiver keeping every span it is sent.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Received>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            let service = resource
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|a| a.key == "service.name")
                .and_then(|a| text(a.value.as_ref()?.value.as_ref()?))
                .unwrap_or_default();
            for scope in resource.scope_spans {
                for span in scope.spans {
                    let attributes = span
                        .attributes
                        .iter()
                        .filter_map(|a| {
                            Some((a.key.clone(), text(a.value.as_ref()?.value.as_ref()?)?))
                        })
                        .collect();
                    spans.push(Received {
                        service: service.clone(),
                        name: span.name,
                        kind: span.kind,
                        trace_id: span.trace_id,
                        span_id: span.span_id,
                        parent: span.parent_span_id,
                        attributes,
                    });
                }
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

fn text(value: &Any) -> Option<String> {
    match value {
        Any::StringValue(s) => Some(s.clone()),
        Any::IntValue(i) => Some(i.to_string()),
        Any::BoolValue(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Collector {
    /// Serves OTLP/gRPC on a free local port; its endpoint URL.
    async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let service = TraceServiceServer::new(self.clone());
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
        format!("http://{addr}")
    }

    fn snapshot(&self) -> Vec<Received> {
        self.spans.lock().unwrap().clone()
    }
}

/// Exports of every process started from now on go to `collector`, quickly.
async fn export_to(collector: &Collector) {
    let endpoint = collector.start().await;
    support::set_child_env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint);
    support::set_child_env("OTEL_BSP_SCHEDULE_DELAY", "200");
}

/// Creates an RFQ, waits for a quote and accepts it with the correlation id `correlation`.
async fn accept_a_quote(orion: &Orion, token: &str, correlation: &str) -> String {
    orion.wait_ready_to_trade(token, "EUR/USD").await;
    let created: Value = orion
        .post(
            "/rfqs",
            token,
            json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "1000000", "expirySeconds": 30}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let rfq = created["rfqId"].as_str().expect("an RFQ").to_owned();
    let deadline = Instant::now() + Duration::from_secs(15);
    let quote = loop {
        let view: Value = orion
            .get(&format!("/rfqs/{rfq}"), token)
            .await
            .json()
            .await
            .unwrap();
        if let Some(q) = view["quotes"].as_array().and_then(|q| q.first()) {
            break q["quoteId"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "no quote for {rfq}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let accepted = orion
        .client
        .post(orion.url(&format!("/rfqs/{rfq}/accept")))
        .bearer_auth(token)
        .header("x-correlation-id", correlation)
        .header("idempotency-key", format!("accept-{correlation}"))
        .json(&json!({"quoteId": quote}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let traded: Value = accepted.json().await.unwrap();
    assert_eq!(traded["status"], "TRADED", "{traded}");
    traded["tradeId"].as_str().unwrap().to_owned()
}

/// What one trace must hold, as `(service, span name)` pairs.
struct Expected<'a> {
    root: (&'a str, &'a str),
    spans: &'a [(&'a str, &'a str)],
}

/// Waits until the trace rooted at the request with `correlation` holds every expected span,
/// then checks it is one tree: a single root, every other span's parent in the trace.
async fn connected_trace(
    collector: &Collector,
    correlation: &str,
    expected: &Expected<'_>,
) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let spans = collector.snapshot();
        let root = spans.iter().find(|s| {
            (s.service.as_str(), s.name.as_str()) == expected.root
                && s.attributes.get("correlationId").map(String::as_str) == Some(correlation)
        });
        let trace: Vec<Received> = root
            .map(|root| {
                spans
                    .iter()
                    .filter(|s| s.trace_id == root.trace_id)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let missing: Vec<_> = expected
            .spans
            .iter()
            .filter(|(service, name)| {
                !trace
                    .iter()
                    .any(|s| s.service == *service && s.name == *name)
            })
            .collect();
        if root.is_some() && missing.is_empty() {
            return trace;
        }
        assert!(
            Instant::now() < deadline,
            "the trace of {correlation} lacks {missing:?} (root found: {}); it has {:#?}; \
             {} spans received in all, roots among them: {:?}",
            root.is_some(),
            trace
                .iter()
                .map(|s| (&s.service, &s.name))
                .collect::<Vec<_>>(),
            spans.len(),
            spans
                .iter()
                .filter(|s| s.parent.is_empty())
                .map(|s| (&s.service, &s.name, s.attributes.get("correlationId")))
                .take(20)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn assert_one_tree(trace: &[Received], root: (&str, &str)) {
    let ids: HashSet<&[u8]> = trace.iter().map(|s| s.span_id.as_slice()).collect();
    let roots: Vec<_> = trace.iter().filter(|s| s.parent.is_empty()).collect();
    assert_eq!(roots.len(), 1, "one root: {roots:#?}");
    assert_eq!((roots[0].service.as_str(), roots[0].name.as_str()), root);
    assert_eq!(roots[0].kind, SpanKind::Server as i32);
    for span in trace.iter().filter(|s| !s.parent.is_empty()) {
        assert!(
            ids.contains(span.parent.as_slice()),
            "{} / {} has a parent outside the trace",
            span.service,
            span.name
        );
    }
}

/// Every span that names a tenant or a correlation names the caller's.
fn assert_context(trace: &[Received], tenant: &str, correlation: &str) {
    let with_tenant = trace
        .iter()
        .filter(|s| s.attributes.contains_key("tenantId"));
    let mut tenants = 0;
    for span in with_tenant {
        assert_eq!(span.attributes["tenantId"], tenant, "{span:?}");
        tenants += 1;
    }
    let mut correlations = 0;
    for span in trace
        .iter()
        .filter(|s| s.attributes.contains_key("correlationId"))
    {
        assert_eq!(span.attributes["correlationId"], correlation, "{span:?}");
        correlations += 1;
    }
    assert!(tenants >= 5 && correlations >= 5, "{trace:#?}");
}

/// Both scenarios in one test: the processes they start share this binary's child setup.
#[tokio::test(flavor = "multi_thread")]
async fn an_accepted_quote_is_one_connected_trace_on_kafka_and_on_the_local_bus() {
    let collector = Collector::default();
    export_to(&collector).await;
    through_a_replica_and_kafka(&collector).await;
    on_the_local_bus_with_logs(&collector).await;
}

/// A replica forwards the accept over gRPC to a core relaying to Kafka.
async fn through_a_replica_and_kafka(collector: &Collector) {
    let broker = Broker::start();
    let data_dir = std::env::temp_dir().join(format!("orion-traces-{}", std::process::id()));
    let core = Orion::core_in(
        data_dir,
        Orion::free_addr(),
        &["--kafka-brokers", &broker.addr, "--sim-rate", "200"],
    );
    let mut replica = Orion::bff(&core.data_dir, core.grpc);
    // The engine's metrics (LP connections) are the core's.
    replica.ops = core.ops;
    let token = replica.login("trader@acme").await;
    let correlation = "trace-accept-kafka";
    accept_a_quote(&replica, &token, correlation).await;

    let topic = |stream: &str| format!("dev.{stream}.v1 publish");
    let trades = topic("execution.trades");
    let settlement = topic("posttrade.settlement");
    let root = ("orion-bff", "POST /rfqs/{id}/accept");
    let trace = connected_trace(
        collector,
        correlation,
        &Expected {
            root,
            spans: &[
                ("orion-bff", "orion.internal.v1.CoreLink/Forward"),
                ("orion-core", "orion.internal.v1.CoreLink/Forward"),
                ("orion-core", "POST /rfqs/{id}/accept"),
                ("orion-core", "accept_quote"),
                ("orion-core", "journal.commit"),
                ("orion-core", &trades),
                ("orion-core", "blotters TradeExecuted"),
                ("orion-core", "posttrade TradeExecuted"),
                // The confirmation the post-trade consumer commits continues the same trace.
                ("orion-core", &settlement),
                ("orion-core", "blotters TradeConfirmed"),
            ],
        },
    )
    .await;
    assert_one_tree(&trace, root);
    assert_context(&trace, "acme", correlation);
    // Over Kafka a consumer's span is the child of the relay's producer span, whose context
    // travelled in the message's `traceparent` header.
    let by_id: HashMap<&[u8], &Received> =
        trace.iter().map(|s| (s.span_id.as_slice(), s)).collect();
    let consumer = trace
        .iter()
        .find(|s| s.name == "posttrade TradeExecuted")
        .unwrap();
    assert_eq!(consumer.kind, SpanKind::Consumer as i32);
    let producer = by_id[consumer.parent.as_slice()];
    assert_eq!(
        (producer.name.as_str(), producer.kind),
        (trades.as_str(), SpanKind::Producer as i32)
    );
    // The forwarded call crossed gRPC: the core's server span is the child of the replica's
    // client span, whose context travelled as `traceparent` metadata.
    let served = trace
        .iter()
        .find(|s| s.service == "orion-core" && s.name == "orion.internal.v1.CoreLink/Forward")
        .unwrap();
    assert_eq!(served.kind, SpanKind::Server as i32);
    let client = by_id[served.parent.as_slice()];
    assert_eq!(
        (client.service.as_str(), client.kind),
        ("orion-bff", SpanKind::Client as i32)
    );
}

/// `orion up` on the local bus; its JSON logs go to a file and are read back.
async fn on_the_local_bus_with_logs(collector: &Collector) {
    let logs = std::env::temp_dir().join(format!("orion-traces-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&logs);
    support::set_child_stderr(&logs);
    support::set_child_env("RUST_LOG", "warn,orion_services=debug");
    let orion = Orion::start(&[]);
    let token = orion.login("trader@acme").await;
    let correlation = "trace-accept-local";
    let trade_id = accept_a_quote(&orion, &token, correlation).await;

    let service = if Orion::split_mode() {
        "orion-core"
    } else {
        "orion"
    };
    let root = if Orion::split_mode() {
        ("orion-bff", "POST /rfqs/{id}/accept")
    } else {
        (service, "POST /rfqs/{id}/accept")
    };
    let trades = "dev.execution.trades.v1 publish".to_owned();
    let trace = connected_trace(
        collector,
        correlation,
        &Expected {
            root,
            spans: &[
                (service, "accept_quote"),
                (service, "journal.commit"),
                (service, &trades),
                (service, "blotters TradeExecuted"),
                (service, "posttrade TradeExecuted"),
                (service, "blotters TradeConfirmed"),
            ],
        },
    )
    .await;
    assert_one_tree(&trace, root);
    assert_context(&trace, "acme", correlation);

    // The JSON log lines of the decision and of the consumers name tenant, correlation and
    // entity at the top level, with the trace they belong to.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let lines: Vec<Value> = std::fs::read_to_string(&logs)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .filter(|l: &Value| l["correlationId"] == correlation)
            .collect();
        let decided = lines.iter().find(|l| l["message"] == "command decided");
        let applied = lines
            .iter()
            .find(|l| l["message"] == "applied" && l["entityId"] == trade_id.as_str());
        if let (Some(decided), Some(applied)) = (decided, applied) {
            assert_eq!(decided["tenantId"], "acme", "{decided}");
            assert_eq!(decided["outcome"], "ok", "{decided}");
            assert_eq!(applied["tenantId"], "acme", "{applied}");
            let trace_id = hex(&trace[0].trace_id);
            assert_eq!(decided["openTelemetry"]["traceId"], trace_id.as_str());
            assert_eq!(applied["openTelemetry"]["traceId"], trace_id.as_str());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no decision and consumer log lines for {correlation}: {lines:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
