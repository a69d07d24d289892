//! The replica's streams from the core, each kept alive by itself: connect, apply, and on any
//! loss wait (100 ms doubling to 2 s) and connect again; a resumed stream starts with a fresh
//! snapshot of every instrument.
//!
//! - [`describe`] — the core's instruments, placed at the slots the core gave them.
//! - [`mirror_ticks`] — `StreamTicks` into the replica's snapshot table; while the stream is
//!   down every last value is republished flagged stale, so sessions keep their last value and
//!   know it is old.
//! - [`mirror_updates`] — `WatchUpdates` into the hub's owner updates and notifications, the
//!   gate's disabled users, the depth mirror, and instruments defined at runtime (the tick
//!   stream then resubscribes to include them).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use orion_grpc::link::client::CoreClient;
use orion_grpc::link::pb::{self, core_update::Kind};
use orion_grpc::pb::tick_update;
use orion_hotpath::{
    AssetClass, InstrumentId, InstrumentSpec, InstrumentTable, Price, QualityFlags, Snapshot,
    SnapshotTable, SourceId,
};
use tokio::sync::{broadcast, watch};

use super::LinkStatus;
use crate::stream::fanout::Notification;
use crate::stream::state::{DepthMirror, RemoteGate};
use crate::stream::updates::{UpdateChannel, UserUpdate};

const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(2);

/// Slots a replica keeps for instruments beyond the core's (when it has fewer spare ones).
const MIN_CAPACITY: usize = 64;

