//! The operator commands that work on the store and the log without running the platform:
//! `orion dlq list|show|replay` and `orion rebuild-read-models [--verify]`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use orion_services::consumer::Registry;
use orion_services::consumer::ops::{DeadLetterView, OpsService};
use orion_services::rebuild::{self, Log};
use orion_store::Store;

use crate::cli::{DlqAction, DlqArgs, RebuildArgs, StoreArgs};

async fn open(args: &StoreArgs) -> anyhow::Result<Store> {
    let url = args.database_url();
    if let Some(path) = url.strip_prefix("sqlite://") {
        if let Some(dir) = std::path::Path::new(path).parent() {
            std::fs::create_dir_all(dir).ok();
        }
    }
    Store::connect(&url)
        .await
        .with_context(|| "opening the store".to_string())
}

fn one_line(text: &str, width: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > width {
        format!("{}…", line.chars().take(width - 1).collect::<String>())
    } else {
        line.to_owned()
    }
}

fn print_table(letters: &[DeadLetterView]) {
    println!(
        "{:<36}  {:<13}  {:<20}  {:<9}  {:>8}  {:<24}  {:<24}  error",
        "id", "consumer", "event type", "kind", "attempts", "first failure", "last failure"
    );
    for l in letters {
        println!(
            "{:<36}  {:<13}  {:<20}  {:<9}  {:>8}  {:<24}  {:<24}  {}",
            l.id,
            l.consumer,
            if l.event_type.is_empty() {
                "-"
            } else {
                &l.event_type
            },
            l.error_kind,
            l.attempts,
            l.first_failure_at,
            l.last_failure_at,
            one_line(&l.error, 100)
        );
    }
    println!("{} dead letter(s)", letters.len());
}

/// `orion dlq …`.
pub async fn dlq(args: DlqArgs) -> anyhow::Result<()> {
    let store = open(&args.store).await?;
    let ops = OpsService::new(store, Registry::default());
    match args.action {
        DlqAction::List { consumer, json } => {
            let letters = ops.dead_letters(consumer.as_deref()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&letters)?);
            } else {
                print_table(&letters);
            }
            Ok(())
        }
        DlqAction::Show { id } => match ops.dead_letter(&id).await? {
            Some(letter) => {
                println!("{}", serde_json::to_string_pretty(&letter)?);
                Ok(())
            }
            None => bail!("no dead letter {id}"),
        },
        DlqAction::Replay {
            ids,
            all,
            consumer,
            wait,
        } => {
            let asked = if all {
                ops.request_replay_all(consumer.as_deref()).await?
            } else {
                if ids.is_empty() {
                    bail!("name the letters to replay, or --all");
                }
                for id in &ids {
                    match ops.dead_letter(id).await? {
                        None => bail!("no dead letter {id}"),
                        Some(l) if l.state == "REPLAYED" => bail!("{id} was already replayed"),
                        Some(_) => {}
                    }
                }
                ops.request_replay(&ids).await?
            };
            if asked.is_empty() {
                println!("nothing to replay");
                return Ok(());
            }
            await_replays(&ops, &asked, wait).await
        }
    }
}

/// Waits for the consumers to deliver the letters; prints each outcome.
async fn await_replays(ops: &OpsService, ids: &[String], wait: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + wait;
    let mut pending: Vec<String> = ids.to_vec();
    let mut failed = 0;
    while !pending.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut still = Vec::new();
        for id in pending {
            match ops.dead_letter(&id).await? {
                Some(l) if l.state == "REPLAYED" => println!("{id} replayed: applied"),
                Some(l) if l.state == "DEAD" => {
                    failed += 1;
                    println!("{id} replayed: failed again: {}", one_line(&l.error, 200));
                }
                Some(_) => still.push(id),
                None => bail!("letter {id} disappeared"),
            }
        }
        pending = still;
    }
    for id in &pending {
        println!(
            "{id} replay requested; no consumer has delivered it yet (is `orion up` running?)"
        );
    }
    if failed > 0 || !pending.is_empty() {
        bail!(
            "{failed} replay(s) failed, {} not delivered within {wait:?}",
            pending.len()
        );
    }
    Ok(())
}

/// `orion rebuild-read-models [--verify]`.
pub async fn rebuild_read_models(args: RebuildArgs) -> anyhow::Result<()> {
    let store = open(&args.store).await?;
    let log = match &args.store.kafka_brokers {
        Some(brokers) => Log::Kafka {
            brokers: brokers.clone(),
            env: args.store.env.clone(),
        },
        None => Log::Outbox,
    };
    let started = Instant::now();
    let lines = rebuild::rebuild(&store, &log, args.verify).await?;
    for line in &lines {
        println!("{}", line.render());
    }
    eprintln!(
        "{} from {} in {:.1} s",
        if args.verify { "verified" } else { "rebuilt" },
        match log {
            Log::Outbox => "the outbox".to_owned(),
            Log::Kafka { env, .. } => format!("Kafka topics {env}.*"),
        },
        started.elapsed().as_secs_f64()
    );
    if lines.iter().any(|l| !l.equal()) {
        bail!("the live read models differ from the log");
    }
    Ok(())
}
