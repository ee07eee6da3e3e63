#!/usr/bin/env bash
# The benchmark suite in one command: builds pkg/, then measures package weight, start-up and
# quotes (node and headless Chromium) and the server's own benchmark when it has one; prints the
# report and writes BENCHMARKS.md; then the same engine timings in JavaScriptCore without JIT
# beside node (bench/jsc.mjs), the authority's decisions in node (bench/authority.mjs), siyu beside
# Medusa (bench/medusa/compare.mjs) and the server in a member-day rush (bench/rush.mjs). See
# docs/benchmarks.md.
#
#   bash scripts/bench.sh [--quick] [--no-browser] [--no-server] [--out FILE] [--no-write]
#
# --quick: fewer samples (about a minute); for checking the suite, not for publishing figures.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

if [ ! -d node_modules/playwright-core ] || [ ! -x node_modules/.bin/wasm-opt ]; then
  bash scripts/setup.sh
fi
bash scripts/build-pkg.sh
# JavaScriptCore's shell (wasm without JIT, as in WeChat on iOS) is a benchmark host, not a test
# one: installed here, from Debian.
if [ ! -x /usr/bin/jsc ]; then
  echo "[bench] installing JavaScriptCore's shell (libjavascriptcoregtk-4.0-bin)"
  if [ "$(id -u)" = 0 ]; then apt-get install -y -q libjavascriptcoregtk-4.0-bin; else sudo apt-get install -y -q libjavascriptcoregtk-4.0-bin; fi
fi
node bench/run.mjs "$@"
# The device figures go into BENCHMARKS.md's own section (after run.mjs rewrote the file),
# unless the run writes nothing.
case " $* " in
  *" --no-write "* | *" --out "*) node bench/jsc.mjs ;;
  *) node bench/jsc.mjs --write BENCHMARKS.md ;;
esac
# The authority as a JavaScript backend hosts it (docs/backend.md).
node bench/authority.mjs
# siyu beside Medusa's promotion computation on the same cart (bench/medusa/, its own packages).
(cd bench/medusa && npm ci --no-audit --no-fund --loglevel=error)
case " $* " in
  *" --no-write "* | *" --out "*) node bench/medusa/compare.mjs ;;
  *) node bench/medusa/compare.mjs --write BENCHMARKS.md ;;
esac
# The server in a member-day rush, on SQLite and on the local PostgreSQL (bench/rush.mjs).
case " $* " in
  *" --no-server "*) ;;
  *" --no-write "* | *" --out "*) node bench/rush.mjs ;;
  *) node bench/rush.mjs --write BENCHMARKS.md ;;
esac