/// The core's instruments as a table indexed exactly as the core's; waits for the core.
pub async fn describe(
    core: &CoreClient,
    shutdown: &watch::Receiver<bool>,
) -> Option<InstrumentTable> {
    let mut retry = FIRST_RETRY;
    loop {
        match core.describe().await {
            Ok(description) => return Some(table(&description)),
            Err(status) => {
                tracing::warn!(code = ?status.code(), cause = %status.message(), "waiting for the trading core");
            }
        }
        if *shutdown.borrow() {
            return None;
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(LAST_RETRY);
    }
}

fn spec(slot: &pb::InstrumentSlot) -> Option<InstrumentSpec> {
    Some(InstrumentSpec {
        symbol: slot.symbol.clone(),
        asset_class: AssetClass::from_name(&slot.asset_class)?,
        price_scale: u8::try_from(slot.price_scale).ok()?,
        tick_size: slot.tick_size,
        size_scale: u8::try_from(slot.size_scale).ok()?,
    })
}

/// A table with the core's slots: the leading run of slots as fixed specs, the rest spare and
/// activated at the core's indices.
fn table(description: &pb::CoreDescription) -> InstrumentTable {
    let mut slots: Vec<&pb::InstrumentSlot> = description.instruments.iter().collect();
    slots.sort_by_key(|s| s.slot);
    let leading = slots
        .iter()
        .enumerate()
        .take_while(|(i, s)| s.slot as usize == *i)
        .count();
    let fixed: Vec<InstrumentSpec> = slots[..leading].iter().filter_map(|s| spec(s)).collect();
    let capacity = (description.capacity as usize)
        .max(MIN_CAPACITY)
        .max(fixed.len());
    let table = InstrumentTable::with_spare(fixed, capacity - leading).unwrap_or_else(|_| {
        InstrumentTable::with_spare(Vec::new(), capacity).expect("empty table")
    });
    activate(&table, description);
    table
}

/// Adds the core's instruments this table lacks, at the core's slots.
fn activate(table: &InstrumentTable, description: &pb::CoreDescription) {
    for slot in &description.instruments {
        if table.id(&slot.symbol).is_none() {
            activate_slot(table, slot);
        }
    }
}

/// Adds one of the core's instruments at its slot.
fn activate_slot(table: &InstrumentTable, slot: &pb::InstrumentSlot) {
    if let Some(spec) = spec(slot) {
        if let Err(err) = table.activate_at(InstrumentId::from_index(slot.slot), spec) {
            tracing::warn!(instrument = %slot.symbol, cause = %err, "cannot mirror an instrument");
        }
    }
}

/// A tick from the core as this replica's snapshot of `id`.
fn snapshot(
    id: InstrumentId,
    spec: &InstrumentSpec,
    tick: &orion_grpc::pb::Snapshot,
    seq: u64,
) -> Option<Snapshot> {
    let bid = Price::parse(&tick.bid, spec.price_scale).ok()?.units();
    let ask = Price::parse(&tick.ask, spec.price_scale).ok()?.units();
    let mut flags = QualityFlags::empty();
    for bit in 0..8u8 {
        let flag = QualityFlags::from_bits_truncate(1 << bit);
        if flag
            .names()
            .next()
            .is_some_and(|name| tick.flags.iter().any(|f| f == name))
        {
            flags.set(flag, true);
        }
    }
    let source = (1..=8u8)
        .filter_map(SourceId::from_u8)
        .find(|s| s.as_str() == tick.source)
        .unwrap_or(SourceId::Simulator);
    Some(Snapshot {
        instrument: id,
        seq,
        bid,
        ask,
        source_ts: tick.ts_ns,
        receive_ts: tick.receive_ts_ns,
        flags,
        source,
        applied: 0,
    })
}

/// Keeps `snapshots` a mirror of the core's latest values until `shutdown`.
pub async fn mirror_ticks(
    core: CoreClient,
    instruments: Arc<InstrumentTable>,
    snapshots: Arc<SnapshotTable>,
    link: Arc<LinkStatus>,
    mut shutdown: watch::Receiver<bool>,
) {
    // The replica's own sequence per instrument: the core's, or one more than the last
    // published when the core's restarted lower, so sessions always see it move forward.
    let mut seqs = vec![0u64; instruments.len()];
    let mut retry = FIRST_RETRY;
    loop {
        if let Ok(description) = core.describe().await {
            activate(&instruments, &description);
        }
        let symbols: Vec<String> = instruments.iter().map(|(_, s)| s.symbol.clone()).collect();
        match core.stream_ticks(symbols, None).await {
            Ok(mut stream) => {
                link.ticks.store(true, Ordering::Release);
                retry = FIRST_RETRY;
                tracing::info!("tick stream from the core connected");
                let mut resubscribe = false;
                loop {
                    let message = tokio::select! {
                        message = stream.message() => message,
                        _ = link.instruments_defined.notified() => {
                            resubscribe = true;
                            break;
                        }
                        _ = shutdown.changed() => return,
                    };
                    let Ok(Some(update)) = message else { break };
                    let (tick_update::Kind::Snapshot(tick) | tick_update::Kind::Tick(tick)) =
                        match update.kind {
                            Some(kind) => kind,
                            None => continue,
                        };
                    let Some(id) = instruments.id(&tick.instrument_id) else {
                        continue;
                    };
                    let spec = instruments.spec(id).expect("id from this table");
                    let last = &mut seqs[id.index()];
                    let seq = tick.seq.max(*last + 1);
                    if let Some(value) = snapshot(id, spec, &tick, seq) {
                        snapshots.mirror(&value);
                        *last = seq;
                    }
                }
                if resubscribe {
                    // A new stream with the new instrument; sessions keep the values they have.
                    tracing::info!("instrument defined: resubscribing the tick stream");
                    continue;
                }
                tracing::warn!("tick stream from the core lost; last values flagged stale");
            }
            Err(status) => {
                tracing::debug!(code = ?status.code(), "tick stream: core unreachable");
            }
        }
        if link.ticks.swap(false, Ordering::AcqRel) {
            flag_stale(&instruments, &snapshots, &mut seqs);
        }
        tokio::select! {
            _ = tokio::time::sleep(retry) => {}
            _ = shutdown.changed() => return,
        }
        retry = (retry * 2).min(LAST_RETRY);
    }
}

/// Republishes every last value flagged stale.
fn flag_stale(instruments: &InstrumentTable, snapshots: &SnapshotTable, seqs: &mut [u64]) {
    for (id, _) in instruments.iter() {
        let Some(mut value) = snapshots.read(id) else {
            continue;
        };
        if value.is_stale() {
            continue;
        }
        value.flags.set(QualityFlags::STALE, true);
        value.seq = seqs[id.index()] + 1;
        seqs[id.index()] = value.seq;
        snapshots.mirror(&value);
    }
}

/// Where the core's updates go in this replica.
pub struct UpdateSinks {
    /// Owner frames, to the owner's sessions.
    pub updates: broadcast::Sender<UserUpdate>,
    /// Market notifications.
    pub notifications: broadcast::Sender<Notification>,
    /// Disabled users.
    pub gate: Arc<RemoteGate>,
    /// Depth.
    pub depth: Arc<DepthMirror>,
    /// Instruments, to index notifications.
    pub instruments: Arc<InstrumentTable>,
}

/// Applies the core's update stream until `shutdown`.
pub async fn mirror_updates(
    core: CoreClient,
    sinks: UpdateSinks,
    link: Arc<LinkStatus>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut retry = FIRST_RETRY;
    loop {
        match core.watch_updates().await {
            Ok(mut stream) => {
                link.updates.store(true, Ordering::Release);
                retry = FIRST_RETRY;
                tracing::info!("update stream from the core connected");
                loop {
                    let message = tokio::select! {
                        message = stream.message() => message,
                        _ = shutdown.changed() => return,
                    };
                    let Ok(Some(update)) = message else { break };
                    if let Some(kind) = update.kind {
                        apply(&sinks, &link, kind);
                    }
                }
                tracing::warn!("update stream from the core lost");
            }
            Err(status) => {
                tracing::debug!(code = ?status.code(), "update stream: core unreachable");
            }
        }
        link.updates.store(false, Ordering::Release);
        tokio::select! {
            _ = tokio::time::sleep(retry) => {}
            _ = shutdown.changed() => return,
        }
        retry = (retry * 2).min(LAST_RETRY);
    }
}

fn apply(sinks: &UpdateSinks, link: &LinkStatus, kind: Kind) {
    match kind {
        Kind::Owner(frame) => {
            let channel = match pb::Channel::try_from(frame.channel) {
                Ok(pb::Channel::Rfqs) => UpdateChannel::Rfqs,
                Ok(pb::Channel::Trades) => UpdateChannel::Trades,
                Ok(pb::Channel::Notifications) => UpdateChannel::Notifications,
                Ok(pb::Channel::Orders) => UpdateChannel::Orders,
                _ => return,
            };
            let _ = sinks.updates.send(UserUpdate {
                tenant: frame.tenant,
                user: frame.user,
                channel,
                bytes: frame.frame.into(),
            });
        }
        Kind::Notice(notice) => {
            if let Some(instrument) = sinks.instruments.id(&notice.instrument_id) {
                let _ = sinks.notifications.send(Notification {
                    instrument,
                    bytes: notice.frame.into(),
                });
            }
        }
        Kind::Disabled(user) => sinks.gate.user_disabled(&user.tenant, &user.user),
        Kind::Depth(depth) => {
            if let Ok(levels) = serde_json::from_str(&depth.levels_json) {
                sinks.depth.put(&depth.instrument_id, depth.seq, levels);
            }
        }
        Kind::Defined(slot) => {
            if sinks.instruments.id(&slot.symbol).is_none() {
                activate_slot(&sinks.instruments, &slot);
                link.instruments_defined.notify_one();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(slot: u32, symbol: &str) -> pb::InstrumentSlot {
        pb::InstrumentSlot {
            slot,
            symbol: symbol.into(),
            asset_class: "fx".into(),
            price_scale: 5,
            tick_size: 1,
            size_scale: 2,
        }
    }

    #[test]
    fn the_mirrored_table_keeps_the_core_slots() {
        let description = pb::CoreDescription {
            instruments: vec![slot(1, "GBP/USD"), slot(0, "EUR/USD"), slot(5, "NEW/ONE")],
            capacity: 70,
        };
        let table = table(&description);
        assert_eq!(table.id("EUR/USD"), Some(InstrumentId::from_index(0)));
        assert_eq!(table.id("GBP/USD"), Some(InstrumentId::from_index(1)));
        assert_eq!(table.id("NEW/ONE"), Some(InstrumentId::from_index(5)));
        assert_eq!(table.len(), 70);
    }

    #[test]
    fn a_tick_converts_with_its_flags_and_source() {
        let spec = spec(&slot(0, "EUR/USD")).unwrap();
        let tick = orion_grpc::pb::Snapshot {
            instrument_id: "EUR/USD".into(),
            bid: "1.08501".into(),
            ask: "1.08503".into(),
            ts_ns: 10,
            seq: 3,
            flags: vec!["late".into(), "stale".into()],
            receive_ts_ns: 12,
            source: "udp".into(),
            ..Default::default()
        };
        let value = snapshot(InstrumentId::from_index(0), &spec, &tick, 4).unwrap();
        assert_eq!((value.bid, value.ask, value.seq), (108_501, 108_503, 4));
        assert!(value.is_stale() && value.flags.contains(QualityFlags::LATE));
        assert!(!value.flags.contains(QualityFlags::CROSSED));
        assert_eq!(value.source, SourceId::UdpFeed);
        assert_eq!((value.source_ts, value.receive_ts), (10, 12));
    }

    #[test]
    fn losing_the_core_flags_every_last_value_stale_with_a_newer_sequence() {
        let instruments = table(&pb::CoreDescription {
            instruments: vec![slot(0, "EUR/USD"), slot(1, "GBP/USD")],
            capacity: 2,
        });
        let snapshots = SnapshotTable::new(instruments.len());
        let spec = spec(&slot(0, "EUR/USD")).unwrap();
        let tick = orion_grpc::pb::Snapshot {
            bid: "1.1".into(),
            ask: "1.2".into(),
            ..Default::default()
        };
        let id = InstrumentId::from_index(0);
        snapshots.mirror(&snapshot(id, &spec, &tick, 9).unwrap());
        let mut seqs = vec![9, 0];
        flag_stale(&instruments, &snapshots, &mut seqs);
        let value = snapshots.read(id).unwrap();
        assert!(value.is_stale());
        assert_eq!(value.seq, 10);
        assert_eq!(value.bid, 110_000);
        assert_eq!(snapshots.read(InstrumentId::from_index(1)), None);
    }
}
