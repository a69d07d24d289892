// RFQs and trades: the ticket's live RFQ, its quotes, and both blotters. REST answers and the
// `rfqs`/`trades` channels feed the same maps, so whichever arrives first is shown and the other
// only confirms it. After a reconnect everything is reloaded from REST (frames may have been
// missed while the socket was down).

import { create } from "zustand";
import { ApiError, api, newIdempotencyKey } from "../api/http";
import type { Quote, RfqDetail, RfqRow, RfqUpdate, Side, Trade, TradeFrame } from "../api/types";
import type { RankedQuote } from "../lib/quotes";
import { notify } from "./notifications";

export type OutcomeKind = "traded" | "rejected" | "expired" | "cancelled" | "refused" | "error";

export interface Outcome {
  kind: OutcomeKind;
  message: string;
  tradeId?: string;
  code?: string;
}

export interface Ticket {
  rfqId: string | null;
  instrumentId: string;
  side: Side;
  size: string;
  /** A quote may be accepted for less than `size`. */
  partialAllowed: boolean;
  expiresAt: string | null;
  correlationId: string | null;
  busy: boolean;
  outcome: Outcome | null;
}

export interface RfqForm {
  instrumentId: string;
  side: Side;
  size: string;
  expirySeconds: number;
  minSize?: string;
  partialAllowed?: boolean;
}

interface RfqState {
  ticket: Ticket | null;
  rfqs: Record<string, RfqRow>;
  quotes: Record<string, RankedQuote[]>;
  rejectedQuotes: Record<string, true>;
  trades: Record<string, Trade>;
}

export const useRfqs = create<RfqState>(() => ({
  ticket: null,
  rfqs: {},
  quotes: {},
  rejectedQuotes: {},
  trades: {},
}));

let arrivals = 0;

function upsertRfq(row: RfqRow): void {
  useRfqs.setState((s) => ({ rfqs: { ...s.rfqs, [row.rfqId]: { ...s.rfqs[row.rfqId], ...row } } }));
}

function addQuote(rfqId: string, quote: Quote): void {
  useRfqs.setState((s) => {
    const list = s.quotes[rfqId] ?? [];
    if (list.some((q) => q.quoteId === quote.quoteId)) return s;
    return { quotes: { ...s.quotes, [rfqId]: [...list, { ...quote, arrival: arrivals++ }] } };
  });
}

function setOutcome(rfqId: string, outcome: Outcome): void {
  useRfqs.setState((s) =>
    s.ticket?.rfqId === rfqId ? { ticket: { ...s.ticket, busy: false, outcome } } : s,
  );
}

function describe(err: unknown): Outcome {
  if (err instanceof ApiError) {
    const kind: OutcomeKind =
      err.status === 422 || err.status === 429 || err.status === 403
        ? "refused"
        : err.code === "QUOTE_REJECTED"
          ? "rejected"
          : err.code === "RFQ_EXPIRED"
            ? "expired"
            : "error";
    return { kind, code: err.code, message: `${err.message} (${err.code})` };
  }
  return { kind: "error", message: "the server did not answer; try again" };
}

const pendingDetails = new Set<string>();

/** Loads an RFQ's details (row fields and ranked quotes) from REST. */
export async function loadRfq(rfqId: string): Promise<void> {
  if (pendingDetails.has(rfqId)) return;
  pendingDetails.add(rfqId);
  try {
    const d = await api<RfqDetail>(`/rfqs/${encodeURIComponent(rfqId)}`);
    upsertRfq({
      rfqId: d.rfqId,
      status: d.status,
      instrumentId: d.instrumentId,
      side: d.side,
      size: d.size,
      correlationId: d.correlationId,
      tradeId: d.tradeId ?? null,
    });
    for (const q of d.quotes) addQuote(d.rfqId, q);
    for (const q of d.quotes.filter((q) => q.status === "REJECTED")) {
      useRfqs.setState((s) => ({ rejectedQuotes: { ...s.rejectedQuotes, [q.quoteId]: true } }));
    }
    useRfqs.setState((s) =>
      s.ticket?.rfqId === d.rfqId ? { ticket: { ...s.ticket, expiresAt: d.expiresAt, correlationId: d.correlationId } } : s,
    );
  } catch {
    // The blotter row stays as the frames described it.
  } finally {
    pendingDetails.delete(rfqId);
  }
}

