#!/usr/bin/env bash
# The unit suite, run the ways machines differ, so a test that depends on the machine's
# speed shows itself here rather than on someone else's CI:
#   - RUNS times as it is (on an idle machine: fast, so a test racing a transfer loses);
#   - RUNS times squeezed onto one core beside a busy loop on that core (slow and
#     preempted, so a test hoping a timer fires in time loses);
#   - once with files and tests in shuffled order (a test leaning on another's leftovers
#     loses). The seed is printed: `npx vitest run --config tests/unit/vitest.config.ts
#     --sequence.shuffle --sequence.seed=SEED` repeats the order.
# Stops at the first red run. FERRY_STRESS_RUNS sets RUNS (default 5).
set -euo pipefail
cd "$(dirname "$0")/../.."

runs="${FERRY_STRESS_RUNS:-5}"
suite=(npx vitest run --config tests/unit/vitest.config.ts)
hog=''
trap '[ -n "$hog" ] && kill "$hog" 2>/dev/null; true' EXIT

summary=()
run() {
  local label="$1"
  shift
  local started=$SECONDS
  echo "==> $label"
  if ! "$@" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "==> RED: $label (full output: $log)"
    exit 1
  fi
  local tests
  tests=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ *Tests ' | tr -s ' ' | sed 's/^ //' || true)
  summary+=("$label: $tests, $((SECONDS - started)) s")
  echo "    $tests, $((SECONDS - started)) s"
}
log=$(mktemp -t ferry-stress.XXXXXX)

for i in $(seq "$runs"); do run "as it is, $i of $runs" "${suite[@]}"; done

# A busy loop pinned to core 0, and the suite (with every worker it starts) pinned there too.
taskset -c 0 sh -c 'while :; do :; done' &
hog=$!
for i in $(seq "$runs"); do run "one core beside a busy loop, $i of $runs" taskset -c 0 "${suite[@]}"; done
kill "$hog"
hog=''

seed="${FERRY_STRESS_SEED:-$RANDOM}"
run "shuffled, seed $seed" "${suite[@]}" --sequence.shuffle --sequence.seed="$seed"

rm -f "$log"
echo "==> all green:"
printf '    %s\n' "${summary[@]}"
