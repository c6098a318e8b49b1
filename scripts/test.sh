#!/usr/bin/env bash
# The test command (npm test): make sure the Debian tools are present, type-check, run the unit
# and compliance tests (in parallel) and the integration tests (one file at a time: they start
# real processes), then print one plain line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
bash scripts/ensure-debian.sh || exit $?

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
passed=0; failed=0; skipped=0

count() {   # count LOGFILE: add tap's closing totals ("# { total: N, pass: N, fail: N ... }")
  local line; line=$(grep -E '^# \{ total: ' "$1" | tail -1)
  if [ -z "$line" ]; then failed=$((failed + 1)); echo "(no totals from $1: counted as one failure)"; return; fi
  local total pass fail skip
  total=$(sed -nE 's/.*total: ([0-9]+).*/\1/p' <<<"$line")
  pass=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$line")
  fail=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$line")
  skip=$(sed -nE 's/.*skip: ([0-9]+).*/\1/p' <<<"$line")
  passed=$((passed + ${pass:-0})); failed=$((failed + ${fail:-0})); skipped=$((skipped + ${skip:-0}))
  # totals that do not add up (a file that crashed) count as failures
  local rest=$(( ${total:-0} - ${pass:-0} - ${fail:-0} - ${skip:-0} ))
  [ "$rest" -gt 0 ] && failed=$((failed + rest))
  return 0
}

echo "== type check"
if tsc --noEmit -p tsconfig.json; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== unit and compliance tests"
tap run --reporter=tap $(find test -name "*.test.ts" | sort) 2>&1 | tee "$out/unit.log"; unit_rc=${PIPESTATUS[0]}
count "$out/unit.log"

echo "== integration tests"
tap run --reporter=tap --jobs=1 $(find integration -name "*.test.ts" | sort) 2>&1 | tee "$out/int.log"; int_rc=${PIPESTATUS[0]}
count "$out/int.log"

[ "$unit_rc" -ne 0 ] || [ "$int_rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
