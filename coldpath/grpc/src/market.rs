//! `MarketDataService`: the latest snapshot of an instrument, the committed order book, and a
//! tick stream — a snapshot first for each instrument, then its changes, read from the lock-free
//! snapshot table so a slow reader never holds back the hot path: each poll sends only the latest
//! value (latest wins), at most `max_rate_hz` per instrument when the request sets it.

use std::time::Duration;

use orion_hotpath::{InstrumentId, InstrumentSpec, Price, Snapshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::GrpcContext;
use crate::auth::claims;
use crate::pb::{self, market_data_service_server::MarketDataService, tick_update::Kind};
use crate::status::coded;

/// How often a stream without `max_rate_hz` looks for changes.
const POLL: Duration = Duration::from_millis(5);

pub struct MarketData {
    context: GrpcContext,
}

impl MarketData {
    pub fn new(context: GrpcContext) -> Self {
        Self { context }
    }

    /// The instrument named, when the caller may see it.
    fn instrument<T>(
        &self,
        request: &Request<T>,
        symbol: &str,
    ) -> Result<(InstrumentId, InstrumentSpec), Status> {
        let claims = claims(request)?;
        let table = &self.context.instruments;
        let id = table.id(symbol).ok_or_else(|| {
            coded(
                tonic::Code::NotFound,
                "UNKNOWN_INSTRUMENT",
                &format!("unknown instrument {symbol}"),
            )
        })?;
        let spec = table.spec(id).expect("id from this table").clone();
        if !claims.may_see(&spec) {
            return Err(coded(
                tonic::Code::PermissionDenied,
                "NOT_ENTITLED",
                &format!("not entitled to {symbol}"),
            ));
        }
        Ok((id, spec))
    }
}

/// A snapshot as the API shows it: decimals as strings.
fn snapshot(spec: &InstrumentSpec, s: &Snapshot) -> pb::Snapshot {
    let scale = spec.price_scale;
    let (bid, ask) = (Price::new(s.bid, scale), Price::new(s.ask, scale));
    pb::Snapshot {
        instrument_id: spec.symbol.clone(),
        bid: bid.to_string(),
        ask: ask.to_string(),
        mid: Price::mid(bid, ask)
            .map(|m| m.to_string())
            .unwrap_or_default(),
        spread: Price::new(s.spread(), scale).to_string(),
        ts_ns: s.source_ts,
        seq: s.seq,
        stale: s.is_stale(),
        flags: s.flags.names().map(str::to_owned).collect(),
        receive_ts_ns: s.receive_ts,
        source: s.source.as_str().to_owned(),
    }
}

#[tonic::async_trait]
impl MarketDataService for MarketData {
    async fn get_snapshot(
        &self,
        request: Request<pb::GetSnapshotRequest>,
    ) -> Result<Response<pb::Snapshot>, Status> {
        let (id, spec) = self.instrument(&request, &request.get_ref().instrument_id)?;
        let snap = self.context.snapshots.read(id).ok_or_else(|| {
            coded(
                tonic::Code::Unavailable,
                "NO_MARKET_DATA",
                "no price yet for this instrument",
            )
        })?;
        Ok(Response::new(snapshot(&spec, &snap)))
    }

    async fn get_depth(
        &self,
        request: Request<pb::GetDepthRequest>,
    ) -> Result<Response<pb::Depth>, Status> {
        let (_, spec) = self.instrument(&request, &request.get_ref().instrument_id)?;
        let levels = request.get_ref().levels.unwrap_or(10);
        if !(1..=100).contains(&levels) {
            return Err(coded(
                tonic::Code::InvalidArgument,
                "BAD_REQUEST",
                "levels must be 1..=100",
            ));
        }
        let depth = self.context.books.depth(&spec.symbol, levels as usize);
        let level = |l: &orion_journal::orders::DepthLevel| pb::DepthLevel {
            price: l.price.clone(),
            qty: l.qty.clone(),
            orders: l.orders,
        };
        Ok(Response::new(pb::Depth {
            instrument_id: spec.symbol,
            seq: depth.seq,
            bids: depth.bids.iter().map(level).collect(),
            asks: depth.asks.iter().map(level).collect(),
        }))
    }

    type StreamTicksStream = ReceiverStream<Result<pb::TickUpdate, Status>>;

    async fn stream_ticks(
        &self,
        request: Request<pb::StreamTicksRequest>,
    ) -> Result<Response<Self::StreamTicksStream>, Status> {
        if request.get_ref().instrument_ids.is_empty() {
            return Err(coded(
                tonic::Code::InvalidArgument,
                "BAD_REQUEST",
                "instrument_ids is required",
            ));
        }
        let mut watched = Vec::new();
        for symbol in &request.get_ref().instrument_ids {
            watched.push(self.instrument(&request, symbol)?);
        }
        let every = match request.get_ref().max_rate_hz {
            Some(0) => {
                return Err(coded(
                    tonic::Code::InvalidArgument,
                    "BAD_REQUEST",
                    "max_rate_hz must be positive",
                ));
            }
            Some(hz) => Duration::from_secs(1) / hz.min(1_000),
            None => POLL,
        };
        let snapshots = std::sync::Arc::clone(&self.context.snapshots);
        // A small buffer: a reader that falls behind gets the latest values, not a backlog.
        let (tx, rx) = tokio::sync::mpsc::channel(watched.len().max(16));
        tokio::spawn(async move {
            let mut last = vec![0u64; watched.len()];
            loop {
                for (i, (id, spec)) in watched.iter().enumerate() {
                    let Some(s) = snapshots.read(*id) else {
                        continue;
                    };
                    if s.seq == last[i] {
                        continue;
                    }
                    let update = snapshot(spec, &s);
                    let kind = if last[i] == 0 {
                        Kind::Snapshot(update)
                    } else {
                        Kind::Tick(update)
                    };
                    match tx.try_send(Ok(pb::TickUpdate { kind: Some(kind) })) {
                        Ok(()) => last[i] = s.seq,
                        // Behind: skip this value; the next poll sends a newer one.
                        Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {}
                        Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => return,
                    }
                }
                if tx.is_closed() {
                    return;
                }
                tokio::time::sleep(every).await;
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}
