#!/usr/bin/env bash
# Every test: engine (host), browser (wasm-pack + headless Chromium), the built package (node),
# the server on SQLite and PostgreSQL with the sync simulation, end-to-end journeys in Chromium,
# the conformance kit against every backend (siyu-server and the Node backend),
# (and the date-sensitive ones again at pinned instants across the calendar), and the
# performance budgets. Sets everything up first.
set -euo pipefail
cd "$(dirname "$0")/.."
export SIYU_NEED_POSTGRES=1
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1;32m==> %s\033[0m\n' "$*"; }
summary=()
record() { summary+=("$1"); }

step "engine: host tests (rules, properties, units)"
# No module of the engine imports one that imports it back (the layers only go down).
node scripts/check-layers.mjs --strict
cargo test -p siyu -p siyu-core -p siyu-sync -p siyu-mem 2>&1 | tee /tmp/siyu-engine-tests.log | grep -E '^(test result|running|error)' || true
grep -q '^error' /tmp/siyu-engine-tests.log && exit 1
grep -E '^test result: FAILED' /tmp/siyu-engine-tests.log && exit 1
record "engine: $(grep -E '^test result' /tmp/siyu-engine-tests.log | awk '{p+=$4; f+=$6} END {print p" passed, "f" failed"}')"

step "engine: browser tests (wasm-pack test --headless --chrome): the rules, the properties and the JS API"
wasm-pack test --headless --chrome 2>&1 | tee /tmp/siyu-web-tests.log | grep -E '^test result|FAIL|panicked' || true
if grep -qE '^test result: FAILED|^error' /tmp/siyu-web-tests.log || ! grep -qE '^test result: ok\. [1-9]' /tmp/siyu-web-tests.log; then
  echo "browser tests failed"; exit 1
fi
record "browser (wasm-pack, Chromium): $(grep -E '^test result: ok' /tmp/siyu-web-tests.log | awk '{p+=$4} END {print p" passed"}')"

step "package: build and node tests"
bash scripts/build-pkg.sh
node --test tests/node/ tests/vite/ > /tmp/siyu-node-tests.log 2>&1 || { cat /tmp/siyu-node-tests.log; exit 1; }
tail -9 /tmp/siyu-node-tests.log
record "package (node + Vite in Chromium): $(grep -E '^# pass' /tmp/siyu-node-tests.log | awk '{print $3}') passed"

step "server: SQLite and PostgreSQL"
pg_url=$(bash scripts/start-postgres.sh | tail -1)
export SIYU_TEST_POSTGRES_URL="$pg_url"
cargo build --release -p siyu-server
cargo test -p siyu-server --release 2>&1 | tee /tmp/siyu-server-tests.log | grep -E '^(test result|running|error)|seeds|skipp' || true
grep -qE '^error|^test result: FAILED' /tmp/siyu-server-tests.log && exit 1
record "server: $(grep -E '^test result' /tmp/siyu-server-tests.log | awk '{p+=$4; f+=$6} END {print p" passed, "f" failed"}')"

step "mini-program: the example in a simulated WeChat runtime against the server"
node --test --test-concurrency=1 tests/miniprogram/ > /tmp/siyu-miniprogram-tests.log 2>&1 || { cat /tmp/siyu-miniprogram-tests.log; exit 1; }
tail -9 /tmp/siyu-miniprogram-tests.log
record "mini-program (simulated runtime): $(grep -E '^# pass' /tmp/siyu-miniprogram-tests.log | awk '{print $3}') passed"
# The same example, unchanged, against the Node backend (backends/node on PostgreSQL).
SIYU_MINIPROGRAM_BACKEND=node node --test --test-concurrency=1 tests/miniprogram/example.test.mjs > /tmp/siyu-miniprogram-node.log 2>&1 || { cat /tmp/siyu-miniprogram-node.log; exit 1; }
record "mini-program on the Node backend: $(grep -E '^# pass' /tmp/siyu-miniprogram-node.log | awk '{print $3}') passed"

step "server: the OpenAPI description against the server (schemathesis, two fixed seeds)"
bash scripts/schemathesis.sh | tee /tmp/siyu-schemathesis.log
record "schemathesis: $(grep -oE '[0-9]+ generated' /tmp/siyu-schemathesis.log | awk '{s+=$1} END {print s}') generated cases, 0 failures"

if [ -d tests/e2e ] && ls tests/e2e/*.test.mjs >/dev/null 2>&1; then
  step "end to end: the demo mall in Chromium"
  # One run, no retry: a journey that fails is a failure.
  if SIYU_SERVER_BIN="$PWD/target/release/siyu-server" node --test --test-concurrency=1 tests/e2e/ > /tmp/siyu-e2e.log 2>&1; then
    tail -9 /tmp/siyu-e2e.log
    record "e2e: $(grep -E '^# pass' /tmp/siyu-e2e.log | awk '{print $3}') passed"
  else
    grep -n -A30 '^not ok' /tmp/siyu-e2e.log | head -80
    tail -9 /tmp/siyu-e2e.log
    exit 1
  fi
fi

step "conformance: the protocol's guarantees against siyu-server (SQLite, PostgreSQL) and the Node backend"
node --test --test-concurrency=1 tests/conformance/ > /tmp/siyu-conformance.log 2>&1 || { grep -n -A30 '^\s*not ok' /tmp/siyu-conformance.log | head -80; exit 1; }
tail -9 /tmp/siyu-conformance.log
record "conformance kit: $(grep -E '^# pass' /tmp/siyu-conformance.log | awk '{print $3}') passed (3 backends)"

step "end to end: the date-sensitive journeys at pinned instants across the calendar"
# Every weekday, a month end, the year end, New Year's Day, the birthday month and a leap day.
bash scripts/calendar-sweep.sh | tee /tmp/siyu-sweep.log
record "calendar sweep: $(grep -oE '[0-9]+ passed$' /tmp/siyu-sweep.log | tail -1)"

if [ -f scripts/check-budgets.mjs ]; then
  step "performance budgets"
  node scripts/check-budgets.mjs
  record "budgets: within limits"
fi

step "summary"
printf '  %s\n' "${summary[@]}"
# The plain closing line: every suite above passed (a failure exits before this point).
total=$(printf '%s\n' "${summary[@]}" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s}')
echo "all: ${total} passed, 0 failed"
