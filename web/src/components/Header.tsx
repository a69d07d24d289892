// User, tenant and roles; connection state with message rate and round trip; theme; logout.
import { useSession } from "../state/session";
import { usePrefs } from "../state/prefs";

const STATE_TEXT = { live: "Live", connecting: "Connecting…", reconnecting: "Reconnecting…", closed: "Disconnected" };

export function Header({ onLogout }: { onLogout: () => void }) {
  const me = useSession((s) => s.me);
  const stream = useSession((s) => s.stream);
  const theme = usePrefs((s) => s.theme);
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
