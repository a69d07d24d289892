import { describe, expect, it } from "vitest";
import { compareDecimal } from "../lib/decimal";
import { costVsMidBps, formatCountdown, rankQuotes, remainingMs } from "../lib/quotes";

describe("decimal comparison", () => {
  it("compares exactly, whatever the number of digits", () => {
    expect(compareDecimal("1.08425", "1.0843")).toBe(-1);
    expect(compareDecimal("1.10", "1.1")).toBe(0);
    expect(compareDecimal("10.5", "9.99999")).toBe(1);
    expect(compareDecimal("-0.5", "0.1")).toBe(-1);
    expect(compareDecimal("-2", "-10")).toBe(1);
    expect(compareDecimal("0.30000000000000004", "0.3")).toBe(1);
    expect(compareDecimal("-0", "0")).toBe(0);
  });
});

describe("quote ranking", () => {
  const q = (quoteId: string, price: string, arrival: number) => ({ quoteId, lpId: "lp", price, validUntil: "", arrival });
  const quotes = [q("a", "1.08430", 0), q("b", "1.08428", 1), q("c", "1.0843", 2), q("d", "1.08441", 3)];

  it("puts the lowest price first for a buyer, ties to the earliest", () => {
    expect(rankQuotes("BUY", quotes).map((x) => x.quoteId)).toEqual(["b", "a", "c", "d"]);
  });

  it("puts the highest price first for a seller, ties to the earliest", () => {
    expect(rankQuotes("SELL", quotes).map((x) => x.quoteId)).toEqual(["d", "a", "c", "b"]);
  });

  it("counts down to zero", () => {
    const now = Date.parse("2026-11-21T10:00:00Z");
    expect(remainingMs("2026-11-21T10:00:02.500Z", now)).toBe(2500);
    expect(remainingMs("2026-11-21T09:59:59Z", now)).toBe(0);
    expect(remainingMs("garbage", now)).toBe(0);
    expect(formatCountdown(2500)).toBe("2.5 s");
  });
});

describe("cost against the mid", () => {
  it("is the spread paid in bp of the mid, positive away from the mid on either side", () => {
    expect(costVsMidBps("BUY", "1.08420", "1.08410")).toBeCloseTo(0.9224, 4);
    expect(costVsMidBps("SELL", "1.08400", "1.08410")).toBeCloseTo(0.9224, 4);
    expect(costVsMidBps("SELL", "1.08420", "1.08410")).toBeCloseTo(-0.9224, 4);
    expect(costVsMidBps("BUY", "1.08420", undefined)).toBeNull();
  });
});
