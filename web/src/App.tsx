// The workstation: login, then one screen of panels in the user's saved order, theme
// and visibility.
import { useEffect, useState, type ReactNode } from "react";
import { api } from "./api/http";
import type { Instrument, Me } from "./api/types";
import { AdminConsole } from "./components/AdminConsole";
import { AdminPanel } from "./components/AdminPanel";
import { Analytics } from "./components/Analytics";
import { Blotters } from "./components/Blotters";
import { Header, PANEL_TITLES } from "./components/Header";
import { Login } from "./components/Login";
import { MarketWatch } from "./components/MarketWatch";
import { NotificationList, Toasts } from "./components/Notifications";
import { OrderBook } from "./components/OrderBook";
import { RfqTicket } from "./components/RfqTicket";
import { startLive, stopLive } from "./state/live";
import { movePanel, usePrefs, type PanelId } from "./state/prefs";
import { hasRole, useSession } from "./state/session";

function Panel({ id, wide, children }: { id: PanelId; wide?: boolean; children: ReactNode }) {
  const update = usePrefs((s) => s.update);
  return (
    <section className={`panel ${wide ? "wide" : ""}`} aria-label={PANEL_TITLES[id]}>
      <h2>
        {PANEL_TITLES[id]}
        <span className="tools">
          <button className="link" aria-label={`Move ${PANEL_TITLES[id]} earlier`} onClick={() => update((p) => movePanel(p, id, -1))}>
            ↑
          </button>
          <button className="link" aria-label={`Move ${PANEL_TITLES[id]} later`} onClick={() => update((p) => movePanel(p, id, 1))}>
            ↓
          </button>
        </span>
      </h2>
      <div className="panel-body">{children}</div>
    </section>
  );
}

function Workstation({ me }: { me: Me }) {
  const [instruments, setInstruments] = useState<Instrument[]>([]);
  const [selected, setSelected] = useState("EUR/USD");
  const panels = usePrefs((s) => s.panels);
  const hidden = usePrefs((s) => s.hidden);

  useEffect(() => {
    api<Instrument[]>("/instruments").then(setInstruments).catch(() => undefined);
  }, []);

  // TCA, the scorecard, VWAP and baskets: the tenant's for analysts, sales and risk, a trader's own.
  const mayAnalyse = hasRole(me, "ROLE_ANALYST", "ROLE_SALES", "ROLE_RISK", "ROLE_TRADER");
  const content: Record<PanelId, ReactNode | null> = {
    market: <MarketWatch instruments={instruments} selected={selected} onSelect={setSelected} />,
    ticket: hasRole(me, "ROLE_TRADER") ? (
      <RfqTicket instruments={instruments} instrumentId={selected} onInstrument={setSelected} />
    ) : (
      <p className="muted">Trading needs ROLE_TRADER.</p>
    ),
    orderbook: hasRole(me, "ROLE_TRADER") ? (
      <OrderBook instruments={instruments} instrumentId={selected} onInstrument={setSelected} />
    ) : (
      <p className="muted">Trading needs ROLE_TRADER.</p>
    ),
    blotters: <Blotters tca={mayAnalyse} />,
    analytics: (
      <Analytics instrumentId={selected} instrumentIds={instruments.map((i) => i.instrumentId)} tradeAnalytics={mayAnalyse} />
    ),
    admin: hasRole(me, "ROLE_RISK", "ROLE_ADMIN", "ROLE_PLATFORM") ? <AdminPanel me={me} /> : null,
    console: hasRole(me, "ROLE_ADMIN", "ROLE_RISK", "ROLE_PLATFORM") ? <AdminConsole me={me} /> : null,
    notifications: <NotificationList />,
  };

  return (
    <main className="grid">
      {panels
        .filter((p) => !hidden.includes(p) && content[p] !== null)
        .map((p) => (
          <Panel key={p} id={p} wide={p === "blotters" || p === "analytics" || p === "console"}>
            {content[p]}
          </Panel>
        ))}
    </main>
  );
}

export function App() {
  const tokens = useSession((s) => s.tokens);
  const me = useSession((s) => s.me);
  const logout = useSession((s) => s.logout);
  const theme = usePrefs((s) => s.theme);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  useEffect(() => {
    if (!tokens) return;
    if (!me) {
      api<Me>("/me")
        .then((m) => useSession.setState({ me: m }))
        .catch(() => undefined);
      return;
    }
    void startLive();
  }, [tokens, me]);

  if (!tokens) return <Login />;
  return (
    <>
      <Header
        onLogout={() => {
          stopLive();
          logout();
        }}
      />
      {me ? <Workstation me={me} /> : <p className="muted" style={{ padding: 16 }}>Loading…</p>}
      <Toasts />
    </>
  );
}
