#!/usr/bin/env bash
# Regenerates perf-reports/hotpath-profile.md: scheduler activity of each pipeline variant under
# sustained load, from `perf stat` software events (this VM exposes no hardware counters).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p orion-bench
out=perf-reports/hotpath-profile.md
{
  echo "# Hot-path profile: scheduler activity per pipeline variant"
  echo
  echo "- Command: \`bench/hotpath-profile.sh\`"
  echo "- Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- Date: $(date -u +%F)"
  echo "- Commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!perf-reports' || echo -dirty)"
  echo
  echo "What: \`perf stat -e task-clock,context-switches,cpu-migrations\` around \`orion-rig throughput\`"
  echo "for one variant at a time (3 rounds of 5 M ticks, one by one, and in batches of 64 for the disruptor). This VM exposes no hardware"
  echo "counters (cycles, instructions: not supported), so this is the profile available here; tracing"
  echo "context switches also slows every variant down, so read the counts, not the rates."
  echo
  echo "| variant | context switches | per second | CPUs utilised | task-clock ms |"
  echo "|---|---|---|---|---|"
  for v in disruptor-fused disruptor-split crossbeam-fused crossbeam-split mpsc-fused mpsc-split; do
    stats=$(perf stat -x, -e task-clock,context-switches,cpu-migrations -- \
      "$target/release/orion-rig" throughput --ticks 5000000 --rounds 3 --only "$v" 2>&1 >/dev/null)
    clock=$(echo "$stats" | awk -F, '$3=="task-clock"{printf "%.0f", $1}')
    switches=$(echo "$stats" | awk -F, '$3=="context-switches"{print $1}')
    util=$(echo "$stats" | awk -F, '$3=="task-clock"{printf "%.2f", $6}')
    secs=$(echo "$clock $util" | awk '{ if ($2 > 0) printf "%.3f", $1/1000/$2; else print 1 }')
    rate=$(echo "$switches $secs" | awk '{ printf "%.0f", $1/$2 }')
    echo "| \`$v\` | $switches | $rate | $util | $clock |"
  done
  echo
  echo "Reading: the two disruptor rows move the same 30 M ticks (one by one, then in batches of 64);"
  echo "the channel rows move 15 M (no batch API). The fused disruptor barely switches and spends the"
  echo "least CPU: its stage thread owns a core and spins. The split disruptor puts three runnable"
  echo "threads on two cores, so its stages yield to each other: compare its switches and task-clock"
  echo "with the fused row for the same work — the scheduler, not the ring, sets its pace."
  echo "\`std::sync::mpsc\`'s blocking send parks the producer whenever the channel is full, hence its"
  echo "switches."
} > "$out"
echo "wrote $out"
