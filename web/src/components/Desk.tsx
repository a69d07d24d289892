// The trader's desk: the active workspace's panels in a docking layout (dockview) — drag a tab to
// dock it beside, above or into another group, drag a sash to resize, close and reopen panels —
// and the workspace bar to switch, create, rename, reset and delete named workspaces. Every
// change is saved on the server with the user's preferences, so a reload (or another machine)
// shows the same desk.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { DockviewReact, themeDark, themeLight, type DockviewApi, type DockviewReadyEvent, type IDockviewPanelProps } from "dockview-react";
import "dockview-react/dist/styles/dockview.css";
import type { Instrument, Me } from "../api/types";
import { PANEL_TITLES, applyPreset, openPanel } from "../desk/presets";
import { hasRole } from "../state/session";
import {
  ALL_PANELS,
  addWorkspace,
  removeWorkspace,
  renameWorkspace,
  saveLayout,
  usePrefs,
  type PanelId,
  type Workspace,
} from "../state/prefs";
import { AdminConsole } from "./AdminConsole";
import { AdminPanel } from "./AdminPanel";
import { Analytics } from "./Analytics";
import { Blotters } from "./Blotters";
import { MarketWatch } from "./MarketWatch";
import { NotificationList, Toasts } from "./Notifications";
import { OrderBook } from "./OrderBook";
import { RfqTicket } from "./RfqTicket";

/** What every panel reads: the user, the instruments and the instrument selected anywhere. */
interface DeskState {
  me: Me;
  instruments: Instrument[];
  selected: string;
  select(instrumentId: string): void;
}

const DeskContext = createContext<DeskState | null>(null);

function useDesk(): DeskState {
  const desk = useContext(DeskContext);
  if (!desk) throw new Error("panel rendered outside the desk");
  return desk;
}

const TRADING = ["ROLE_TRADER"] as const;
const ANALYSING = ["ROLE_ANALYST", "ROLE_SALES", "ROLE_RISK", "ROLE_TRADER"] as const;

/** Whether `me` may see panel `id` at all (a panel that is only a refusal is left out). */
export function panelAllowed(me: Me, id: PanelId): boolean {
  if (id === "admin") return hasRole(me, "ROLE_RISK", "ROLE_ADMIN", "ROLE_PLATFORM");
  if (id === "console") return hasRole(me, "ROLE_ADMIN", "ROLE_RISK", "ROLE_PLATFORM");
  return true;
}

function PanelContent({ id }: { id: PanelId }): ReactNode {
  const { me, instruments, selected, select } = useDesk();
  const trader = hasRole(me, ...TRADING);
  const mayAnalyse = hasRole(me, ...ANALYSING);
  switch (id) {
    case "market":
      return <MarketWatch instruments={instruments} selected={selected} onSelect={select} />;
    case "ticket":
      return trader ? (
        <RfqTicket instruments={instruments} instrumentId={selected} onInstrument={select} />
      ) : (
        <p className="muted">Trading needs ROLE_TRADER.</p>
      );
    case "orderbook":
      return trader ? (
        <OrderBook instruments={instruments} instrumentId={selected} onInstrument={select} />
      ) : (
        <p className="muted">Trading needs ROLE_TRADER.</p>
      );
    case "blotters":
      return <Blotters tca={mayAnalyse} instrumentIds={instruments.map((i) => i.instrumentId)} />;
    case "analytics":
      return <Analytics instrumentId={selected} instrumentIds={instruments.map((i) => i.instrumentId)} tradeAnalytics={mayAnalyse} />;
    case "admin":
      return <AdminPanel me={me} />;
    case "console":
      return <AdminConsole me={me} />;
    case "notifications":
      return <NotificationList />;
  }
}

/** One dock panel's content, scrolling inside itself. (The dock labels each group as a region
 * named after the panel in front, so a panel is found by its title.) */
function DockPanel(props: IDockviewPanelProps) {
  const id = props.api.id as PanelId;
  return (
    <div className="dock-panel" data-panel={id}>
      <PanelContent id={id} />
    </div>
  );
}

const COMPONENTS = Object.fromEntries(ALL_PANELS.map((id) => [id, DockPanel]));

const SAVE_DELAY_MS = 300;

/** The dock of workspace `workspace`: its saved layout, else its preset. */
function Dock({ me, workspace, onApi }: { me: Me; workspace: Workspace; onApi: (api: DockviewApi | null) => void }) {
  const theme = usePrefs((s) => s.theme);
  const update = usePrefs((s) => s.update);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef<unknown>(null);
  // Records the newest layout in the preferences (which saves them), once per burst of changes.
  const flush = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    const layout = latest.current;
    latest.current = null;
    if (layout) update((p) => saveLayout(p, workspace.id, layout));
  }, [update, workspace.id]);

  const onReady = useCallback(
    (event: DockviewReadyEvent) => {
      const api = event.api;
      const allowed = (id: PanelId) => ALL_PANELS.includes(id) && panelAllowed(me, id);
      let restored = false;
      if (workspace.layout) {
        try {
          api.fromJSON(workspace.layout as Parameters<DockviewApi["fromJSON"]>[0]);
          for (const panel of [...api.panels]) if (!allowed(panel.id as PanelId)) api.removePanel(panel);
          restored = api.panels.length > 0;
        } catch {
          restored = false;
        }
      }
      if (!restored) applyPreset(api, workspace.preset, allowed);
      api.onDidLayoutChange(() => {
        usePrefs.getState().changing();
        latest.current = api.toJSON();
        if (timer.current) clearTimeout(timer.current);
        timer.current = setTimeout(flush, SAVE_DELAY_MS);
      });
      onApi(api);
    },
    // The dock is remounted (keyed by workspace) rather than re-initialised.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );

  // Leaving the workspace records the change still waiting to be saved rather than dropping it.
  useEffect(
    () => () => {
      onApi(null);
      flush();
    },
    [onApi, flush],
  );

  return (
    <div className="dock" data-testid="dock">
      <DockviewReact components={COMPONENTS} onReady={onReady} theme={theme === "dark" ? themeDark : themeLight} disableFloatingGroups />
    </div>
  );
}

