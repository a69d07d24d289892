// The tenant's feature flags.
import { api } from "../../api/http";
import type { FeatureFlags } from "../../api/types";
import { useResource } from "./useAdmin";

const FLAGS: (keyof FeatureFlags)[] = ["oms", "clob", "replay"];

export function FeatureFlagsForm() {
  const { data, error, busy, change } = useResource<FeatureFlags>("/admin/feature-flags");
  return (
    <section aria-label="Feature flags">
      <h3>Feature flags</h3>
      {error && <p className="down" role="alert">{error}</p>}
      <div className="admin-row">
        {FLAGS.map((flag) => (
          <label key={flag} className="check">
            <input
              type="checkbox"
              disabled={busy || !data}
              checked={data?.[flag] ?? false}
              onChange={() =>
                data &&
                void change(
                  () => api("/admin/feature-flags", { method: "PUT", body: { ...data, [flag]: !data[flag] } }),
                  `${flag} ${data[flag] ? "off" : "on"}`,
                )
              }
            />
            {flag}
          </label>
        ))}
      </div>
    </section>
  );
}
