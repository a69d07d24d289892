#!/usr/bin/env bash
# Regenerates perf-reports/rfq.md: criterion benches of the RFQ engine, then orion-rig's
# quotes/s and accept-latency measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p orion-bench -p orion-coldpath
cargo bench -p orion-bench --bench rfq
"$target/release/orion-rig" engine --target-dir "$target" --out perf-reports --load-with "$target/release/orion"
