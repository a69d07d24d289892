// The user's workstation preferences, saved on the server (`PUT /me/preferences`): watchlists
// (create, rename, reorder, delete), pinned instruments, panel layout and theme.

import { create } from "zustand";
import { api } from "../api/http";

export type PanelId = "market" | "ticket" | "orderbook" | "blotters" | "analytics" | "admin" | "console" | "notifications";

export interface Watchlist {
  id: string;
  name: string;
  instruments: string[];
}

export interface Prefs {
  watchlists: Watchlist[];
  activeWatchlist: string;
  pinned: string[];
  theme: "dark" | "light";
  /** Panels in display order; hidden ones are kept out of the grid. */
  panels: PanelId[];
  hidden: PanelId[];
}

export const ALL_PANELS: PanelId[] = ["market", "ticket", "orderbook", "blotters", "analytics", "admin", "console", "notifications"];

export function defaultPrefs(): Prefs {
  return {
    watchlists: [
      { id: "fx", name: "FX majors", instruments: ["EUR/USD", "GBP/USD", "USD/JPY", "AUD/USD", "USD/CHF", "USD/CAD"] },
      { id: "rates", name: "Rates & credit", instruments: ["UST 2Y", "UST 10Y", "DE 10Y", "USD SOFR 5Y", "CDX.NA.IG", "ITRAXX MAIN"] },
    ],
    activeWatchlist: "fx",
    pinned: ["EUR/USD"],
    theme: "dark",
    panels: [...ALL_PANELS],
    hidden: [],
  };
}

/** Stored preferences over the defaults, dropping what no longer makes sense. */
export function mergePrefs(stored: Partial<Prefs> | null | undefined): Prefs {
  const base = defaultPrefs();
  if (!stored || typeof stored !== "object") return base;
  const watchlists = Array.isArray(stored.watchlists) && stored.watchlists.length ? stored.watchlists : base.watchlists;
  const panels = Array.isArray(stored.panels) ? stored.panels.filter((p) => ALL_PANELS.includes(p)) : base.panels;
  for (const p of ALL_PANELS) if (!panels.includes(p)) panels.push(p);
  return {
    watchlists,
    activeWatchlist: watchlists.some((w) => w.id === stored.activeWatchlist) ? stored.activeWatchlist! : watchlists[0]!.id,
    pinned: Array.isArray(stored.pinned) ? stored.pinned : base.pinned,
    theme: stored.theme === "light" ? "light" : "dark",
    panels,
    hidden: Array.isArray(stored.hidden) ? stored.hidden.filter((p) => ALL_PANELS.includes(p)) : [],
  };
}

interface PrefsState extends Prefs {
  loaded: boolean;
  update(change: (p: Prefs) => Partial<Prefs>): void;
}

const SAVE_DELAY_MS = 400;
let saveTimer: ReturnType<typeof setTimeout> | null = null;

function snapshot(s: PrefsState): Prefs {
  const { watchlists, activeWatchlist, pinned, theme, panels, hidden } = s;
  return { watchlists, activeWatchlist, pinned, theme, panels, hidden };
}

export const usePrefs = create<PrefsState>((set, get) => ({
  ...defaultPrefs(),
  loaded: false,
  update(change) {
    set(change(snapshot(get())));
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = setTimeout(() => {
      saveTimer = null;
      void api("/me/preferences", { method: "PUT", body: snapshot(get()) }).catch(() => undefined);
    }, SAVE_DELAY_MS);
  },
}));

export async function loadPrefs(): Promise<void> {
  const stored = await api<Partial<Prefs>>("/me/preferences").catch(() => null);
  usePrefs.setState({ ...mergePrefs(stored), loaded: true });
}

export function resetPrefs(): void {
  usePrefs.setState({ ...defaultPrefs(), loaded: false });
}

// Watchlist operations (pure, for components and tests).

export function addWatchlist(p: Prefs, name: string): Partial<Prefs> {
  const id = `wl-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  return { watchlists: [...p.watchlists, { id, name, instruments: [] }], activeWatchlist: id };
}

export function renameWatchlist(p: Prefs, id: string, name: string): Partial<Prefs> {
  return { watchlists: p.watchlists.map((w) => (w.id === id ? { ...w, name } : w)) };
}

export function removeWatchlist(p: Prefs, id: string): Partial<Prefs> {
  if (p.watchlists.length <= 1) return {};
  const watchlists = p.watchlists.filter((w) => w.id !== id);
  return { watchlists, activeWatchlist: p.activeWatchlist === id ? watchlists[0]!.id : p.activeWatchlist };
}

/** Moves watchlist `id` one place left (-1) or right (+1). */
export function moveWatchlist(p: Prefs, id: string, by: -1 | 1): Partial<Prefs> {
  const i = p.watchlists.findIndex((w) => w.id === id);
  const j = i + by;
  if (i < 0 || j < 0 || j >= p.watchlists.length) return {};
  const watchlists = [...p.watchlists];
  [watchlists[i], watchlists[j]] = [watchlists[j]!, watchlists[i]!];
  return { watchlists };
}

export function addToWatchlist(p: Prefs, id: string, instrument: string): Partial<Prefs> {
  return {
    watchlists: p.watchlists.map((w) =>
      w.id === id && !w.instruments.includes(instrument) ? { ...w, instruments: [...w.instruments, instrument] } : w,
    ),
  };
}

export function removeFromWatchlist(p: Prefs, id: string, instrument: string): Partial<Prefs> {
  return {
    watchlists: p.watchlists.map((w) =>
      w.id === id ? { ...w, instruments: w.instruments.filter((i) => i !== instrument) } : w,
    ),
  };
}

export function togglePin(p: Prefs, instrument: string): Partial<Prefs> {
  return { pinned: p.pinned.includes(instrument) ? p.pinned.filter((i) => i !== instrument) : [...p.pinned, instrument] };
}

/** Moves a panel one place earlier (-1) or later (+1) in the layout. */
export function movePanel(p: Prefs, id: PanelId, by: -1 | 1): Partial<Prefs> {
  const i = p.panels.indexOf(id);
  const j = i + by;
  if (i < 0 || j < 0 || j >= p.panels.length) return {};
  const panels = [...p.panels];
  [panels[i], panels[j]] = [panels[j]!, panels[i]!];
  return { panels };
}

export function togglePanel(p: Prefs, id: PanelId): Partial<Prefs> {
  return { hidden: p.hidden.includes(id) ? p.hidden.filter((h) => h !== id) : [...p.hidden, id] };
}
