// Venues: where instruments trade, by RFQ or on the order book.
import { useState, type FormEvent } from "react";
import { api } from "../../api/http";
import type { AdminVenue } from "../../api/types";
import { useResource } from "./useAdmin";

export function Venues() {
  const { data, error, busy, change } = useResource<AdminVenue[]>("/admin/venues");
  const [venueId, setVenueId] = useState("");
  const [executionType, setExecutionType] = useState<"RFQ" | "CLOB">("RFQ");
  const [instruments, setInstruments] = useState("");

  async function save(e: FormEvent) {
    e.preventDefault();
    const body = {
      venueId,
      executionType,
      instruments: instruments
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    };
    if (await change(() => api("/admin/venues", { body }), `venue ${venueId} saved`)) setVenueId("");
  }

  return (
    <section aria-label="Venues">
      <h3>Venues</h3>
      {error && <p className="down" role="alert">{error}</p>}
      <table className="watch admin-table">
        <tbody>
          {data?.map((v) => (
            <tr key={v.venueId}>
              <td>{v.venueId}</td>
              <td>{v.executionType}</td>
              <td>{v.instruments.join(", ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="admin-row" onSubmit={save} aria-label="Save venue">
        <input aria-label="Venue id" placeholder="venue id" value={venueId} onChange={(e) => setVenueId(e.target.value)} />
        <select aria-label="Execution type" value={executionType} onChange={(e) => setExecutionType(e.target.value as "RFQ" | "CLOB")}>
          <option value="RFQ">RFQ</option>
          <option value="CLOB">CLOB</option>
        </select>
        <input aria-label="Venue instruments" placeholder="EUR/USD, USD/JPY" value={instruments} onChange={(e) => setInstruments(e.target.value)} />
        <button type="submit" disabled={busy || !venueId}>
          Save venue
        </button>
      </form>
    </section>
  );
}
