// The tenant's users: create one (roles, asset classes, optional limits), disable or enable.
import { useState, type FormEvent } from "react";
import { api } from "../../api/http";
import type { AdminUser } from "../../api/types";
import { useResource } from "./useAdmin";

const ROLES = ["ROLE_TRADER", "ROLE_SALES", "ROLE_RISK", "ROLE_ANALYST", "ROLE_ADMIN"];
const CLASSES = ["fx", "rates", "credit"];

function toggle(list: string[], value: string): string[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
}

export function Users() {
  const { data, error, busy, change } = useResource<AdminUser[]>("/admin/users");
  const [userId, setUserId] = useState("");
  const [password, setPassword] = useState("");
  const [roles, setRoles] = useState<string[]>(["ROLE_TRADER"]);
  const [classes, setClasses] = useState<string[]>(["fx"]);

  async function create(e: FormEvent) {
    e.preventDefault();
    const body = { userId, password, roles, entitlements: { assetClasses: classes } };
    if (await change(() => api("/admin/users", { body }), `user ${userId} created`)) {
      setUserId("");
      setPassword("");
    }
  }

  return (
    <section aria-label="Users">
      <h3>Users</h3>
      {error && <p className="down" role="alert">{error}</p>}
      <table className="watch admin-table">
        <thead>
          <tr>
            <th>User</th>
            <th>Roles</th>
            <th>Asset classes</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.map((u) => (
            <tr key={u.userId} data-testid={`user-${u.userId}`}>
              <td>{u.userId}</td>
              <td>{u.roles.join(", ")}</td>
              <td>{u.entitlements.assetClasses.join(", ")}</td>
              <td className={u.enabled ? "up" : "down"}>{u.enabled ? "enabled" : "disabled"}</td>
              <td>
                <button
                  disabled={busy}
                  className={u.enabled ? "danger" : ""}
                  onClick={() =>
                    void change(
                      () => api(`/admin/users/${encodeURIComponent(u.userId)}/${u.enabled ? "disable" : "enable"}`, { body: {} }),
                      `${u.userId} ${u.enabled ? "disabled" : "enabled"}`,
                    )
                  }
                >
                  {u.enabled ? "Disable" : "Enable"}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="admin-row" onSubmit={create} aria-label="Create user">
        <input aria-label="New user id" placeholder="name@tenant" value={userId} onChange={(e) => setUserId(e.target.value)} />
        <input aria-label="New user password" type="password" placeholder="password" value={password} onChange={(e) => setPassword(e.target.value)} />
        {ROLES.map((r) => (
          <label key={r} className="check">
            <input type="checkbox" checked={roles.includes(r)} onChange={() => setRoles(toggle(roles, r))} />
            {r.replace("ROLE_", "").toLowerCase()}
          </label>
        ))}
        {CLASSES.map((c) => (
          <label key={c} className="check">
            <input type="checkbox" checked={classes.includes(c)} onChange={() => setClasses(toggle(classes, c))} />
            {c}
          </label>
        ))}
        <button type="submit" className="primary" disabled={busy || !userId || !password || roles.length === 0}>
          Create user
        </button>
      </form>
    </section>
  );
}
