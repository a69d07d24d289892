//! The runner: delivers each message to a [`Handler`] with validation, retries, dead letters,
//! commit after apply and replays — one implementation, fed by the local bus or by Kafka.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::consumer::{CommitMode, Consumer, ConsumerContext, StreamConsumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::statistics::Statistics;
use serde_json::{Map, Value};
use tokio::sync::watch;
use tracing::Instrument;

use orion_bridge::clock::unix_nanos;
use orion_journal::trace;
use orion_store::Store;
use orion_store::dead_letters::DeadLetter;

use super::schema::Schemas;
use super::{ApplyError, Handler, RetryPolicy, Stats};

/// One message as a source delivered it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Where it was read: `topic/partition/offset` or `outbox/position`.
    pub source: String,
    /// Topic.
    pub topic: String,
    /// Key.
    pub key: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// The bytes.
    pub payload: Vec<u8>,
}

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Applied now.
    Applied,
    /// Already applied, or of no interest to the consumer.
    Skipped,
    /// Stored as a dead letter.
    DeadLettered,
    /// Shutdown came first: not applied, not to be committed.
    Interrupted,
}

/// Delivers messages to one handler.
pub struct Runner<H: Handler> {
    handler: Arc<H>,
    store: Store,
    schemas: Arc<Schemas>,
    policy: RetryPolicy,
    stats: Arc<Stats>,
    env: String,
    dlq: Option<FutureProducer>,
    shutdown: watch::Receiver<bool>,
}

