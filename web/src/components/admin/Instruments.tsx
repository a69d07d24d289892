// The platform's instruments: define a new one (priced, streamed and tradable at once).
import { useState, type FormEvent } from "react";
import { api } from "../../api/http";
import type { AdminInstrument } from "../../api/types";
import { useResource } from "./useAdmin";

const EMPTY = { instrumentId: "", assetClass: "fx", currency: "", tickSize: "0.0001", lotSize: "0.01", referencePrice: "" };

export function Instruments() {
  const { data, error, busy, change } = useResource<AdminInstrument[]>("/admin/instruments");
  const [form, setForm] = useState(EMPTY);
  const set = (key: keyof typeof EMPTY) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });

  async function create(e: FormEvent) {
    e.preventDefault();
    const body = { ...form, symbol: form.instrumentId };
    if (await change(() => api("/admin/instruments", { body }), `${form.instrumentId} defined`)) setForm(EMPTY);
  }

  return (
    <section aria-label="Instruments">
      <h3>Instruments</h3>
      {error && <p className="down" role="alert">{error}</p>}
      <div className="scroll">
        <table className="watch admin-table">
          <thead>
            <tr>
              <th>Instrument</th>
              <th>Class</th>
              <th>Tick</th>
              <th>Lot</th>
              <th>Reference</th>
            </tr>
          </thead>
          <tbody>
            {data?.map((i) => (
              <tr key={i.instrumentId}>
                <td>{i.instrumentId}</td>
                <td>{i.assetClass}</td>
                <td className="num">{i.tickSize}</td>
                <td className="num">{i.lotSize}</td>
                <td className="num">{i.referencePrice}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form className="admin-row" onSubmit={create} aria-label="Define instrument">
        <input aria-label="Instrument id" placeholder="EUR/SEK" value={form.instrumentId} onChange={set("instrumentId")} />
        <select aria-label="Asset class" value={form.assetClass} onChange={set("assetClass")}>
          <option value="fx">fx</option>
          <option value="rates">rates</option>
          <option value="credit">credit</option>
        </select>
        <input aria-label="Currency" placeholder="SEK" value={form.currency} onChange={set("currency")} />
        <input aria-label="Tick size" value={form.tickSize} onChange={set("tickSize")} />
        <input aria-label="Lot size" value={form.lotSize} onChange={set("lotSize")} />
        <input aria-label="Reference price" placeholder="11.4520" value={form.referencePrice} onChange={set("referencePrice")} />
        <button type="submit" className="primary" disabled={busy || !form.instrumentId || !form.referencePrice}>
          Define instrument
        </button>
      </form>
    </section>
  );
}
