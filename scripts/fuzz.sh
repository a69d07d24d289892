#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ (cargo-fuzz with libFuzzer) from their committed seed corpora
# and prints, per target: executions, coverage (edges), features, corpus size and seconds.
#
#   scripts/fuzz.sh                      # every target for 20 s (what the test command runs)
#   scripts/fuzz.sh --seconds 120        # longer
#   scripts/fuzz.sh --runs 10000000      # a fixed number of executions (perf-reports/fuzz.md)
#   scripts/fuzz.sh --runs 1000 lp_frames feed_decode
#
# Installs cargo-fuzz once per machine. New inputs go to a scratch corpus, never into the
# committed seeds; a crash leaves its reproducer in fuzz/artifacts/<target>/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

limit=(-max_total_time=20)
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  targets=(feed_decode rest_bodies ws_client_frame event_envelope lp_frames)
fi

tools="${ORION_TOOLS_DIR:-$HOME/.cache/orion-tools}"
if ! command -v cargo-fuzz >/dev/null; then
  if [ ! -x "$tools/cargo-fuzz/bin/cargo-fuzz" ]; then
    echo "installing cargo-fuzz into $tools/cargo-fuzz (once per machine)"
    cargo install cargo-fuzz --locked --root "$tools/cargo-fuzz" --quiet
  fi
  export PATH="$tools/cargo-fuzz/bin:$PATH"
fi
# cargo-fuzz passes the compiler flags of a nightly toolchain; the stable one takes them so.
export RUSTC_BOOTSTRAP=1
target_dir="${CARGO_TARGET_DIR:-$PWD/target}-fuzz"
# No sanitizer: the decoders are safe Rust (no `unsafe` on these paths), so what the fuzzer
# looks for is panics, overflows (debug assertions on) and broken invariants.
flags=(--sanitizer none --debug-assertions --target-dir "$target_dir")

cargo fuzz build "${flags[@]}"
if command -v git >/dev/null && ! git diff --quiet -- fuzz/Cargo.lock 2>/dev/null; then
  echo "fuzz/Cargo.lock changed while building: a workspace crate's dependencies changed; commit the updated lock" >&2
  exit 1
fi
printf '%-16s %14s %8s %8s %8s %8s\n' target executions cov ft corpus seconds
for target in "${targets[@]}"; do
  scratch=$(mktemp -d)
  log="$scratch.log"
  started=$(date +%s)
  if ! cargo fuzz run "${flags[@]}" "$target" "$scratch" "fuzz/corpus/$target" -- \
      "${limit[@]}" -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz target $target failed; reproducer in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  seconds=$(( $(date +%s) - started ))
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || true)
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || true)
  corpus=$(echo "$last" | grep -o 'corp: [0-9]*' | grep -o '[0-9]*' || true)
  printf '%-16s %14s %8s %8s %8s %8s\n' "$target" "${runs:-?}" "${cov:-?}" "${ft:-?}" "${corpus:-?}" "$seconds"
  rm -rf "$scratch" "$log"
done
