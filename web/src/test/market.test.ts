import { beforeEach, describe, expect, it } from "vitest";
import type { MarketFrame } from "../api/types";
import { ingestMarket, resetMarket, setScheduler, useMarket } from "../state/market";

const frame = (instrumentId: string, seq: number, mid: string, type: "SNAPSHOT" | "TICK" = "TICK"): MarketFrame => ({
  type,
  instrumentId,
  bid: mid,
  ask: mid,
  mid,
  spread: "0",
  ts: "2026-11-21T00:00:00Z",
  receivedAt: "2026-11-21T00:00:00Z",
  seq,
  stale: false,
  flags: [],
  source: "SIM",
});

describe("market store", () => {
  let flushes: (() => void)[] = [];
  beforeEach(() => {
    flushes = [];
    setScheduler((f) => flushes.push(f));
    resetMarket();
  });
  const flush = () => flushes.splice(0).forEach((f) => f());

  it("applies a burst of frames once per animation frame, latest per instrument", () => {
    for (let seq = 1; seq <= 100; seq++) {
      for (let i = 0; i < 100; i++) ingestMarket(frame(`I${i}`, seq, `1.${seq}`));
    }
    expect(flushes).toHaveLength(1);
    expect(Object.keys(useMarket.getState().rows)).toHaveLength(0);
    flush();
    const rows = useMarket.getState().rows;
    expect(Object.keys(rows)).toHaveLength(100);
    expect(rows.I7!.seq).toBe(100);
    expect(useMarket.getState().applied).toBe(100);
  });

  it("marks the direction of the mid and never goes back in sequence", () => {
    ingestMarket(frame("EUR/USD", 1, "1.08425", "SNAPSHOT"));
    flush();
    ingestMarket(frame("EUR/USD", 2, "1.08430"));
    flush();
    expect(useMarket.getState().rows["EUR/USD"]!.dir).toBe(1);
    ingestMarket(frame("EUR/USD", 3, "1.084295"));
    flush();
    expect(useMarket.getState().rows["EUR/USD"]!.dir).toBe(-1);
    ingestMarket(frame("EUR/USD", 2, "9.99999"));
    flush();
    expect(useMarket.getState().rows["EUR/USD"]!.mid).toBe("1.084295");
  });

  it("accepts a snapshot that restarts the sequence after a reconnect", () => {
    ingestMarket(frame("EUR/USD", 500, "1.1"));
    flush();
    ingestMarket(frame("EUR/USD", 1, "1.2", "SNAPSHOT"));
    flush();
    expect(useMarket.getState().rows["EUR/USD"]!.seq).toBe(1);
    expect(useMarket.getState().rows["EUR/USD"]!.mid).toBe("1.2");
  });
});
