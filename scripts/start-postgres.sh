#!/usr/bin/env bash
# Start a local PostgreSQL on 127.0.0.1:5432 with a database `siyu_test` owned by a password user,
# and print its URL on stdout (everything else goes to stderr), e.g.
#
#   export SIYU_TEST_POSTGRES_URL="$(scripts/start-postgres.sh)"
#   cargo test -p siyu-server
#
# Installs the Debian `postgresql` package if it is missing. Needs root (or sudo) for that and for
# running commands as the `postgres` user. Idempotent: safe to run when the cluster is already up.
set -euo pipefail

DB_NAME="${SIYU_PG_DB:-siyu_test}"
DB_USER="${SIYU_PG_USER:-siyu}"
DB_PASS="${SIYU_PG_PASSWORD:-siyu}"
PORT="${SIYU_PG_PORT:-5432}"

log() { echo "start-postgres: $*" >&2; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"
  elif command -v runuser >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"
  else $SUDO -u postgres "$@"; fi
}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
BIN="/usr/lib/postgresql/$VERSION/bin"

if command -v pg_ctlcluster >/dev/null 2>&1; then
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$VERSION main"; then
    log "creating cluster $VERSION/main"
    $SUDO pg_createcluster "$VERSION" main -p "$PORT" >&2
  fi
  if ! pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
    log "starting cluster $VERSION/main"
    $SUDO pg_ctlcluster "$VERSION" main start >&2
  fi
  PORT="$(pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $3}')"
else
  # No Debian wrappers: a cluster of our own under /var/lib/postgresql/siyu.
  DATA=/var/lib/postgresql/siyu
  if [ ! -s "$DATA/PG_VERSION" ]; then
    log "initialising $DATA"
    $SUDO mkdir -p "$DATA" && $SUDO chown postgres: "$DATA"
    as_postgres "$BIN/initdb" -D "$DATA" -A scram-sha-256 --auth-local=peer -U postgres --pwfile=<(echo postgres) >&2
  fi
  if ! as_postgres "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    log "starting $DATA"
    as_postgres "$BIN/pg_ctl" -D "$DATA" -o "-p $PORT -c listen_addresses=127.0.0.1 -k /tmp" -l "$DATA/server.log" -w start >&2
  fi
fi

# Wait for connections.
for _ in $(seq 1 60); do
  if as_postgres psql -h 127.0.0.1 -p "$PORT" -d postgres -Atc "SELECT 1" >/dev/null 2>&1 \
     || as_postgres psql -p "$PORT" -d postgres -Atc "SELECT 1" >/dev/null 2>&1; then
    break
  fi
  sleep 0.5
done

psql_admin() { as_postgres psql -p "$PORT" -d postgres -v ON_ERROR_STOP=1 -Atq "$@"; }

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != 1 ]; then
  log "creating role $DB_USER"
  psql_admin -c "CREATE ROLE \"$DB_USER\" LOGIN PASSWORD '$DB_PASS'"
else
  psql_admin -c "ALTER ROLE \"$DB_USER\" LOGIN PASSWORD '$DB_PASS'"
fi
# The conformance kit gives each backend it starts a database of its own (and drops it after).
psql_admin -c "ALTER ROLE \"$DB_USER\" CREATEDB"
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
  log "creating database $DB_NAME"
  psql_admin -c "CREATE DATABASE \"$DB_NAME\" OWNER \"$DB_USER\""
fi

URL="postgres://$DB_USER:$DB_PASS@127.0.0.1:$PORT/$DB_NAME"
# Check that the password login works over TCP.
if ! PGPASSWORD="$DB_PASS" psql "$URL" -Atqc "SELECT 1" >/dev/null 2>&1; then
  log "cannot log in as $DB_USER over TCP on 127.0.0.1:$PORT"
  exit 1
fi
log "ready: $URL"
echo "$URL"
