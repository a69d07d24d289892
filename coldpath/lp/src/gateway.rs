//! The LP gateway: a quinn server on `ORION_QUIC_ADDR`.
//!
//! An LP opens a connection and a first stream carrying [`LpHello`]; once welcomed it is marked
//! connected in the engine (routing skips disconnected LPs) until the connection closes. For
//! every committed RFQ routed to it the gateway opens a bidirectional stream — one per RFQ, so
//! a slow RFQ never blocks another — writes the [`RfqNotification`] and reads the LP's
//! [`QuoteSubmission`]s until the LP finishes the stream or the RFQ expires, answering each with a
//! [`QuoteAck`] (admission to the engine; the engine's own verdict arrives as RFQ events). The LP
//! whose quote traded gets a [`TradeNotification`] on a unidirectional stream. LPs only quote;
//! nothing here can execute.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use orion_bridge::gateway::CommandGateway;
use orion_hotpath::pipeline::MultiInput;
use orion_hotpath::rfq::{Command, LpId, RfqEvent, RfqId, Side};
use orion_hotpath::{InstrumentId, InstrumentTable, Price, Qty};
use orion_proto::v1::{
    LpHello, LpWelcome, QuoteAck, QuoteSubmission, RfqNotification, TradeNotification,
};
use tokio::sync::broadcast::error::RecvError;

use crate::frame;
use crate::tls::Identity;
use orion_bridge::clock::rfc3339;
use orion_journal::{Ledger, Names, side_str};
use orion_services::directory::Directory;

#[derive(Debug, Clone, Copy)]
struct RoutedRfq {
    instrument: InstrumentId,
    side: Side,
    size: i64,
}

/// The running gateway.
pub struct LpGateway {
    connections: Mutex<HashMap<u8, quinn::Connection>>,
    routed: Mutex<HashMap<RfqId, RoutedRfq>>,
    commands: Arc<CommandGateway<MultiInput>>,
    instruments: Arc<InstrumentTable>,
    directory: Arc<Directory>,
    endpoint: quinn::Endpoint,
}

