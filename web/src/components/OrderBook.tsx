// The order book panel: a depth ladder for the selected instrument (click a level to take its
// price into the ticket) beside an order ticket — type, side, quantity, price prefilled from
// the book, time in force — with the outcome of the last order in words.
import { useEffect, useState, type FormEvent } from "react";
import type { Instrument, OrderType, Side, TimeInForce } from "../api/types";
import { watchDepth } from "../state/live";
import { loadDepth, pickPrice, placeOrder, useOrders } from "../state/orders";
import { CopyId } from "./CopyId";
import { formatQty } from "../lib/format";

function Ladder({ instrumentId }: { instrumentId: string }) {
  const depth = useOrders((s) => s.depth[instrumentId]);
  useEffect(() => {
    watchDepth(instrumentId);
    void loadDepth(instrumentId).catch(() => undefined);
  }, [instrumentId]);
  if (!depth) return <p className="muted">No book yet.</p>;
  const asks = [...depth.asks].reverse();
  const row = (side: Side) => (l: { price: string; qty: string; orders: number }) => (
    <tr key={`${side}-${l.price}`} className={side === "SELL" ? "ask" : "bid"} onClick={() => pickPrice(l.price, side === "SELL" ? "BUY" : "SELL")} title="Use this price">
      <td className="num">{side === "BUY" ? formatQty(l.qty) : ""}</td>
      <td className="num price">{l.price}</td>
      <td className="num">{side === "SELL" ? formatQty(l.qty) : ""}</td>
      <td className="num muted">{l.orders}</td>
    </tr>
  );
  return (
    <table className="ladder" aria-label={`Depth ${instrumentId}`}>
      <thead>
        <tr>
          <th>Bid qty</th>
          <th>Price</th>
          <th>Ask qty</th>
          <th>Orders</th>
        </tr>
      </thead>
      <tbody>
        {asks.map(row("SELL"))}
        {depth.bids.map(row("BUY"))}
      </tbody>
    </table>
  );
}

function OrderTicket({ instruments, instrumentId, onInstrument }: {
  instruments: Instrument[];
  instrumentId: string;
  onInstrument: (id: string) => void;
}) {
  const [side, setSide] = useState<Side>("BUY");
  const [type, setType] = useState<OrderType>("LIMIT");
  const [qty, setQty] = useState("1000000");
  const [price, setPrice] = useState("");
  const [tif, setTif] = useState<TimeInForce>("GTC");
  const depth = useOrders((s) => s.depth[instrumentId]);
  const picked = useOrders((s) => s.picked);
  const outcome = useOrders((s) => s.outcome);
  const busy = useOrders((s) => s.busy);

  // The price follows the book (the touch on the side the order takes) until the user types.
  const [typed, setTyped] = useState(false);
  const touch = side === "BUY" ? depth?.asks[0]?.price : depth?.bids[0]?.price;
  useEffect(() => setTyped(false), [instrumentId, side]);
  useEffect(() => {
    if (!typed && touch) setPrice(touch);
  }, [touch, typed]);
  useEffect(() => {
    if (!picked) return;
    setSide(picked.side);
    setPrice(picked.price);
    setTyped(true);
  }, [picked]);

  function submit(e: FormEvent) {
    e.preventDefault();
    void placeOrder({
      instrumentId,
      side,
      type,
      qty: qty.trim(),
      timeInForce: tif,
      ...(type === "LIMIT" && { limitPrice: price.trim() }),
    });
  }

  return (
    <div className="ticket">
      <form onSubmit={submit} aria-label="Order ticket">
        <label>
          Instrument
          <select value={instrumentId} onChange={(e) => onInstrument(e.target.value)} aria-label="Order instrument">
            {instruments.map((i) => (
              <option key={i.instrumentId} value={i.instrumentId}>
                {i.instrumentId}
              </option>
            ))}
          </select>
        </label>
        <div className="sides" role="group" aria-label="Order side">
          <button type="button" className={`buy ${side === "BUY" ? "active" : ""}`} onClick={() => setSide("BUY")}>
            Buy
          </button>
          <button type="button" className={`sell ${side === "SELL" ? "active" : ""}`} onClick={() => setSide("SELL")}>
            Sell
          </button>
        </div>
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.target.value as OrderType)} aria-label="Order type">
            <option value="LIMIT">Limit</option>
            <option value="MARKET">Market</option>
          </select>
        </label>
        <label>
          Quantity
          <input value={qty} onChange={(e) => setQty(e.target.value)} aria-label="Order quantity" inputMode="decimal" />
        </label>
        <label>
          Limit price
          <input
            value={type === "MARKET" ? "" : price}
            disabled={type === "MARKET"}
            onChange={(e) => {
              setPrice(e.target.value);
              setTyped(true);
            }}
            aria-label="Limit price"
            inputMode="decimal"
          />
        </label>
        <label>
          Time in force
          <select value={tif} onChange={(e) => setTif(e.target.value as TimeInForce)} aria-label="Time in force">
            <option value="GTC">GTC</option>
            <option value="IOC">IOC</option>
            <option value="FOK">FOK</option>
          </select>
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Sending…" : `${side === "BUY" ? "Buy" : "Sell"} ${instrumentId}`}
        </button>
      </form>
      {outcome && (
        <p className={outcome.ok ? "outcome ok" : "outcome error"} role="status" aria-label="Order outcome">
          {outcome.text}
          {outcome.orderId && (
            <>
              {" "}
              <CopyId label="order" value={outcome.orderId} />
            </>
          )}
        </p>
      )}
    </div>
  );
}

export function OrderBook(props: { instruments: Instrument[]; instrumentId: string; onInstrument: (id: string) => void }) {
  return (
    <div className="order-book">
      <Ladder instrumentId={props.instrumentId} />
      <OrderTicket {...props} />
    </div>
  );
}
