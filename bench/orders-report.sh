#!/usr/bin/env bash
# Regenerates perf-reports/orders.md: orders through REST against a release `orion up` with the
# market makers running, on SQLite and on Postgres (ORION_BENCH_POSTGRES_URL, default the local
# server of scripts/test.sh; a fresh database is created for the run), 16 and 64 clients.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p orion-node -p orion-bench
admin="${ORION_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db="orion_orders_bench_$$"
psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
pg="${admin%/*}/$db"
seconds="${ORION_ORDERS_SECONDS:-20}"
run() { "$target/release/orion-rig" orders --orion "$target/release/orion" --seconds "$seconds" --out perf-reports "$@"; }
rows=()
for clients in 16 64; do
  rows+=("$(run --clients "$clients")")
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
  rows+=("$(run --clients "$clients" --database-url "$pg")")
done
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!perf-reports' || echo -dirty)
field() { sed -E "s/.* $1 ([0-9]+) us.*/\1/" <<<"$2"; }
rate() { sed -E 's/.*: ([0-9]+) orders\/s.*/\1/' <<<"$1"; }
pg64="${rows[3]}"
verdict=$([ "$(rate "$pg64")" -ge 2000 ] && [ "$(field p99 "$pg64")" -le 20000 ] && echo met || echo "**missed**")
{
  echo "# Orders through REST"
  echo
  echo "What: durable orders per second and \`POST /orders\` send → 201 latency against a release \`orion up\`"
  echo "with the market makers quoting every book. Each client repeats: a resting GTC bid below the"
  echo "market, an IOC order through the market makers' best offer (it trades), the cancel of the bid —"
  echo "three durable commands, each answered only once its rows and events are committed. Half the"
  echo "clients trade as trader@acme, half as trader@globex. Client, server and database share the cores."
  echo
  echo "- Command: \`bench/orders-report.sh\` (\`orion-rig orders\` per store and client count, ${seconds} s each after 2 s of warm-up)"
  echo "- Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- Date: $(date -u +%F)"
  echo "- Commit: $commit"
  echo
  echo "## Target"
  echo
  echo "| target | measured | verdict |"
  echo "|---|---|---|"
  echo "| ≥ 2,000 durable orders/s via REST on Postgres, p99 submit → 201 ≤ 20 ms, market makers running (64 clients) | $(rate "$pg64") orders/s, p99 $(field p99 "$pg64") µs | $verdict |"
  echo "| PRD: 100 orders/s | $(rate "$pg64") orders/s | $([ "$(rate "$pg64")" -ge 100 ] && echo met || echo '**missed**') |"
  echo
  echo "## Runs (submit → 201 in µs, hdrhistogram)"
  echo
  echo "| run | orders/s | cancels/s | p50 | p90 | p99 | p99.9 | max |"
  echo "|---|---|---|---|---|---|---|---|"
  for r in "${rows[@]}"; do
    name=$(sed -E 's/^([A-Za-z]+) ([0-9]+) clients.*/\1, \2 clients/' <<<"$r")
    cancels=$(sed -E 's/.* ([0-9]+) cancels\/s.*/\1/' <<<"$r")
    echo "| $name | $(rate "$r") | $cancels | $(field p50 "$r") | $(field p90 "$r") | $(field p99 "$r") | $(field p99.9 "$r") | $(field max "$r") |"
  done
  echo
  echo "Raw lines:"
  echo
  for r in "${rows[@]}"; do echo "    $r"; done
  echo
  echo "Distributions of the last run per store: [orders-submit-sqlite.hgrm](orders-submit-sqlite.hgrm), [orders-submit-postgres.hgrm](orders-submit-postgres.hgrm)."
  echo
  echo "## Reading"
  echo
  echo "Every order is a group-commit round trip: the answer waits for the batch holding its decision"
  echo "to commit, so latency is the commit time plus the wait for the batch before it. On two cores"
  echo "the REST clients, the server and Postgres compete for the same CPU; the RFQ load in"
  echo "[rfq.md](rfq.md) shows the same ceiling for the same reason."
} > perf-reports/orders.md
echo "wrote perf-reports/orders.md"
