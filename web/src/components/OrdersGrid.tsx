// The orders blotter: working orders first or done ones, with cancel and amend on each working
// row (amend: a new remaining quantity and/or limit price; the answer says whether the order
// kept its place in the queue).
import { useMemo, useState, type FormEvent, type RefObject } from "react";
import { AgGridReact } from "ag-grid-react";
import type { ColDef, ICellRendererParams, Theme } from "ag-grid-community";
import type { Order } from "../api/types";
import { amendOrder, cancelOrder, isWorking, useOrders } from "../state/orders";
import { CopyCell, StatusCell, defaultColDef } from "./Blotters";
import { priceColumn, qtyColumn, sideColumn, timeColumn } from "./columns";

function ActionsCell(p: ICellRendererParams<Order> & { onAmend: (o: Order) => void; onError: (e: string) => void }) {
  const o = p.data;
  if (!o || !isWorking(o)) return null;
  return (
    <span className="row-actions">
      <button className="link" aria-label={`Amend order ${o.orderId}`} onClick={() => p.onAmend(o)}>
        amend
      </button>{" "}
      <button
        className="link"
        aria-label={`Cancel order ${o.orderId}`}
        onClick={() => void cancelOrder(o.orderId).then((e) => e && p.onError(e))}
      >
        cancel
      </button>
    </span>
  );
}

export function OrdersGrid({ gridRef, theme, search }: { gridRef: RefObject<AgGridReact<Order> | null>; theme: Theme; search: string }) {
  const [view, setView] = useState<"working" | "done">("working");
  const [amending, setAmending] = useState<Order | null>(null);
  const [qty, setQty] = useState("");
  const [price, setPrice] = useState("");
  const [error, setError] = useState<string | null>(null);
  const orderMap = useOrders((s) => s.orders);
  const rows = useMemo(() => Object.values(orderMap).filter((o) => isWorking(o) === (view === "working")), [orderMap, view]);

  const columns = useMemo<ColDef<Order>[]>(
    () => [
      { field: "orderId", headerName: "Order" },
      { field: "status", headerName: "Status", cellRenderer: StatusCell, minWidth: 120 },
      {
        headerName: "",
        cellRenderer: ActionsCell,
        cellRendererParams: {
          onAmend: (o: Order) => {
            setAmending(o);
            setQty(o.remainingQty);
            setPrice(o.limitPrice ?? "");
            setError(null);
          },
          onError: setError,
        },
        sortable: false,
        filter: false,
        minWidth: 150,
        maxWidth: 170,
      },
      { field: "instrumentId", headerName: "Instrument" },
      sideColumn<Order>(),
      { field: "type", headerName: "Type", maxWidth: 100 },
      priceColumn<Order>("limitPrice", "Limit"),
      qtyColumn<Order>("qty", "Qty"),
      qtyColumn<Order>("filledQty", "Filled"),
      qtyColumn<Order>("remainingQty", "Working"),
      priceColumn<Order>("avgPrice", "Avg price"),
      { field: "timeInForce", headerName: "TIF", maxWidth: 80 },
      timeColumn<Order>("updatedAt", "Updated", { sort: "desc" }),
      { field: "correlationId", headerName: "Correlation id", cellRenderer: CopyCell, minWidth: 220 },
    ],
    [],
  );

  function submitAmend(e: FormEvent) {
    e.preventDefault();
    if (!amending) return;
    const change: { qty?: string; limitPrice?: string } = {};
    if (qty.trim() && qty.trim() !== amending.remainingQty) change.qty = qty.trim();
    if (price.trim() && price.trim() !== amending.limitPrice) change.limitPrice = price.trim();
    void amendOrder(amending.orderId, change).then((err) => {
      setError(err);
      if (!err) setAmending(null);
    });
  }

  return (
    <div className="orders-grid">
      <div className="tabs" role="tablist" aria-label="Orders">
        <button role="tab" aria-selected={view === "working"} className={view === "working" ? "active" : ""} onClick={() => setView("working")}>
          Working
        </button>
        <button role="tab" aria-selected={view === "done"} className={view === "done" ? "active" : ""} onClick={() => setView("done")}>
          Done
        </button>
      </div>
      {amending && (
        <form className="amend" onSubmit={submitAmend} aria-label="Amend order">
          <span className="muted">Amend {amending.orderId}</span>
          <label>
            Quantity <input value={qty} onChange={(e) => setQty(e.target.value)} aria-label="New quantity" />
          </label>
          <label>
            Limit price <input value={price} onChange={(e) => setPrice(e.target.value)} aria-label="New limit price" />
          </label>
          <button type="submit">Amend</button>
          <button type="button" className="link" onClick={() => setAmending(null)}>
            close
          </button>
        </form>
      )}
      {error && (
        <p className="outcome error" role="alert">
          {error}
        </p>
      )}
      <div className="grid-box">
        <AgGridReact<Order>
          ref={gridRef}
          theme={theme}
          rowData={rows}
          columnDefs={columns}
          defaultColDef={defaultColDef}
          getRowId={(p) => p.data.orderId}
          quickFilterText={search}
          animateRows={false}
        />
      </div>
    </div>
  );
}