impl<H: Handler> Runner<H> {
    /// A runner for `handler` with its stats from `stats`.
    pub fn new(
        handler: Arc<H>,
        store: Store,
        schemas: Arc<Schemas>,
        policy: RetryPolicy,
        stats: Arc<Stats>,
        env: String,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            handler,
            store,
            schemas,
            policy,
            stats,
            env,
            dlq: None,
            shutdown,
        }
    }

    fn name(&self) -> &'static str {
        self.handler.name()
    }

    /// The topics the handler reads.
    pub fn topics(&self) -> Vec<String> {
        self.handler
            .streams()
            .iter()
            .map(|s| format!("{}.{s}.v1", self.env))
            .collect()
    }

    /// This consumer's dead-letter topic.
    pub fn dlq_topic(&self) -> String {
        format!("{}.dlq.{}.v1", self.env, self.name())
    }

    /// While an operator has paused this consumer, waits (true once resumed, false on
    /// shutdown).
    async fn while_paused(&mut self) -> bool {
        let mut logged = false;
        while self.stats.paused.load(std::sync::atomic::Ordering::Acquire) {
            if !logged {
                tracing::info!(consumer = self.name(), "consumer paused");
                logged = true;
            }
            if !self.pause(Duration::from_millis(100)).await {
                return false;
            }
        }
        if logged {
            tracing::info!(consumer = self.name(), "consumer resumed");
        }
        true
    }

    async fn pause(&mut self, pause: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(pause) => true,
            _ = self.shutdown.changed() => false,
        }
    }

    /// Validates and applies one message, retrying transient failures per the policy and
    /// dead-lettering what cannot apply — inside a consumer span that continues the trace of
    /// the message's `traceparent` header, and whose `tenantId`, `correlationId` and
    /// `entityId` every log line of the delivery carries.
    pub async fn deliver(&mut self, d: &Delivery) -> Outcome {
        let header = |name: &str| {
            d.headers
                .iter()
                .find(|(k, _)| k == name)
                .map_or("", |(_, v)| v.as_str())
        };
        let span = tracing::info_span!(
            parent: None,
            "consume",
            otel.name = %format_args!("{} {}", self.name(), header("eventType")),
            otel.kind = "consumer",
            messaging.consumer.group.name = self.name(),
            messaging.destination.name = %d.topic,
            eventType = header("eventType"),
            tenantId = header("tenantId"),
            correlationId = header("correlationId"),
            entityId = %d.key,
        );
        trace::follow(&span, header(trace::TRACEPARENT));
        self.deliver_in_span(d).instrument(span).await
    }

    async fn deliver_in_span(&mut self, d: &Delivery) -> Outcome {
        let first = unix_nanos() as i64;
        let event = match self.schemas.decode(&d.payload) {
            Ok(event) => event,
            Err(rejection) => {
                tracing::warn!(consumer = self.name(), source = %d.source, error = %rejection, "dead-lettering a message that can never apply");
                let letter =
                    self.letter(d, None, rejection.kind(), &rejection.to_string(), 1, first);
                return self.dead_letter(letter).await;
            }
        };
        let mut attempt = 1u32;
        loop {
            match self.handler.apply(&event).await {
                Ok(true) => {
                    tracing::debug!(consumer = self.name(), eventId = %event.event_id, "applied");
                    self.stats
                        .processed
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    metrics::counter!("orion_consumer_processed_total", "consumer" => self.name())
                        .increment(1);
                    return Outcome::Applied;
                }
                Ok(false) => {
                    self.stats
                        .skipped
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return Outcome::Skipped;
                }
                Err(ApplyError::Invalid(error)) => {
                    let letter = self.letter(d, Some(&event), "INVALID", &error, attempt, first);
                    return self.dead_letter(letter).await;
                }
                Err(ApplyError::Transient(error)) if attempt >= self.policy.max_attempts => {
                    tracing::warn!(consumer = self.name(), eventId = %event.event_id, attempts = attempt, error = %error, "retries exhausted; dead-lettering");
                    let letter = self.letter(d, Some(&event), "TRANSIENT", &error, attempt, first);
                    return self.dead_letter(letter).await;
                }
                Err(ApplyError::Transient(error)) => {
                    let pause = self.policy.pause(attempt);
                    tracing::warn!(consumer = self.name(), eventId = %event.event_id, attempt, retry_in_ms = pause.as_millis() as u64, error = %error, "apply failed; retrying");
                    self.stats
                        .retried
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    metrics::counter!("orion_consumer_retries_total", "consumer" => self.name())
                        .increment(1);
                    if !self.pause(pause).await {
                        return Outcome::Interrupted;
                    }
                    attempt += 1;
                }
            }
        }
    }

    fn letter(
        &self,
        d: &Delivery,
        event: Option<&super::Event>,
        kind: &str,
        error: &str,
        attempts: u32,
        first: i64,
    ) -> DeadLetter {
        let headers: Map<String, Value> = d
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let (summary, stack) = match error.split_once('\n') {
            Some((head, rest)) => (head.to_owned(), rest.to_owned()),
            None => (error.to_owned(), String::new()),
        };
        DeadLetter {
            letter_id: uuid::Uuid::new_v4().to_string(),
            tenant: event.map(|e| e.tenant.clone()).unwrap_or_default(),
            consumer: self.name().to_owned(),
            consumer_version: self.handler.version().to_owned(),
            source: d.source.clone(),
            topic: d.topic.clone(),
            key: d.key.clone(),
            headers: Value::Object(headers).to_string(),
            payload: d.payload.clone(),
            event_id: event.map(|e| e.event_id.clone()).unwrap_or_default(),
            event_type: event.map(|e| e.event_type.clone()).unwrap_or_default(),
            error_kind: kind.to_owned(),
            error: summary,
            stack: format!(
                "{stack}{}consumer {} {} at {}",
                if stack.is_empty() { "" } else { "\n" },
                self.name(),
                self.handler.version(),
                d.source
            ),
            attempts: i64::from(attempts),
            first_failure_at: first,
            last_failure_at: unix_nanos() as i64,
            state: "DEAD".into(),
            replayed_at: None,
        }
    }

    /// Stores the letter (retrying until the store takes it: a letter is never dropped) and,
    /// with Kafka, publishes it on the consumer's DLQ topic.
    async fn dead_letter(&mut self, letter: DeadLetter) -> Outcome {
        let mut pause = Duration::from_millis(500);
        while let Err(err) = self.store.insert_dead_letter(&letter).await {
            tracing::error!(consumer = self.name(), cause = %err, "could not store a dead letter; retrying");
            if !self.pause(pause).await {
                return Outcome::Interrupted;
            }
            pause = (pause * 2).min(Duration::from_secs(10));
        }
        if let Some(producer) = &self.dlq {
            let topic = self.dlq_topic();
            let attempts = letter.attempts.to_string();
            let mut headers = OwnedHeaders::new();
            for (k, v) in serde_json::from_str::<Map<String, Value>>(&letter.headers)
                .unwrap_or_default()
                .iter()
            {
                headers = headers.insert(Header {
                    key: k,
                    value: v.as_str(),
                });
            }
            for (k, v) in [
                ("dlqLetterId", letter.letter_id.as_str()),
                ("dlqConsumer", letter.consumer.as_str()),
                ("dlqConsumerVersion", letter.consumer_version.as_str()),
                ("dlqErrorKind", letter.error_kind.as_str()),
                ("dlqError", letter.error.as_str()),
                ("dlqSource", letter.source.as_str()),
                ("dlqAttempts", attempts.as_str()),
            ] {
                headers = headers.insert(Header {
                    key: k,
                    value: Some(v),
                });
            }
            let record = FutureRecord::to(&topic)
                .key(&letter.key)
                .payload(&letter.payload)
                .headers(headers);
            if let Err((err, _)) = producer.send(record, Duration::from_secs(10)).await {
                tracing::error!(consumer = self.name(), cause = %err, "dead letter stored but not published on its topic");
            }
        }
        self.stats
            .dead_lettered
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        metrics::counter!("orion_consumer_dead_lettered_total", "consumer" => self.name())
            .increment(1);
        Outcome::DeadLettered
    }

    /// Delivers the letters someone asked to replay, once each: applied, they leave the list;
    /// failed, they stay with one more attempt and the new error.
    pub async fn replay_requested(&mut self) {
        let letters = match self.store.replays_requested(self.name()).await {
            Ok(letters) => letters,
            Err(err) => {
                tracing::warn!(consumer = self.name(), cause = %err, "could not read replay requests");
                return;
            }
        };
        for letter in letters {
            let failure = match self.schemas.decode(&letter.payload) {
                Err(rejection) => Some(rejection.to_string()),
                Ok(event) => match self.handler.apply(&event).await {
                    Ok(applied) => {
                        if applied {
                            self.stats
                                .processed
                                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        None
                    }
                    Err(err) => Some(super::error_chain(&err)),
                },
            };
            tracing::info!(consumer = self.name(), letter = %letter.letter_id, applied = failure.is_none(), "dead letter replayed");
            if let Err(err) = self
                .store
                .finish_replay(&letter.letter_id, failure.as_deref(), unix_nanos() as i64)
                .await
            {
                tracing::warn!(consumer = self.name(), cause = %err, "could not record a replay");
            }
        }
    }
}

