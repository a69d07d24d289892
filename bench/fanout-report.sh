#!/usr/bin/env bash
# Regenerates perf-reports/fanout.md: one release `orion core` and two `orion bff` replicas,
# 1,000 and then 10,000 WebSocket sessions (ORION_FANOUT_SESSIONS) split between them, 20
# instruments each at the 100 ms window; then CreateRFQ through gRPC against POST /rfqs on one
# `orion up`.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p orion-node -p orion-bench
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
"$target/release/orion-rig" fanout --orion "$target/release/orion" \
  --sessions "${ORION_FANOUT_SESSIONS:-1000,10000}" --seconds "${ORION_FANOUT_SECONDS:-20}" --out perf-reports
