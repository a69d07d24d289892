// Analytics: spread over time for the selected instrument, RFQ response-time distribution per
// LP, TCA, the LP scorecard, VWAP against the mid, basket indices, trade volume per minute.
// Polled from the BFF's /analytics endpoints every few seconds.
import { useEffect, useMemo, useState } from "react";
import uPlot from "uplot";
import { api } from "../api/http";
import type { LpResponse, SpreadSeries, Volume } from "../api/types";
import { toNumber } from "../lib/decimal";
import { usePrefs } from "../state/prefs";
import { Chart } from "./Chart";
import { BasketPanel, ScorecardPanel, TcaPanel, VwapPanel } from "./TradeAnalytics";

const POLL_MS = 3_000;
const LP_COLORS = ["#4ea1ff", "#2fbf71", "#f2b134", "#c678dd", "#f0524f"];

function usePoll<T>(path: string | null): T | null {
  const [value, setValue] = useState<T | null>(null);
  useEffect(() => {
    if (!path) return;
    let alive = true;
    const load = () => api<T>(path).then((v) => alive && setValue(v)).catch(() => undefined);
    void load();
    const t = setInterval(load, POLL_MS);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [path]);
  return value;
}

function axisColors(theme: string) {
  const stroke = theme === "dark" ? "#8a97a6" : "#5d6b7b";
  const grid = { stroke: theme === "dark" ? "#2a3542" : "#e2e6ec", width: 1 };
  return { stroke, grid, ticks: grid };
}

export function Analytics({
  instrumentId,
  instrumentIds,
  tradeAnalytics,
}: {
  instrumentId: string;
  instrumentIds: string[];
  /** Show TCA, the scorecard, VWAP and baskets (the caller's roles allow them). */
  tradeAnalytics: boolean;
}) {
  const theme = usePrefs((s) => s.theme);
  const spreads = usePoll<SpreadSeries>(`/analytics/spreads?instrumentId=${encodeURIComponent(instrumentId)}`);
  const lps = usePoll<LpResponse>("/analytics/lp-response");
  const volume = usePoll<Volume>("/analytics/volume");
  const axis = axisColors(theme);

  const spreadOpts = useMemo<Omit<uPlot.Options, "width">>(
    () => ({
      height: 180,
      legend: { show: false },
      scales: { x: { time: true } },
      axes: [{ ...axis }, { ...axis, size: 80, values: (_u, vals) => vals.map((v) => (v === 0 ? "0" : String(+v.toPrecision(3)))) }],
      series: [{}, { label: "spread", stroke: "#4ea1ff", width: 1.5 }],
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [theme],
  );
  const spreadData = useMemo<uPlot.AlignedData>(
    () => [spreads?.points.map((p) => p.t / 1000) ?? [], spreads?.points.map((p) => toNumber(p.spread)) ?? []],
    [spreads],
  );

  const lpNames = lps?.lps.map((l) => l.lpId) ?? [];
  // Buckets are evenly spaced on the x axis and labelled with their upper edge.
  const bucketLabels = useMemo(
    () => lps?.lps[0]?.buckets.map((b, i, all) => (b.leMs === null ? `>${all[i - 1]?.leMs ?? 0}` : `≤${b.leMs}`)) ?? [],
    [lps],
  );
  const lpOpts = useMemo<Omit<uPlot.Options, "width">>(
    () => ({
      height: 180,
      scales: { x: { time: false } },
      axes: [
        {
          ...axis,
          label: "response time, ms",
          splits: () => bucketLabels.map((_, i) => i),
          // Every other label: thirteen fit badly in a third of the screen.
          values: (_u, vals) => vals.map((v) => (v % 2 === 0 ? (bucketLabels[v] ?? "") : "")),
        },
        { ...axis, label: "quotes" },
      ],
      series: [
        { label: "bucket", value: (_u, v) => (v === null ? "--" : (bucketLabels[v] ?? "")) },
        ...lpNames.map((name, i) => ({ label: name, stroke: LP_COLORS[i % LP_COLORS.length], width: 2, points: { show: true } })),
      ],
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [theme, lpNames.join(","), bucketLabels.join(",")],
  );
  const lpData = useMemo<uPlot.AlignedData>(() => {
    if (!lps?.lps[0]) return [[]];
    return [lps.lps[0].buckets.map((_, i) => i), ...lps.lps.map((l) => l.buckets.map((b) => b.count))];
  }, [lps]);

  const volumeOpts = useMemo<Omit<uPlot.Options, "width">>(
    () => ({
      height: 180,
      legend: { show: false },
      scales: { x: { time: true } },
      axes: [{ ...axis }, { ...axis }],
      series: [{}, { label: "trades", stroke: "#2fbf71", fill: "rgba(47,191,113,0.35)", paths: uPlot.paths.bars!({ size: [0.8, 40] }) }],
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [theme],
  );
  const volumeData = useMemo<uPlot.AlignedData>(
    () => [volume?.buckets.map((b) => b.t / 1000) ?? [], volume?.buckets.map((b) => b.trades) ?? []],
    [volume],
  );

  return (
    <div className="charts">
      <div className="chart">
        <h3>Spread — {instrumentId} (1 s samples, 15 min)</h3>
        <Chart options={spreadOpts} data={spreadData} label={`Spread over time for ${instrumentId}`} />
      </div>
      <div className="chart">
        <h3>RFQ response time per LP ({lps?.sampleSize ?? 0} quotes)</h3>
        {lps && lps.lps.length > 0 ? (
          <>
            <Chart options={lpOpts} data={lpData} label="RFQ response-time distribution per LP" />
            <table className="watch">
              <thead>
                <tr>
                  <th>LP</th>
                  <th>quotes</th>
                  <th>p50 ms</th>
                  <th>p90 ms</th>
                  <th>p99 ms</th>
                </tr>
              </thead>
              <tbody>
                {lps.lps.map((l) => (
                  <tr key={l.lpId}>
                    <td>{l.lpId}</td>
                    <td className="num">{l.quotes}</td>
                    <td className="num">{l.p50Ms}</td>
                    <td className="num">{l.p90Ms}</td>
                    <td className="num">{l.p99Ms}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : (
          <p className="muted">No quotes yet — send an RFQ.</p>
        )}
      </div>
      {tradeAnalytics && (
        <>
          <TcaPanel instrumentId={instrumentId} />
          <ScorecardPanel />
          <VwapPanel instrumentId={instrumentId} />
          <BasketPanel instrumentIds={instrumentIds} />
        </>
      )}
      <div className="chart">
        <h3>Trade volume (trades per minute, last hour)</h3>
        <Chart options={volumeOpts} data={volumeData} label="Trade volume per minute" />
        <table className="watch">
          <tbody>
            {volume?.byInstrument.map((v) => (
              <tr key={v.instrumentId}>
                <td>{v.instrumentId}</td>
                <td className="num">{v.trades} trades</td>
                <td className="num">{v.notional} notional</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
