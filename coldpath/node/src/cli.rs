//! Command line and environment: `orion up`, `orion core`, `orion bff`, `orion replay`,
//! `orion dlq`, `orion rebuild-read-models`. Flags override environment
//! variables, which override defaults (README, "Configuration").

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use orion_hotpath::{Layout, PipelineConfig, WaitStrategyKind};

/// Whether `orion` builds the web bundle itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WebBuild {
    /// Build when `dist/` is missing or stale and npm is available.
    Auto,
    /// Serve whatever `dist/` holds.
    Off,
}

/// Orion: low-latency market data and RFQ trading.
#[derive(Debug, Parser)]
#[command(name = "orion", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run everything in one process on embedded defaults: simulator, pipeline, BFF.
    Up(UpArgs),
    /// Run the core role alone: hot path and engines, store, outbox relay, consumers, LP
    /// gateway and gRPC (BFF replicas attach to it); no REST or WebSocket.
    Core(UpArgs),
    /// Run a BFF replica alone: REST, WebSocket, web UI and /metrics, with no engine and no
    /// store, reaching the core only through its gRPC services. Any number may run.
    Bff(BffArgs),
    /// Publish a recorded tick file into the pipeline at a speed factor, serving the BFF
    /// meanwhile; exits when the file is done (unless --hold).
    Replay(ReplayArgs),
    /// Dead letters: list, show one, replay.
    Dlq(DlqArgs),
    /// Rebuild every projection from the log (Kafka when configured, else the outbox) and
    /// print rows and a checksum per projection; `--verify` compares with the live tables
    /// instead (safe while `orion up` runs) and exits non-zero on any difference.
    RebuildReadModels(RebuildArgs),
    /// Print the REST API's OpenAPI 3.1 document (what `GET /openapi.json` serves), from which
    /// clients — the web workstation's among them — generate their types.
    Openapi,
}

impl Command {
    /// The `service.name` of this process's traces.
    pub fn service_name(&self) -> &'static str {
        match self {
            Command::Up(_) => "orion",
            Command::Core(_) => "orion-core",
            Command::Bff(_) => "orion-bff",
            Command::Replay(_) => "orion-replay",
            Command::Dlq(_) | Command::RebuildReadModels(_) | Command::Openapi => "orion-tools",
        }
    }
}

/// Where the store and the log are, for the commands that only read or repair them.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Directory for local state (the SQLite database).
    #[arg(long, global = true, env = "ORION_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Database: `postgres://…`, or `sqlite://path`; unset = SQLite in the data dir.
    #[arg(
        long,
        global = true,
        env = "ORION_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Kafka-protocol brokers `host:port,…`; unset = the log is the outbox.
    #[arg(long, global = true, env = "ORION_KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
    /// Environment name, the prefix of every topic.
    #[arg(long, global = true, env = "ORION_ENV", default_value = "dev")]
    pub env: String,
}

impl StoreArgs {
    /// The database URL to use.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/orion.db", self.data_dir.display()))
    }
}

/// `orion dlq`.
#[derive(Debug, Clone, Args)]
pub struct DlqArgs {
    /// Store options.
    #[command(flatten)]
    pub store: StoreArgs,
    /// What to do.
    #[command(subcommand)]
    pub action: DlqAction,
}

