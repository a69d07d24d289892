#!/usr/bin/env bash
# Regenerates perf-reports/rfq.md: criterion benches of the RFQ engine, orion-rig's quotes/s and
# accept-latency measurement, the REST load on SQLite and Postgres, group-commit and relay
# capacity (relay to the local bus, and to a tansu broker when one is installed — see
# scripts/test.sh), and a soak run sampling the server's RSS (ORION_SOAK_SECONDS, default 600).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p orion-bench -p orion-node
cargo bench -p orion-bench --bench rfq

kafka=()
tansu="${ORION_TANSU_BIN:-$HOME/.cache/orion-tools/tansu/bin/tansu}"
if [ -x "$tansu" ]; then
  dir=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd "$dir" && exec "$tansu" broker --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" --storage-engine sqlite://tansu.db) >/dev/null 2>&1 &
  broker=$!
  trap 'kill $broker 2>/dev/null; rm -rf "$dir"' EXIT
  for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  kafka=(--kafka-brokers "127.0.0.1:$port")
fi

"$target/release/orion-rig" engine --target-dir "$target" --out perf-reports \
  --load-with "$target/release/orion" --soak-seconds "${ORION_SOAK_SECONDS:-600}" "${kafka[@]}"
