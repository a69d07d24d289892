#!/usr/bin/env bash
# Regenerates perf-reports/clob.md: the order book (orion_hotpath::book) under exchange-core's
# benchmark mix on one core, from the criterion bench `clob/exchange-core-mix`.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo bench -p orion-bench --bench clob
cargo build --release -p orion-bench
latency=$("$target/release/orion-rig" clob --rate 1000000 --ops 3000000 --out perf-reports)
read -r p50 p90 p99 p999 max < <(echo "$latency" | sed -E 's/.*p50 ([0-9]+) ns p90 ([0-9]+) ns p99 ([0-9]+) ns p99.9 ([0-9]+) ns max ([0-9]+) ns.*/\1 \2 \3 \4 \5/')
median_of() {
  python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))['median']
print(d['point_estimate'], d['confidence_interval']['lower_bound'], d['confidence_interval']['upper_bound'])
" "$target/criterion/clob/$1/new/estimates.json"
}
read -r median low high < <(median_of exchange-core-mix)
read -r theirs _ _ < <(median_of orderbook-rs_exchange-core-mix)
ops=1000000
rate() { python3 -c "print(f'{$ops / ($1 / 1e9) / 1e6:.1f}')"; }
per_op() { python3 -c "print(f'{$1 / $ops:.1f}')"; }
out=perf-reports/clob.md
{
  echo "# Order book performance"
  echo
  echo "What: the order book (\`orion_hotpath::book\`) on one core under exchange-core's benchmark mix —"
  echo "about 1,000 resting orders over about 750 price levels, then 9 % GTC orders, 3 % IOC orders"
  echo "taking liquidity, 6 % cancels and 82 % moves (a resting order repriced by a few ticks) —"
  echo "1,000,000 pre-generated operations replayed on a warmed book per iteration, every event"
  echo "consumed (\`bench/src/clob.rs\`, \`bench/benches/clob.rs\`)."
  echo
  echo "- Command: \`bench/clob-report.sh\`"
  echo "- Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- Date: $(date -u +%F)"
  echo "- Commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!perf-reports' || echo -dirty)"
  echo
  echo "| target | measured | verdict |"
  echo "|---|---|---|"
  verdict=$(python3 -c "r = $ops / ($median / 1e9); print(f'met ({r / 10e6:.1f}×)' if r >= 10e6 else f'**missed** ({r / 10e6:.2f}×)')")
  echo "| ≥ 10 M ops/s on one core (exchange-core mix) | $(rate "$median") M ops/s (95 % CI $(rate "$high")–$(rate "$low")), $(per_op "$median") ns per operation | $verdict |"
  verdict99=$(python3 -c "print('met' if $p99 <= 2000 else '**missed** ({:.1f}× the budget)'.format($p99 / 2000))")
  ratio=$(python3 -c "print(f'{$theirs / $median:.0f}')")
  verdict10=$(python3 -c "print('met' if $theirs / $median >= 10 else '**missed**')")
  echo "| ≥ 10× \`orderbook-rs\` on the same stream (same criterion run) | $ratio× (orderbook-rs 0.15: $(rate "$theirs") M ops/s) | $verdict10 |"
  echo "| p99 ≤ 2 µs at 1 M ops/s offered | p99 $p99 ns (p50 $p50 ns) | $verdict99 |"
  echo "| zero allocations per operation | 0 over 500,000 commands (\`hotpath/tests/no_alloc.rs\`, in the test command) | met |"
  echo
  echo "## Latency at 1 M ops/s offered (hdrhistogram, 3,000,000 operations, ns)"
  echo
  echo "\`orion-rig clob\`: operation i is due at i µs after the start; each is applied when due (or at once"
  echo "when the book is behind) and recorded as completion minus due time, so queueing behind a slow"
  echo "operation counts (no coordinated omission). Each figure includes one clock read. The thread is"
  echo "pinned to the last core; the machine's other core runs everything else. Raw:"
  echo "[clob-latency.hgrm](clob-latency.hgrm)."
  echo
  echo "| p50 | p90 | p99 | p99.9 | max |"
  echo "|---|---|---|---|---|"
  echo "| $p50 | $p90 | $p99 | $p999 | $max |"
  echo
  echo "## The comparison"
  echo
  echo "\`orderbook-rs\` 0.15 (crates.io, a bench-only dependency) replays the same operations in the same"
  echo "criterion run: the same order ids, prices and quantities; moves as \`update_order(UpdatePrice)\`. Every"
  echo "order has a user of its own, so self-trade prevention never fires in either book;"
  echo "\`bench/tests/clob_comparison.rs\` (in the test command) checks that the stream replays through"
  echo "\`orderbook-rs\` with under 1 % of cancels and moves refused and ends on the same best bid and ask."
} >"$out"
echo "wrote $out"
