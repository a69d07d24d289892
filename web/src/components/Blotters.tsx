// Blotters on AG Grid: RFQs and trades (RFQ and order-book fills) paged from the server, filtered
// there by status and instrument, and kept live; orders (working / done; cancel and amend from
// the row) with sort, filter and quick search; CSV export of each. Each trade shows its slippage
// against the mid (TCA). Correlation ids are shown for audit and copy with one click.
import { useRef, useState } from "react";
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
import type { Order, RfqRow, RfqStatus, Trade } from "../api/types";
import { priceColumn, qtyColumn, sideColumn, timeColumn } from "./columns";
import { OrdersGrid } from "./OrdersGrid";
import { PagedGrid } from "./PagedGrid";
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
  timeColumn<RfqRow>("updatedAt", "Updated"),
  { field: "correlationId", headerName: "Correlation id", cellRenderer: CopyCell, minWidth: 220 },
];

const RFQ_STATUSES: RfqStatus[] = ["SENT", "QUOTING", "ACCEPTED", "TRADED", "REJECTED", "EXPIRED", "CANCELLED"];

const rfqId = (r: RfqRow) => r.rfqId;

/** A list endpoint with the filters that are set. */
function withFilters(path: string, filters: Record<string, string>): string {
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== "")).toString();
  return query ? `${path}?${query}` : path;
}

/** `tca`: the caller may read TCA (for each trade's slippage); `instrumentIds`: what the
 * history filters offer. */
export function Blotters({ tca, instrumentIds }: { tca: boolean; instrumentIds: string[] }) {
  const [tab, setTab] = useState<"rfqs" | "orders" | "trades">("trades");
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const [instrument, setInstrument] = useState("");
  const [rfqStatus, setRfqStatus] = useState("");
  const rfqMap = useRfqs((s) => s.rfqs);
  const tradeMap = useRfqs((s) => s.trades);
  const theme = usePrefs((s) => s.theme);
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
          RFQs
        </button>
        <button role="tab" aria-selected={tab === "orders"} className={tab === "orders" ? "active" : ""} onClick={() => setTab("orders")}>
          Orders
        </button>
        <button role="tab" aria-selected={tab === "trades"} className={tab === "trades" ? "active" : ""} onClick={() => setTab("trades")}>
          Trades
        </button>
        <span style={{ marginLeft: "auto" }} />
        {tab === "orders" ? (
          <input placeholder="Search…" aria-label="Search blotter" value={search} onChange={(e) => setSearch(e.target.value)} />
        ) : (
          // RFQ and trade histories are paged on the server: they are filtered there.
          <>
            {tab === "rfqs" && (
              <select aria-label="RFQs in status" value={rfqStatus} onChange={(e) => setRfqStatus(e.target.value)}>
                <option value="">All statuses</option>
                {RFQ_STATUSES.map((st) => (
                  <option key={st}>{st}</option>
                ))}
              </select>
            )}
            <select aria-label="Of instrument" value={instrument} onChange={(e) => setInstrument(e.target.value)}>
              <option value="">All instruments</option>
              {instrumentIds.map((i) => (
                <option key={i}>{i}</option>
              ))}
            </select>
          </>
        )}
        <button onClick={exportCsv}>Export CSV</button>
      </div>
      <div className="grid-box" style={{ display: tab === "rfqs" ? "flex" : "none" }} data-testid="rfq-blotter">
        <PagedGrid<RfqRow>
          gridRef={rfqGrid}
          theme={gridTheme}
          path={withFilters("/rfqs", { status: rfqStatus, instrumentId: instrument })}
          columns={rfqColumns}
          live={rfqMap}
          rowId={rfqId}
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
