// Exact comparison of the contract's decimal strings ("1.08425"), so ranking and tick
// direction never go through binary floats. Numbers are only for drawing charts.

function parts(value: string): { negative: boolean; whole: string; fraction: string } {
  const negative = value.startsWith("-");
  const digits = negative ? value.slice(1) : value;
  const [whole = "0", fraction = ""] = digits.split(".");
  return { negative, whole: whole.replace(/^0+(?=\d)/, ""), fraction: fraction.replace(/0+$/, "") };
}

function compareMagnitude(a: ReturnType<typeof parts>, b: ReturnType<typeof parts>): number {
  if (a.whole.length !== b.whole.length) return a.whole.length < b.whole.length ? -1 : 1;
  if (a.whole !== b.whole) return a.whole < b.whole ? -1 : 1;
  const width = Math.max(a.fraction.length, b.fraction.length);
  const fa = a.fraction.padEnd(width, "0");
  const fb = b.fraction.padEnd(width, "0");
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/** -1, 0 or 1 as `a` is below, equal to or above `b`. */
export function compareDecimal(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  const zero = (p: ReturnType<typeof parts>) => /^0*$/.test(p.whole) && p.fraction === "";
  const na = pa.negative && !zero(pa);
  const nb = pb.negative && !zero(pb);
  if (na !== nb) return na ? -1 : 1;
  const m = compareMagnitude(pa, pb);
  return na ? -m : m;
}

/** For charts only. */
export function toNumber(value: string): number {
  return Number(value);
}
