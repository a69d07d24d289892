// The trade blotter, paged from the server: rows come from `GET /trades` a block at a time as the
// user scrolls (AG Grid's infinite row model following the server's cursors), so a history of any
// length loads only what is looked at. Live frames keep it current: a new trade reloads from the
// top; confirmation and settlement changes, and each trade's slippage against the mid (TCA),
// repaint the rows in place.
import { useEffect, useMemo, useRef, useState, type RefObject } from "react";
import { AgGridReact } from "ag-grid-react";
import type { ColDef, GridApi, IDatasource, IGetRowsParams, Theme } from "ag-grid-community";
import { api, apiPage } from "../api/http";
import type { Tca, Trade } from "../api/types";
import { useRfqs } from "../state/rfqs";
import { CopyCell, StatusCell } from "./Blotters";
import { priceColumn, qtyColumn, sideColumn, timeColumn } from "./columns";

/** Rows per request. */
export const TRADE_PAGE = 100;

/** Each trade's slippage (bp) from the TCA read model over the last day, refreshed while
 * `active`. */
function useSlippage(active: boolean): Record<string, number | null> {
  const [slippage, setSlippage] = useState<Record<string, number | null>>({});
  useEffect(() => {
    if (!active) return;
    let alive = true;
    // The last day is what a trader looks at; older trades keep their figures in the TCA panel.
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

/** Reads the server's pages in order: the cursor of the block starting at row `n` is the one the
 * block before it returned, so a block asked for out of order walks the pages up to it. */
export class CursorPager<T> {
  private cursors = new Map<number, string | null>([[0, null]]);
  constructor(private readonly fetchPage: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>) {}

  /** Rows from `start` and the row count when they reach the last page (else `-1`). */
  async rows(start: number): Promise<{ rows: T[]; lastRow: number }> {
    let at = Math.max(...[...this.cursors.keys()].filter((k) => k <= start));
    for (;;) {
      const page = await this.fetchPage(this.cursors.get(at)!);
      const next = at + page.items.length;
      const more = page.nextCursor !== null && page.items.length > 0;
      if (more) this.cursors.set(next, page.nextCursor);
      if (next > start || !more) return { rows: page.items.slice(start - at), lastRow: more ? -1 : next };
      at = next;
    }
  }
}

export function TradesGrid({
  gridRef,
  theme,
  tca,
  instrumentId,
  visible,
  onSelect,
}: {
  gridRef: RefObject<AgGridReact<Trade> | null>;
  theme: Theme;
  tca: boolean;
  instrumentId: string;
  visible: boolean;
  onSelect: (tradeId: string) => void;
}) {
  const live = useRfqs((s) => s.trades);
  const liveRef = useRef(live);
  liveRef.current = live;
  const slippage = useSlippage(tca && visible);
  const slippageRef = useRef(slippage);
  slippageRef.current = slippage;
  const [grid, setGrid] = useState<GridApi<Trade> | null>(null);

  const columns = useMemo<ColDef<Trade>[]>(() => {
    // Post-trade state moves after the page was read: the live frame's value wins.
    const liveOr = (field: "confirmationStatus" | "settlementStatus" | "settlementAttempts") => (p: { data?: Trade }) =>
      p.data ? (liveRef.current[p.data.tradeId]?.[field] ?? p.data[field]) : undefined;
    return [
      { field: "tradeId", headerName: "Trade" },
      { field: "rfqId", headerName: "RFQ" },
      { field: "instrumentId", headerName: "Instrument" },
      sideColumn<Trade>(),
      qtyColumn<Trade>("size", "Size"),
      priceColumn<Trade>("price", "Price"),
      {
        colId: "slippageBps",
        headerName: "Slippage bp",
        type: "rightAligned",
        cellClass: "num",
        maxWidth: 120,
        valueGetter: (p) => (p.data ? slippageRef.current[p.data.tradeId] : undefined),
        valueFormatter: (p) => (typeof p.value === "number" ? p.value.toFixed(2) : "—"),
      },
      { field: "lpId", headerName: "LP" },
      timeColumn<Trade>("executedAt", "Executed"),
      { colId: "confirmationStatus", headerName: "Confirmation", valueGetter: liveOr("confirmationStatus"), cellRenderer: StatusCell, minWidth: 120 },
      { colId: "settlementStatus", headerName: "Settlement", valueGetter: liveOr("settlementStatus"), cellRenderer: StatusCell, minWidth: 130 },
      { colId: "settlementAttempts", headerName: "Attempts", valueGetter: liveOr("settlementAttempts"), type: "rightAligned", cellClass: "num", maxWidth: 100 },
      { field: "correlationId", headerName: "Correlation id", cellRenderer: CopyCell, minWidth: 220 },
    ];
  }, []);

  // A new data source per instrument filter: the pages start again from the newest trade.
  const datasource = useMemo<IDatasource>(() => {
    const filter = instrumentId ? `&instrumentId=${encodeURIComponent(instrumentId)}` : "";
    const pager = new CursorPager<Trade>(
      (cursor) => apiPage<Trade>(`/trades?limit=${TRADE_PAGE}${filter}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`),
    );
    return {
      getRows(params: IGetRowsParams) {
        pager.rows(params.startRow).then(
          ({ rows, lastRow }) => params.successCallback(rows, lastRow),
          () => params.failCallback(),
        );
      },
    };
  }, [instrumentId]);

  // Live: a trade not on the pages yet reloads them from the top (at most once a second);
  // anything else repaints the rows in place.
  const known = useRef(new Set<string>());
  const reload = useRef(false);
  useEffect(() => {
    if (!grid) return;
    reload.current ||= Object.keys(live).some((id) => !known.current.has(id));
    known.current = new Set(Object.keys(live));
    const timer = setTimeout(() => {
      if (reload.current) grid.purgeInfiniteCache();
      else grid.refreshCells({ force: true });
      reload.current = false;
    }, 250);
    return () => clearTimeout(timer);
  }, [grid, live]);
  useEffect(() => {
    grid?.refreshCells({ columns: ["slippageBps"], force: true });
  }, [grid, slippage]);

  return (
    <AgGridReact<Trade>
      ref={gridRef}
      theme={theme}
      rowModelType="infinite"
      datasource={datasource}
      cacheBlockSize={TRADE_PAGE}
      maxConcurrentDatasourceRequests={1}
      infiniteInitialRowCount={1}
      columnDefs={columns}
      defaultColDef={{ sortable: false, filter: false, resizable: true, flex: 1, minWidth: 90 }}
      getRowId={(p) => p.data.tradeId}
      animateRows={false}
      onGridReady={(e) => setGrid(e.api)}
      onRowClicked={(e) => e.data && onSelect(e.data.tradeId)}
      // Every column in the DOM: a row reads whole (statuses included) however narrow the panel.
      suppressColumnVirtualisation
    />
  );
}
