// Blotters: RFQs (live state), orders (working / done; cancel and amend from the row) and
// trades (RFQ and order-book fills, paged from the server, kept live), on AG Grid — sort, filter,
// quick search and CSV export built in; each trade shows its slippage against the mid (TCA).
// Correlation ids are shown for audit and copy with one click.
import { useMemo, useRef, useState } from "react";
import { AgGridReact } from "ag-grid-react";
import {
  CellStyleModule,
  ClientSideRowModelModule,
  CsvExportModule,
  InfiniteRowModelModule,
  ModuleRegistry,
  NumberFilterModule,
  QuickFilterModule,
  RenderApiModule,
  TextFilterModule,
  colorSchemeDark,
  themeQuartz,
  type ColDef,
  type ICellRendererParams,
} from "ag-grid-community";
import type { Order, RfqRow, Trade } from "../api/types";
import { priceColumn, qtyColumn, sideColumn, timeColumn } from "./columns";
import { OrdersGrid } from "./OrdersGrid";
import { TradesGrid } from "./TradesGrid";
import { TradeDetail } from "./TradeDetail";
import { usePrefs } from "../state/prefs";
import { useRfqs } from "../state/rfqs";

// Only what the blotters use: client-side rows (RFQs, orders), server-paged rows (trades),
// text/number filters, quick search, CSV export.
ModuleRegistry.registerModules([
  ClientSideRowModelModule,
  InfiniteRowModelModule,
  RenderApiModule,
  TextFilterModule,
  NumberFilterModule,
  QuickFilterModule,
  CsvExportModule,
  CellStyleModule,
]);

// The grid uses the workstation's own font everywhere (left to its default, the header fell back
// to a serif face on the dark theme where the theme's font was not loaded), in dense rows: a
// blotter shows as many trades as the panel has room for.
const WORKSTATION_FONT = ["Inter", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"];
export const lightTheme = themeQuartz.withParams({
  fontFamily: WORKSTATION_FONT,
  headerFontFamily: WORKSTATION_FONT,
  cellFontFamily: WORKSTATION_FONT,
  fontSize: 12,
  rowHeight: 24,
  headerHeight: 28,
  spacing: 4,
  cellHorizontalPadding: 8,
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
  sideColumn<RfqRow>(),
  qtyColumn<RfqRow>("size", "Size"),
  { field: "quoteCount", headerName: "Quotes", type: "rightAligned", cellClass: "num", maxWidth: 100 },
  priceColumn<RfqRow>("lastQuote", "Last quote"),
  { field: "tradeId", headerName: "Trade" },
  timeColumn<RfqRow>("updatedAt", "Updated", { sort: "desc" }),
  { field: "correlationId", headerName: "Correlation id", cellRenderer: CopyCell, minWidth: 220 },
];

/** `tca`: the caller may read TCA (for each trade's slippage). */
export function Blotters({ tca }: { tca: boolean }) {
  const [tab, setTab] = useState<"rfqs" | "orders" | "trades">("trades");
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const rfqMap = useRfqs((s) => s.rfqs);
  const [instrument, setInstrument] = useState("");
  const tradeMap = useRfqs((s) => s.trades);
  const theme = usePrefs((s) => s.theme);
  const rfqs = useMemo(() => Object.values(rfqMap), [rfqMap]);
  const instrumentIds = useMemo(() => [...new Set(Object.values(tradeMap).map((t) => t.instrumentId))].sort(), [tradeMap]);
  const rfqGrid = useRef<AgGridReact<RfqRow>>(null);
  const tradeGrid = useRef<AgGridReact<Trade>>(null);
  const orderGrid = useRef<AgGridReact<Order>>(null);
  const gridTheme = theme === "dark" ? darkTheme : lightTheme;

  const exportCsv = () => {
    const api = tab === "rfqs" ? rfqGrid.current?.api : tab === "orders" ? orderGrid.current?.api : tradeGrid.current?.api;
    api?.exportDataAsCsv({ fileName: `orion-${tab}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.csv` });
  };

  return (
    <div className="blotters">
      <div className="tabs" role="tablist" aria-label="Blotters">
        <button role="tab" aria-selected={tab === "rfqs"} className={tab === "rfqs" ? "active" : ""} onClick={() => setTab("rfqs")}>
          RFQs ({rfqs.length})
        </button>
        <button role="tab" aria-selected={tab === "orders"} className={tab === "orders" ? "active" : ""} onClick={() => setTab("orders")}>
          Orders
        </button>
        <button role="tab" aria-selected={tab === "trades"} className={tab === "trades" ? "active" : ""} onClick={() => setTab("trades")}>
          Trades
        </button>
        {tab === "trades" ? (
          // The trade history is paged on the server: it is filtered there, by instrument.
          <select aria-label="Trades of instrument" value={instrument} onChange={(e) => setInstrument(e.target.value)} style={{ marginLeft: "auto" }}>
            <option value="">All instruments</option>
            {instrumentIds.map((i) => (
              <option key={i}>{i}</option>
            ))}
          </select>
        ) : (
          <input placeholder="Search…" aria-label="Search blotter" value={search} onChange={(e) => setSearch(e.target.value)} style={{ marginLeft: "auto" }} />
        )}
        <button onClick={exportCsv}>Export CSV</button>
      </div>
      <div className="grid-box" style={{ display: tab === "rfqs" ? "flex" : "none" }} data-testid="rfq-blotter">
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
      <div className="blotter-pane" style={{ display: tab === "orders" ? "flex" : "none" }} data-testid="order-blotter">
        <OrdersGrid gridRef={orderGrid} theme={gridTheme} search={tab === "orders" ? search : ""} />
      </div>
      <div className="grid-box" style={{ display: tab === "trades" ? "flex" : "none" }} data-testid="trade-blotter">
        <TradesGrid gridRef={tradeGrid} theme={gridTheme} tca={tca} instrumentId={instrument} visible={tab === "trades"} onSelect={setSelected} />
      </div>
      {tab === "trades" && selected && tradeMap[selected] && <TradeDetail trade={tradeMap[selected]} onClose={() => setSelected(null)} />}
    </div>
  );
}
