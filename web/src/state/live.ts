// Wires a signed-in session to the server: one StreamClient for the tab, frames routed to the
// stores, subscriptions following the watchlists, and a REST reload after every reconnect.

import { type ConnectionState, StreamClient } from "../api/stream";
import type { Depth, MarketFrame, NotificationFrame, Order, RfqUpdate, TradeFrame } from "../api/types";
import { ingestMarket, resetMarket } from "./market";
import { notify } from "./notifications";
import { applyDepth, applyOrder, loadOrders, resetOrders } from "./orders";
import { loadPrefs, resetPrefs, usePrefs } from "./prefs";
import { applyRfqUpdate, applyTrade, loadBlotters, resetRfqs } from "./rfqs";
import { refreshAccessToken, useSession } from "./session";

let client: StreamClient | null = null;
let starting: Promise<void> | null = null;
let unwatch: (() => void) | null = null;

function streamUrl(token: string): string {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/stream?access_token=${encodeURIComponent(token)}`;
}

function watchedInstruments(): string[] {
  const p = usePrefs.getState();
  return [...new Set([...p.pinned, ...p.watchlists.flatMap((w) => w.instruments)])];
}

export function routeFrame(frame: { type: string; [key: string]: unknown }): void {
  switch (frame.type) {
    case "SNAPSHOT":
    case "TICK":
      ingestMarket(frame as unknown as MarketFrame);
      break;
    case "RFQ_UPDATE":
      applyRfqUpdate(frame as unknown as RfqUpdate);
      break;
    case "TRADE":
      applyTrade(frame as unknown as TradeFrame);
      break;
    case "ORDER_UPDATE":
      applyOrder(frame as unknown as Order);
      break;
    case "DEPTH":
      applyDepth(frame as unknown as Depth);
      break;
    case "NOTIFICATION": {
      const n = frame as unknown as NotificationFrame;
      if (n.event === "SettlementFailed") {
        notify("ERROR", "Settlement failed", n.message);
      } else {
        notify(n.severity === "INFO" ? "INFO" : "WARNING", n.event === "MarketDataStaleDetected" ? "Market data stale" : "Market data", n.message);
      }
      break;
    }
    case "ERROR":
      notify("ERROR", "Stream error", String(frame.message ?? frame.code ?? "error"));
      break;
  }
}

/** Starts the live session after login (idempotent, also while a start is under way). */
export function startLive(): Promise<void> {
  starting ??= start();
  return starting;
}

async function start(): Promise<void> {
  await loadPrefs();
  if (!starting || !useSession.getState().tokens) return; // signed out meanwhile
  let previous: ConnectionState = "connecting";
  client = new StreamClient({
    url: async () => {
      // A reconnect may follow a long outage: renew the token first (it lives 15 minutes).
      const fresh = client && client.current.attempt > 0 ? await refreshAccessToken() : null;
      const token = fresh ?? useSession.getState().tokens?.accessToken;
      return token ? streamUrl(token) : null;
    },
    onFrame: routeFrame,
    onStatus: (status) => {
      useSession.getState().setStream(status);
      if (status.state === previous) return;
      if (status.state === "reconnecting" && previous === "live") {
        notify("ERROR", "Connection lost", "reconnecting to the server…");
      }
      if (status.state === "live") {
        if (previous === "reconnecting") notify("INFO", "Connection restored", "live again; blotters reloaded");
        void loadBlotters().catch(() => undefined);
        void loadOrders().catch(() => undefined);
      }
      previous = status.state;
    },
  });
  client.subscribeChannel("rfqs");
  client.subscribeChannel("trades");
  client.subscribeChannel("orders");
  client.subscribeChannel("notifications");
  if (depthOf) client.subscribeDepth([depthOf]);
  client.subscribeMarket(watchedInstruments());
  unwatch = usePrefs.subscribe(() => client?.subscribeMarket(watchedInstruments()));
  client.start();
}

let depthOf: string | null = null;

/** Follows the depth of one instrument (the ladder's), dropping the previous one. */
export function watchDepth(instrumentId: string): void {
  if (depthOf === instrumentId) return;
  if (depthOf) client?.unsubscribeDepth([depthOf]);
  depthOf = instrumentId;
  client?.subscribeDepth([instrumentId]);
}

export function stopLive(): void {
  starting = null;
  unwatch?.();
  unwatch = null;
  client?.stop();
  client = null;
  resetMarket();
  resetRfqs();
  resetOrders();
  resetPrefs();
  depthOf = null;
}
