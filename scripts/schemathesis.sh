#!/usr/bin/env bash
# Schemathesis (from PyPI) against the reference server and server/openapi.yaml: every check, two
# fixed seeds, at most 100 examples per operation, so that the description and the server agree;
# then one seed against the Node backend for the API it serves.
# The server's clock is pinned (Thursday 3 December 2026, 10:00 China time) like every other suite.
# Needs target/release/siyu-server (scripts/test.sh builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.32.5
if ! schemathesis --version 2>/dev/null | grep -q "$VERSION"; then
  echo "[schemathesis] installing schemathesis $VERSION from PyPI"
  python3 -m pip install -q --disable-pip-version-check "schemathesis==$VERSION"
fi
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
# The member pass has no admin token (PUT /api/program and the admin API are refused there); a
# third pass fuzzes the operator's admin API (rulebook §15) with the admin token.
admin_token="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SIYU_SECRET=schemathesis-secret-0123456789 SIYU_ADMIN_TOKEN="$admin_token" \
  target/release/siyu-server --demo --database "sqlite://$dir/st.db" --listen "127.0.0.1:$port" \
  --www www --pkg pkg --data-dir "$dir" --rate-burst 0 --clock-at 1796263200000 > "$dir/server.log" 2>&1 &
server=$!
# Stop the server on the way out, keeping the script's own exit status (not the server's).
trap 'status=$?; kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$dir"; exit $status' EXIT
for _ in $(seq 100); do curl -sf "$url/api/health" > /dev/null && break; sleep 0.1; done
token=$(curl -sf -X POST -H 'content-type: application/json' -d '{"memberId":"schemathesis"}' "$url/api/login" | python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')
for seed in 1 2; do
  schemathesis --config-file server/schemathesis.toml run server/openapi.yaml --url "$url" \
    --checks all --seed "$seed" --max-examples 100 --workers 1 --no-color \
    --header "Authorization: Bearer $token" > "$dir/seed-$seed.log" 2>&1 || { cat "$dir/seed-$seed.log"; exit 1; }
  grep -E '^ +[0-9]+ generated' "$dir/seed-$seed.log" | sed "s/^ */schemathesis seed $seed: /"
done
schemathesis --config-file server/schemathesis.toml run server/openapi.yaml --url "$url" \
  --checks all --seed 3 --max-examples 100 --workers 1 --no-color --include-path-regex '^/api/admin' \
  --header "Authorization: Bearer $admin_token" > "$dir/admin.log" 2>&1 || { cat "$dir/admin.log"; exit 1; }
grep -E '^ +[0-9]+ generated' "$dir/admin.log" | sed "s/^ */schemathesis admin: /"

# The same description against the Node backend (backends/node), for the API it serves — the sync
# protocol, history, demo login, the QA clock and the program — on a PostgreSQL database of its
# own (SIYU_TEST_POSTGRES_URL; without it this pass is left out, and said so).
if [ -n "${SIYU_TEST_POSTGRES_URL:-}" ]; then
  node_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  node_url="http://127.0.0.1:$node_port"
  node_db=$(node -e "import('./tests/e2e/harness.mjs').then(async (h) => { console.log((await h.freshDatabase('st_node')).url); process.exit(0); })")
  SIYU_SECRET=schemathesis-secret-0123456789 node backends/node/server.mjs --demo --database "$node_db" --listen "127.0.0.1:$node_port" \
    --clock-at 1796263200000 > "$dir/node.log" 2>&1 &
  node_server=$!
  trap 'status=$?; kill $server $node_server 2>/dev/null; wait $server $node_server 2>/dev/null || true; rm -rf "$dir"; exit $status' EXIT
  for _ in $(seq 100); do curl -sf "$node_url/api/health" > /dev/null && break; sleep 0.1; done
  node_token=$(curl -sf -X POST -H 'content-type: application/json' -d '{"memberId":"schemathesis"}' "$node_url/api/login" | python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')
  schemathesis --config-file server/schemathesis.toml run server/openapi.yaml --url "$node_url" \
    --checks all --seed 1 --max-examples 100 --workers 1 --no-color \
    --include-path-regex '^/api/(push|pull|history/|health|login|qa/clock|program)' --exclude-method PUT \
    --header "Authorization: Bearer $node_token" > "$dir/node-st.log" 2>&1 || { cat "$dir/node-st.log"; tail -30 "$dir/node.log"; exit 1; }
  grep -E '^ +[0-9]+ generated' "$dir/node-st.log" | sed "s/^ */schemathesis node backend: /"
else
  echo "schemathesis node backend: left out (SIYU_TEST_POSTGRES_URL is not set)"
fi
