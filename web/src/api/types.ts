// The BFF's JSON shapes (docs/api.md). Prices and sizes are decimal strings, never floats.
//
// REST bodies are the types generated from the OpenAPI document (./schema.d.ts, by
// scripts/gen-api-types.sh); where the document says `string` for a closed set of values the
// contract lists, the alias narrows it. WebSocket frames are not part of the OpenAPI document
// and are described here.

import type { components } from "./schema";

type Schemas = components["schemas"];
/** `T` with the members of `N` replacing its own. */
type Narrowed<T, N> = Omit<T, keyof N> & N;

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

export type OrderType = "LIMIT" | "MARKET";
export type TimeInForce = "GTC" | "IOC" | "FOK";
export type OrderStatus = "ACK" | "PARTIAL_FILL" | "FILLED" | "CANCELLED";

export type TokenPair = Schemas["TokenPair"];
export type Me = Schemas["Me"];
export type ErrorBody = Schemas["ErrorBody"];
export type Instrument = Narrowed<Schemas["InstrumentView"], { assetClass: "fx" | "rates" | "credit" }>;

/** A `GET /market/snapshot` entry, or a SNAPSHOT or TICK frame. */
export type MarketFrame = Narrowed<Schemas["MarketView"], { type?: "SNAPSHOT" | "TICK" | null }>;

/** A quote as `GET /rfqs/{id}` ranks it; a quote frame carries the first four members. */
export type Quote = Pick<Schemas["QuoteView"], "quoteId" | "lpId" | "price" | "validUntil"> &
  Partial<Schemas["QuoteView"]>;

/** `GET /rfqs/{id}`. */
export type RfqDetail = Narrowed<Schemas["RfqView"], { status: RfqStatus; side: Side; quotes: Quote[] }>;

/** A row of the RFQ blotter (`GET /rfqs`), merged with RFQ_UPDATE frames (which carry less). */
export type RfqRow = Pick<Schemas["RfqBlotterView"], "rfqId"> &
  Partial<Narrowed<Schemas["RfqBlotterView"], { status: RfqStatus; side: Side }>> & { status: RfqStatus };

/** What a TRADE frame may lack: the requester, and the post-trade status before it exists. */
type NotInFrames = "userId" | "confirmationStatus" | "settlementStatus" | "settlementAttempts";

/** A row of the trade blotter (`GET /trades`) or `GET /trades/{id}`, merged with TRADE
 * frames. */
export type Trade = Omit<Schemas["TradeBlotterView"], NotInFrames | "side"> & { side: Side } &
  Partial<Pick<Schemas["TradeBlotterView"], NotInFrames>> &
  Partial<Pick<Schemas["TradeView"], "quoteId" | "partial">>;

/** `GET /trades/{id}/confirmation`: the stored document, a free-form object in the OpenAPI
 * document; its members as the post-trade service writes them. */
export interface Confirmation {
  confirmationId: string;
  venue: string;
  trade: { tradeId: string; rfqId?: string; quoteId?: string; partial?: boolean };
  parties: { tenantId: string; requester: string; counterparty: string };
  economics: { instrumentId: string; side: Side; size: string; price: string; notional: string };
  timestamps: { executedAt: string; confirmedAt: string };
  correlationId?: string;
}

export type KillSwitchState = Schemas["KillSwitchState"];
export type KillSwitches = Schemas["KillSwitches"];
export type Limits = Schemas["Limits"];
export type SpreadSeries = Schemas["Spreads"];
export type LpResponse = Schemas["LpResponses"];
export type Volume = Schemas["Volume"];
export type Tca = Schemas["Tca"];
export type TcaTrade = Schemas["TcaTrade"];
export type LpScore = Schemas["LpScore"];
export type Vwap = Schemas["Vwap"];
export type Basket = Schemas["Basket"];
export type BasketDefinition = Schemas["BasketDefinition"];
export type BasketSeries = Schemas["BasketSeries"];

export type AdminUser = Schemas["UserView"];
export type AuditEntry = Schemas["AuditView"];
export type AdminInstrument = Schemas["InstrumentBody"];
export type AdminLp = Schemas["LpBody"];
export type AdminVenue = Narrowed<Schemas["VenueBody"], { executionType: "RFQ" | "CLOB" }>;
export type FeatureFlags = Schemas["FlagsBody"];

/** An order as REST answers it and `ORDER_UPDATE` frames carry it. */
export type Order = Narrowed<
  Schemas["OrderView"],
  { side: Side; type: OrderType; timeInForce: TimeInForce; status: OrderStatus }
>;

/** `GET /orders`. */
export type OrderPage = Narrowed<Schemas["OrderPage"], { items: Order[] }>;

export type DepthLevel = Schemas["DepthLevel"];

/** `GET /market/depth` and `DEPTH` frames. */
export type Depth = Schemas["DepthView"];

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
