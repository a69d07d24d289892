import { describe, expect, it } from "vitest";
import { formatCompact, formatPrice, formatQty, formatTimestamp, setPricePrecision } from "../lib/format";

describe("quantities", () => {
  it("print with thousands separators and without trailing zeros", () => {
    expect(formatQty("1000000.00")).toBe("1,000,000");
    expect(formatQty("1500.50")).toBe("1,500.5");
    expect(formatQty("999")).toBe("999");
    expect(formatQty("-25000000.125")).toBe("-25,000,000.125");
    expect(formatQty(2500000)).toBe("2,500,000");
    expect(formatQty(null)).toBe("");
    expect(formatQty("n/a")).toBe("n/a");
  });

  it("print compactly where room is short", () => {
    expect(formatCompact("1000000.00")).toBe("1M");
    expect(formatCompact("2500000")).toBe("2.5M");
    expect(formatCompact("750000")).toBe("750K");
    expect(formatCompact("1234567")).toBe("1.23M");
    expect(formatCompact("3000000000")).toBe("3B");
    expect(formatCompact("950")).toBe("950");
  });
});

describe("prices", () => {
  it("pad to the instrument's tick precision so a column aligns on the decimal point", () => {
    setPricePrecision([
      { instrumentId: "EUR/USD", tickSize: "0.00001" },
      { instrumentId: "USD/JPY", tickSize: "0.001" },
    ]);
    expect(formatPrice("EUR/USD", "1.084")).toBe("1.08400");
    expect(formatPrice("EUR/USD", "1.08412")).toBe("1.08412");
    expect(formatPrice("USD/JPY", "151")).toBe("151.000");
    expect(formatPrice("EUR/USD", "1.084123")).toBe("1.084123");
    expect(formatPrice("UNKNOWN", "1.5")).toBe("1.5");
  });
});

describe("timestamps", () => {
  it("are printed whole, with milliseconds", () => {
    const at = new Date(2026, 11, 2, 5, 4, 7, 89);
    expect(formatTimestamp(at.toISOString())).toBe("2026-12-02 05:04:07.089");
    expect(formatTimestamp("garbage")).toBe("garbage");
  });
});
