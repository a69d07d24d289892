import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Depth, Instrument } from "../api/types";
import { OrderBook } from "../components/OrderBook";
import { applyDepth, resetOrders, useOrders } from "../state/orders";

const instruments: Instrument[] = [
  { instrumentId: "EUR/USD", assetClass: "fx", tickSize: "0.00001", priceScale: 5, sizeScale: 2, feedIndex: 0 },
];

const book: Depth = {
  instrumentId: "EUR/USD",
  seq: 3,
  bids: [
    { price: "1.08420", qty: "1000000.00", orders: 1 },
    { price: "1.08418", qty: "2000000.00", orders: 2 },
  ],
  asks: [
    { price: "1.08422", qty: "1000000.00", orders: 1 },
    { price: "1.08424", qty: "1000000.00", orders: 1 },
  ],
};

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", "x-correlation-id": "c-1" } });
}

describe("order book panel", () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    resetOrders();
    fetchMock = vi.fn(async (url: string) => (url.startsWith("/market/depth") ? json(200, book) : json(404, {})));
    vi.stubGlobal("fetch", fetchMock);
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("shows asks above bids, best in the middle, and prefills the price from the touch", async () => {
    await act(async () => {
      render(<OrderBook instruments={instruments} instrumentId="EUR/USD" onInstrument={() => {}} />);
    });
    const rows = within(screen.getByRole("table", { name: "Depth EUR/USD" })).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.querySelector(".price")!.textContent)).toEqual(["1.08424", "1.08422", "1.08420", "1.08418"]);
    // A buy takes the best ask; switching to sell takes the best bid.
    expect((screen.getByLabelText("Limit price") as HTMLInputElement).value).toBe("1.08422");
    fireEvent.click(screen.getByRole("button", { name: "Sell" }));
    expect((screen.getByLabelText("Limit price") as HTMLInputElement).value).toBe("1.08420");
    // A newer book moves the prefilled price; an older one is ignored.
    act(() => applyDepth({ ...book, seq: 4, bids: [{ price: "1.08421", qty: "1.00", orders: 1 }] }));
    expect((screen.getByLabelText("Limit price") as HTMLInputElement).value).toBe("1.08421");
    act(() => applyDepth({ ...book, seq: 2 }));
    expect(useOrders.getState().depth["EUR/USD"]!.seq).toBe(4);
  });

  it("takes a clicked level's price and sends the order with an idempotency key", async () => {
    await act(async () => {
      render(<OrderBook instruments={instruments} instrumentId="EUR/USD" onInstrument={() => {}} />);
    });
    fireEvent.click(screen.getByText("1.08424"));
    expect((screen.getByLabelText("Limit price") as HTMLInputElement).value).toBe("1.08424");
    fetchMock.mockImplementation(async (url: string) =>
      url === "/orders"
        ? json(201, {
            orderId: "4294967297", instrumentId: "EUR/USD", side: "BUY", type: "LIMIT", timeInForce: "GTC", qty: "2000000.00",
            limitPrice: "1.08424", status: "FILLED", filledQty: "2000000.00", remainingQty: "0.00", avgPrice: "1.08423",
            updatedAt: "2026-12-01T00:00:00Z", correlationId: "c-9",
          })
        : json(200, book),
    );
    fireEvent.change(screen.getByLabelText("Order quantity"), { target: { value: "2000000" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Buy EUR/USD" }));
    });
    const [, init] = fetchMock.mock.calls.find((c) => c[0] === "/orders")!;
    expect(JSON.parse(init.body)).toEqual({
      instrumentId: "EUR/USD", side: "BUY", type: "LIMIT", qty: "2000000", timeInForce: "GTC", limitPrice: "1.08424",
    });
    expect(init.headers["Idempotency-Key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(screen.getByRole("status", { name: "Order outcome" }).textContent).toMatch(/Filled 2,000,000 at 1\.08423/);
    expect(useOrders.getState().orders["4294967297"]!.status).toBe("FILLED");
  });

  it("says why an order was refused", async () => {
    await act(async () => {
      render(<OrderBook instruments={instruments} instrumentId="EUR/USD" onInstrument={() => {}} />);
    });
    fetchMock.mockImplementation(async (url: string) =>
      url === "/orders"
        ? json(422, { error: { code: "PRICE_BAND", message: "the limit price is too far from the market", correlationId: "c-2" } })
        : json(200, book),
    );
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Buy EUR/USD" }));
    });
    expect(screen.getByRole("status", { name: "Order outcome" }).textContent).toMatch(/PRICE_BAND/);
  });
});
