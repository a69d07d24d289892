// The session's one WebSocket (docs/api.md "WebSocket"): multiplexed subscriptions, resubscribe
// after every reconnect, exponential backoff with jitter, a PING every few seconds whose PONG
// gives the round-trip time, and a message-rate counter. Frames are handed to one listener as
// they arrive; rendering cadence is the store's business (see state/market.ts).

export type ConnectionState = "connecting" | "live" | "reconnecting" | "closed";

export interface StreamStatus {
  state: ConnectionState;
  /** Reconnect attempts since the last successful open. */
  attempt: number;
  /** Last PING → PONG round trip, ms. */
  rttMs: number | null;
  /** Messages received in the last full second. */
  messagesPerSecond: number;
}

export interface StreamOptions {
  /** The URL to open, token included; called before every (re)connect. */
  url: () => Promise<string | null>;
  onFrame: (frame: { type: string; [key: string]: unknown }) => void;
  onStatus: (status: StreamStatus) => void;
  /** WebSocket constructor (tests pass a fake). */
  socket?: (url: string) => WebSocket;
  /** Backoff bounds, ms. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  pingEveryMs?: number;
}

/** Delay before reconnect attempt `attempt` (1-based): doubling, capped, ±20 % jitter. */
export function backoffMs(attempt: number, min: number, max: number, random = Math.random): number {
  const base = Math.min(max, min * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

type Subscription = { channel: string; instrumentIds?: string[] };

export class StreamClient {
  private ws: WebSocket | null = null;
  private readonly market = new Set<string>();
  private readonly channels = new Set<string>();
  private readonly depth = new Set<string>();
  private status: StreamStatus = { state: "connecting", attempt: 0, rttMs: null, messagesPerSecond: 0 };
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private counted = 0;
  private pingSentAt = 0;
  private stopped = false;

  constructor(private readonly options: StreamOptions) {}

  start(): void {
    this.stopped = false;
    this.every(1_000, () => {
      this.update({ messagesPerSecond: this.counted });
      this.counted = 0;
    });
    this.every(this.options.pingEveryMs ?? 5_000, () => {
      if (this.ws?.readyState === 1) {
        this.pingSentAt = performance.now();
        this.ws.send(JSON.stringify({ type: "PING" }));
      }
    });
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.timers.forEach((t) => clearTimeout(t));
    this.timers.clear();
    this.ws?.close(1000, "logout");
    this.ws = null;
    this.update({ state: "closed" });
  }

  /** Market data for these instruments (SNAPSHOT first, then TICKs). */
  subscribeMarket(ids: string[]): void {
    const fresh = ids.filter((id) => !this.market.has(id));
    fresh.forEach((id) => this.market.add(id));
    if (fresh.length) this.send({ type: "SUBSCRIBE", instrumentIds: fresh });
  }

  unsubscribeMarket(ids: string[]): void {
    const gone = ids.filter((id) => this.market.delete(id));
    if (gone.length) this.send({ type: "UNSUBSCRIBE", instrumentIds: gone });
  }

  /** Order-book depth for these instruments (a full DEPTH first, then changes per window). */
  subscribeDepth(ids: string[]): void {
    const fresh = ids.filter((id) => !this.depth.has(id));
    fresh.forEach((id) => this.depth.add(id));
    if (fresh.length) this.send({ type: "SUBSCRIBE", channel: "depth", instrumentIds: fresh });
  }

  unsubscribeDepth(ids: string[]): void {
    const gone = ids.filter((id) => this.depth.delete(id));
    if (gone.length) this.send({ type: "UNSUBSCRIBE", channel: "depth", instrumentIds: gone });
  }

  subscribeChannel(channel: "rfqs" | "trades" | "orders" | "notifications"): void {
    if (this.channels.has(channel)) return;
    this.channels.add(channel);
    this.send({ type: "SUBSCRIBE", channel });
  }

  get current(): StreamStatus {
    return this.status;
  }

  private subscriptions(): Subscription[] {
    const subs: Subscription[] = [...this.channels].map((channel) => ({ channel }));
    if (this.market.size) subs.unshift({ channel: "market", instrumentIds: [...this.market] });
    if (this.depth.size) subs.push({ channel: "depth", instrumentIds: [...this.depth] });
    return subs;
  }

  private send(message: object): void {
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify(message));
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const url = await this.options.url();
    if (this.stopped) return;
    if (!url) {
      this.update({ state: "closed" });
      return;
    }
    const ws = (this.options.socket ?? ((u) => new WebSocket(u)))(url);
    this.ws = ws;
    ws.onopen = () => {
      this.update({ state: "live", attempt: 0 });
      for (const sub of this.subscriptions()) {
        this.send(
          sub.channel === "market"
            ? { type: "SUBSCRIBE", instrumentIds: sub.instrumentIds }
            : { type: "SUBSCRIBE", channel: sub.channel, ...(sub.instrumentIds && { instrumentIds: sub.instrumentIds }) },
        );
      }
    };
    ws.onmessage = (event: MessageEvent) => {
      this.counted += 1;
      let frame: { type: string; [key: string]: unknown };
      try {
        frame = JSON.parse(String(event.data));
      } catch {
        return;
      }
      if (frame.type === "PONG") {
        if (this.pingSentAt) this.update({ rttMs: Math.round(performance.now() - this.pingSentAt) });
        return;
      }
      this.options.onFrame(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      const attempt = this.status.attempt + 1;
      this.update({ state: "reconnecting", attempt });
      const delay = backoffMs(attempt, this.options.minBackoffMs ?? 250, this.options.maxBackoffMs ?? 5_000);
      this.schedule(delay, () => void this.connect());
    };
    ws.onerror = () => ws.close();
  }

  private schedule(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private every(ms: number, fn: () => void): void {
    const tick = () => {
      fn();
      if (!this.stopped) this.schedule(ms, tick);
    };
    this.schedule(ms, tick);
  }

  private update(patch: Partial<StreamStatus>): void {
    this.status = { ...this.status, ...patch };
    this.options.onStatus(this.status);
  }
}
