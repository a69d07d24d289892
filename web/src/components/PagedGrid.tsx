// A blotter paged from the server: rows come from a list endpoint (`GET /trades`, `GET /rfqs`) a
// block at a time as the user scrolls — AG Grid's infinite row model following the server's
// cursors — so a history of any length loads only what is looked at. Live frames keep it
// current: a row the pages do not hold yet reloads them from the top (at most four times a
// second); a change to a row on screen repaints it in place, the live value over the paged one.
import { useEffect, useMemo, useRef, useState, type RefObject } from "react";
import { AgGridReact } from "ag-grid-react";
import type { ColDef, GridApi, IDatasource, IGetRowsParams, Theme } from "ag-grid-community";
import { apiPage, type Page } from "../api/http";

/** Rows per request. */
export const PAGE_SIZE = 100;

/** Reads the server's pages in order: the cursor of the block starting at row `n` is the one the
 * block before it returned, so a block asked for out of order walks the pages up to it. */
export class CursorPager<T> {
  private cursors = new Map<number, string | null>([[0, null]]);
  constructor(private readonly fetchPage: (cursor: string | null) => Promise<Page<T>>) {}

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

/** `path` (a list endpoint with its filters) with the page size and `cursor`. */
function pageUrl(path: string, cursor: string | null): string {
  const sep = path.includes("?") ? "&" : "?";
  return `${path}${sep}limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
}

export function PagedGrid<T extends object>({
  gridRef,
  theme,
  path,
  columns,
  live,
  rowId,
  onRowClicked,
}: {
  gridRef: RefObject<AgGridReact<T> | null>;
  theme: Theme;
  /** The list endpoint with its filters, e.g. `/trades?instrumentId=EUR%2FUSD`. */
  path: string;
  columns: ColDef<T>[];
  /** The rows as live frames have them, by id. */
  live: Record<string, Partial<T>>;
  rowId: (row: T) => string;
  onRowClicked?: (row: T) => void;
}) {
  const liveRef = useRef(live);
  liveRef.current = live;
  const [grid, setGrid] = useState<GridApi<T> | null>(null);

  // A column bound to a field shows the live frame's value when there is one.
  const columnDefs = useMemo<ColDef<T>[]>(
    () =>
      columns.map((c) =>
        c.field && !c.valueGetter
          ? {
              ...c,
              valueGetter: (p) => {
                if (!p.data) return undefined;
                const field = c.field as unknown as keyof T;
                return liveRef.current[rowId(p.data)]?.[field] ?? p.data[field];
              },
            }
          : c,
      ),
    [columns, rowId],
  );

  // A new data source per filter: the pages start again from the newest row.
  const datasource = useMemo<IDatasource>(() => {
    const pager = new CursorPager<T>((cursor) => apiPage<T>(pageUrl(path, cursor)));
    return {
      getRows(params: IGetRowsParams) {
        pager.rows(params.startRow).then(
          ({ rows, lastRow }) => params.successCallback(rows, lastRow),
          () => params.failCallback(),
        );
      },
    };
  }, [path]);

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

  return (
    <AgGridReact<T>
      ref={gridRef}
      theme={theme}
      rowModelType="infinite"
      datasource={datasource}
      cacheBlockSize={PAGE_SIZE}
      maxConcurrentDatasourceRequests={1}
      infiniteInitialRowCount={1}
      columnDefs={columnDefs}
      defaultColDef={{ sortable: false, filter: false, resizable: true, flex: 1, minWidth: 90 }}
      getRowId={(p) => rowId(p.data)}
      animateRows={false}
      onGridReady={(e) => setGrid(e.api)}
      onRowClicked={(e) => e.data && onRowClicked?.(e.data)}
      // Every column in the DOM: a row reads whole (statuses included) however narrow the panel.
      suppressColumnVirtualisation
    />
  );
}
