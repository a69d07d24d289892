import { describe, expect, it } from "vitest";
import {
  ALL_PANELS,
  addToWatchlist,
  addWatchlist,
  defaultPrefs,
  mergePrefs,
  movePanel,
  moveWatchlist,
  removeWatchlist,
  renameWatchlist,
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
  it("fall back to defaults and drop unknown panels and dangling references", () => {
    expect(mergePrefs(null)).toEqual(defaultPrefs());
    const merged = mergePrefs({
      watchlists: [{ id: "x", name: "X", instruments: ["EUR/USD"] }],
      activeWatchlist: "gone",
      theme: "light",
      panels: ["ticket", "bogus" as never],
    });
    expect(merged.activeWatchlist).toBe("x");
    expect(merged.theme).toBe("light");
    expect(merged.panels[0]).toBe("ticket");
    expect(merged.panels).not.toContain("bogus");
    expect(merged.panels).toHaveLength(ALL_PANELS.length);
    expect(merged.panels).toContain("console");
  });

  it("reorder panels", () => {
    const p = defaultPrefs();
    expect(apply(p, movePanel(p, "ticket", -1)).panels.slice(0, 2)).toEqual(["ticket", "market"]);
  });
});
