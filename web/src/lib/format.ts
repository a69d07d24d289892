// How the workstation prints numbers and times: quantities with thousands separators and no
// trailing zeros (1,000,000), compact sizes (1M, 2.5M, 750K) where room is short, prices padded to
// their instrument's tick precision so a right-aligned column of tabular numerals lines up on the
// decimal point, and timestamps whole — date, time and milliseconds, in the user's time zone.
// Quantities and prices arrive as decimal strings and are formatted as strings: never through a
// float, so nothing is rounded on the way.

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function group(integer: string): string {
  return integer.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `1000000.00` ⇒ `1,000,000`; `1500.50` ⇒ `1,500.5`; what is not a decimal is returned as is. */
export function formatQty(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const m = DECIMAL.exec(String(value).trim());
  if (!m) return String(value);
  const fraction = (m[3] ?? "").replace(/0+$/, "");
  return `${m[1]}${group(m[2]!)}${fraction ? `.${fraction}` : ""}`;
}

const UNITS: [number, string][] = [
  [1e9, "B"],
  [1e6, "M"],
  [1e3, "K"],
];

/** `1000000` ⇒ `1M`, `2500000` ⇒ `2.5M`, `750000` ⇒ `750K`, `1234567` ⇒ `1.23M`. */
export function formatCompact(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  const abs = Math.abs(n);
  for (const [size, unit] of UNITS) {
    if (abs >= size) return `${Number((n / size).toFixed(2))}${unit}`;
  }
  return formatQty(value);
}

const precision = new Map<string, number>();

/** Learns each instrument's price precision from its tick size (`0.00001` ⇒ 5). */
export function setPricePrecision(instruments: { instrumentId: string; tickSize: string }[]): void {
  for (const i of instruments) {
    const fraction = i.tickSize.split(".")[1]?.replace(/0+$/, "") ?? "";
    precision.set(i.instrumentId, fraction.length);
  }
}

/** `price` padded (never cut) to `instrumentId`'s tick precision: `1.084` ⇒ `1.08400`. */
export function formatPrice(instrumentId: string | null | undefined, price: string | number | null | undefined): string {
  if (price === null || price === undefined || price === "") return "";
  const text = String(price);
  const m = DECIMAL.exec(text.trim());
  const decimals = instrumentId ? precision.get(instrumentId) : undefined;
  if (!m || decimals === undefined) return text;
  const fraction = m[3] ?? "";
  if (fraction.length >= decimals) return text.trim();
  return `${m[1]}${m[2]}.${fraction.padEnd(decimals, "0")}`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `2026-12-02T05:41:07.123456Z` ⇒ `2026-12-02 05:41:07.123` in the local time zone. */
export function formatTimestamp(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** Time of day with milliseconds, for lists within one session: `05:41:07.123`. */
export function formatTime(value: string | number | Date): string {
  return formatTimestamp(value).slice(11);
}
