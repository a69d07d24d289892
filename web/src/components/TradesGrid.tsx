// The trade blotter: RFQ trades and order-book fills, paged from `GET /trades` (filtered there by
// instrument) and kept live — confirmation and settlement as the post-trade saga moves, and each
// trade's slippage against the mid it was decided at (TCA).
import { useEffect, useMemo, useRef, useState, type RefObject } from "react";
import { AgGridReact } from "ag-grid-react";
import type { ColDef, Theme } from "ag-grid-community";
import { api } from "../api/http";
import type { Tca, Trade } from "../api/types";
import { useRfqs } from "../state/rfqs";
import { CopyCell, StatusCell } from "./Blotters";
import { priceColumn, qtyColumn, sideColumn, timeColumn } from "./columns";
import { PagedGrid } from "./PagedGrid";

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

const tradeId = (t: Trade) => t.tradeId;

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
  const slippage = useSlippage(tca && visible);
  const slippageRef = useRef(slippage);
  slippageRef.current = slippage;

  const columns = useMemo<ColDef<Trade>[]>(
    () => [
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
      { field: "confirmationStatus", headerName: "Confirmation", cellRenderer: StatusCell, minWidth: 120 },
      { field: "settlementStatus", headerName: "Settlement", cellRenderer: StatusCell, minWidth: 130 },
      { field: "settlementAttempts", headerName: "Attempts", type: "rightAligned", cellClass: "num", maxWidth: 100 },
      { field: "correlationId", headerName: "Correlation id", cellRenderer: CopyCell, minWidth: 220 },
    ],
    [],
  );

  useEffect(() => {
    gridRef.current?.api?.refreshCells({ columns: ["slippageBps"], force: true });
  }, [gridRef, slippage]);

  const path = instrumentId ? `/trades?instrumentId=${encodeURIComponent(instrumentId)}` : "/trades";
  return (
    <PagedGrid<Trade>
      gridRef={gridRef}
      theme={theme}
      path={path}
      columns={columns}
      live={live}
      rowId={tradeId}
      onRowClicked={(t) => onSelect(t.tradeId)}
    />
  );
}
