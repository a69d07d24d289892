// Trade analytics from the analytics read models: TCA (slippage distribution and per-trade
// table), the LP scorecard, VWAP against the mid each trade was decided at, and basket indices
// with their editor. Analysts, sales and risk see the tenant; traders their own trades.
import { useEffect, useMemo, useState } from "react";
import uPlot from "uplot";
import { ApiError, api } from "../api/http";
import type { Basket, BasketDefinition, BasketSeries, LpScore, Tca, Vwap } from "../api/types";
import { toNumber } from "../lib/decimal";
import { usePrefs } from "../state/prefs";
import { Chart } from "./Chart";
import { formatCompact, formatPrice, formatQty } from "../lib/format";

const POLL_MS = 5_000;

function usePoll<T>(path: string | null, every = POLL_MS): { value: T | null; error: string | null } {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!path) return;
    let alive = true;
    const load = () =>
      api<T>(path)
        .then((v) => {
          if (!alive) return;
          setValue(v);
          setError(null);
        })
        .catch((e: unknown) => alive && setError(e instanceof ApiError ? e.message : "unavailable"));
    void load();
    const t = setInterval(load, every);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [path, every]);
  return { value, error };
}

function axes(theme: string) {
  const stroke = theme === "dark" ? "#8a97a6" : "#5d6b7b";
  const grid = { stroke: theme === "dark" ? "#2a3542" : "#e2e6ec", width: 1 };
  return { stroke, grid, ticks: grid };
}

const bp = (v: number | null | undefined) => (v === null || v === undefined ? "—" : v.toFixed(2));

/** Slippage buckets, bp: 0.25 bp wide from −2 to +2, the outer two open. */
const EDGES = Array.from({ length: 17 }, (_, i) => -2 + i * 0.25);

function histogram(values: number[]): number[] {
  const counts = new Array<number>(EDGES.length + 1).fill(0);
  for (const v of values) {
    const i = EDGES.findIndex((edge) => v < edge);
    const bucket = i === -1 ? EDGES.length : i;
    counts[bucket] = (counts[bucket] ?? 0) + 1;
  }
  return counts;
}