/// `orion dlq list|show|replay`.
#[derive(Debug, Clone, Subcommand)]
pub enum DlqAction {
    /// Letters not yet replayed: id, consumer, event type, error, attempts, first/last failure.
    List {
        /// Only this consumer's.
        #[arg(long)]
        consumer: Option<String>,
        /// One JSON document instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One letter in full (JSON).
    Show {
        /// Letter id.
        id: String,
    },
    /// Deliver letters to their consumer again (a running `orion up` applies them; those that
    /// apply leave the list). Waits up to `--wait` for the outcome.
    Replay {
        /// Letter ids.
        ids: Vec<String>,
        /// Every dead letter (of `--consumer` when given).
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        /// With `--all`: only this consumer's.
        #[arg(long, requires = "all")]
        consumer: Option<String>,
        /// How long to wait for the consumers' outcome.
        #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
        wait: std::time::Duration,
    },
}

/// `orion rebuild-read-models`.
#[derive(Debug, Clone, Args)]
pub struct RebuildArgs {
    /// Store and log options.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Compare a rebuild with the live tables instead of replacing them.
    #[arg(long)]
    pub verify: bool,
}

/// Options shared by every command that runs the platform.
#[derive(Debug, Clone, Args)]
pub struct PlatformArgs {
    /// Directory for local state (the JWT secret, the SQLite database).
    #[arg(long, env = "ORION_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// BFF address: REST, WebSocket, web UI, /metrics.
    #[arg(long, env = "ORION_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,
    /// gRPC services (market data, orders), health and reflection.
    #[arg(long, env = "ORION_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    pub grpc_addr: SocketAddr,
    /// Database: `postgres://…`, or `sqlite://path`; unset = SQLite in the data dir.
    #[arg(long, env = "ORION_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Kafka-protocol brokers `host:port,…` for the outbox relay; unset = the embedded local bus.
    #[arg(long, env = "ORION_KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
    /// Environment name, the prefix of every topic.
    #[arg(long, env = "ORION_ENV", default_value = "dev")]
    pub env: String,
    /// QUIC LP gateway (UDP).
    #[arg(long, env = "ORION_QUIC_ADDR", default_value = "127.0.0.1:4433")]
    pub quic_addr: SocketAddr,
    /// LP gateway certificate (DER); unset = a development certificate in the data dir.
    #[arg(long, env = "ORION_QUIC_CERT", requires = "quic_key")]
    pub quic_cert: Option<PathBuf>,
    /// LP gateway private key (PKCS#8 DER), with `--quic-cert`.
    #[arg(long, env = "ORION_QUIC_KEY", requires = "quic_cert")]
    pub quic_key: Option<PathBuf>,
    /// UDP market-data feed listener (e.g. 127.0.0.1:7400); unset = no feed.
    #[arg(long, env = "ORION_FEED_ADDR")]
    pub feed_addr: Option<SocketAddr>,
    /// HS256 secret for tokens; unset = a secret generated once per data dir.
    #[arg(long, env = "ORION_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Validate tokens against this JWKS document of an external identity provider (RS256 or
    /// ES256); the embedded provider's login, refresh and logout are off then.
    #[arg(long, env = "ORION_JWKS_URL")]
    pub jwks_url: Option<String>,
    /// Password of the seeded demo users.
    #[arg(
        long,
        env = "ORION_DEMO_PASSWORD",
        default_value = "demo",
        hide_env_values = true
    )]
    pub demo_password: String,
    /// Lifetime of access tokens (e.g. `15m`, `90s`).
    #[arg(long, env = "ORION_ACCESS_TTL", default_value = "15m", value_parser = humantime::parse_duration)]
    pub access_ttl: std::time::Duration,
    /// Lifetime of refresh tokens (e.g. `8h`).
    #[arg(long, env = "ORION_REFRESH_TTL", default_value = "8h", value_parser = humantime::parse_duration)]
    pub refresh_ttl: std::time::Duration,
    /// Core ids for hot-path threads, e.g. `0,1` (the fused layout uses the first).
    #[arg(long, env = "ORION_CORES", value_delimiter = ',')]
    pub cores: Vec<usize>,
    /// Stage layout: `fused` (one thread) or `split` (a thread per stage).
    #[arg(long, value_enum, default_value_t = LayoutArg::Fused)]
    pub layout: LayoutArg,
    /// How idle stages wait: `sleep` suits shared machines, `spin` lowest latency.
    #[arg(long, value_enum, default_value_t = WaitArg::Sleep)]
    pub wait: WaitArg,
    /// Input ring size (power of two).
    #[arg(long, default_value_t = 1 << 16)]
    pub ring_size: usize,
    /// WebSocket coalescing window in milliseconds: at most one TICK per instrument per window.
    #[arg(long, default_value_t = 100)]
    pub ws_window_ms: u64,
    /// The web workstation's source folder; its `dist/` is served at `/`.
    #[arg(long, env = "ORION_WEB_DIR", default_value = orion_bff::web::DEFAULT_WEB_DIR)]
    pub web_dir: PathBuf,
    /// Build the web bundle at start when it is missing or older than its sources
    /// (`auto`, needs npm), or never (`off`).
    #[arg(long, env = "ORION_WEB_BUILD", value_enum, default_value_t = WebBuild::Auto)]
    pub web_build: WebBuild,
    /// An instrument without a tick for this long is flagged stale.
    #[arg(long, default_value_t = 5_000)]
    pub stale_after_ms: u64,
    /// A tick whose source time trails its receive time by more than this is flagged late.
    #[arg(long, default_value_t = 500)]
    pub late_after_ms: u64,
    /// Probability that one settlement attempt fails (seeded by trade id: deterministic).
    #[arg(long, env = "ORION_SETTLEMENT_FAILURE_RATE", default_value_t = 0.05)]
    pub settlement_failure_rate: f64,
    /// Time from a trade to its first settlement attempt, ms.
    #[arg(long, env = "ORION_SETTLEMENT_DELAY_MS", default_value_t = 2_000)]
    pub settlement_delay_ms: u64,
    /// Retries after a failed settlement before FAILED_FINAL (backoff from 500 ms, doubling).
    #[arg(long, env = "ORION_SETTLEMENT_MAX_RETRIES", default_value_t = 3)]
    pub settlement_max_retries: u32,
    /// Run the market-maker bots that keep every order book two-sided.
    #[arg(long, env = "ORION_MARKET_MAKERS", default_value_t = true, action = clap::ArgAction::Set)]
    pub market_makers: bool,
    /// Largest order, in whole units of an instrument's size.
    #[arg(long, env = "ORION_MAX_ORDER_QTY", default_value_t = 10_000_000)]
    pub max_order_qty: i64,
    /// Working orders one user may have.
    #[arg(long, env = "ORION_MAX_OPEN_ORDERS", default_value_t = 1_000)]
    pub max_open_orders: u32,
    /// Largest distance of a limit price from the mid, basis points.
    #[arg(long, env = "ORION_PRICE_BAND_BP", default_value_t = 500)]
    pub price_band_bp: i64,
    /// `orion core`: the credential BFF replicas must present; unset = a secret generated
    /// once per data dir (`internal.token`).
    #[arg(long, env = "ORION_INTERNAL_TOKEN", hide_env_values = true)]
    pub internal_token: Option<String>,
    /// Deliveries a consumer tries before dead-lettering a message that keeps failing, per
    /// consumer: `blotters=3,posttrade=10` (default 6: retries after 0.5, 1, 2, 5, 10 s).
    #[arg(long, env = "ORION_CONSUMER_MAX_ATTEMPTS", default_value = "")]
    pub consumer_max_attempts: String,
}

