// Quote ranking as the engine ranks (best price for the requester's side, ties to the earliest
// received) and the countdowns shown on the ticket.

import type { Quote, Side } from "../api/types";
import { compareDecimal } from "./decimal";

export interface RankedQuote extends Quote {
  /** Order of arrival, for ties. */
  arrival: number;
}

/** Best first: lowest price when buying, highest when selling; ties to the earliest. */
export function rankQuotes<T extends RankedQuote>(side: Side, quotes: T[]): T[] {
  return [...quotes].sort((a, b) => {
    const byPrice = compareDecimal(a.price, b.price);
    if (byPrice !== 0) return side === "BUY" ? byPrice : -byPrice;
    return a.arrival - b.arrival;
  });
}

/** Whole milliseconds from `nowMs` until the RFC 3339 instant `until` (0 when past). */
export function remainingMs(until: string, nowMs: number): number {
  const t = Date.parse(until);
  return Number.isNaN(t) ? 0 : Math.max(0, t - nowMs);
}

/** "9.4 s", "0.0 s". */
export function formatCountdown(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Terminal RFQ states. */
export function isTerminal(status: string): boolean {
  return ["TRADED", "EXPIRED", "CANCELLED", "REJECTED"].includes(status);
}

/** What accepting `price` costs against `mid`, in basis points of the mid: positive when buying
 * above or selling below it (the spread paid), negative when inside; null without a mid. */
export function costVsMidBps(side: Side, price: string, mid: string | undefined): number | null {
  const p = Number(price);
  const m = Number(mid);
  if (!mid || !Number.isFinite(p) || !Number.isFinite(m) || m <= 0) return null;
  const signed = side === "BUY" ? p - m : m - p;
  return (signed / m) * 10_000;
}
