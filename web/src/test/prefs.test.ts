import { describe, expect, it } from "vitest";
import {
  addToWatchlist,
  addWorkspace,
  addWatchlist,
  defaultPrefs,
  mergePrefs,
  moveWatchlist,
  removeWatchlist,
  removeWorkspace,
  renameWatchlist,
  renameWorkspace,
  saveLayout,
  togglePin,
  type Prefs,
} from "../state/prefs";

const apply = (p: Prefs, change: Partial<Prefs>): Prefs => ({ ...p, ...change });

describe("watchlists", () => {
  it("are created, renamed, reordered, filled and deleted", () => {
    let p = defaultPrefs();
    p = apply(p, addWatchlist(p, "Scandies"));
    const id = p.activeWatchlist;
    expect(p.watchlists.at(-1)).toMatchObject({ id, name: "Scandies", instruments: [] });
    p = apply(p, renameWatchlist(p, id, "Nordics"));
    p = apply(p, addToWatchlist(p, id, "USD/SEK"));
    p = apply(p, addToWatchlist(p, id, "USD/SEK"));
    expect(p.watchlists.at(-1)).toMatchObject({ name: "Nordics", instruments: ["USD/SEK"] });
    p = apply(p, moveWatchlist(p, id, -1));
    expect(p.watchlists.map((w) => w.id).indexOf(id)).toBe(p.watchlists.length - 2);
    expect(moveWatchlist(p, p.watchlists[0]!.id, -1)).toEqual({});
    p = apply(p, removeWatchlist(p, id));
    expect(p.watchlists.some((w) => w.id === id)).toBe(false);
    expect(p.watchlists.some((w) => w.id === p.activeWatchlist)).toBe(true);
  });

  it("never deletes the last watchlist", () => {
    const p: Prefs = { ...defaultPrefs(), watchlists: [{ id: "only", name: "Only", instruments: [] }], activeWatchlist: "only" };
    expect(removeWatchlist(p, "only")).toEqual({});
  });

  it("pins and unpins", () => {
    let p = defaultPrefs();
    p = apply(p, togglePin(p, "USD/JPY"));
    expect(p.pinned).toContain("USD/JPY");
    p = apply(p, togglePin(p, "USD/JPY"));
    expect(p.pinned).not.toContain("USD/JPY");
  });
});

describe("stored preferences", () => {
  it("fall back to defaults and drop malformed workspaces and dangling references", () => {
    expect(mergePrefs(null)).toEqual(defaultPrefs());
    const merged = mergePrefs({
      watchlists: [{ id: "x", name: "X", instruments: ["EUR/USD"] }],
      activeWatchlist: "gone",
      theme: "light",
      workspaces: [{ id: "w", name: "Mine", preset: "bogus" as never, layout: "not a layout" }, { bogus: true } as never],
      activeWorkspace: "gone",
    });
    expect(merged.activeWatchlist).toBe("x");
    expect(merged.theme).toBe("light");
    expect(merged.workspaces).toEqual([{ id: "w", name: "Mine", preset: "desk", layout: null }]);
    expect(merged.activeWorkspace).toBe("w");
  });

  it("keep a saved layout as it was stored", () => {
    const layout = { grid: { root: {} }, panels: { market: {} } };
    const merged = mergePrefs({ workspaces: [{ id: "a", name: "A", preset: "analysis", layout }], activeWorkspace: "a" });
    expect(merged.workspaces[0]).toEqual({ id: "a", name: "A", preset: "analysis", layout });
  });
});

describe("workspaces", () => {
  it("are created, renamed, laid out, reset and deleted, never the last one", () => {
    let p = defaultPrefs();
    expect(p.workspaces.map((w) => w.name)).toEqual(["Desk", "Analysis"]);
    p = apply(p, addWorkspace(p, "Rates"));
    const id = p.activeWorkspace;
    expect(p.workspaces.at(-1)).toMatchObject({ id, name: "Rates", preset: "desk", layout: null });
    p = apply(p, renameWorkspace(p, id, "  Rates desk "));
    expect(renameWorkspace(p, id, "   ")).toEqual({});
    p = apply(p, saveLayout(p, id, { grid: {} }));
    expect(p.workspaces.at(-1)).toMatchObject({ name: "Rates desk", layout: { grid: {} } });
    p = apply(p, saveLayout(p, id, null));
    expect(p.workspaces.at(-1)!.layout).toBeNull();
    p = apply(p, removeWorkspace(p, id));
    expect(p.workspaces.some((w) => w.id === id)).toBe(false);
    expect(p.activeWorkspace).toBe(p.workspaces[0]!.id);
    p = apply(p, removeWorkspace(p, "analysis"));
    expect(removeWorkspace(p, p.workspaces[0]!.id)).toEqual({});
  });
});

describe("saving", () => {
  it("shows a change as pending until the server has it", async () => {
    const { usePrefs } = await import("../state/prefs");
    const sent: unknown[] = [];
    const fetchMock = async (_url: string, init: RequestInit) => {
      sent.push(JSON.parse(String(init.body)));
      return new Response("{}", { status: 200, headers: { "Content-Type": "application/json" } });
    };
    const real = globalThis.fetch;
    globalThis.fetch = fetchMock as typeof fetch;
    try {
      usePrefs.getState().update((p) => addWorkspace(p, "Credit"));
      expect(usePrefs.getState().sync).toBe("pending");
      await new Promise((r) => setTimeout(r, 700));
      expect(usePrefs.getState().sync).toBe("saved");
      expect(sent).toHaveLength(1);
      expect((sent[0] as { workspaces: { name: string }[] }).workspaces.map((w) => w.name)).toContain("Credit");
    } finally {
      globalThis.fetch = real;
    }
  });
});