impl LpGateway {
    /// Binds `addr` and starts accepting LPs and dispatching committed RFQs.
    pub fn start(
        addr: SocketAddr,
        identity: Identity,
        commands: Arc<CommandGateway<MultiInput>>,
        ledger: &Ledger,
        instruments: Arc<InstrumentTable>,
        directory: Arc<Directory>,
    ) -> anyhow::Result<Arc<Self>> {
        let config = quinn::ServerConfig::with_single_cert(identity.chain, identity.key)?;
        let endpoint = quinn::Endpoint::server(config, addr)?;
        let gateway = Arc::new(Self {
            connections: Mutex::new(HashMap::new()),
            routed: Mutex::new(HashMap::new()),
            commands,
            instruments,
            directory,
            endpoint: endpoint.clone(),
        });
        let accepting = Arc::clone(&gateway);
        tokio::spawn(async move {
            while let Some(incoming) = endpoint.accept().await {
                let gateway = Arc::clone(&accepting);
                tokio::spawn(async move {
                    if let Err(err) = gateway.serve_lp(incoming).await {
                        tracing::warn!(cause = %err, "LP connection ended with an error");
                    }
                });
            }
        });
        let mut decisions = ledger.subscribe_rfqs();
        let dispatching = Arc::clone(&gateway);
        tokio::spawn(async move {
            loop {
                match decisions.recv().await {
                    Ok(committed) => dispatching.dispatch(committed.event),
                    Err(RecvError::Lagged(n)) => {
                        metrics::counter!("orion_lp_gateway_missed_rfqs_total").increment(n)
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        });
        Ok(gateway)
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.endpoint.local_addr()
    }

    /// Closes every LP connection.
    pub fn close(&self) {
        self.endpoint.close(0u32.into(), b"shutting down");
    }

    async fn serve_lp(self: Arc<Self>, incoming: quinn::Incoming) -> anyhow::Result<()> {
        let connection = incoming.await?;
        let (mut send, mut recv) = connection.accept_bi().await?;
        let mut buf = Vec::new();
        let hello: LpHello =
            tokio::time::timeout(Duration::from_secs(5), frame::read(&mut recv, &mut buf))
                .await??;
        let Some(LpId(index)) = self.directory.lp_id(&hello.lp_id) else {
            frame::write(
                &mut send,
                &LpWelcome {
                    accepted: false,
                    reason: format!("unknown LP {}", hello.lp_id),
                },
            )
            .await?;
            let _ = send.finish();
            return Ok(());
        };
        frame::write(
            &mut send,
            &LpWelcome {
                accepted: true,
                reason: String::new(),
            },
        )
        .await?;
        let _ = send.finish();
        let lp = LpId(index);
        self.connections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(lp.0, connection.clone());
        let _ = self.commands.try_submit(Command::SetLpConnected {
            lp,
            connected: true,
        });
        tracing::info!(lp = hello.lp_id, remote = %connection.remote_address(), "LP connected");
        metrics::gauge!("orion_lp_connections").increment(1.0);
        let reason = connection.closed().await;
        metrics::gauge!("orion_lp_connections").decrement(1.0);
        let mut connections = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        if connections
            .get(&lp.0)
            .is_some_and(|c| c.stable_id() == connection.stable_id())
        {
            connections.remove(&lp.0);
            drop(connections);
            let _ = self.commands.try_submit(Command::SetLpConnected {
                lp,
                connected: false,
            });
        }
        tracing::info!(lp = hello.lp_id, reason = %reason, "LP disconnected");
        Ok(())
    }

    fn connection(&self, lp: u8) -> Option<quinn::Connection> {
        self.connections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&lp)
            .cloned()
    }

    fn dispatch(self: &Arc<Self>, event: RfqEvent) {
        match event {
            RfqEvent::RfqCreated {
                rfq,
                tenant,
                instrument,
                side,
                size,
                expires_at,
                lps,
                mid_x2,
                ..
            } => {
                let Some(spec) = self.instruments.spec(instrument) else {
                    return;
                };
                let mut routed = self.routed.lock().unwrap_or_else(|p| p.into_inner());
                if routed.len() > 100_000 {
                    routed.clear();
                }
                routed.insert(
                    rfq,
                    RoutedRfq {
                        instrument,
                        side,
                        size,
                    },
                );
                drop(routed);
                let mid = Price::from_doubled(mid_x2, spec.price_scale)
                    .map(|m| m.to_string())
                    .unwrap_or_default();
                let notification = RfqNotification {
                    rfq_id: rfq.raw().to_string(),
                    instrument_id: spec.symbol.clone(),
                    side: side_str(side).into(),
                    size: Qty::new(size, spec.size_scale).to_string(),
                    expires_at_ns: expires_at,
                    mid,
                    tick_size: spec.tick_size_decimal(),
                    tenant_id: self.directory.tenant(tenant).unwrap_or_default(),
                };
                for lp in 0..self.directory.lp_count() as u8 {
                    if lps & (1 << lp) == 0 {
                        continue;
                    }
                    let Some(connection) = self.connection(lp) else {
                        continue;
                    };
                    let (gateway, notification) = (Arc::clone(self), notification.clone());
                    tokio::spawn(async move {
                        let lifetime = Duration::from_nanos(
                            expires_at.saturating_sub(orion_bridge::clock::unix_nanos()),
                        );
                        let served = tokio::time::timeout(
                            lifetime + Duration::from_secs(1),
                            gateway.quote_stream(
                                connection,
                                LpId(lp),
                                rfq,
                                instrument,
                                notification,
                            ),
                        );
                        match served.await {
                            Ok(Err(err)) => {
                                tracing::debug!(cause = %err, lp, "RFQ stream ended with an error")
                            }
                            Err(_) => {
                                metrics::counter!("orion_lp_streams_timed_out_total").increment(1)
                            }
                            Ok(Ok(())) => {}
                        }
                    });
                }
            }
            RfqEvent::TradeExecuted {
                rfq,
                trade,
                lp,
                price,
                ..
            } => {
                let Some(routed) = self
                    .routed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&rfq)
                else {
                    return;
                };
                let (Some(connection), Some(spec)) = (
                    self.connection(lp.0),
                    self.instruments.spec(routed.instrument),
                ) else {
                    return;
                };
                let note = TradeNotification {
                    rfq_id: rfq.raw().to_string(),
                    trade_id: trade.0.to_string(),
                    instrument_id: spec.symbol.clone(),
                    side: side_str(routed.side).into(),
                    size: Qty::new(routed.size, spec.size_scale).to_string(),
                    price: Price::new(price, spec.price_scale).to_string(),
                };
                tokio::spawn(async move {
                    if let Ok(mut send) = connection.open_uni().await {
                        let _ = frame::write(&mut send, &note).await;
                        let _ = send.finish();
                    }
                });
            }
            _ => {}
        }
    }

    async fn quote_stream(
        &self,
        connection: quinn::Connection,
        lp: LpId,
        rfq: RfqId,
        instrument: InstrumentId,
        notification: RfqNotification,
    ) -> anyhow::Result<()> {
        let (mut send, mut recv) = connection.open_bi().await?;
        frame::write(&mut send, &notification).await?;
        let spec = self
            .instruments
            .spec(instrument)
            .expect("routed instruments are known");
        let mut buf = Vec::new();
        loop {
            let submission: QuoteSubmission = match frame::read(&mut recv, &mut buf).await {
                Ok(s) => s,
                Err(frame::FrameError::Finished) => break,
                Err(err) => return Err(err.into()),
            };
            let parsed = (
                submission.rfq_id == notification.rfq_id,
                Price::parse(&submission.price, spec.price_scale),
                Qty::parse(&submission.size, spec.size_scale),
            );
            let ack = match parsed {
                (true, Ok(price), Ok(size)) => {
                    let command = Command::Quote {
                        rfq,
                        lp,
                        lp_quote_id: submission.lp_quote_id,
                        price: price.units(),
                        size: size.units(),
                        valid_until: submission.valid_until_ns,
                    };
                    match self.commands.try_submit(command) {
                        Ok(_) => QuoteAck {
                            accepted: true,
                            reason: String::new(),
                        },
                        Err(err) => QuoteAck {
                            accepted: false,
                            reason: err.to_string(),
                        },
                    }
                }
                (false, _, _) => QuoteAck {
                    accepted: false,
                    reason: "quote for another RFQ on this stream".into(),
                },
                _ => QuoteAck {
                    accepted: false,
                    reason: "price or size is not a decimal at the instrument's scale".into(),
                },
            };
            metrics::counter!("orion_lp_quotes_received_total", "accepted" => if ack.accepted { "true" } else { "false" }).increment(1);
            frame::write(&mut send, &ack).await?;
        }
        let _ = send.finish();
        tracing::trace!(rfq = rfq.raw(), until = %rfc3339(notification.expires_at_ns), "RFQ stream done");
        Ok(())
    }
}
