#!/usr/bin/env bash
# Regenerates perf-reports/hotpath.md and its .hgrm files: criterion benches of the hot path,
# then orion-rig's in-process comparisons and the end-to-end scenario against a release orion.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p orion-node -p orion-bench
cargo bench -p orion-bench --bench hotpath
"$target/release/orion-rig" report --orion "$target/release/orion" --target-dir "$target" --out perf-reports
