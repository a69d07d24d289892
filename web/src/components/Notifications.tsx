// Toasts for the newest notifications (a strip in the workspace bar: they never cover a panel)
// and the full list for the notifications panel.
import { useNotifications } from "../state/notifications";
import { formatTime } from "../lib/format";

export function Toasts() {
  const toasts = useNotifications((s) => s.toasts);
  const dismiss = useNotifications((s) => s.dismiss);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.severity}`} role="status" title="Dismiss" onClick={() => dismiss(t.id)}>
          <strong>{t.title}</strong>
          {t.count > 1 && <span className="badge">×{t.count}</span>} <span>{t.message}</span>
        </div>
      ))}
    </div>
  );
}

export function NotificationList() {
  const notes = useNotifications((s) => s.notes);
  const clear = useNotifications((s) => s.clear);
  return (
    <div>
      <button onClick={clear} disabled={notes.length === 0}>Clear</button>
      <ul className="notes" aria-label="Notifications">
        {notes.map((n) => (
          <li key={n.id}>
            <span className="muted num">{formatTime(n.at)}</span>{" "}
            <strong className={n.severity === "ERROR" ? "down" : n.severity === "WARNING" ? "warn" : ""}>{n.title}</strong> — {n.message}
          </li>
        ))}
        {notes.length === 0 && <li className="muted">Nothing yet.</li>}
      </ul>
    </div>
  );
}