/// `orion bff`.
#[derive(Debug, Clone, Args)]
pub struct BffArgs {
    /// The core's gRPC address, e.g. `http://127.0.0.1:50051`.
    #[arg(long, env = "ORION_CORE_URL")]
    pub core_url: String,
    /// REST, WebSocket, web UI, /metrics.
    #[arg(long, env = "ORION_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,
    /// The credential Orion's processes present to each other; unset = the file
    /// `internal.token` in the data dir (which `orion core` writes there).
    #[arg(long, env = "ORION_INTERNAL_TOKEN", hide_env_values = true)]
    pub internal_token: Option<String>,
    /// Where to find `internal.token` when `--internal-token` is unset.
    #[arg(long, env = "ORION_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// WebSocket coalescing window in milliseconds: at most one TICK per instrument per window.
    #[arg(long, default_value_t = 100)]
    pub ws_window_ms: u64,
    /// The web workstation's source folder; its `dist/` is served at `/`.
    #[arg(long, env = "ORION_WEB_DIR", default_value = orion_bff::web::DEFAULT_WEB_DIR)]
    pub web_dir: PathBuf,
    /// Build the web bundle at start when it is missing or older than its sources
    /// (`auto`, needs npm), or never (`off`).
    #[arg(long, env = "ORION_WEB_BUILD", value_enum, default_value_t = WebBuild::Auto)]
    pub web_build: WebBuild,
}

/// `orion up` and `orion core`.
#[derive(Debug, Clone, Args)]
pub struct UpArgs {
    /// Platform options.
    #[command(flatten)]
    pub platform: PlatformArgs,
    /// Simulated ticks per second across all instruments; 0 turns the simulator off.
    #[arg(long, env = "ORION_SIM_RATE", default_value_t = 2_000)]
    pub sim_rate: u64,
    /// Simulator seed: the same seed replays the same market.
    #[arg(long, env = "ORION_SIM_SEED", default_value_t = 42)]
    pub sim_seed: u64,
}

