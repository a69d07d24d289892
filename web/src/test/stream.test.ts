import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { StreamClient, backoffMs, type StreamStatus } from "../api/stream";

class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  close() {
    this.readyState = 3;
    this.onclose?.();
  }
}

describe("backoff", () => {
  it("doubles from the minimum, caps at the maximum, jitters ±20 %", () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 10].map((a) => backoffMs(a, 250, 5000, mid))).toEqual([250, 500, 1000, 2000, 5000]);
    expect(backoffMs(1, 1000, 5000, () => 0)).toBe(800);
    expect(backoffMs(1, 1000, 5000, () => 1)).toBe(1200);
  });
});

describe("StreamClient", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => vi.useRealTimers());

  function client() {
    const frames: unknown[] = [];
    const statuses: StreamStatus[] = [];
    const c = new StreamClient({
      url: async () => "ws://test/stream?access_token=t",
      onFrame: (f) => frames.push(f),
      onStatus: (s) => statuses.push(s),
      socket: (u) => new FakeSocket(u) as unknown as WebSocket,
      minBackoffMs: 100,
      maxBackoffMs: 1000,
      pingEveryMs: 1000,
    });
    return { c, frames, statuses };
  }

  it("subscribes on open and resubscribes everything after the server drops the socket", async () => {
    const { c, frames, statuses } = client();
    c.subscribeMarket(["EUR/USD", "GBP/USD"]);
    c.subscribeChannel("rfqs");
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    const first = FakeSocket.all[0]!;
    first.open();
    expect(first.sent).toEqual([
      { type: "SUBSCRIBE", instrumentIds: ["EUR/USD", "GBP/USD"] },
      { type: "SUBSCRIBE", channel: "rfqs" },
    ]);
    first.receive({ type: "TICK", instrumentId: "EUR/USD" });
    expect(frames).toHaveLength(1);

    first.close();
    expect(statuses.at(-1)!.state).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(50);
    expect(FakeSocket.all).toHaveLength(1); // still backing off
    await vi.advanceTimersByTimeAsync(200);
    const second = FakeSocket.all[1]!;
    expect(second).toBeDefined();
    second.open();
    expect(statuses.at(-1)!.state).toBe("live");
    expect(statuses.at(-1)!.attempt).toBe(0);
    expect(second.sent).toEqual(first.sent);
    c.stop();
  });

  it("backs off longer after each failed attempt", async () => {
    const { c } = client();
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.all[0]!.close(); // attempt 1: ≤ 120 ms
    await vi.advanceTimersByTimeAsync(130);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1]!.close(); // attempt 2: 160–240 ms
    await vi.advanceTimersByTimeAsync(150);
    expect(FakeSocket.all).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.all).toHaveLength(3);
    c.stop();
  });

  it("measures the PING round trip and counts messages per second", async () => {
    const { c, statuses } = client();
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.all[0]!;
    ws.open();
    ws.receive({ type: "TICK" });
    ws.receive({ type: "TICK" });
    await vi.advanceTimersByTimeAsync(1000);
    expect(ws.sent).toContainEqual({ type: "PING" });
    ws.receive({ type: "PONG" });
    expect(statuses.at(-1)!.rttMs).not.toBeNull();
    expect(statuses.some((s) => s.messagesPerSecond === 2)).toBe(true);
    c.stop();
    expect(statuses.at(-1)!.state).toBe("closed");
  });

  it("ignores malformed frames", async () => {
    const { c, frames } = client();
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.all[0]!;
    ws.open();
    ws.onmessage?.({ data: "not json" });
    expect(frames).toHaveLength(0);
    c.stop();
  });
});