export async function loadBlotters(): Promise<void> {
  const [rfqs, trades] = await Promise.all([api<RfqRow[]>("/rfqs"), api<Trade[]>("/trades")]);
  useRfqs.setState((s) => {
    const next = { ...s.rfqs };
    for (const r of rfqs) next[r.rfqId] = { ...next[r.rfqId], ...r };
    const t = { ...s.trades };
    for (const tr of trades) t[tr.tradeId] = { ...t[tr.tradeId], ...tr };
    return { rfqs: next, trades: t };
  });
  const open = useRfqs.getState().ticket?.rfqId;
  if (open) await loadRfq(open);
}

export async function sendRfq(form: RfqForm): Promise<void> {
  useRfqs.setState({
    ticket: {
      rfqId: null,
      instrumentId: form.instrumentId,
      side: form.side,
      size: form.size,
      partialAllowed: form.partialAllowed ?? false,
      expiresAt: null,
      correlationId: null,
      busy: true,
      outcome: null,
    },
  });
  const key = newIdempotencyKey();
  try {
    const body: Record<string, unknown> = {
      instrumentId: form.instrumentId,
      side: form.side,
      size: form.size,
      expirySeconds: form.expirySeconds,
    };
    if (form.minSize) body.minSize = form.minSize;
    if (form.partialAllowed !== undefined) body.partialAllowed = form.partialAllowed;
    const created = await api<{ rfqId: string; status: RfqRow["status"]; correlationId: string }>("/rfqs", {
      body,
      idempotencyKey: key,
    });
    const expiresAt = new Date(Date.now() + form.expirySeconds * 1000).toISOString();
    useRfqs.setState((s) => ({
      ticket: s.ticket && { ...s.ticket, rfqId: created.rfqId, correlationId: created.correlationId, expiresAt, busy: false },
    }));
    upsertRfq({
      rfqId: created.rfqId,
      status: useRfqs.getState().rfqs[created.rfqId]?.status ?? created.status,
      instrumentId: form.instrumentId,
      side: form.side,
      size: form.size,
      correlationId: created.correlationId,
    });
    void loadRfq(created.rfqId);
  } catch (err) {
    const outcome = describe(err);
    useRfqs.setState((s) => ({ ticket: s.ticket && { ...s.ticket, busy: false, outcome } }));
    if (outcome.kind === "refused") notify("WARNING", "RFQ refused", outcome.message);
  }
}

/** Accepts a quote; for `size` (a partial fill, where the RFQ allows it) when given. */
export async function acceptQuote(rfqId: string, quoteId: string, size?: string): Promise<void> {
  useRfqs.setState((s) => ({ ticket: s.ticket && { ...s.ticket, busy: true } }));
  const key = newIdempotencyKey();
  try {
    const res = await api<{ rfqId: string; status: string; tradeId: string }>(
      `/rfqs/${encodeURIComponent(rfqId)}/accept`,
      { body: size ? { quoteId, size } : { quoteId }, idempotencyKey: key },
    );
    upsertRfq({ rfqId, status: "TRADED", tradeId: res.tradeId });
    const filled = size ? ` for ${size}` : "";
    setOutcome(rfqId, { kind: "traded", tradeId: res.tradeId, message: `Traded${filled} — trade ${res.tradeId}` });
    void loadTrade(res.tradeId);
  } catch (err) {
    const outcome = describe(err);
    if (outcome.kind === "rejected") {
      useRfqs.setState((s) => ({ rejectedQuotes: { ...s.rejectedQuotes, [quoteId]: true } }));
      outcome.message = `Last look rejected the quote: ${outcome.message}. The RFQ is still open — pick another quote.`;
    }
    setOutcome(rfqId, outcome);
  }
}

export async function cancelRfq(rfqId: string): Promise<void> {
  useRfqs.setState((s) => ({ ticket: s.ticket && { ...s.ticket, busy: true } }));
  try {
    await api(`/rfqs/${encodeURIComponent(rfqId)}/cancel`, { body: {} });
    upsertRfq({ rfqId, status: "CANCELLED" });
    setOutcome(rfqId, { kind: "cancelled", message: "Cancelled" });
  } catch (err) {
    setOutcome(rfqId, describe(err));
  }
}

