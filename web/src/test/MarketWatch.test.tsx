import { Profiler } from "react";
import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MarketFrame } from "../api/types";
import { MarketWatch } from "../components/MarketWatch";
import { ingestMarket, resetMarket, setScheduler } from "../state/market";
import { defaultPrefs, usePrefs } from "../state/prefs";

const ids = Array.from({ length: 100 }, (_, i) => `INS${i}`);

const tick = (instrumentId: string, seq: number): MarketFrame => ({
  type: "TICK",
  instrumentId,
  bid: `1.${1000 + seq}`,
  ask: `1.${1002 + seq}`,
  mid: `1.${1001 + seq}`,
  spread: "0.002",
  ts: new Date().toISOString(),
  receivedAt: new Date().toISOString(),
  seq,
  stale: seq === 10 && instrumentId === "INS3",
  flags: [],
  source: "SIM",
});

describe("market watch", () => {
  let frames: (() => void)[] = [];
  beforeEach(() => {
    frames = [];
    setScheduler((f) => frames.push(f));
    resetMarket();
    usePrefs.setState({ ...defaultPrefs(), watchlists: [{ id: "all", name: "All", instruments: ids }], activeWatchlist: "all", pinned: [] });
  });
  afterEach(() => {
    cleanup();
    setScheduler(null);
  });

  it("renders once per animation frame however many ticks arrive (100 instruments × 10 ticks)", () => {
    let renders = 0;
    render(
      <Profiler id="watch" onRender={() => (renders += 1)}>
        <MarketWatch instruments={[]} selected="" onSelect={() => {}} />
      </Profiler>,
    );
    const before = renders;
    for (let seq = 1; seq <= 10; seq++) ids.forEach((id) => ingestMarket(tick(id, seq)));
    expect(renders).toBe(before); // nothing rendered between frames
    act(() => frames.splice(0).forEach((f) => f()));
    expect(renders - before).toBe(1);
    const row = screen.getByLabelText("INS3 price row");
    // Only the latest of the ten values is shown; with no earlier value there is no direction yet.
    expect(row.querySelector('[data-field="mid"]')!.textContent).toBe("1.1011 ·");
    expect(row.textContent).toContain("STALE");
    ingestMarket(tick("INS3", 11));
    act(() => frames.splice(0).forEach((f) => f()));
    expect(row.querySelector('[data-field="mid"]')!.textContent).toBe("1.1012 ▲");
    expect(renders - before).toBe(2);
  });
});
