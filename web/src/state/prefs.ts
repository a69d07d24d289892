// The user's workstation preferences, saved on the server (`PUT /me/preferences`): watchlists
// (create, rename, reorder, delete), pinned instruments, named workspaces (each a docking layout)
// and theme.

import { create } from "zustand";
import { api } from "../api/http";

export type PanelId = "market" | "ticket" | "orderbook" | "blotters" | "analytics" | "admin" | "console" | "notifications";

export interface Watchlist {
  id: string;
  name: string;
  instruments: string[];
}

/** The starting arrangement of a workspace that has no saved layout yet. */
export type Preset = "desk" | "analysis";

/** A named arrangement of the panels: the docking library's serialized layout once the user has
 * touched it, `null` until then (the preset's layout is shown). */
export interface Workspace {
  id: string;
  name: string;
  preset: Preset;
  layout: unknown | null;
}

export interface Prefs {
  watchlists: Watchlist[];
  activeWatchlist: string;
  pinned: string[];
  theme: "dark" | "light";
  workspaces: Workspace[];
  activeWorkspace: string;
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
    workspaces: [
      { id: "desk", name: "Desk", preset: "desk", layout: null },
      { id: "analysis", name: "Analysis", preset: "analysis", layout: null },
    ],
    activeWorkspace: "desk",
  };
}

function isWorkspace(w: unknown): w is Workspace {
  if (!w || typeof w !== "object") return false;
  const o = w as Record<string, unknown>;
  return typeof o.id === "string" && typeof o.name === "string";
}

/** Stored preferences over the defaults, dropping what no longer makes sense. */
export function mergePrefs(stored: Partial<Prefs> | null | undefined): Prefs {
  const base = defaultPrefs();
  if (!stored || typeof stored !== "object") return base;
  const watchlists = Array.isArray(stored.watchlists) && stored.watchlists.length ? stored.watchlists : base.watchlists;
  const stored_ = Array.isArray(stored.workspaces) ? stored.workspaces.filter(isWorkspace) : [];
  const workspaces: Workspace[] = stored_.length
    ? stored_.map((w) => ({
        id: w.id,
        name: w.name,
        preset: w.preset === "analysis" ? "analysis" : "desk",
        layout: w.layout && typeof w.layout === "object" ? w.layout : null,
      }))
    : base.workspaces;
  return {
    watchlists,
    activeWatchlist: watchlists.some((w) => w.id === stored.activeWatchlist) ? stored.activeWatchlist! : watchlists[0]!.id,
    pinned: Array.isArray(stored.pinned) ? stored.pinned : base.pinned,
    theme: stored.theme === "light" ? "light" : "dark",
    workspaces,
    activeWorkspace: workspaces.some((w) => w.id === stored.activeWorkspace) ? stored.activeWorkspace! : workspaces[0]!.id,
  };
}

/** Whether the server has the preferences as shown: `pending` while a change waits to be sent
 * or is in flight, `failed` when the last save was refused or could not be sent. */
export type SyncState = "saved" | "pending" | "failed";

interface PrefsState extends Prefs {
  loaded: boolean;
  sync: SyncState;
  update(change: (p: Prefs) => Partial<Prefs>): void;
  /** A change is coming (the dock waits for a drag to settle before it records the layout). */
  changing(): void;
}

const SAVE_DELAY_MS = 400;
let saveTimer: ReturnType<typeof setTimeout> | null = null;

function snapshot(s: PrefsState): Prefs {
  const { watchlists, activeWatchlist, pinned, theme, workspaces, activeWorkspace } = s;
  return { watchlists, activeWatchlist, pinned, theme, workspaces, activeWorkspace };
}

let saves = 0;

export const usePrefs = create<PrefsState>((set, get) => ({
  ...defaultPrefs(),
  loaded: false,
  sync: "saved",
  update(change) {
    set({ ...change(snapshot(get())), sync: "pending" });
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = setTimeout(() => {
      saveTimer = null;
      const save = ++saves;
      // Only the newest save settles the state: an older answer says nothing about later changes.
      const settle = (sync: SyncState) => save === saves && !saveTimer && set({ sync });
      api("/me/preferences", { method: "PUT", body: snapshot(get()) }).then(
        () => settle("saved"),
        () => settle("failed"),
      );
    }, SAVE_DELAY_MS);
  },
  changing() {
    set({ sync: "pending" });
  },
}));

export async function loadPrefs(): Promise<void> {
  const stored = await api<Partial<Prefs>>("/me/preferences").catch(() => null);
  usePrefs.setState({ ...mergePrefs(stored), loaded: true, sync: "saved" });
}

export function resetPrefs(): void {
  usePrefs.setState({ ...defaultPrefs(), loaded: false, sync: "saved" });
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

// Workspace operations (pure, for components and tests).

/** A new workspace laid out as `preset`, made the active one. */
export function addWorkspace(p: Prefs, name: string, preset: Preset = "desk"): Partial<Prefs> {
  const id = `ws-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  return { workspaces: [...p.workspaces, { id, name, preset, layout: null }], activeWorkspace: id };
}

export function renameWorkspace(p: Prefs, id: string, name: string): Partial<Prefs> {
  const trimmed = name.trim();
  if (!trimmed) return {};
  return { workspaces: p.workspaces.map((w) => (w.id === id ? { ...w, name: trimmed } : w)) };
}

/** Deletes a workspace; the last one is kept. */
export function removeWorkspace(p: Prefs, id: string): Partial<Prefs> {
  if (p.workspaces.length <= 1) return {};
  const workspaces = p.workspaces.filter((w) => w.id !== id);
  return { workspaces, activeWorkspace: p.activeWorkspace === id ? workspaces[0]!.id : p.activeWorkspace };
}

/** Records the docking layout of workspace `id` (`null` returns it to its preset). */
export function saveLayout(p: Prefs, id: string, layout: unknown | null): Partial<Prefs> {
  return { workspaces: p.workspaces.map((w) => (w.id === id ? { ...w, layout } : w)) };
}