/// `orion replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// Platform options.
    #[command(flatten)]
    pub platform: PlatformArgs,
    /// Tick file to replay (format: see README, "Replay files").
    #[arg(long)]
    pub file: PathBuf,
    /// Speed factor: 1 = recorded pace, 5 = five times faster, 0.2 = five times slower.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Keep serving after the file is done, until Ctrl-C.
    #[arg(long)]
    pub hold: bool,
}

/// Stage layout choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayoutArg {
    /// Normalize and coalesce on one thread.
    Fused,
    /// A thread per stage.
    Split,
}

/// Wait strategy choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WaitArg {
    /// Sleep 50 µs between polls.
    Sleep,
    /// Yield the core between polls.
    Yield,
    /// Busy-spin with the spin-loop hint.
    Spin,
}

impl PlatformArgs {
    /// The hot-path configuration these options describe.
    pub fn pipeline_config(&self) -> PipelineConfig {
        let core = |i: usize| self.cores.get(i).copied();
        PipelineConfig {
            layout: match self.layout {
                LayoutArg::Fused => Layout::Fused { core: core(0) },
                LayoutArg::Split => Layout::Split {
                    normalize_core: core(0),
                    coalesce_core: core(1),
                },
            },
            wait: match self.wait {
                WaitArg::Sleep => WaitStrategyKind::Sleep(Duration::from_micros(50)),
                WaitArg::Yield => WaitStrategyKind::Yield,
                WaitArg::Spin => WaitStrategyKind::SpinLoopHint,
            },
            input_ring_size: self.ring_size,
            late_after: Duration::from_millis(self.late_after_ms),
            stale_after: Duration::from_millis(self.stale_after_ms),
            ..PipelineConfig::default()
        }
    }

    /// The database URL to use.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/orion.db", self.data_dir.display()))
    }

    /// The WebSocket coalescing window.
    pub fn ws_window(&self) -> Duration {
        Duration::from_millis(self.ws_window_ms.max(1))
    }

    /// The pre-trade rules of the order books.
    pub fn order_rules(&self) -> orion_hotpath::rfq::OrderRules {
        orion_hotpath::rfq::OrderRules {
            max_order_qty: self.max_order_qty.max(1),
            max_open_orders: self.max_open_orders,
            price_band_bp: self.price_band_bp.clamp(1, 10_000),
            ..orion_hotpath::rfq::OrderRules::default()
        }
    }

    /// How settlement is simulated.
    pub fn settlement(&self) -> orion_services::posttrade::SettlementConfig {
        orion_services::posttrade::SettlementConfig {
            failure_rate: self.settlement_failure_rate.clamp(0.0, 1.0),
            delay: Duration::from_millis(self.settlement_delay_ms),
            max_retries: self.settlement_max_retries,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_with_defaults() {
        let cli =
            Cli::try_parse_from(["orion", "up", "--layout", "split", "--cores", "0,1"]).unwrap();
        let Command::Up(up) = cli.command else {
            panic!("expected up")
        };
        assert_eq!(up.sim_rate, 2_000);
        assert_eq!(up.platform.ws_window(), Duration::from_millis(100));
        assert_eq!(
            up.platform.pipeline_config().layout,
            Layout::Split {
                normalize_core: Some(0),
                coalesce_core: Some(1)
            }
        );
    }

    #[test]
    fn dlq_and_rebuild_parse() {
        let cli =
            Cli::try_parse_from(["orion", "dlq", "replay", "--all", "--consumer", "blotters"])
                .unwrap();
        let Command::Dlq(dlq) = cli.command else {
            panic!("expected dlq")
        };
        assert!(matches!(dlq.action, DlqAction::Replay { all: true, .. }));
        assert!(Cli::try_parse_from(["orion", "dlq", "replay", "x", "--all"]).is_err());
        let cli = Cli::try_parse_from(["orion", "rebuild-read-models", "--verify"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::RebuildReadModels(RebuildArgs { verify: true, .. })
        ));
    }

    #[test]
    fn replay_requires_a_file() {
        assert!(Cli::try_parse_from(["orion", "replay"]).is_err());
        assert!(
            Cli::try_parse_from(["orion", "replay", "--file", "x.csv", "--speed", "5"]).is_ok()
        );
    }
}
