import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LpScore, Tca } from "../api/types";
import { ScorecardPanel, TcaPanel } from "../components/TradeAnalytics";

// uPlot needs a canvas and media queries; the tests look at the tables.
vi.mock("uplot", () => ({ default: { paths: { bars: () => () => null } } }));
vi.mock("../components/Chart", () => ({ Chart: ({ label }: { label: string }) => <div aria-label={label} /> }));

const tca: Tca = {
  trades: [
    {
      tradeId: "7",
      instrumentId: "EUR/USD",
      venue: "RFQ",
      lpId: "lp-alpha",
      side: "BUY",
      size: "1000000",
      price: "1.08420",
      midAtDecision: "1.08410",
      slippageBps: 0.9224,
      spreadCaptureBps: 0,
      timeToExecutionMs: 250,
      executedAt: "2026-12-02T08:00:00Z",
    },
    {
      tradeId: "8",
      instrumentId: "EUR/USD",
      venue: "CLOB",
      lpId: "CLOB",
      side: "SELL",
      size: "10000",
      price: "1.08410",
      midAtDecision: null,
      slippageBps: null,
      spreadCaptureBps: null,
      timeToExecutionMs: 3,
      executedAt: "2026-12-02T08:00:01Z",
    },
  ],
  summary: {
    count: 2,
    slippage: { count: 1, meanBps: 0.9224, p50Bps: 0.9224, p90Bps: 0.9224 },
    byLp: {},
    byInstrument: {},
  },
};

const card: LpScore[] = [
  {
    lpId: "lp-alpha",
    rfqsReceived: 10,
    quotes: 8,
    wins: 2,
    hitRatio: 0.25,
    responseP50Ms: 21,
    responseP90Ms: 40,
    meanDistanceToBestBps: 0.5,
  },
];

function json(body: unknown) {
  return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
}

describe("trade analytics", () => {
  beforeEach(() => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) => json(url.startsWith("/analytics/tca") ? tca : card)),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("lists each trade newest first with its slippage, side colour and a dash where there was no market", async () => {
    render(<TcaPanel instrumentId="EUR/USD" />);
    const table = await screen.findByRole("table", { name: "TCA per trade" });
    const rows = await within(table).findAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(within(rows[1]!).getByText("SELL").className).toBe("sell");
    expect(within(rows[1]!).getAllByText("—")).toHaveLength(3);
    expect(within(rows[2]!).getByText("0.92")).toBeTruthy();
    expect(screen.getByText("mean 0.92 bp")).toBeTruthy();
  });

  it("shows the scorecard's hit ratio as a percentage", async () => {
    render(<ScorecardPanel />);
    const table = await screen.findByRole("table", { name: "LP scorecard" });
    expect(await within(table).findByText("25.0%")).toBeTruthy();
    expect(within(table).getByText("lp-alpha")).toBeTruthy();
  });
});
