import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Instrument } from "../api/types";
import { RfqTicket } from "../components/RfqTicket";
import { applyRfqUpdate, resetRfqs, useRfqs } from "../state/rfqs";

const instruments: Instrument[] = [
  { instrumentId: "EUR/USD", assetClass: "fx", tickSize: "0.00001", priceScale: 5, sizeScale: 2, feedIndex: 0 },
];

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", "x-correlation-id": "c-1" } });
}

const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();

function openRfq(partialAllowed = false) {
  useRfqs.setState({
    ticket: { rfqId: "7", instrumentId: "EUR/USD", side: "BUY", size: "1000000", partialAllowed, expiresAt: inFuture(10_000), correlationId: "corr-7", busy: false, outcome: null },
    rfqs: { "7": { rfqId: "7", status: "QUOTING", instrumentId: "EUR/USD", side: "BUY", size: "1000000" } },
  });
  for (const [quoteId, lpId, price] of [["1", "lp-alpha", "1.08431"], ["2", "lp-beta", "1.08427"], ["3", "lp-gamma", "1.08440"]] as const) {
    applyRfqUpdate({ type: "RFQ_UPDATE", event: "QuoteReceived", rfqId: "7", status: "QUOTING", quote: { quoteId, lpId, price, validUntil: inFuture(5_000) } });
  }
}

describe("RFQ ticket", () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    resetRfqs();
    fetchMock = vi.fn();
    vi.stubGlobal("fetch", fetchMock);
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("ranks live quotes best first, highlights the best and shows the correlation id", () => {
    fetchMock.mockResolvedValue(json(404, { error: { code: "NOT_FOUND", message: "x", correlationId: "c" } }));
    openRfq();
    render(<RfqTicket instruments={instruments} instrumentId="EUR/USD" onInstrument={() => {}} />);
    const rows = within(screen.getByRole("table", { name: "Quotes" })).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.getAttribute("aria-label"))).toEqual(["Quote from lp-beta", "Quote from lp-alpha", "Quote from lp-gamma"]);
    expect(rows[0]!.className).toBe("best");
    expect(within(rows[0]!).getByText("BEST")).toBeTruthy();
    expect(screen.getByTestId("correlationId").textContent).toBe("corr-7");
    expect(screen.getByLabelText("Time remaining").textContent).toMatch(/^\d+\.\d s$/);
  });

  it("accepts the best quote with an idempotency key and shows the trade", async () => {
    openRfq();
    fetchMock.mockImplementation(async (url: string) =>
      url === "/rfqs/7/accept" ? json(200, { rfqId: "7", status: "TRADED", tradeId: "42" }) : json(404, { error: { code: "NOT_FOUND", message: "x", correlationId: "c" } }),
    );
    render(<RfqTicket instruments={instruments} instrumentId="EUR/USD" onInstrument={() => {}} />);
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Accept best" }));
    });
    const [url, init] = fetchMock.mock.calls.find((c) => c[0] === "/rfqs/7/accept")!;
    expect(url).toBe("/rfqs/7/accept");
    expect(JSON.parse(init.body)).toEqual({ quoteId: "2" });
    expect(init.headers["Idempotency-Key"]).toMatch(/[0-9a-f-]{36}/);
    expect(screen.getByTestId("rfq-outcome").textContent).toBe("Traded — trade 42");
  });

  it("accepts for less than the size where the RFQ allows partial fills", async () => {
    openRfq(true);
    fetchMock.mockImplementation(async (url: string) =>
      url === "/rfqs/7/accept" ? json(200, { rfqId: "7", status: "TRADED", tradeId: "43" }) : json(404, { error: { code: "NOT_FOUND", message: "x", correlationId: "c" } }),
    );
    render(<RfqTicket instruments={instruments} instrumentId="EUR/USD" onInstrument={() => {}} />);
    fireEvent.change(screen.getByLabelText("Fill size"), { target: { value: "400000" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Accept best" }));
    });
    const [, init] = fetchMock.mock.calls.find((c) => c[0] === "/rfqs/7/accept")!;
    expect(JSON.parse(init.body)).toEqual({ quoteId: "2", size: "400000" });
    expect(screen.getByTestId("rfq-outcome").textContent).toBe("Traded for 400000 — trade 43");
  });

  it("offers no fill size where partial fills are not allowed", () => {
    fetchMock.mockResolvedValue(json(404, { error: { code: "NOT_FOUND", message: "x", correlationId: "c" } }));
    openRfq(false);
    render(<RfqTicket instruments={instruments} instrumentId="EUR/USD" onInstrument={() => {}} />);
    expect(screen.queryByLabelText("Fill size")).toBeNull();
  });

  it("explains a last-look rejection and keeps the RFQ open", async () => {
    openRfq();
    fetchMock.mockResolvedValue(
      json(409, { error: { code: "QUOTE_REJECTED", message: "the LP rejected the acceptance (PRICE_DRIFT)", correlationId: "c" } }),
    );
    render(<RfqTicket instruments={instruments} instrumentId="EUR/USD" onInstrument={() => {}} />);
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Accept best" }));
    });
    expect(screen.getByTestId("rfq-outcome").textContent).toMatch(/Last look rejected .*PRICE_DRIFT.*still open/);
    const rows = within(screen.getByRole("table", { name: "Quotes" })).getAllByRole("row").slice(1);
    expect(rows.find((r) => r.getAttribute("aria-label") === "Quote from lp-beta")!.className).toBe("rejected");
    expect(rows[0]!.getAttribute("aria-label")).toBe("Quote from lp-alpha");
    expect(rows[0]!.className).toBe("best");
  });

  it("shows a risk refusal with its reason", async () => {
    fetchMock.mockResolvedValue(
      json(422, { error: { code: "KILL_SWITCH_TENANT", message: "trading is halted for your tenant (kill switch)", correlationId: "c" } }),
    );
    render(<RfqTicket instruments={instruments} instrumentId="EUR/USD" onInstrument={() => {}} />);
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Send RFQ" }));
    });
    const [, init] = fetchMock.mock.calls[0]!;
    expect(JSON.parse(init.body)).toMatchObject({ instrumentId: "EUR/USD", side: "BUY", size: "1000000", expirySeconds: 15 });
    expect(screen.getByTestId("rfq-outcome").textContent).toBe("trading is halted for your tenant (kill switch) (KILL_SWITCH_TENANT)");
  });

  it("shows expiry from the stream", async () => {
    fetchMock.mockResolvedValue(json(404, { error: { code: "NOT_FOUND", message: "x", correlationId: "c" } }));
    openRfq();
    render(<RfqTicket instruments={instruments} instrumentId="EUR/USD" onInstrument={() => {}} />);
    act(() => applyRfqUpdate({ type: "RFQ_UPDATE", event: "RfqExpired", rfqId: "7", status: "EXPIRED" }));
    expect(screen.getByTestId("rfq-outcome").textContent).toMatch(/Expired/);
    expect(screen.queryByRole("button", { name: "Accept best" })).toBeNull();
  });
});
