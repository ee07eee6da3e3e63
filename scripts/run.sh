#!/usr/bin/env bash
# The main job: set up, build the package and the server, and serve the demo mall at
# http://127.0.0.1:8080 (demo mode, embedded SQLite in data/). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-pkg.sh
cargo build --release -p siyu-server
cargo run -q --release --example shopper_day
echo
listen="${SIYU_LISTEN:-127.0.0.1:8080}"
echo "The mall: http://$listen  (log in as new, loyal or lapsing; the clock button in the header is the QA clock)"
exec target/release/siyu-server --demo --listen "$listen" --database "${SIYU_DATABASE_URL:-sqlite://data/siyu.db}"