/// The headers the relay would have given `row` on Kafka.
fn local_headers(row: &orion_store::outbox::OutboxRow) -> Vec<(String, String)> {
    let mut headers = vec![
        ("correlationId".into(), row.correlation_id.clone()),
        ("tenantId".into(), row.tenant.clone()),
        ("eventType".into(), row.event_type.clone()),
    ];
    if !row.trace_parent.is_empty() {
        headers.push((trace::TRACEPARENT.into(), row.trace_parent.clone()));
    }
    headers
}

/// How often a runner looks for replay requests.
const REPLAY_POLL: Duration = Duration::from_millis(500);

/// Tails the outbox (the local bus) from the consumer's checkpoint until shutdown, waking when
/// `head` (the last committed position) moves — or every second, to pick up replay requests.
pub async fn run_local<H: Handler>(mut runner: Runner<H>, mut head: watch::Receiver<i64>) {
    let store = runner.store.clone();
    let name = runner.name();
    let topics: HashSet<String> = runner.topics().into_iter().collect();
    let mut position = store.consumer_position(name).await.unwrap_or(0);
    let mut last_replay_poll = std::time::Instant::now();
    loop {
        if runner
            .stats
            .paused
            .load(std::sync::atomic::Ordering::Acquire)
        {
            let committed = *head.borrow_and_update();
            runner.stats.set_lag(name, (committed - position).max(0));
            if !runner.pause(Duration::from_millis(100)).await {
                let _ = store.save_consumer_position(name, position).await;
                return;
            }
            continue;
        }
        let rows = match store.outbox_after(position, 500).await {
            Ok(rows) => rows,
            Err(err) => {
                tracing::warn!(consumer = name, cause = %err, "could not read the outbox; retrying");
                Vec::new()
            }
        };
        for row in &rows {
            if runner
                .stats
                .paused
                .load(std::sync::atomic::Ordering::Acquire)
            {
                // Paused mid-batch: stop after the last row delivered.
                break;
            }
            if topics.contains(&row.topic) {
                let delivery = Delivery {
                    source: format!("outbox/{}", row.position),
                    topic: row.topic.clone(),
                    key: row.key.clone(),
                    headers: local_headers(row),
                    payload: row.envelope.clone().into_bytes(),
                };
                if runner.deliver(&delivery).await == Outcome::Interrupted {
                    let _ = store.save_consumer_position(name, position).await;
                    return;
                }
            }
            position = row.position;
        }
        if !rows.is_empty() {
            let _ = store.save_consumer_position(name, position).await;
        }
        runner.stats.set_position("outbox", position);
        let committed = *head.borrow_and_update();
        runner.stats.set_lag(name, (committed - position).max(0));
        if last_replay_poll.elapsed() >= REPLAY_POLL {
            runner.replay_requested().await;
            last_replay_poll = std::time::Instant::now();
        }
        if !rows.is_empty() || committed > position {
            continue;
        }
        let mut shutdown = runner.shutdown.clone();
        tokio::select! {
            changed = head.changed() => {
                if changed.is_err() {
                    // The journal is gone: nothing more will be committed.
                    return;
                }
            }
            _ = tokio::time::sleep(REPLAY_POLL) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Reports the consumer's lag from librdkafka's statistics.
struct LagContext {
    consumer: &'static str,
    stats: Arc<Stats>,
}

impl ClientContext for LagContext {
    fn stats(&self, statistics: Statistics) {
        let lag: i64 = statistics
            .topics
            .values()
            .flat_map(|t| t.partitions.values())
            .filter(|p| p.partition >= 0 && p.consumer_lag >= 0)
            .map(|p| p.consumer_lag)
            .sum();
        self.stats.set_lag(self.consumer, lag);
    }
}

impl ConsumerContext for LagContext {}

/// Consumes the handler's topics as the group `<env>.<consumer>` until shutdown; commits each
/// offset after the message was applied or dead-lettered.
pub async fn run_kafka<H: Handler>(mut runner: Runner<H>, brokers: String) {
    let name = runner.name();
    let mut producer_config = ClientConfig::new();
    producer_config
        .set("bootstrap.servers", &brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all");
    match producer_config.create::<AdminClient<DefaultClientContext>>() {
        Ok(admin) => {
            let topic = runner.dlq_topic();
            let new = NewTopic::new(&topic, 1, TopicReplication::Fixed(1));
            if let Err(err) = admin.create_topics([&new], &AdminOptions::new()).await {
                tracing::warn!(consumer = name, cause = %err, "could not create the DLQ topic");
            }
        }
        Err(err) => {
            tracing::warn!(consumer = name, cause = %err, "no admin client for the DLQ topic")
        }
    }
    runner.dlq = producer_config.create::<FutureProducer>().ok();
    let context = LagContext {
        consumer: name,
        stats: runner.stats.clone(),
    };
    let consumer: StreamConsumer<LagContext> = match ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", format!("{}.{name}", runner.env))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("statistics.interval.ms", "2000")
        // A member that died without leaving (kill -9) holds its partitions until this expires.
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "1500")
        .create_with_context(context)
    {
        Ok(c) => c,
        Err(err) => {
            tracing::error!(consumer = name, cause = %err, "consumer could not start");
            return;
        }
    };
    let topics = runner.topics();
    let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
    if let Err(err) = consumer.subscribe(&topics) {
        tracing::error!(consumer = name, cause = %err, "consumer could not subscribe");
        return;
    }
    let mut shutdown = runner.shutdown.clone();
    let mut replays = tokio::time::interval(REPLAY_POLL);
    loop {
        if !runner.while_paused().await {
            return;
        }
        let message = tokio::select! {
            m = consumer.recv() => m,
            _ = replays.tick() => {
                runner.replay_requested().await;
                continue;
            }
            _ = shutdown.changed() => return,
        };
        let message = match message {
            Ok(m) => m,
            Err(err) => {
                tracing::warn!(consumer = name, cause = %err, "consumer error");
                if !runner.pause(Duration::from_millis(200)).await {
                    return;
                }
                continue;
            }
        };
        let headers = message
            .headers()
            .map(|h| {
                h.iter()
                    .map(|h| {
                        (
                            h.key.to_owned(),
                            String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let delivery = Delivery {
            source: format!(
                "{}/{}/{}",
                message.topic(),
                message.partition(),
                message.offset()
            ),
            topic: message.topic().to_owned(),
            key: String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned(),
            headers,
            payload: message.payload().unwrap_or_default().to_vec(),
        };
        if runner.deliver(&delivery).await == Outcome::Interrupted {
            return;
        }
        if let Err(err) = consumer.commit_message(&message, CommitMode::Async) {
            tracing::warn!(consumer = name, cause = %err, "offset commit failed");
        }
        runner.stats.set_position(
            &format!("{}/{}", message.topic(), message.partition()),
            message.offset() + 1,
        );
    }
}

/// Publishes each consumer's dead-letter depth as `orion_dlq_messages` (0 for a running
/// consumer without letters) until shutdown.
pub async fn monitor_dead_letters(
    store: Store,
    registry: super::Registry,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if let Ok(depths) = store.dead_letter_depths().await {
            let depths: std::collections::BTreeMap<String, i64> = depths.into_iter().collect();
            let mut consumers: HashSet<String> = depths.keys().cloned().collect();
            consumers.extend(registry.all().into_iter().map(|(name, _)| name.to_owned()));
            for consumer in consumers {
                let depth = depths.get(&consumer).copied().unwrap_or(0);
                metrics::gauge!("orion_dlq_messages", "consumer" => consumer).set(depth as f64);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
