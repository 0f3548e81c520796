#!/usr/bin/env bash
# Runs the whole suite (`npm test`) several times in a row with busy-loop processes beside it, and
# stops at the first failure: the check that no test depends on an idle machine (docs/testing.md).
#   scripts/test-under-load.sh [runs (default 3)] [busy loops (default 2)]
# Each run's output goes to .test-under-load/run<N>.log, and one line per run to the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
loops=${2:-2}
out=.test-under-load
mkdir -p "$out"

busy=()
stop_loops() {
  if [ "${#busy[@]}" -gt 0 ]; then kill "${busy[@]}" 2>/dev/null || true; fi
}
trap stop_loops EXIT
for _ in $(seq 1 "$loops"); do
  node -e 'for (;;) {}' &
  busy+=("$!")
done

echo "test-under-load: $runs runs of npm test beside $loops busy loops, commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
for run in $(seq 1 "$runs"); do
  started=$(date +%s)
  if npm test >"$out/run$run.log" 2>&1; then status=passed; else status=failed; fi
  summary=$(sed 's/\x1b\[[0-9;]*m//g' "$out/run$run.log" | grep -E '^ +(Test Files|Tests) ' | tr -s ' ' | paste -sd ';' -)
  echo "run $run: $status in $(($(date +%s) - started)) s ($summary)"
  if [ "$status" = failed ]; then
    echo "test-under-load: run $run failed; its output is in $out/run$run.log" >&2
    exit 1
  fi
done
