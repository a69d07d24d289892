// Risk & admin: the tenant's kill switch and limits (ROLE_RISK or ROLE_ADMIN), the global kill
// switch (ROLE_PLATFORM only; shown to the others as state).
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { ApiError, api } from "../api/http";
import type { KillSwitches, Limits, Me } from "../api/types";
import { notify } from "../state/notifications";
import { hasRole } from "../state/session";

export function AdminPanel({ me }: { me: Me }) {
  const tenantRisk = hasRole(me, "ROLE_RISK", "ROLE_ADMIN");
  const platform = hasRole(me, "ROLE_PLATFORM");
  const [switches, setSwitches] = useState<KillSwitches | null>(null);
  const [limits, setLimits] = useState<Limits | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [user, setUser] = useState("trader@acme");
  const [maxNotional, setMaxNotional] = useState("1000000000");
  const [rate, setRate] = useState("50");
  const [tenantLimit, setTenantLimit] = useState("");

  const reload = useCallback(async () => {
    try {
      const [s, l] = await Promise.all([
        api<KillSwitches>("/admin/killswitch"),
        tenantRisk ? api<Limits>("/admin/limits") : Promise.resolve(null),
      ]);
      setSwitches(s);
      setLimits(l);
      setError(null);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "the server did not answer");
    }
  }, [tenantRisk]);

  useEffect(() => {
    void reload();
    const t = setInterval(() => void reload(), 5_000);
    return () => clearInterval(t);
  }, [reload]);

  async function run(action: () => Promise<unknown>, done: string) {
    setBusy(true);
    try {
      await action();
      notify("INFO", "Risk", done);
      await reload();
    } catch (err) {
      const message = err instanceof ApiError ? `${err.message} (${err.code})` : "the server did not answer";
      setError(message);
      notify("ERROR", "Risk action failed", message);
    } finally {
      setBusy(false);
    }
  }

  const toggle = (scope: "tenant" | "global", enabled: boolean) =>
    run(() => api(`/admin/killswitch/${enabled ? "disable" : "enable"}`, { body: { scope } }), `${scope} kill switch ${enabled ? "disabled" : "enabled"}`);

  function setUserLimits(e: FormEvent) {
    e.preventDefault();
    void run(
      () => api("/admin/limits", { body: { userId: user, maxNotional: Number(maxNotional), maxRfqsPerSec: Number(rate) } }),
      `limits of ${user} updated`,
    );
  }

  function setTenant(e: FormEvent) {
    e.preventDefault();
    void run(() => api("/admin/limits", { body: { tenantMaxOpenNotional: Number(tenantLimit) } }), "tenant limit updated");
  }

  return (
    <div>
      {error && <p className="down" role="alert">{error}</p>}
      {(["tenant", "global"] as const).map((scope) => {
        const state = switches?.[scope];
        const mayToggle = scope === "global" ? platform : tenantRisk;
        if (scope === "tenant" && !tenantRisk) return null;
        return (
          <div className="admin-row" key={scope}>
            <strong style={{ width: 160 }}>
              {scope === "tenant" ? `Tenant kill switch (${switches?.tenantId ?? "…"})` : "Global kill switch"}
            </strong>
            <span className={state?.enabled ? "badge down" : "badge up"} data-testid={`killswitch-${scope}`}>
              {state ? (state.enabled ? "ON — trading halted" : "off") : "…"}
            </span>
            {state?.changedBy && (
              <span className="muted">
                by {state.changedBy} at {state.changedAt}
              </span>
            )}
            {mayToggle && (
              <button className={state?.enabled ? "" : "danger"} disabled={busy || !state} onClick={() => state && void toggle(scope, state.enabled)}>
                {state?.enabled ? `Disable ${scope} kill switch` : `Enable ${scope} kill switch`}
              </button>
            )}
          </div>
        );
      })}
      {tenantRisk && (
        <>
      <h3 style={{ fontSize: 12, color: "var(--muted)" }}>Limits</h3>
      <table className="watch">
        <thead>
          <tr>
            <th>User</th>
            <th>Max notional per RFQ</th>
            <th>RFQs per second</th>
          </tr>
        </thead>
        <tbody>
          {limits?.users.map((u) => (
            <tr key={u.userId} onClick={() => (setUser(u.userId), setMaxNotional(u.maxNotional), setRate(String(u.maxRfqsPerSecond)))}>
              <td>{u.userId}</td>
              <td className="num">{u.maxNotional}</td>
              <td className="num">{u.maxRfqsPerSecond}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">Tenant open-notional limit: {limits?.maxOpenNotional ?? "none"}</p>
      <form className="admin-row" onSubmit={setUserLimits} aria-label="User limits">
        <input aria-label="Limit user" value={user} onChange={(e) => setUser(e.target.value)} />
        <input aria-label="Max notional" value={maxNotional} onChange={(e) => setMaxNotional(e.target.value)} inputMode="numeric" />
        <input aria-label="RFQs per second" value={rate} onChange={(e) => setRate(e.target.value)} inputMode="numeric" />
        <button type="submit" disabled={busy}>Set user limits</button>
      </form>
      <form className="admin-row" onSubmit={setTenant} aria-label="Tenant limit">
        <input aria-label="Tenant open notional" placeholder="max open notional" value={tenantLimit} onChange={(e) => setTenantLimit(e.target.value)} inputMode="numeric" />
        <button type="submit" disabled={busy || !tenantLimit}>Set tenant limit</button>
      </form>
        </>
      )}
    </div>
  );
}
