// Market watch: watchlists (create, rename, reorder, delete; saved per user), pinned
// instruments first, streaming bid/ask/mid/spread with tick direction, age, stale and quality
// flags. Clicking a row puts the instrument on the RFQ ticket.
import { useState } from "react";
import { useNow } from "../lib/useNow";
import type { Instrument } from "../api/types";
import { useMarket, type MarketRow } from "../state/market";
import {
  addToWatchlist,
  addWatchlist,
  moveWatchlist,
  removeFromWatchlist,
  removeWatchlist,
  renameWatchlist,
  togglePin,
  usePrefs,
} from "../state/prefs";

function age(row: MarketRow, now: number): string {
  const ms = Math.max(0, now - Date.parse(row.receivedAt));
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function Row({ id, row, pinned, selected, now, onSelect, onPin, onRemove }: {
  id: string;
  row: MarketRow | undefined;
  pinned: boolean;
  selected: boolean;
  now: number;
  onSelect: () => void;
  onPin: () => void;
  onRemove?: () => void;
}) {
  const arrow = row?.dir === 1 ? "▲" : row?.dir === -1 ? "▼" : "·";
  const cls = row?.dir === 1 ? "up" : row?.dir === -1 ? "down" : "muted";
  return (
    <tr className={selected ? "selected" : ""} onClick={onSelect} data-instrument={id} aria-label={`${id} price row`}>
      <td>
        <button className="link" onClick={(e) => (e.stopPropagation(), onPin())} aria-label={pinned ? `Unpin ${id}` : `Pin ${id}`}>
          {pinned ? "★" : "☆"}
        </button>
        {id}
        {row?.stale && <span className="flag">STALE</span>}
        {row?.flags.filter((f) => f !== "stale").map((f) => (
          <span className="flag" key={f}>
            {f}
          </span>
        ))}
      </td>
      <td className="num" data-field="bid">{row?.bid ?? "—"}</td>
      <td className="num" data-field="ask">{row?.ask ?? "—"}</td>
      <td className={`num ${cls}`} data-field="mid">
        {row?.mid ?? "—"} {arrow}
      </td>
      <td className="num" data-field="spread">{row?.spread ?? "—"}</td>
      <td className="num muted">{row ? age(row, now) : "—"}</td>
      <td>
        {onRemove && (
          <button className="link" onClick={(e) => (e.stopPropagation(), onRemove())} aria-label={`Remove ${id}`}>
            ✕
          </button>
        )}
      </td>
    </tr>
  );
}

export function MarketWatch({ instruments, selected, onSelect }: {
  instruments: Instrument[];
  selected: string;
  onSelect: (id: string) => void;
}) {
  const rows = useMarket((s) => s.rows);
  const { watchlists, activeWatchlist, pinned, update } = usePrefs();
  const now = useNow(250);
  const [adding, setAdding] = useState("");
  const active = watchlists.find((w) => w.id === activeWatchlist) ?? watchlists[0];
  const listed = (active?.instruments ?? []).filter((i) => !pinned.includes(i));

  const rename = () => {
    if (!active) return;
    const name = window.prompt("Rename watchlist", active.name);
    if (name?.trim()) update((p) => renameWatchlist(p, active.id, name.trim()));
  };
  const create = () => {
    const name = window.prompt("New watchlist name", "My watchlist");
    if (name?.trim()) update((p) => addWatchlist(p, name.trim()));
  };

  return (
    <div>
      <div className="tabs" role="tablist" aria-label="Watchlists">
        {watchlists.map((w) => (
          <button
            key={w.id}
            role="tab"
            aria-selected={w.id === active?.id}
            className={w.id === active?.id ? "active" : ""}
            onClick={() => update(() => ({ activeWatchlist: w.id }))}
          >
            {w.name}
          </button>
        ))}
        <button onClick={create} aria-label="New watchlist">+ New</button>
        {active && (
          <>
            <button onClick={rename} aria-label="Rename watchlist">Rename</button>
            <button onClick={() => update((p) => moveWatchlist(p, active.id, -1))} aria-label="Move watchlist left">◀</button>
            <button onClick={() => update((p) => moveWatchlist(p, active.id, 1))} aria-label="Move watchlist right">▶</button>
            <button onClick={() => update((p) => removeWatchlist(p, active.id))} aria-label="Delete watchlist" disabled={watchlists.length <= 1}>
              Delete
            </button>
          </>
        )}
      </div>
      <table className="watch">
        <thead>
          <tr>
            <th>Instrument</th>
            <th>Bid</th>
            <th>Ask</th>
            <th>Mid</th>
            <th>Spread</th>
            <th>Age</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {pinned.map((id) => (
            <Row key={`pin-${id}`} id={id} row={rows[id]} pinned selected={id === selected} now={now} onSelect={() => onSelect(id)} onPin={() => update((p) => togglePin(p, id))} />
          ))}
          {listed.map((id) => (
            <Row
              key={id}
              id={id}
              row={rows[id]}
              pinned={false}
              selected={id === selected}
              now={now}
              onSelect={() => onSelect(id)}
              onPin={() => update((p) => togglePin(p, id))}
              onRemove={active ? () => update((p) => removeFromWatchlist(p, active.id, id)) : undefined}
            />
          ))}
        </tbody>
      </table>
      {active && (
        <div className="tabs" style={{ marginTop: 8 }}>
          <select aria-label="Add instrument" value={adding} onChange={(e) => setAdding(e.target.value)}>
            <option value="">Add instrument…</option>
            {instruments
              .filter((i) => !active.instruments.includes(i.instrumentId))
              .map((i) => (
                <option key={i.instrumentId} value={i.instrumentId}>
                  {i.instrumentId} ({i.assetClass})
                </option>
              ))}
          </select>
          <button
            disabled={!adding}
            onClick={() => {
              update((p) => addToWatchlist(p, active.id, adding));
              setAdding("");
            }}
          >
            Add
          </button>
        </div>
      )}
    </div>
  );
}
