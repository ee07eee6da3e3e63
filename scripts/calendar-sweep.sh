#!/usr/bin/env bash
# The date-sensitive journeys at pinned instants across the calendar: every weekday, a month end,
# the year end (points expire at midnight), New Year's Day, the day before March (the birthday
# month of the demo's loyal member), the birthday itself and a leap day. The same suite must pass
# at each: no journey may depend on the day it runs. Needs pkg/ and target/release/siyu-server
# (scripts/test.sh builds both). `SIYU_SWEEP_AT="…"` runs other instants.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
instants=${SIYU_SWEEP_AT:-"
2026-12-07T09:00:00+08:00
2026-12-08T12:00:00+08:00
2026-12-09T10:00:00+08:00
2026-12-31T23:40:00+08:00
2027-01-01T00:10:00+08:00
2027-02-28T23:40:00+08:00
2027-03-15T10:00:00+08:00
2027-05-01T08:00:00+08:00
2028-02-29T10:00:00+08:00
"}
journeys=(tests/e2e/calendar.test.mjs tests/e2e/shopper.test.mjs tests/e2e/member-day.test.mjs tests/e2e/offline.test.mjs tests/e2e/numbers.test.mjs tests/e2e/payment.test.mjs)
passed=0
for at in $instants; do
  log=/tmp/siyu-sweep-${at//[:+]/-}.log
  started=$(date +%s)
  if SIYU_TEST_AT="$at" SIYU_SERVER_BIN="${SIYU_SERVER_BIN:-$PWD/target/release/siyu-server}" \
      node --test --test-concurrency=1 "${journeys[@]}" > "$log" 2>&1; then
    n=$(grep -E '^# pass' "$log" | awk '{print $3}')
    passed=$((passed + n))
    printf '  %s (%s): %s passed in %ss\n' "$at" "$(TZ=UTC-8 date -d "$at" +%a)" "$n" "$(( $(date +%s) - started ))"
  else
    echo "  $at: FAILED"
    grep -n -A30 '^not ok' "$log" | head -80
    tail -9 "$log"
    exit 1
  fi
done
echo "calendar sweep: ${passed} passed"
