// Latest market value per instrument. Frames arrive at network cadence; they are folded into a
// pending map (latest per instrument wins) and applied to the store once per animation frame, so
// React renders at display cadence however many ticks arrive.

import { create } from "zustand";
import type { MarketFrame } from "../api/types";
import { compareDecimal } from "../lib/decimal";

export interface MarketRow extends MarketFrame {
  /** Direction of the last mid change: 1 up, -1 down, 0 unchanged. */
  dir: -1 | 0 | 1;
  /** Client time of the last change of mid, ms. */
  changedAt: number;
}

interface MarketState {
  rows: Record<string, MarketRow>;
  /** Frames applied since start (for the status bar). */
  applied: number;
}

export const useMarket = create<MarketState>(() => ({ rows: {}, applied: 0 }));

type Scheduler = (flush: () => void) => void;

const defaultScheduler: Scheduler = (flush) =>
  typeof requestAnimationFrame === "function" ? requestAnimationFrame(() => flush()) : setTimeout(flush, 16);

let schedule: Scheduler = defaultScheduler;
let pending = new Map<string, MarketFrame>();
let scheduled = false;

/** Tests replace the animation-frame scheduler. */
export function setScheduler(next: Scheduler | null): void {
  schedule = next ?? defaultScheduler;
}

function apply(): void {
  scheduled = false;
  if (pending.size === 0) return;
  const batch = pending;
  pending = new Map();
  const now = Date.now();
  useMarket.setState((state) => {
    const rows = { ...state.rows };
    for (const frame of batch.values()) {
      const prev = rows[frame.instrumentId];
      if (prev && frame.seq <= prev.seq && frame.type !== "SNAPSHOT") continue;
      const cmp = prev ? compareDecimal(frame.mid, prev.mid) : 0;
      rows[frame.instrumentId] = {
        ...frame,
        dir: cmp === 0 ? (prev?.dir ?? 0) : (cmp as -1 | 1),
        changedAt: cmp === 0 && prev ? prev.changedAt : now,
      };
    }
    return { rows, applied: state.applied + batch.size };
  });
}

/** Takes one SNAPSHOT or TICK frame. */
export function ingestMarket(frame: MarketFrame): void {
  const queued = pending.get(frame.instrumentId);
  // A SNAPSHOT resets the sequence (after a reconnect the server may restart it).
  if (queued && frame.type !== "SNAPSHOT" && frame.seq <= queued.seq) return;
  pending.set(frame.instrumentId, frame);
  if (!scheduled) {
    scheduled = true;
    schedule(apply);
  }
}

export function resetMarket(): void {
  pending = new Map();
  scheduled = false;
  useMarket.setState({ rows: {}, applied: 0 });
}