export function TcaPanel({ instrumentId }: { instrumentId: string }) {
  const theme = usePrefs((s) => s.theme);
  const { value: tca, error } = usePoll<Tca>(`/analytics/tca?instrumentId=${encodeURIComponent(instrumentId)}`);
  const slippages = useMemo(
    () => (tca?.trades ?? []).map((t) => t.slippageBps).filter((v): v is number => typeof v === "number"),
    [tca],
  );
  const options = useMemo<Omit<uPlot.Options, "width">>(
    () => ({
      height: 160,
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [
        {
          ...axes(theme),
          label: "slippage vs mid, bp",
          splits: () => EDGES.map((_, i) => i),
          values: (_u, vals) => vals.map((v) => (v % 4 === 0 ? String(EDGES[v] ?? "") : "")),
        },
        { ...axes(theme), label: "trades" },
      ],
      series: [{}, { label: "trades", stroke: "#c678dd", fill: "rgba(198,120,221,0.35)", paths: uPlot.paths.bars!({ size: [0.9, 30] }) }],
    }),
    [theme],
  );
  const data = useMemo<uPlot.AlignedData>(() => {
    const counts = histogram(slippages);
    return [counts.map((_, i) => i), counts];
  }, [slippages]);
  const s = tca?.summary.slippage;
  return (
    <div className="chart">
      <h3>TCA — {instrumentId}</h3>
      {error && !tca ? <p className="muted">{error}</p> : null}
      <p className="kpis">
        <span>{tca?.summary.count ?? 0} trades</span>
        <span>mean {bp(s?.meanBps)} bp</span>
        <span>p50 {bp(s?.p50Bps)} bp</span>
        <span>p90 {bp(s?.p90Bps)} bp</span>
      </p>
      <Chart options={options} data={data} label={`Slippage distribution for ${instrumentId}`} />
      <div className="scroll">
        <table className="watch" aria-label="TCA per trade">
          <thead>
            <tr>
              <th>trade</th>
              <th>venue</th>
              <th>LP</th>
              <th>side</th>
              <th className="num">size</th>
              <th className="num">price</th>
              <th className="num">mid at decision</th>
              <th className="num">slippage bp</th>
              <th className="num">capture bp</th>
              <th className="num">time to exec ms</th>
            </tr>
          </thead>
          <tbody>
            {[...(tca?.trades ?? [])]
              .reverse()
              .slice(0, 50)
              .map((t) => (
                <tr key={t.tradeId}>
                  <td>{t.tradeId}</td>
                  <td>{t.venue}</td>
                  <td>{t.lpId}</td>
                  <td className={t.side === "BUY" ? "buy" : "sell"}>{t.side}</td>
                  <td className="num" title={formatQty(t.size)}>{formatCompact(t.size)}</td>
                  <td className="num">{formatPrice(t.instrumentId, t.price)}</td>
                  <td className="num">{t.midAtDecision ?? "—"}</td>
                  <td className="num">{bp(t.slippageBps)}</td>
                  <td className="num">{bp(t.spreadCaptureBps)}</td>
                  <td className="num">{t.timeToExecutionMs}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function ScorecardPanel() {
  const { value: lps, error } = usePoll<LpScore[]>("/analytics/lp-scorecard");
  return (
    <div className="chart">
      <h3>LP scorecard</h3>
      {error && !lps ? <p className="muted">{error}</p> : null}
      <table className="watch" aria-label="LP scorecard">
        <thead>
          <tr>
            <th>LP</th>
            <th className="num">RFQs</th>
            <th className="num">quotes</th>
            <th className="num">wins</th>
            <th className="num">hit ratio</th>
            <th className="num">p50 ms</th>
            <th className="num">p90 ms</th>
            <th className="num">to best bp</th>
          </tr>
        </thead>
        <tbody>
          {(lps ?? []).map((l) => (
            <tr key={l.lpId}>
              <td>{l.lpId}</td>
              <td className="num">{l.rfqsReceived}</td>
              <td className="num">{l.quotes}</td>
              <td className="num">{l.wins}</td>
              <td className="num">{(l.hitRatio * 100).toFixed(1)}%</td>
              <td className="num">{l.responseP50Ms ?? "—"}</td>
              <td className="num">{l.responseP90Ms ?? "—"}</td>
              <td className="num">{bp(l.meanDistanceToBestBps)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function VwapPanel({ instrumentId }: { instrumentId: string }) {
  const theme = usePrefs((s) => s.theme);
  const q = encodeURIComponent(instrumentId);
  const { value: vwap } = usePoll<Vwap>(`/analytics/vwap?instrumentId=${q}&windowSeconds=300`);
  const { value: tca } = usePoll<Tca>(`/analytics/tca?instrumentId=${q}`);
  const options = useMemo<Omit<uPlot.Options, "width">>(
    () => ({
      height: 160,
      scales: { x: { time: true } },
      axes: [{ ...axes(theme) }, { ...axes(theme), size: 70 }],
      series: [
        {},
        { label: "VWAP 5 min", stroke: "#f2b134", width: 2 },
        { label: "mid at trade", stroke: "#4ea1ff", width: 0, points: { show: true, size: 4 } },
      ],
    }),
    [theme],
  );
  const data = useMemo<uPlot.AlignedData>(() => {
    const mids = new Map((tca?.trades ?? []).map((t) => [Date.parse(t.executedAt), t.midAtDecision]));
    const points = vwap?.points ?? [];
    return [
      points.map((p) => p.t / 1000),
      points.map((p) => p.vwap),
      points.map((p) => {
        const mid = mids.get(p.t);
        return mid ? toNumber(mid) : null;
      }),
    ];
  }, [vwap, tca]);
  return (
    <div className="chart">
      <h3>VWAP against the mid — {instrumentId}</h3>
      <Chart options={options} data={data} label={`VWAP and mid for ${instrumentId}`} />
    </div>
  );
}

const emptyDefinition = (instrumentId: string): BasketDefinition => ({
  name: "",
  base: "100",
  components: [{ instrumentId, weight: 1 }],
});

export function BasketPanel({ instrumentIds }: { instrumentIds: string[] }) {
  const theme = usePrefs((s) => s.theme);
  const [refresh, setRefresh] = useState(0);
  const { value: baskets } = usePoll<Basket[]>(`/analytics/baskets?r=${refresh}`, 15_000);
  const [chosen, setChosen] = useState<string | null>(null);
  const current = chosen ?? baskets?.[0]?.basketId ?? null;
  const { value: series } = usePoll<BasketSeries>(current ? `/analytics/baskets/${encodeURIComponent(current)}/series` : null, 2_000);
  const [id, setId] = useState("");
  const [draft, setDraft] = useState<BasketDefinition>(emptyDefinition(instrumentIds[0] ?? "EUR/USD"));
  const [message, setMessage] = useState<string | null>(null);

  const options = useMemo<Omit<uPlot.Options, "width">>(
    () => ({
      height: 160,
      legend: { show: false },
      scales: { x: { time: true } },
      axes: [{ ...axes(theme) }, { ...axes(theme), size: 70 }],
      series: [{}, { label: "index", stroke: "#2fbf71", width: 2 }],
    }),
    [theme],
  );
  const data = useMemo<uPlot.AlignedData>(
    () => [series?.points.map((p) => p.t / 1000) ?? [], series?.points.map((p) => p.value) ?? []],
    [series],
  );

  const save = () => {
    api<Basket>(`/analytics/baskets/${encodeURIComponent(id)}`, { method: "PUT", body: draft })
      .then((b) => {
        setMessage(`saved ${b.basketId}`);
        setChosen(b.basketId);
        setRefresh((r) => r + 1);
      })
      .catch((e: unknown) => setMessage(e instanceof ApiError ? e.message : "not saved"));
  };
  const setComponent = (i: number, patch: Partial<BasketDefinition["components"][number]>) =>
    setDraft((d) => ({ ...d, components: d.components.map((c, j) => (j === i ? { ...c, ...patch } : c)) }));

  return (
    <div className="chart">
      <h3>
        Basket index{" "}
        <select aria-label="Basket" value={current ?? ""} onChange={(e) => setChosen(e.target.value)}>
          {(baskets ?? []).map((b) => (
            <option key={b.basketId} value={b.basketId}>
              {b.name}
            </option>
          ))}
        </select>
      </h3>
      <Chart options={options} data={data} label="Basket index" />
      <details>
        <summary>Define a basket</summary>
        <div className="form">
          <label>
            id <input value={id} onChange={(e) => setId(e.target.value)} placeholder="majors" />
          </label>
          <label>
            name <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
          </label>
          <label>
            base <input value={draft.base} onChange={(e) => setDraft({ ...draft, base: e.target.value })} />
          </label>
          {draft.components.map((c, i) => (
            <div key={i} className="row">
              <select aria-label={`Component ${i + 1}`} value={c.instrumentId} onChange={(e) => setComponent(i, { instrumentId: e.target.value })}>
                {instrumentIds.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
              <input
                aria-label={`Weight ${i + 1}`}
                type="number"
                step="0.1"
                value={c.weight}
                onChange={(e) => setComponent(i, { weight: Number(e.target.value) })}
              />
              <button className="link" onClick={() => setDraft({ ...draft, components: draft.components.filter((_, j) => j !== i) })}>
                remove
              </button>
            </div>
          ))}
          <button
            className="link"
            onClick={() => setDraft({ ...draft, components: [...draft.components, { instrumentId: instrumentIds[0] ?? "EUR/USD", weight: 1 }] })}
          >
            add instrument
          </button>
          <button onClick={save} disabled={!id || !draft.name}>
            Save basket
          </button>
          {message ? <span className="muted">{message}</span> : null}
        </div>
      </details>
    </div>
  );
}
