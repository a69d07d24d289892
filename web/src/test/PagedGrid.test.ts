import { describe, expect, it } from "vitest";
import { CursorPager } from "../components/PagedGrid";

/** A server list of `total` rows answered `size` at a time with opaque cursors. */
function server(total: number, size: number) {
  const rows = Array.from({ length: total }, (_, i) => i);
  const calls: (string | null)[] = [];
  const fetchPage = async (cursor: string | null) => {
    calls.push(cursor);
    const from = cursor ? Number(cursor.slice(2)) : 0;
    const items = rows.slice(from, from + size);
    return { items, nextCursor: from + size < total ? `c-${from + size}` : null };
  };
  return { fetchPage, calls };
}

describe("the blotters' cursor pager", () => {
  it("reads blocks in order with the server's cursors and ends on the last page", async () => {
    const { fetchPage, calls } = server(250, 100);
    const pager = new CursorPager(fetchPage);
    expect(await pager.rows(0)).toEqual({ rows: [...Array(100).keys()], lastRow: -1 });
    const second = await pager.rows(100);
    expect(second.rows[0]).toBe(100);
    const last = await pager.rows(200);
    expect(last).toEqual({ rows: [...Array(50).keys()].map((i) => 200 + i), lastRow: 250 });
    expect(calls).toEqual([null, "c-100", "c-200"]);
  });

  it("walks the pages up to a block asked for out of order", async () => {
    const { fetchPage, calls } = server(350, 100);
    const pager = new CursorPager(fetchPage);
    const block = await pager.rows(300);
    expect(block).toEqual({ rows: [...Array(50).keys()].map((i) => 300 + i), lastRow: 350 });
    expect(calls).toEqual([null, "c-100", "c-200", "c-300"]);
  });

  it("answers an empty history with no rows", async () => {
    const { fetchPage } = server(0, 100);
    expect(await new CursorPager(fetchPage).rows(0)).toEqual({ rows: [], lastRow: 0 });
  });
});
