// One trade in detail: its economics, confirmation and settlement state (live from the TRADE
// frames), and the stored confirmation document once the trade is confirmed.
import { useEffect, useState } from "react";
import { api } from "../api/http";
import type { Confirmation, Trade } from "../api/types";
import { formatPrice, formatQty, formatTimestamp } from "../lib/format";

export function TradeDetail({ trade, onClose }: { trade: Trade; onClose(): void }) {
  const [confirmation, setConfirmation] = useState<Confirmation | null>(null);
  const [failed, setFailed] = useState(false);
  const confirmed = trade.confirmationStatus === "CONFIRMED";

  useEffect(() => {
    setConfirmation(null);
    setFailed(false);
    if (!confirmed) return;
    let live = true;
    api<Confirmation>(`/trades/${encodeURIComponent(trade.tradeId)}/confirmation`)
      .then((c) => live && setConfirmation(c))
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [trade.tradeId, confirmed]);

  return (
    <section className="trade-detail" aria-label={`Trade ${trade.tradeId}`} data-testid="trade-detail">
      <header>
        <h3>Trade {trade.tradeId}</h3>
        <button className="link" onClick={onClose} aria-label="Close trade detail">
          close
        </button>
      </header>
      <dl>
        <dt>Instrument</dt>
        <dd>{trade.instrumentId}</dd>
        <dt>Side / size</dt>
        <dd>
          <span className={trade.side === "BUY" ? "up" : "down"}>{trade.side}</span> {formatQty(trade.size)}
        </dd>
        <dt>Price</dt>
        <dd className="num">{formatPrice(trade.instrumentId, trade.price)}</dd>
        <dt>Executed</dt>
        <dd className="num">{formatTimestamp(trade.executedAt)}</dd>
        <dt>Counterparty</dt>
        <dd>{trade.lpId}</dd>
        <dt>Confirmation</dt>
        <dd>
          <span className={`status status-${(trade.confirmationStatus ?? "PENDING").toLowerCase()}`}>{trade.confirmationStatus ?? "PENDING"}</span>
        </dd>
        <dt>Settlement</dt>
        <dd>
          <span className={`status status-${(trade.settlementStatus ?? "PENDING").toLowerCase()}`}>{trade.settlementStatus ?? "PENDING"}</span>
          {trade.settlementAttempts ? ` (attempts: ${trade.settlementAttempts})` : ""}
        </dd>
      </dl>
      {confirmation && (
        <div className="confirmation" data-testid="confirmation">
          <h4>Confirmation {confirmation.confirmationId}</h4>
          <dl>
            <dt>Venue</dt>
            <dd>{confirmation.venue}</dd>
            <dt>Parties</dt>
            <dd>
              {confirmation.parties.requester} ({confirmation.parties.tenantId}) vs {confirmation.parties.counterparty}
            </dd>
            <dt>Economics</dt>
            <dd>
              {confirmation.economics.side} {formatQty(confirmation.economics.size)} {confirmation.economics.instrumentId} @{" "}
              {formatPrice(confirmation.economics.instrumentId, confirmation.economics.price)}, notional {formatQty(confirmation.economics.notional)}
            </dd>
            <dt>Executed</dt>
            <dd className="num">{formatTimestamp(confirmation.timestamps.executedAt)}</dd>
            <dt>Confirmed</dt>
            <dd className="num">{formatTimestamp(confirmation.timestamps.confirmedAt)}</dd>
          </dl>
        </div>
      )}
      {!confirmed && <p className="muted">Awaiting confirmation…</p>}
      {failed && <p className="muted">The confirmation could not be loaded.</p>}
    </section>
  );
}
