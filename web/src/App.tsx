// The workstation: login, then one screen — the header and the user's active workspace of docked
// panels, filling the window.
import { useEffect, useState } from "react";
import { api } from "./api/http";
import type { Instrument, Me } from "./api/types";
import { Desk } from "./components/Desk";
import { Header } from "./components/Header";
import { Login } from "./components/Login";
import { setPricePrecision } from "./lib/format";
import { startLive, stopLive } from "./state/live";
import { usePrefs } from "./state/prefs";
import { useSession } from "./state/session";

function Workstation({ me }: { me: Me }) {
  const [instruments, setInstruments] = useState<Instrument[]>([]);
  useEffect(() => {
    api<Instrument[]>("/instruments")
      .then((list) => {
        setPricePrecision(list);
        setInstruments(list);
      })
      .catch(() => undefined);
  }, []);
  return (
    <main className="workstation">
      <Desk me={me} instruments={instruments} />
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
    <div className="app">
      <Header
        onLogout={() => {
          stopLive();
          logout();
        }}
      />
      {me ? <Workstation me={me} /> : <p className="muted" style={{ padding: 16 }}>Loading…</p>}
    </div>
  );
}
