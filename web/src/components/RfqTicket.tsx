// RFQ ticket: instrument, side, size, expiry, optional min size / partial fill; send; live quotes
// ranked best first with the best highlighted and countdowns; accept best or a chosen quote;
// the outcome in words; cancel.
import { useState, type FormEvent } from "react";
import { useNow } from "../lib/useNow";
import type { Instrument, Side } from "../api/types";
import { costVsMidBps, formatCountdown, isTerminal, rankQuotes, remainingMs } from "../lib/quotes";
import { useMarket } from "../state/market";
import { acceptQuote, cancelRfq, clearTicket, sendRfq, useRfqs } from "../state/rfqs";
import { CopyId } from "./CopyId";
import { formatPrice, formatQty } from "../lib/format";

export function RfqTicket({ instruments, instrumentId, onInstrument }: {
  instruments: Instrument[];
  instrumentId: string;
  onInstrument: (id: string) => void;
}) {
  const [side, setSide] = useState<Side>("BUY");
  const [size, setSize] = useState("1000000");
  const [expiry, setExpiry] = useState(15);
  const [minSize, setMinSize] = useState("");
  const [partial, setPartial] = useState(false);
  const [fill, setFill] = useState("");
  const ticket = useRfqs((s) => s.ticket);
  const rfq = useRfqs((s) => (ticket?.rfqId ? s.rfqs[ticket.rfqId] : undefined));
  const quotes = useRfqs((s) => (ticket?.rfqId ? s.quotes[ticket.rfqId] : undefined));
  const mid = useMarket((s) => s.rows[ticket?.instrumentId ?? instrumentId]?.mid);
  const rejected = useRfqs((s) => s.rejectedQuotes);
  const market = useMarket((s) => s.rows[instrumentId]);
  const now = useNow(100);

  const status = rfq?.status ?? (ticket?.busy ? "SENDING" : undefined);
  const open = !!ticket?.rfqId && !!status && !isTerminal(status) && !ticket.outcome?.kind.match(/traded|expired|cancelled/);
  const left = ticket?.expiresAt ? remainingMs(ticket.expiresAt, now) : 0;
  const ranked = rankQuotes(ticket?.side ?? side, quotes ?? []);
  const live = ranked.filter((q) => !rejected[q.quoteId] && remainingMs(q.validUntil, now) > 0);
  const best = live[0];
  // Live quotes best first; rejected and lapsed ones below them, still in price order.
  const shown = [...live, ...ranked.filter((q) => !live.includes(q))];

  function submit(e: FormEvent) {
    e.preventDefault();
    void sendRfq({
      instrumentId,
      side,
      size: size.trim(),
      expirySeconds: expiry,
      ...(minSize.trim() && { minSize: minSize.trim() }),
      ...(partial && { partialAllowed: true }),
    });
  }

  return (
    <div className="ticket">
      <form onSubmit={submit} aria-label="RFQ ticket">
        <label>
          Instrument
          <select value={instrumentId} onChange={(e) => onInstrument(e.target.value)} aria-label="Instrument">
            {instruments.map((i) => (
              <option key={i.instrumentId} value={i.instrumentId}>
                {i.instrumentId}
              </option>
            ))}
          </select>
        </label>
        <label>
          Side
          <span className="sides">
            <button type="button" className={`buy ${side === "BUY" ? "active" : ""}`} aria-pressed={side === "BUY"} onClick={() => setSide("BUY")}>
              Buy
            </button>
            <button type="button" className={`sell ${side === "SELL" ? "active" : ""}`} aria-pressed={side === "SELL"} onClick={() => setSide("SELL")}>
              Sell
            </button>
          </span>
        </label>
        <label>
          Size
          <input value={size} onChange={(e) => setSize(e.target.value)} inputMode="decimal" aria-label="Size" />
        </label>
        <label>
          Expiry (s)
          <input type="number" min={1} max={300} value={expiry} onChange={(e) => setExpiry(Number(e.target.value))} aria-label="Expiry seconds" />
        </label>
        <label>
          Min size (optional)
          <input value={minSize} onChange={(e) => setMinSize(e.target.value)} inputMode="decimal" aria-label="Minimum size" />
        </label>
        <label style={{ flexDirection: "row", alignItems: "center", gap: 6 }}>
          <input type="checkbox" checked={partial} onChange={(e) => setPartial(e.target.checked)} /> Partial fill allowed
        </label>
        <span className="muted num" style={{ gridColumn: "1 / 3" }}>
          {market ? `${instrumentId} ${market.bid} / ${market.ask}` : `${instrumentId}: no price yet`}
        </span>
        <button className="primary" type="submit" disabled={ticket?.busy || open}>
          Send RFQ
        </button>
      </form>

      {ticket && (
        <section aria-label="Active RFQ">
          <div className="rfq-head">
            <strong>
              <span className={ticket.side === "BUY" ? "up" : "down"}>{ticket.side}</span> {formatQty(ticket.size)} {ticket.instrumentId}
            </strong>
            {ticket.rfqId && <span className="muted">RFQ {ticket.rfqId}</span>}
            <span className="badge" data-testid="rfq-status">{status ?? "—"}</span>
            {open && <span className="countdown num" aria-label="Time remaining">{formatCountdown(left)}</span>}
            {ticket.correlationId && <CopyId label="correlationId" value={ticket.correlationId} />}
            <span className="spacer" style={{ flex: 1 }} />
            {open && ticket.rfqId && (
              <>
                {ticket.partialAllowed && (
                  <input
                    className="fill"
                    aria-label="Fill size"
                    placeholder={`fill (≤ ${formatQty(ticket.size)})`}
                    value={fill}
                    onChange={(e) => setFill(e.target.value)}
                    inputMode="decimal"
                  />
                )}
                <button
                  className="primary"
                  disabled={!best || ticket.busy}
                  onClick={() => best && void acceptQuote(ticket.rfqId!, best.quoteId, fill.trim() || undefined)}
                >
                  Accept best
                </button>
                <button className="danger" disabled={ticket.busy} onClick={() => void cancelRfq(ticket.rfqId!)}>
                  Cancel RFQ
                </button>
              </>
            )}
            {!open && !ticket.busy && <button onClick={clearTicket}>New RFQ</button>}
          </div>
          <table className="quotes" aria-label="Quotes">
            <thead>
              <tr>
                <th>#</th>
                <th>LP</th>
                <th>Price</th>
                <th title="Cost against the live mid, basis points: positive = paying away from the mid">vs mid</th>
                <th>Valid for</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {shown.map((q, i) => {
                const validFor = remainingMs(q.validUntil, now);
                const isRejected = !!rejected[q.quoteId];
                return (
                  <tr key={q.quoteId} className={q === best ? "best" : isRejected ? "rejected" : ""} aria-label={`Quote from ${q.lpId}`}>
                    <td>{i + 1}</td>
                    <td>
                      {q.lpId}
                      {q === best && <span className="badge" style={{ marginLeft: 6 }}>BEST</span>}
                    </td>
                    <td className="num">{formatPrice(ticket.instrumentId, q.price)}</td>
                    <td className="num" aria-label="Cost against the mid">
                      {(() => {
                        const bps = costVsMidBps(ticket.side ?? side, q.price, mid);
                        return bps === null ? "—" : `${bps >= 0 ? "+" : ""}${bps.toFixed(2)} bp`;
                      })()}
                    </td>
                    <td className="num">{isRejected ? "rejected" : validFor > 0 ? formatCountdown(validFor) : "expired"}</td>
                    <td>
                      {open && (
                        <button disabled={ticket.busy || isRejected || validFor === 0} onClick={() => void acceptQuote(ticket.rfqId!, q.quoteId, fill.trim() || undefined)}>
                          Accept
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
              {shown.length === 0 && ticket.rfqId && (
                <tr>
                  <td colSpan={6} className="muted">
                    Waiting for quotes…
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          {ticket.outcome && (
            <div className={`outcome ${ticket.outcome.kind}`} role="alert" data-testid="rfq-outcome">
              {ticket.outcome.message}
            </div>
          )}
        </section>
      )}
    </div>
  );
}
