//! Starts a real `orion up` (or `orion core` and `orion bff` replicas) on free ports and talks
//! to it like a client would.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A running Orion, killed on drop: one `orion up`, or — with `ORION_TEST_SPLIT=1` — one
/// `orion core` and one `orion bff` replica in front of it, so every suite runs against the
/// split roles too. Clients talk to `http`; engine metrics are read from the core.
pub struct Orion {
    /// `orion up`, or the core.
    pub child: Child,
    /// The replica in front of the core, in split mode.
    pub replica: Option<Child>,
    /// Where clients send REST and WebSocket: `orion up`, or the replica.
    pub http: SocketAddr,
    /// The core's health, readiness and metrics (`http` for `orion up`).
    pub ops: SocketAddr,
    pub feed: SocketAddr,
    pub grpc: SocketAddr,
    pub data_dir: std::path::PathBuf,
    pub client: reqwest::Client,
}

/// One started `orion` process and the addresses its banner printed.
pub struct Spawned {
    pub child: Child,
    pub http: SocketAddr,
    pub feed: SocketAddr,
    pub grpc: SocketAddr,
}

/// Flags a replica takes from the flags a test gives `orion up`.
const REPLICA_FLAGS: [&str; 3] = ["--web-dir", "--ws-window-ms", "--web-build"];

impl Orion {
    /// Starts `orion up` with extra flags; returns once it printed its banner.
    pub fn start(extra: &[&str]) -> Orion {
        let data_dir =
            std::env::temp_dir().join(format!("orion-test-{}-{}", std::process::id(), uuid_like()));
        Self::start_in(data_dir, extra)
    }

    /// Whether the suites run against `orion core` + `orion bff` instead of `orion up`.
    pub fn split_mode() -> bool {
        std::env::var("ORION_TEST_SPLIT").is_ok_and(|v| v == "1")
    }

    /// Starts `orion up` on an existing data directory (a restart); in split mode a core and a
    /// replica instead.
    pub fn start_in(data_dir: std::path::PathBuf, extra: &[&str]) -> Orion {
        if Self::split_mode() {
            let core = Self::core_in(data_dir, Self::free_addr(), extra);
            let mut replica_flags = Vec::new();
            for pair in extra.windows(2) {
                if REPLICA_FLAGS.contains(&pair[0]) {
                    replica_flags.extend_from_slice(pair);
                }
            }
            let replica = Self::spawn_replica(&core.data_dir, core.grpc, &replica_flags);
            return core.behind(replica);
        }
        let mut args = vec![
            "up",
            "--http-addr",
            "127.0.0.1:0",
            "--feed-addr",
            "127.0.0.1:0",
            "--quic-addr",
            "127.0.0.1:0",
            "--grpc-addr",
            "127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        Self::from_spawned(spawn(&args, &data_dir, "Orion is up: http://"), data_dir)
    }

    /// Starts `orion core` on `data_dir` with gRPC on `grpc` (a fixed address, so replicas
    /// find it again after a restart). `http` is its health and metrics address.
    pub fn core_in(data_dir: std::path::PathBuf, grpc: SocketAddr, extra: &[&str]) -> Orion {
        let grpc = grpc.to_string();
        let mut args = vec![
            "core",
            "--http-addr",
            "127.0.0.1:0",
            "--feed-addr",
            "127.0.0.1:0",
            "--quic-addr",
            "127.0.0.1:0",
            "--grpc-addr",
            &grpc,
        ];
        args.extend_from_slice(extra);
        Self::from_spawned(
            spawn(&args, &data_dir, "Orion core is up: http://"),
            data_dir,
        )
    }

    /// Starts `orion bff` against the core at `grpc`, reading the internal credential from
    /// the core's `data_dir`. It keeps no data dir: dropping the replica leaves the core's.
    pub fn bff(core_data_dir: &std::path::Path, grpc: SocketAddr) -> Orion {
        let replica = Self::spawn_replica(core_data_dir, grpc, &[]);
        let mut orion = Self::from_spawned(replica, std::path::PathBuf::new());
        orion.ops = orion.http;
        orion
    }

    fn spawn_replica(core_data_dir: &std::path::Path, grpc: SocketAddr, extra: &[&str]) -> Spawned {
        let url = format!("http://{grpc}");
        let mut args = vec!["bff", "--http-addr", "127.0.0.1:0", "--core-url", &url];
        args.extend_from_slice(extra);
        spawn(&args, core_data_dir, "Orion BFF replica is up: http://")
    }

    fn from_spawned(spawned: Spawned, data_dir: std::path::PathBuf) -> Orion {
        Orion {
            child: spawned.child,
            replica: None,
            http: spawned.http,
            ops: spawned.http,
            feed: spawned.feed,
            grpc: spawned.grpc,
            data_dir,
            client: reqwest::Client::new(),
        }
    }

    /// This core with `replica` serving its clients.
    fn behind(mut self, replica: Spawned) -> Orion {
        self.http = replica.http;
        self.replica = Some(replica.child);
        self
    }

    /// A free local TCP address (for a server that must come back on the same one).
    pub fn free_addr() -> SocketAddr {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.http, path)
    }

