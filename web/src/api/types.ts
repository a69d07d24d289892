// The BFF's JSON shapes (docs/api.md). Prices and sizes are decimal strings, never floats.

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface Me {
  user: string;
  tenant: string;
  roles: string[];
  entitlements: string[];
}

export interface Instrument {
  instrumentId: string;
  assetClass: "fx" | "rates" | "credit";
  tickSize: string;
  priceScale: number;
  sizeScale: number;
}

/** A SNAPSHOT or TICK frame, or a `GET /market/snapshot` entry. */
export interface MarketFrame {
  type?: "SNAPSHOT" | "TICK";
  instrumentId: string;
  bid: string;
  ask: string;
  mid: string;
  spread: string;
  ts: string;
  receivedAt: string;
  seq: number;
  stale: boolean;
  flags: string[];
}

export type Side = "BUY" | "SELL";

export type RfqStatus =
  | "CREATED"
  | "SENT"
  | "QUOTING"
  | "ACCEPTED"
  | "TRADED"
  | "REJECTED"
  | "EXPIRED"
  | "CANCELLED";

export interface Quote {
  quoteId: string;
  lpId: string;
  price: string;
  validUntil: string;
  receivedAt?: string;
  status?: string;
  rank?: number;
}

/** `GET /rfqs/{id}`. */
export interface RfqDetail {
  rfqId: string;
  status: RfqStatus;
  instrumentId: string;
  side: Side;
  size: string;
  expiresAt: string;
  correlationId: string;
  tradeId?: string | null;
  quotes: Quote[];
  [key: string]: unknown;
}

/** A row of the RFQ blotter (`GET /rfqs`, merged with RFQ_UPDATE frames). */
export interface RfqRow {
  rfqId: string;
  status: RfqStatus;
  instrumentId?: string;
  side?: Side;
  size?: string;
  requester?: string;
  quoteCount?: number;
  lastQuote?: string | null;
  tradeId?: string | null;
  correlationId?: string;
  updatedAt?: string;
}

export interface Trade {
  tradeId: string;
  rfqId: string;
  quoteId?: string;
  instrumentId: string;
  side: Side;
  size: string;
  price: string;
  lpId: string;
  userId?: string;
  executedAt: string;
  correlationId: string;
  confirmationStatus?: string;
  settlementStatus?: string;
  settlementAttempts?: number;
}

/** `GET /trades/{id}/confirmation`. */
export interface Confirmation {
  confirmationId: string;
  venue: string;
  trade: { tradeId: string; rfqId?: string; quoteId?: string; partial?: boolean };
  parties: { tenantId: string; requester: string; counterparty: string };
  economics: { instrumentId: string; side: Side; size: string; price: string; notional: string };
  timestamps: { executedAt: string; confirmedAt: string };
  correlationId?: string;
}

/** `RFQ_UPDATE` frames on the `rfqs` channel. */
export interface RfqUpdate {
  type: "RFQ_UPDATE";
  event: string;
  rfqId: string;
  status: RfqStatus;
  instrumentId?: string;
  side?: Side;
  size?: string;
  expiresAt?: string;
  correlationId?: string;
  tradeId?: string;
  quoteId?: string;
  reason?: string;
  quote?: Quote;
}

/** `TRADE` frames: the execution, then again at each confirmation and settlement step (those
 * carry the statuses and no economics). */
export interface TradeFrame {
  type: "TRADE";
  event?: string;
  tradeId: string;
  rfqId: string;
  quoteId?: string;
  lpId?: string;
  price?: string;
  executedAt?: string;
  correlationId?: string;
  confirmationStatus?: string;
  settlementStatus?: string;
  settlementAttempts?: number;
}

export interface NotificationFrame {
  type: "NOTIFICATION";
  event: string;
  severity: "INFO" | "WARNING" | "ERROR" | "CRITICAL";
  instrumentId?: string;
  entityId?: string;
  message: string;
  ts: string;
}

export interface ErrorBody {
  error: { code: string; message: string; correlationId: string };
}

export interface KillSwitchState {
  enabled: boolean;
  changedAt?: string;
  changedBy?: string;
}

export interface KillSwitches {
  tenantId: string;
  tenant: KillSwitchState;
  global: KillSwitchState;
}

export interface Limits {
  tenantId: string;
  maxOpenNotional: string | null;
  users: { userId: string; maxNotional: string; maxRfqsPerSecond: number }[];
}

export interface SpreadSeries {
  instrumentId: string;
  intervalMs: number;
  points: { t: number; spread: string }[];
}

export interface LpResponse {
  sampleSize: number;
  lps: {
    lpId: string;
    quotes: number;
    p50Ms: number;
    p90Ms: number;
    p99Ms: number;
    buckets: { leMs: number | null; count: number }[];
  }[];
}

export interface Volume {
  bucketMs: number;
  buckets: { t: number; trades: number; notional: string }[];
  byInstrument: { instrumentId: string; trades: number; notional: string }[];
}

export interface AdminUser {
  userId: string;
  tenantId: string;
  roles: string[];
  entitlements: { assetClasses: string[] };
  enabled: boolean;
  createdAt: string;
}

export interface AuditEntry {
  at: string;
  tenantId: string;
  userId: string;
  action: string;
  entityType: string;
  entityId: string;
  correlationId: string;
  detail: string;
}

export interface AdminInstrument {
  instrumentId: string;
  assetClass: string;
  symbol: string;
  currency: string;
  tickSize: string;
  lotSize: string;
  tenor?: string | null;
  tradingHours?: string | null;
  referencePrice: string;
}

export interface AdminLp {
  lpId: string;
  enabled: boolean;
  assetClasses: string[];
  maxQuotesPerSec: number;
  spreadBps?: number | null;
}

export interface AdminVenue {
  venueId: string;
  executionType: "RFQ" | "CLOB";
  instruments: string[];
  sessionWindows?: unknown;
}

export interface FeatureFlags {
  oms: boolean;
  clob: boolean;
  replay: boolean;
}

export type OrderType = "LIMIT" | "MARKET";
export type TimeInForce = "GTC" | "IOC" | "FOK";
export type OrderStatus = "ACK" | "PARTIAL_FILL" | "FILLED" | "CANCELLED";

/** An order as REST answers it and `ORDER_UPDATE` frames carry it. */
export interface Order {
  orderId: string;
  instrumentId: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  qty: string;
  limitPrice?: string;
  status: OrderStatus;
  filledQty: string;
  remainingQty: string;
  avgPrice?: string;
  updatedAt: string;
  correlationId?: string;
}

/** `GET /orders`. */
export interface OrderPage {
  items: Order[];
  nextCursor: string | null;
}

export interface DepthLevel {
  price: string;
  qty: string;
  orders: number;
}

/** `GET /market/depth` and `DEPTH` frames. */
export interface Depth {
  instrumentId: string;
  seq: number;
  bids: DepthLevel[];
  asks: DepthLevel[];
}
