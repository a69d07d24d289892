// Orders and order books: the user's orders (REST, then ORDER_UPDATE frames), the depth of the
// books the workstation watches (DEPTH frames), the order ticket's outcome, and the commands
// (place with an idempotency key, cancel, amend).

import { create } from "zustand";
import { ApiError, api, newIdempotencyKey } from "../api/http";
import type { Depth, Order, OrderPage, OrderType, Side, TimeInForce } from "../api/types";
import { formatPrice, formatQty } from "../lib/format";

export interface OrderForm {
  instrumentId: string;
  side: Side;
  type: OrderType;
  qty: string;
  limitPrice?: string;
  timeInForce: TimeInForce;
}

export interface OrderOutcome {
  ok: boolean;
  text: string;
  orderId?: string;
}

interface OrdersState {
  orders: Record<string, Order>;
  depth: Record<string, Depth>;
  /** A price picked on the ladder, for the ticket. */
  picked: { price: string; side: Side } | null;
  outcome: OrderOutcome | null;
  busy: boolean;
}

export const useOrders = create<OrdersState>(() => ({ orders: {}, depth: {}, picked: null, outcome: null, busy: false }));

export function isWorking(o: Order): boolean {
  return o.status === "ACK" || o.status === "PARTIAL_FILL";
}

/** Keeps the newer of two versions of an order. */
function merge(known: Order | undefined, next: Order): Order {
  if (known && known.updatedAt > next.updatedAt) return known;
  return { ...known, ...next };
}

export function applyOrder(o: Order): void {
  useOrders.setState((s) => ({ orders: { ...s.orders, [o.orderId]: merge(s.orders[o.orderId], o) } }));
}

export function applyDepth(d: Depth): void {
  useOrders.setState((s) => {
    const known = s.depth[d.instrumentId];
    if (known && known.seq > d.seq) return {};
    return { depth: { ...s.depth, [d.instrumentId]: d } };
  });
}

export async function loadOrders(): Promise<void> {
  const page = await api<OrderPage>("/orders?limit=200");
  useOrders.setState((s) => {
    const next = { ...s.orders };
    for (const o of page.items) next[o.orderId] = merge(next[o.orderId], o);
    return { orders: next };
  });
}

export async function loadDepth(instrumentId: string): Promise<void> {
  applyDepth(await api<Depth>(`/market/depth?instrumentId=${encodeURIComponent(instrumentId)}&levels=10`));
}

function describe(o: Order): string {
  const avg = o.avgPrice ? ` at ${formatPrice(o.instrumentId, o.avgPrice)}` : "";
  switch (o.status) {
    case "FILLED":
      return `Filled ${formatQty(o.filledQty)}${avg}`;
    case "PARTIAL_FILL":
      return `Partly filled ${formatQty(o.filledQty)}${avg}; ${formatQty(o.remainingQty)} working`;
    case "CANCELLED":
      return o.filledQty !== "0" && !/^0(\.0+)?$/.test(o.filledQty) ? `Filled ${formatQty(o.filledQty)}${avg}; rest cancelled` : "Cancelled: nothing could fill";
    default:
      return `Working: ${formatQty(o.remainingQty)} at ${o.limitPrice ? formatPrice(o.instrumentId, o.limitPrice) : "market"}`;
  }
}

function failure(e: unknown): string {
  return e instanceof ApiError ? `${e.code}: ${e.message}` : String(e);
}

export async function placeOrder(form: OrderForm): Promise<void> {
  useOrders.setState({ busy: true, outcome: null });
  try {
    const order = await api<Order>("/orders", { body: form, idempotencyKey: newIdempotencyKey() });
    applyOrder(order);
    useOrders.setState({ outcome: { ok: true, text: describe(order), orderId: order.orderId } });
  } catch (e) {
    useOrders.setState({ outcome: { ok: false, text: failure(e) } });
  } finally {
    useOrders.setState({ busy: false });
  }
}

export async function cancelOrder(orderId: string): Promise<string | null> {
  try {
    applyOrder(await api<Order>(`/orders/${orderId}/cancel`, { body: {} }));
    return null;
  } catch (e) {
    return failure(e);
  }
}

export async function amendOrder(orderId: string, change: { qty?: string; limitPrice?: string }): Promise<string | null> {
  try {
    applyOrder(await api<Order>(`/orders/${orderId}/amend`, { body: change }));
    return null;
  } catch (e) {
    return failure(e);
  }
}

export function pickPrice(price: string, side: Side): void {
  useOrders.setState({ picked: { price, side } });
}

export function resetOrders(): void {
  useOrders.setState({ orders: {}, depth: {}, picked: null, outcome: null, busy: false });
}
