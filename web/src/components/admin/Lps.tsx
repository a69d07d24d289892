// Liquidity providers: enable or disable one (a disabled LP gets no RFQs).
import { api } from "../../api/http";
import type { AdminLp } from "../../api/types";
import { useResource } from "./useAdmin";

export function Lps() {
  const { data, error, busy, change } = useResource<AdminLp[]>("/admin/lps");
  return (
    <section aria-label="Liquidity providers">
      <h3>Liquidity providers</h3>
      {error && <p className="down" role="alert">{error}</p>}
      <table className="watch admin-table">
        <thead>
          <tr>
            <th>LP</th>
            <th>Asset classes</th>
            <th>Quotes/s</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.map((lp) => (
            <tr key={lp.lpId} data-testid={`lp-${lp.lpId}`}>
              <td>{lp.lpId}</td>
              <td>{lp.assetClasses.join(", ")}</td>
              <td className="num">{lp.maxQuotesPerSec}</td>
              <td className={lp.enabled ? "up" : "down"}>{lp.enabled ? "enabled" : "disabled"}</td>
              <td>
                <button
                  disabled={busy}
                  onClick={() =>
                    void change(() => api("/admin/lps", { body: { ...lp, enabled: !lp.enabled } }), `${lp.lpId} ${lp.enabled ? "disabled" : "enabled"}`)
                  }
                >
                  {lp.enabled ? "Disable" : "Enable"}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
