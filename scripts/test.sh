#!/usr/bin/env bash
# Runs every check and test of the workspace: formatting, lints, the hot path's dependency
# rule, unit/property/integration tests (including `orion up` end to end), and compiles the
# benchmarks. Installs nothing it does not need; today the suite needs only cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "hot path purity (no I/O crates under orion-hotpath)"
forbidden=$(cargo tree -p orion-hotpath -e normal --prefix none --locked \
  | grep -E -o '^(tokio|mio|sqlx|rdkafka|axum|tonic|quinn|hyper|reqwest) ' | sort -u || true)
if [ -n "$forbidden" ]; then
  echo "orion-hotpath depends on I/O crates: $forbidden" >&2
  exit 1
fi
echo "ok"

step "tests"
cargo test --workspace --locked

step "benchmarks compile"
cargo bench --workspace --no-run --locked

step "all checks passed"
