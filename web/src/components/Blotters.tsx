// Blotters: RFQs (live state), orders (working / done; cancel and amend from the row) and
// trades (live, RFQ and order-book fills), on AG Grid — sort, filter, quick search and CSV
// export built in; each trade shows its slippage against the mid (TCA). Correlation ids are
// shown for audit and copy with one click.
import { useEffect, useMemo, useRef, useState } from "react";
import { AgGridReact } from "ag-grid-react";
import {
  CellStyleModule,
  ClientSideRowModelModule,
  CsvExportModule,
  ModuleRegistry,
  NumberFilterModule,
  QuickFilterModule,
  TextFilterModule,
  colorSchemeDark,
  themeQuartz,
  type ColDef,
  type ICellRendererParams,
} from "ag-grid-community";
import { api } from "../api/http";
import type { Order, RfqRow, Tca, Trade } from "../api/types";
import { OrdersGrid } from "./OrdersGrid";
import { TradeDetail } from "./TradeDetail";
import { usePrefs } from "../state/prefs";
import { useRfqs } from "../state/rfqs";

// Only what the blotters use: client-side rows, text/number filters, quick search, CSV export.
ModuleRegistry.registerModules([
  ClientSideRowModelModule,
  TextFilterModule,
  NumberFilterModule,
  QuickFilterModule,
  CsvExportModule,
  CellStyleModule,
]);