export function clearTicket(): void {
  useRfqs.setState({ ticket: null });
}

async function loadTrade(tradeId: string): Promise<void> {
  try {
    const t = await api<Trade>(`/trades/${encodeURIComponent(tradeId)}`);
    useRfqs.setState((s) => ({ trades: { ...s.trades, [t.tradeId]: { ...s.trades[t.tradeId], ...t } } }));
  } catch {
    // Shown from the TRADE frame alone until the next reload.
  }
}

/** An `RFQ_UPDATE` frame. */
export function applyRfqUpdate(u: RfqUpdate): void {
  const known = useRfqs.getState().rfqs[u.rfqId];
  upsertRfq({
    rfqId: u.rfqId,
    status: u.status,
    ...(u.instrumentId && { instrumentId: u.instrumentId }),
    ...(u.side && { side: u.side }),
    ...(u.size && { size: u.size }),
    ...(u.correlationId && { correlationId: u.correlationId }),
    ...(u.tradeId && { tradeId: u.tradeId }),
    ...(u.quote && { lastQuote: u.quote.price, quoteCount: (known?.quoteCount ?? 0) + 1 }),
  });
  if (!known?.instrumentId && !u.instrumentId) void loadRfq(u.rfqId);
  const mine = useRfqs.getState().ticket?.rfqId === u.rfqId;
  switch (u.event) {
    case "QuoteReceived":
      if (u.quote) {
        addQuote(u.rfqId, u.quote);
        if (mine) notify("INFO", "Quote received", `${u.quote.lpId} quotes ${u.quote.price}`, `quotes:${u.rfqId}`);
      }
      break;
    case "QuoteAcceptanceRejected":
      if (u.quoteId) useRfqs.setState((s) => ({ rejectedQuotes: { ...s.rejectedQuotes, [u.quoteId!]: true } }));
      break;
    case "TradeExecuted":
      if (u.tradeId) setOutcome(u.rfqId, { kind: "traded", tradeId: u.tradeId, message: `Traded — trade ${u.tradeId}` });
      break;
    case "RfqExpired":
      setOutcome(u.rfqId, { kind: "expired", message: "Expired — no quote was accepted in time" });
      notify("WARNING", "RFQ expired", `RFQ ${u.rfqId} expired`);
      break;
    case "RfqCancelled":
      setOutcome(u.rfqId, { kind: "cancelled", message: "Cancelled" });
      break;
  }
}

/** A `TRADE` frame. */
export function applyTrade(t: TradeFrame): void {
  if (t.settlementStatus !== undefined && t.price === undefined) {
    // A confirmation or settlement step of a trade: only its statuses move.
    useRfqs.setState((s) => {
      const known = s.trades[t.tradeId];
      if (!known) return {};
      return {
        trades: {
          ...s.trades,
          [t.tradeId]: {
            ...known,
            confirmationStatus: t.confirmationStatus ?? known.confirmationStatus,
            settlementStatus: t.settlementStatus,
            settlementAttempts: t.settlementAttempts ?? known.settlementAttempts,
          },
        },
      };
    });
    if (!useRfqs.getState().trades[t.tradeId]) void loadTrade(t.tradeId);
    return;
  }
  const rfq = useRfqs.getState().rfqs[t.rfqId];
  useRfqs.setState((s) => ({
    trades: {
      ...s.trades,
      [t.tradeId]: {
        instrumentId: rfq?.instrumentId ?? "",
        side: rfq?.side ?? "BUY",
        size: rfq?.size ?? "",
        ...s.trades[t.tradeId],
        tradeId: t.tradeId,
        rfqId: t.rfqId,
        quoteId: t.quoteId,
        lpId: t.lpId ?? "",
        price: t.price ?? "",
        executedAt: t.executedAt ?? "",
        correlationId: t.correlationId ?? "",
      },
    },
  }));
  void loadTrade(t.tradeId);
}

export function resetRfqs(): void {
  useRfqs.setState({ ticket: null, rfqs: {}, quotes: {}, rejectedQuotes: {}, trades: {} });
}