    pub async fn login(&self, user: &str) -> String {
        self.login_with(user, "demo").await["accessToken"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Logs in with a password; the whole token pair.
    pub async fn login_with(&self, user: &str, password: &str) -> Value {
        let resp = self
            .client
            .post(self.url("/auth/login"))
            .json(&serde_json::json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "login as {user}");
        resp.json().await.unwrap()
    }

    pub async fn post(
        &self,
        path: &str,
        token: &str,
        body: Value,
        key: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap()
    }

    /// Kills the process without warning (SIGKILL) and keeps its data directory.
    pub fn kill_hard(mut self) -> std::path::PathBuf {
        for child in self.replica.as_mut().into_iter().chain([&mut self.child]) {
            let _ = child.kill();
            let _ = child.wait();
        }
        std::mem::take(&mut self.data_dir)
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Waits until the three LP bots are connected and `instrument` has a price, so an RFQ is
    /// routed to every LP.
    pub async fn wait_ready_to_trade(&self, token: &str, instrument: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let priced = self
                .get(
                    &format!("/market/snapshot?instrumentId={instrument}"),
                    token,
                )
                .await
                .status()
                == 200;
            if priced && self.metric("orion_lp_connections").await >= 3.0 {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "LP bots or prices did not come up"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The sum of metric `name`'s samples: from the replica where it records them (sessions,
    /// fan-out), else from the core (engine, store, consumers, feed).
    pub async fn metric(&self, name: &str) -> f64 {
        if self.ops != self.http {
            if let Some(value) = self.metric_at(self.http, name).await {
                return value;
            }
        }
        self.metric_at(self.ops, name).await.unwrap_or(0.0)
    }

    async fn metric_at(&self, addr: SocketAddr, name: &str) -> Option<f64> {
        let text = self
            .client
            .get(format!("http://{addr}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let samples: Vec<f64> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.rsplit_once(' '))
            .filter(|(key, _)| *key == name)
            .map(|(_, v)| v.parse::<f64>().unwrap())
            .collect();
        (!samples.is_empty()).then(|| samples.iter().sum())
    }

    pub async fn connect(&self, token: &str) -> Ws {
        let url = format!("ws://{}/stream?access_token={token}", self.http);
        tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket handshake")
            .0
    }
}

impl Drop for Orion {
    fn drop(&mut self) {
        for child in self.replica.as_mut().into_iter().chain([&mut self.child]) {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !self.data_dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

/// Environment and stderr for the processes this test binary starts from now on.
struct ChildSetup {
    env: Vec<(String, String)>,
    stderr: Option<std::path::PathBuf>,
}

static CHILD_SETUP: std::sync::Mutex<ChildSetup> = std::sync::Mutex::new(ChildSetup {
    env: Vec::new(),
    stderr: None,
});

/// Sets `key=value` in the environment of every `orion` started from now on.
pub fn set_child_env(key: &str, value: &str) {
    let mut setup = CHILD_SETUP.lock().unwrap();
    setup.env.retain(|(k, _)| k != key);
    setup.env.push((key.to_owned(), value.to_owned()));
}

/// Appends the stderr (the JSON logs) of every `orion` started from now on to `path`.
pub fn set_child_stderr(path: &std::path::Path) {
    CHILD_SETUP.lock().unwrap().stderr = Some(path.to_owned());
}

/// Starts `orion ARGS… --data-dir DIR`; returns once its banner printed the HTTP address
/// (the line starting `http_banner`) and, where the process has them, the UDP feed and gRPC
/// addresses (unspecified otherwise).
pub fn spawn(args: &[&str], data_dir: &std::path::Path, http_banner: &str) -> Spawned {
    let mut command = Command::new(env!("CARGO_BIN_EXE_orion"));
    command
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        // Tests run many servers at once: none of them builds the web bundle.
        .env("ORION_WEB_BUILD", "off")
        .env(
            "RUST_LOG",
            std::env::var("ORION_TEST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    {
        let setup = CHILD_SETUP.lock().unwrap();
        command.envs(setup.env.iter().map(|(k, v)| (k, v)));
        if let Some(path) = &setup.stderr {
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("log file opens");
            command.stderr(log);
        }
    }
    let mut child = command.spawn().expect("orion binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let unspecified: SocketAddr = "0.0.0.0:0".parse().unwrap();
    let (mut http, mut feed, mut grpc) = (None, unspecified, unspecified);
    // Every banner ends with "Ctrl-C stops."; a replica's has no feed or gRPC address.
    loop {
        let line = lines.next().expect("banner line").expect("utf-8 banner");
        let line = line.trim();
        let addr =
            |rest: &str| -> SocketAddr { rest.split_whitespace().next().unwrap().parse().unwrap() };
        if let Some(rest) = line.strip_prefix(http_banner) {
            http = Some(addr(rest));
        } else if let Some(rest) = line.strip_prefix("UDP feed:") {
            feed = addr(rest);
        } else if let Some(rest) = line.strip_prefix("gRPC:") {
            grpc = addr(rest);
        } else if line.starts_with("Ctrl-C stops") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    Spawned {
        child,
        http: http.expect("an HTTP address in the banner"),
        feed,
        grpc,
    }
}

fn uuid_like() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

pub async fn send_json(ws: &mut Ws, value: Value) {
    ws.send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

/// Next text frame as JSON, or `None` on timeout/close.
pub async fn next_json(ws: &mut Ws, wait: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(wait, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Err(_) => return None,
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => panic!("websocket error: {e}"),
        }
    }
}

/// Creates an RFQ on `instrument`, accepts its first quote once it arrives; the trade id.
pub async fn trade(orion: &Orion, token: &str, instrument: &str) -> String {
    let created = orion
        .post(
            "/rfqs",
            token,
            serde_json::json!({"instrumentId": instrument, "side": "BUY", "size": "100000", "expirySeconds": 10}),
            None,
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let rfq = created["rfqId"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
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
        assert!(std::time::Instant::now() < deadline, "no quote for {rfq}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let accepted = orion
        .post(
            &format!("/rfqs/{rfq}/accept"),
            token,
            serde_json::json!({"quoteId": quote}),
            Some(&format!("accept-{rfq}")),
        )
        .await;
    let status = accepted.status();
    let traded: Value = accepted.json().await.unwrap();
    assert_eq!(
        (status.as_u16(), traded["status"].as_str()),
        (200, Some("TRADED")),
        "{traded}"
    );
    traded["tradeId"].as_str().unwrap().to_owned()
}

/// Polls `GET /trades/{id}` until every trade's settlement is terminal.
pub async fn settle(
    orion: &Orion,
    token: &str,
    trades: &[String],
) -> std::collections::HashMap<String, Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut done = std::collections::HashMap::new();
    while done.len() < trades.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "unsettled: {done:?} of {trades:?}"
        );
        for id in trades {
            if done.contains_key(id) {
                continue;
            }
            let view: Value = orion
                .get(&format!("/trades/{id}"), token)
                .await
                .json()
                .await
                .unwrap();
            if ["SETTLED", "FAILED_FINAL"]
                .contains(&view["settlementStatus"].as_str().unwrap_or_default())
            {
                done.insert(id.clone(), view);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    done
}

/// One consumer's entry of `GET /ops/consumers` (as `ops@orion`), if it runs.
pub async fn consumer_state(orion: &Orion, ops_token: &str, consumer: &str) -> Option<Value> {
    let consumers: Value = orion
        .get("/ops/consumers", ops_token)
        .await
        .json()
        .await
        .unwrap();
    consumers["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["consumer"] == consumer)
        .cloned()
}

/// Runs the `orion` binary with `args` to completion: exit success and stdout.
pub fn orion_cli(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_orion"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stderr(Stdio::inherit())
        .output()
        .expect("orion runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Every envelope in the outbox at `url`, in position order.
pub async fn outbox_envelopes(url: &str) -> Vec<Value> {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT envelope FROM outbox_events ORDER BY position")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    rows.iter()
        .map(|(e,)| serde_json::from_str(e).unwrap())
        .collect()
}

/// Runs one statement against the database at `url`.
pub async fn execute(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .unwrap();
}

/// The SQLite URL of a data directory.
pub fn sqlite_url(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}/orion.db", data_dir.display())
}

/// A real Kafka-protocol broker (tansu, from `ORION_TANSU_BIN` or the copy `scripts/test.sh`
/// installs), on a free port, with its storage in a temporary directory; killed on drop.
pub struct Broker {
    child: Child,
    bin: String,
    dir: std::path::PathBuf,
    pub addr: String,
}

impl Broker {
    pub fn start() -> Broker {
        let default = std::env::var("HOME")
            .map(|h| format!("{h}/.cache/orion-tools/tansu/bin/tansu"))
            .unwrap_or_default();
        let bin = std::env::var("ORION_TANSU_BIN")
            .ok()
            .or_else(|| std::path::Path::new(&default).exists().then_some(default))
            .expect(
                "a tansu binary: set ORION_TANSU_BIN, or run scripts/test.sh, which installs it",
            );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("orion-kafka-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let addr = format!("127.0.0.1:{port}");
        let child = Self::spawn(&bin, &dir, &addr);
        Broker {
            child,
            bin,
            dir,
            addr,
        }
    }

    /// Starts tansu on `addr` with its SQLite storage in `dir`; returns once it listens.
    fn spawn(bin: &str, dir: &std::path::Path, addr: &str) -> Child {
        let url = format!("tcp://{addr}");
        let child = Command::new(bin)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "sqlite://tansu.db",
            ])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tansu starts");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(std::time::Instant::now() < deadline, "tansu did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }

    /// Kills the broker (as a crash would), keeping its storage.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the broker again on the same address and storage.
    pub fn restart(&mut self) {
        self.child = Self::spawn(&self.bin, &self.dir, &self.addr);
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh Postgres database for this run (dropped by [`PgDatabase`]'s drop).
pub struct PgDatabase {
    pub admin: String,
    pub name: String,
}

impl PgDatabase {
    pub async fn create() -> (Self, String) {
        let admin = std::env::var("ORION_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        sqlx::any::install_default_drivers();
        let name = format!("orion_test_{}_{}", std::process::id(), rand_suffix());
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
            .await
            .expect("Postgres is running (scripts/test.sh starts one when missing)");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        (Self { admin, name }, url)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) =
                    <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await
                {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join()
        .unwrap();
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
}

/// Validates every event in the outbox at `url` against `proto/schemas/v1` (the envelope and
/// its payload's schema) and checks each carries a tenant and a correlation id; returns how
/// many there are and their types.
pub async fn validate_outbox(url: &str) -> (usize, std::collections::HashSet<String>) {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT event_type, envelope FROM outbox_events ORDER BY position")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let mut seen = std::collections::HashSet::new();
    for (event_type, text) in &rows {
        let event: Value = serde_json::from_str(text).unwrap();
        assert_valid_event(&event);
        assert!(
            !event["tenantId"].as_str().unwrap().is_empty()
                && !event["correlationId"].as_str().unwrap().is_empty()
        );
        seen.insert(event_type.clone());
    }
    (rows.len(), seen)
}

/// The validator of one schema of `proto/schemas/v1` (`envelope` or an event type).
pub fn schema(name: &str) -> jsonschema::Validator {
    let path = format!(
        "{}/../../proto/schemas/v1/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("schema {path}"));
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// Panics unless `event` is a valid envelope whose payload is valid for its event type; the
/// event type.
pub fn assert_valid_event(event: &Value) -> String {
    if let Err(e) = schema("envelope").validate(event) {
        panic!("envelope invalid: {e}: {event}");
    }
    let event_type = event["eventType"].as_str().unwrap().to_owned();
    if let Err(e) = schema(&event_type).validate(&event["payload"]) {
        panic!("{event_type} payload invalid: {e}: {event}");
    }
    event_type
}

/// Waits until the market makers rest five levels a side on `instrument`; its best bid and
/// ask.
pub async fn wait_for_book(orion: &Orion, token: &str, instrument: &str) -> (f64, f64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let book: Value = orion
            .get(
                &format!("/market/depth?instrumentId={instrument}&levels=10"),
                token,
            )
            .await
            .json()
            .await
            .unwrap();
        let (bids, asks) = (
            book["bids"].as_array().unwrap(),
            book["asks"].as_array().unwrap(),
        );
        if bids.len() >= 5 && asks.len() >= 5 {
            let price = |v: &Value| v["price"].as_str().unwrap().parse::<f64>().unwrap();
            return (price(&bids[0]), price(&asks[0]));
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the market makers did not fill the book: {book}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
