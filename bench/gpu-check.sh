#!/usr/bin/env bash
# One prepared device check, under 8 minutes: the kernel tests (conv, pooling, BN, elementwise, matmul,
# reductions; each against float64 references; the GPU variants forced, against the CPU ones) and the core/conv/model benches on whatever adapter Dawn
# finds (lavapipe here, a real GPU on a device machine), then one table. Installs the npm dependencies only
# when node_modules is missing (a device machine may have no network: carry node_modules there).
# usage: bash bench/gpu-check.sh [OUT_DIR]    (logs go to OUT_DIR, default $OUT or /tmp/gpu-check)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:-/tmp/gpu-check}}
mkdir -p "$out"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
[ -d node_modules ] || npm ci --no-audit --no-fund >"$out/npm.log" 2>&1 || { echo "npm ci failed: $out/npm.log"; exit 1; }
start=$(date +%s)
tests="test/conv.test.ts test/cnn-ops.test.ts test/elementwise.test.ts test/linalg-nn.test.ts test/reduce-shape.test.ts"
tests="$tests test/kernel-variants.test.ts"
# shellcheck disable=SC2086
timeout 240 npx vitest run $tests >"$out/tests.log" 2>&1
tests_rc=$?
timeout 330 npx tsx bench/run.ts core conv model >"$out/bench.log" 2>&1
bench_rc=$?
secs=$(($(date +%s) - start))
adapter=$(grep -m1 '^adapter:' "$out/bench.log" | cut -d' ' -f2-)
summary=$(grep -E '^ +Tests +' "$out/tests.log" | tail -1 | sed 's/^ *//')
echo "| check | result |"
echo "| --- | --- |"
echo "| adapter | ${adapter:-unknown} |"
echo "| kernel variant | $(grep -m1 '^kernels:' "$out/bench.log" | cut -d' ' -f2- || echo unknown) |"
echo "| kernel tests (exit $tests_rc) | ${summary:-see $out/tests.log} |"
# every bench row: name, ours, baseline, ratio (bench/harness.ts row())
grep -E ' x[0-9.]+$' "$out/bench.log" | while IFS= read -r line; do
  # the name is padded to 38 columns, the figures right-aligned after it: split at the first run of 2+ spaces
  name=$(echo "$line" | sed -E 's/^ *//; s/ {2,}.*//')
  rest=$(echo "$line" | sed -E 's/^ *//; s/^[^ ]+( [^ ]+)* {2,}//; s/ {2,}/ /g')
  echo "| $name | $rest |"
done
echo "| bench (exit $bench_rc) | $secs s in all; logs in $out |"
[ "$tests_rc" = 0 ] && [ "$bench_rc" = 0 ]
