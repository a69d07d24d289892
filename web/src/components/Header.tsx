// User, tenant and roles; connection state with message rate and round trip; theme; layout;
// logout.
import { useSession } from "../state/session";
import { ALL_PANELS, togglePanel, usePrefs, type PanelId } from "../state/prefs";

export const PANEL_TITLES: Record<PanelId, string> = {
  market: "Market watch",
  ticket: "RFQ ticket",
  orderbook: "Order book",
  blotters: "Blotters",
  analytics: "Analytics",
  admin: "Risk & admin",
  console: "Administration",
  notifications: "Notifications",
};

const STATE_TEXT = { live: "Live", connecting: "Connecting…", reconnecting: "Reconnecting…", closed: "Disconnected" };

export function Header({ onLogout }: { onLogout: () => void }) {
  const me = useSession((s) => s.me);
  const stream = useSession((s) => s.stream);
  const theme = usePrefs((s) => s.theme);
  const hidden = usePrefs((s) => s.hidden);
  const update = usePrefs((s) => s.update);

  return (
    <header className="header">
      <span className="brand">ORION</span>
      <span className="conn" role="status" aria-label="Connection">
        <span className={`dot ${stream.state}`} />
        <span data-testid="connection-state">{STATE_TEXT[stream.state]}</span>
        <span className="muted num">
          {stream.messagesPerSecond} msg/s{stream.rttMs !== null && ` · ${stream.rttMs} ms RTT`}
          {stream.state === "reconnecting" && ` · attempt ${stream.attempt}`}
        </span>
      </span>
      <span className="spacer" />
      <details>
        <summary>Layout</summary>
        <div style={{ position: "absolute", background: "var(--panel)", border: "1px solid var(--border)", padding: 8, zIndex: 5 }}>
          {ALL_PANELS.map((p) => (
            <label key={p} style={{ display: "block" }}>
              <input type="checkbox" checked={!hidden.includes(p)} onChange={() => update((prefs) => togglePanel(prefs, p))} />{" "}
              {PANEL_TITLES[p]}
            </label>
          ))}
        </div>
      </details>
      <button onClick={() => update(() => ({ theme: theme === "dark" ? "light" : "dark" }))} aria-label="Toggle theme">
        {theme === "dark" ? "Light theme" : "Dark theme"}
      </button>
      {me && (
        <span aria-label="Signed in user">
          <strong>{me.user}</strong> <span className="badge">{me.tenant}</span>{" "}
          <span className="muted">{me.roles.join(", ")}</span>
        </span>
      )}
      <button onClick={onLogout}>Log out</button>
    </header>
  );
}