const SYNC_TEXT = { saved: "Saved", pending: "Saving…", failed: "Not saved" };

/** Whether the server has the desk as shown. */
function SyncBadge() {
  const sync = usePrefs((s) => s.sync);
  return (
    <span className={`sync ${sync}`} data-testid="layout-sync" data-state={sync} title="Your workspaces and preferences, saved on the server">
      {SYNC_TEXT[sync]}
    </span>
  );
}

/** Switch, create, rename, reset and delete workspaces; open and close panels. */
function WorkspaceBar({ me, api, onReset }: { me: Me; api: DockviewApi | null; onReset: () => void }) {
  const workspaces = usePrefs((s) => s.workspaces);
  const active = usePrefs((s) => s.activeWorkspace);
  const update = usePrefs((s) => s.update);
  const current = workspaces.find((w) => w.id === active) ?? workspaces[0]!;
  const [name, setName] = useState(current.name);
  const [open, setOpen] = useState<PanelId[]>([]);
  useEffect(() => setName(current.name), [current.name]);

  useEffect(() => {
    if (!api) return;
    const refresh = () => setOpen(api.panels.map((p) => p.id as PanelId));
    refresh();
    const subscriptions = [api.onDidAddPanel(refresh), api.onDidRemovePanel(refresh)];
    return () => subscriptions.forEach((s) => s.dispose());
  }, [api]);

  return (
    <nav className="workspace-bar" aria-label="Workspaces">
      <div role="tablist" aria-label="Workspace">
        {workspaces.map((w) => (
          <button
            key={w.id}
            role="tab"
            aria-selected={w.id === current.id}
            className={w.id === current.id ? "active" : ""}
            onClick={() => update(() => ({ activeWorkspace: w.id }))}
          >
            {w.name}
          </button>
        ))}
        <button className="link" aria-label="New workspace" onClick={() => update((p) => addWorkspace(p, `Workspace ${p.workspaces.length + 1}`))}>
          + New
        </button>
      </div>
      <Toasts />
      <SyncBadge />
      <details className="menu">
        <summary>Workspace</summary>
        <div className="menu-body">
          <label>
            Name{" "}
            <input
              aria-label="Workspace name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              onBlur={() => update((p) => renameWorkspace(p, current.id, name))}
              onKeyDown={(e) => e.key === "Enter" && update((p) => renameWorkspace(p, current.id, name))}
            />
          </label>
          <fieldset>
            <legend>Panels</legend>
            {ALL_PANELS.filter((id) => panelAllowed(me, id)).map((id) => (
              <label key={id}>
                <input
                  type="checkbox"
                  checked={open.includes(id)}
                  disabled={!api}
                  onChange={() => {
                    if (!api) return;
                    const panel = api.getPanel(id);
                    if (panel) api.removePanel(panel);
                    else openPanel(api, id);
                  }}
                />{" "}
                {PANEL_TITLES[id]}
              </label>
            ))}
          </fieldset>
          <button onClick={onReset}>
            Reset layout
          </button>{" "}
          <button className="danger" disabled={workspaces.length <= 1} onClick={() => update((p) => removeWorkspace(p, current.id))}>
            Delete workspace
          </button>
        </div>
      </details>
    </nav>
  );
}

/** The workspace bar and the active workspace's dock. */
export function Desk({ me, instruments }: { me: Me; instruments: Instrument[] }) {
  const [selected, setSelected] = useState("EUR/USD");
  const [api, setApi] = useState<DockviewApi | null>(null);
  const workspaces = usePrefs((s) => s.workspaces);
  const active = usePrefs((s) => s.activeWorkspace);
  const loaded = usePrefs((s) => s.loaded);
  const workspace = workspaces.find((w) => w.id === active) ?? workspaces[0]!;
  const desk = useMemo<DeskState>(() => ({ me, instruments, selected, select: setSelected }), [me, instruments, selected]);
  // A reset forgets the saved layout and remounts the dock on its preset.
  const [generation, setGeneration] = useState(0);
  const reset = useCallback(() => {
    usePrefs.getState().update((p) => saveLayout(p, workspace.id, null));
    setGeneration((g) => g + 1);
  }, [workspace.id]);

  return (
    <DeskContext.Provider value={desk}>
      <WorkspaceBar me={me} api={api} onReset={reset} />
      {loaded ? (
        <Dock key={`${workspace.id}:${generation}`} me={me} workspace={workspace} onApi={setApi} />
      ) : (
        <p className="muted" style={{ padding: 16 }}>
          Loading your workspace…
        </p>
      )}
    </DeskContext.Provider>
  );
}
