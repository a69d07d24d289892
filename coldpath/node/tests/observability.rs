//! What an operator scrapes: after real traffic (an RFQ traded, an order filled, a WebSocket
//! session, a rejected request) `/metrics` passes `promtool check metrics`, carries every series
//! the contract names, and every metric a Grafana dashboard panel or a Prometheus rule of
//! `infra/observability/` queries exists on it. Needs tansu (Kafka-backed series) and promtool
//! (`scripts/test.sh` installs both).

mod support;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use support::{Broker, Orion};

/// The series `/metrics` promises operators (README, "Operating it").
const PROMISED: [&str; 9] = [
    "orion_command_duration_seconds_bucket",
    "orion_http_requests_total",
    "orion_http_request_duration_seconds_bucket",
    "orion_ws_sessions",
    "orion_consumer_lag",
    "orion_dlq_messages",
    "orion_outbox_backlog",
    "orion_ring_occupancy",
    "orion_group_commit_batch_size",
];

fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The metric names a PromQL expression reads (`orion_…`, histogram suffixes kept).
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while let Some(at) = expr[i..].find("orion_") {
        let start = i + at;
        let preceded = start > 0
            && (bytes[start - 1].is_ascii_alphanumeric()
                || bytes[start - 1] == b'_'
                || bytes[start - 1] == b':');
        let end = expr[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(expr.len(), |n| start + n);
        if !preceded {
            names.insert(expr[start..end].to_owned());
        }
        i = end;
    }
    names
}

/// Every metric name that has a sample on the page.
fn exposed(page: &str) -> BTreeSet<String> {
    page.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap().to_owned())
        .collect()
}

/// The expressions of every panel of every dashboard, with the dashboard's file name.
fn dashboard_exprs() -> Vec<(String, String)> {
    let mut exprs = Vec::new();
    let dir = repo("infra/observability/grafana/dashboards");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let board: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let panels = board["panels"].as_array().expect("panels");
        assert!(!panels.is_empty(), "{name} has panels");
        for panel in panels {
            for target in panel["targets"].as_array().expect("targets") {
                exprs.push((name.clone(), target["expr"].as_str().unwrap().to_owned()));
            }
        }
    }
    assert!(exprs.len() >= 20, "five dashboards with their panels");
    exprs
}

/// The metrics the alert and recording rules read (annotations name no metric).
fn rule_metrics() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo("infra/observability/rules/orion.rules.yml")).unwrap();
    let names = metric_names(&text);
    assert!(names.len() >= 6, "the alert rules were read");
    names
}

fn promtool() -> String {
    std::env::var("ORION_PROMTOOL").unwrap_or_else(|_| "promtool".into())
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_pass_promtool_and_dashboards_and_rules_query_existing_metrics() {
    let broker = Broker::start();
    let orion = Orion::start(&["--kafka-brokers", &broker.addr, "--sim-rate", "200"]);
    let trader = orion.login("trader@acme").await;
    let mut session = orion.connect(&trader).await;
    support::send_json(
        &mut session,
        json!({"type": "SUBSCRIBE", "instrumentIds": ["EUR/USD", "GBP/USD"]}),
    )
    .await;
    for _ in 0..3 {
        support::next_json(&mut session, Duration::from_secs(2))
            .await
            .expect("market frames");
    }
    support::trade(&orion, &trader, "EUR/USD").await;
    let (_, best_ask) = support::wait_for_book(&orion, &trader, "EUR/USD").await;
    let order = json!({"instrumentId": "EUR/USD", "side": "BUY", "type": "LIMIT", "qty": "1000",
        "limitPrice": format!("{:.5}", best_ask + 0.001), "timeInForce": "IOC"});
    let placed = orion.post("/orders", &trader, order, Some("obs-1")).await;
    assert_eq!(placed.status(), 201, "a marketable order is placed");
    let refused = orion
        .post("/rfqs", &trader, json!({"instrumentId": "EUR/USD"}), None)
        .await;
    assert_eq!(refused.status(), 400, "a malformed RFQ is refused");
    // Everything the contract, the dashboards and the rules read, once the traffic has been
    // through: hot-path counters are copied once a second, settlement runs 2 s after a trade.
    let mut wanted: BTreeSet<String> = PROMISED.iter().map(|m| m.to_string()).collect();
    for (_, expr) in dashboard_exprs() {
        wanted.extend(metric_names(&expr));
    }
    wanted.extend(rule_metrics());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let page = loop {
        let page = orion
            .client
            .get(format!("http://{}/metrics", orion.ops))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let names = exposed(&page);
        let missing: Vec<&String> = wanted.iter().filter(|m| !names.contains(*m)).collect();
        if missing.is_empty() {
            break page;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "/metrics lacks what the contract, a dashboard or an alert rule reads: {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };

    let mut lint = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool: set ORION_PROMTOOL or run scripts/test.sh, which installs it");
    lint.stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let out = lint.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    assert!(
        page.contains(r#"route="/rfqs""#) && page.contains(r#"status="400""#),
        "HTTP series are labelled by route template and status"
    );
    assert!(
        page.contains(r#"orion_command_duration_seconds_count{command="create_rfq",outcome="ok"}"#),
        "command latency is labelled by command and outcome"
    );
}

#[test]
fn metric_names_are_read_from_expressions() {
    let names = metric_names(
        r#"histogram_quantile(0.99, sum by (le) (rate(orion_command_duration_seconds_bucket[5m]))) / orion:x_orion_y + orion_ws_sessions{a="b"}"#,
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["orion_command_duration_seconds_bucket", "orion_ws_sessions"]
    );
}