// The grid uses the workstation's own font everywhere: left to its default, the header fell back
// to a serif face on the dark theme where the theme's font was not loaded.
const WORKSTATION_FONT = ["Inter", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"];
export const lightTheme = themeQuartz.withParams({
  fontFamily: WORKSTATION_FONT,
  headerFontFamily: WORKSTATION_FONT,
  cellFontFamily: WORKSTATION_FONT,
});
export const darkTheme = lightTheme.withPart(colorSchemeDark);

export function CopyCell(p: ICellRendererParams) {
  const value = String(p.value ?? "");
  return (
    <span className="copy">
      {value}{" "}
      {value && (
        <button className="link" aria-label="Copy correlationId" onClick={() => void navigator.clipboard?.writeText(value).catch(() => undefined)}>
          copy
        </button>
      )}
    </span>
  );
}

export function StatusCell(p: ICellRendererParams) {
  const value = String(p.value ?? "PENDING");
  return <span className={`status status-${value.toLowerCase()}`}>{value}</span>;
}

export const defaultColDef: ColDef = { sortable: true, filter: true, resizable: true, flex: 1, minWidth: 90 };

const rfqColumns: ColDef<RfqRow>[] = [
  { field: "rfqId", headerName: "RFQ" },
  { field: "status", headerName: "Status" },
  { field: "instrumentId", headerName: "Instrument" },
  { field: "side", headerName: "Side", maxWidth: 90 },
  { field: "size", headerName: "Size", type: "rightAligned" },
  { field: "quoteCount", headerName: "Quotes", type: "rightAligned", maxWidth: 100 },
  { field: "lastQuote", headerName: "Last quote", type: "rightAligned" },
  { field: "tradeId", headerName: "Trade" },
  { field: "updatedAt", headerName: "Updated", sort: "desc" },
  { field: "correlationId", headerName: "Correlation id", cellRenderer: CopyCell, minWidth: 220 },
];

/** A trade row with its slippage against the mid it was decided at (from TCA), when known. */
type TradeRow = Trade & { slippageBps?: number | null };

/** Each trade's slippage (bp) from the TCA read model over the last day, refreshed while
 * `active`. */
function useSlippage(active: boolean): Record<string, number | null> {
  const [slippage, setSlippage] = useState<Record<string, number | null>>({});
  useEffect(() => {
    if (!active) return;
    let alive = true;
    // The last day is what a blotter shows; older trades keep their figures in the TCA panel.
    const load = () =>
      api<Tca>(`/analytics/tca?from=${encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString())}`)
        .then((tca) => alive && setSlippage(Object.fromEntries(tca.trades.map((t) => [t.tradeId, t.slippageBps ?? null]))))
        .catch(() => undefined);
    void load();
    const timer = setInterval(load, 5_000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [active]);
  return slippage;
}

const tradeColumns: ColDef<TradeRow>[] = [
  { field: "tradeId", headerName: "Trade" },
  { field: "rfqId", headerName: "RFQ" },
  { field: "instrumentId", headerName: "Instrument" },
  { field: "side", headerName: "Side", maxWidth: 90 },
  { field: "size", headerName: "Size", type: "rightAligned" },
  { field: "price", headerName: "Price", type: "rightAligned" },
  {
    field: "slippageBps",
    headerName: "Slippage bp",
    type: "rightAligned",
    valueFormatter: (p) => (typeof p.value === "number" ? p.value.toFixed(2) : "—"),
    maxWidth: 120,
  },
  { field: "lpId", headerName: "LP" },
  { field: "executedAt", headerName: "Executed", sort: "desc" },
  { field: "confirmationStatus", headerName: "Confirmation", cellRenderer: StatusCell, minWidth: 120 },
  { field: "settlementStatus", headerName: "Settlement", cellRenderer: StatusCell, minWidth: 130 },
  { field: "settlementAttempts", headerName: "Attempts", type: "rightAligned", maxWidth: 100 },
  { field: "correlationId", headerName: "Correlation id", cellRenderer: CopyCell, minWidth: 220 },
];

/** `tca`: the caller may read TCA (for each trade's slippage). */
export function Blotters({ tca }: { tca: boolean }) {
  const [tab, setTab] = useState<"rfqs" | "orders" | "trades">("trades");
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const rfqMap = useRfqs((s) => s.rfqs);
  const tradeMap = useRfqs((s) => s.trades);
  const theme = usePrefs((s) => s.theme);
  const rfqs = useMemo(() => Object.values(rfqMap), [rfqMap]);
  const slippage = useSlippage(tca && tab === "trades");
  const trades = useMemo<TradeRow[]>(
    () => Object.values(tradeMap).map((t) => ({ ...t, slippageBps: slippage[t.tradeId] })),
    [tradeMap, slippage],
  );
  const rfqGrid = useRef<AgGridReact<RfqRow>>(null);
  const tradeGrid = useRef<AgGridReact<TradeRow>>(null);
  const orderGrid = useRef<AgGridReact<Order>>(null);
  const gridTheme = theme === "dark" ? darkTheme : lightTheme;

  const exportCsv = () => {
    const api = tab === "rfqs" ? rfqGrid.current?.api : tab === "orders" ? orderGrid.current?.api : tradeGrid.current?.api;
    api?.exportDataAsCsv({ fileName: `orion-${tab}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.csv` });
  };

  return (
    <div>
      <div className="tabs" role="tablist" aria-label="Blotters">
        <button role="tab" aria-selected={tab === "rfqs"} className={tab === "rfqs" ? "active" : ""} onClick={() => setTab("rfqs")}>
          RFQs ({rfqs.length})
        </button>
        <button role="tab" aria-selected={tab === "orders"} className={tab === "orders" ? "active" : ""} onClick={() => setTab("orders")}>
          Orders
        </button>
        <button role="tab" aria-selected={tab === "trades"} className={tab === "trades" ? "active" : ""} onClick={() => setTab("trades")}>
          Trades ({trades.length})
        </button>
        <input placeholder="Search…" aria-label="Search blotter" value={search} onChange={(e) => setSearch(e.target.value)} style={{ marginLeft: "auto" }} />
        <button onClick={exportCsv}>Export CSV</button>
      </div>
      <div className="grid-box" style={{ display: tab === "rfqs" ? "block" : "none" }} data-testid="rfq-blotter">
        <AgGridReact<RfqRow>
          ref={rfqGrid}
          theme={gridTheme}
          rowData={rfqs}
          columnDefs={rfqColumns}
          defaultColDef={defaultColDef}
          getRowId={(p) => p.data.rfqId}
          quickFilterText={tab === "rfqs" ? search : ""}
          animateRows={false}
        />
      </div>
      <div style={{ display: tab === "orders" ? "block" : "none" }} data-testid="order-blotter">
        <OrdersGrid gridRef={orderGrid} theme={gridTheme} search={tab === "orders" ? search : ""} />
      </div>
      <div className="grid-box" style={{ display: tab === "trades" ? "block" : "none" }} data-testid="trade-blotter">
        <AgGridReact<TradeRow>
          ref={tradeGrid}
          theme={gridTheme}
          rowData={trades}
          columnDefs={tradeColumns}
          defaultColDef={defaultColDef}
          getRowId={(p) => p.data.tradeId}
          quickFilterText={tab === "trades" ? search : ""}
          animateRows={false}
          onRowClicked={(e) => e.data && setSelected(e.data.tradeId)}
          // Every column in the DOM: a row reads whole (statuses included) however narrow the panel.
          suppressColumnVirtualisation
        />
      </div>
      {tab === "trades" && selected && tradeMap[selected] && <TradeDetail trade={tradeMap[selected]} onClose={() => setSelected(null)} />}
    </div>
  );
}
