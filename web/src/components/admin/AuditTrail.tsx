// The tenant's audit trail, newest first, searchable by user and correlation id.
import { useState, type FormEvent } from "react";
import type { AuditEntry } from "../../api/types";
import { CopyId } from "../CopyId";
import { useResource } from "./useAdmin";

function query(user: string, correlation: string): string {
  const q = new URLSearchParams({ limit: "200" });
  if (user) q.set("userId", user);
  if (correlation) q.set("correlationId", correlation);
  return `/admin/audit?${q.toString()}`;
}

export function AuditTrail() {
  const [user, setUser] = useState("");
  const [correlation, setCorrelation] = useState("");
  const [path, setPath] = useState(query("", ""));
  const { data, error, reload } = useResource<AuditEntry[]>(path);

  function search(e: FormEvent) {
    e.preventDefault();
    const next = query(user.trim(), correlation.trim());
    if (next === path) void reload();
    else setPath(next);
  }

  return (
    <section aria-label="Audit trail">
      <h3>Audit trail</h3>
      <form className="admin-row" onSubmit={search} aria-label="Search audit trail">
        <input aria-label="Audit user" placeholder="user" value={user} onChange={(e) => setUser(e.target.value)} />
        <input aria-label="Audit correlation id" placeholder="correlation id" value={correlation} onChange={(e) => setCorrelation(e.target.value)} />
        <button type="submit">Search</button>
      </form>
      {error && <p className="down" role="alert">{error}</p>}
      <div className="scroll">
        <table className="watch admin-table" data-testid="audit-trail">
          <thead>
            <tr>
              <th>At</th>
              <th>User</th>
              <th>Action</th>
              <th>Entity</th>
              <th>Detail</th>
              <th>Correlation id</th>
            </tr>
          </thead>
          <tbody>
            {data?.map((a, i) => (
              <tr key={`${a.at}-${i}`}>
                <td>{a.at.slice(0, 23).replace("T", " ")}</td>
                <td>{a.userId}</td>
                <td>{a.action}</td>
                <td>
                  {a.entityType} {a.entityId}
                </td>
                <td>{a.detail}</td>
                <td>{a.correlationId && <CopyId label="correlation id" value={a.correlationId} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
