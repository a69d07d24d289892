// Column kinds shared by the blotters: quantities (1,000,000), prices padded to the instrument's
// precision, sides in their colours, whole timestamps — numbers right-aligned in tabular
// numerals so columns line up on the decimal point, and sorted as numbers, not as text.
import type { ColDef, ValueFormatterParams } from "ag-grid-community";
import { formatPrice, formatQty, formatTimestamp } from "../lib/format";

const byNumber = (a: unknown, b: unknown) => {
  const x = a === null || a === undefined || a === "" ? -Infinity : Number(a);
  const y = b === null || b === undefined || b === "" ? -Infinity : Number(b);
  return x === y ? 0 : x < y ? -1 : 1;
};

/** A quantity column. */
export function qtyColumn<T>(field: ColDef<T>["field"], headerName: string, extra: ColDef<T> = {}): ColDef<T> {
  return {
    field,
    headerName,
    type: "rightAligned",
    cellClass: "num",
    valueFormatter: (p: ValueFormatterParams<T>) => formatQty(p.value as string),
    comparator: byNumber,
    ...extra,
  };
}

/** A price column, padded to the row's instrument precision. */
export function priceColumn<T extends { instrumentId?: string }>(field: ColDef<T>["field"], headerName: string, extra: ColDef<T> = {}): ColDef<T> {
  return {
    field,
    headerName,
    type: "rightAligned",
    cellClass: "num",
    valueFormatter: (p: ValueFormatterParams<T>) => formatPrice(p.data?.instrumentId, p.value as string),
    comparator: byNumber,
    ...extra,
  };
}

/** BUY in the rising colour, SELL in the falling one (the word stays: never colour alone). */
export function sideColumn<T>(field: ColDef<T>["field"] = "side" as ColDef<T>["field"]): ColDef<T> {
  return {
    field,
    headerName: "Side",
    maxWidth: 80,
    cellClass: (p) => (p.value === "BUY" ? "side-buy" : p.value === "SELL" ? "side-sell" : ""),
  };
}

/** A timestamp, printed whole; sorted on the ISO text, which sorts in time order. */
export function timeColumn<T>(field: ColDef<T>["field"], headerName: string, extra: ColDef<T> = {}): ColDef<T> {
  return {
    field,
    headerName,
    cellClass: "num",
    minWidth: 190,
    valueFormatter: (p: ValueFormatterParams<T>) => formatTimestamp(p.value as string),
    ...extra,
  };
}
