#!/usr/bin/env bash
# Installs everything siyu needs on a fresh machine; does nothing for what is already there.
# Used by scripts/run.sh and scripts/test.sh. Network: crates.io, npm, Debian (and PyPI, for the
# test of the authority in Python).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# The exact wasm-bindgen version in Cargo.lock: the CLI must match it exactly, otherwise
# wasm-pack ignores it and tries to download one.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)

export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v wasm-pack >/dev/null 2>&1; then
  log "installing wasm-pack (a few minutes)"
  cargo install wasm-pack --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (several minutes)"
  # Not --locked: one of its locked dependencies is no longer in the registry.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
# The demo's Chinese text and emoji, for the screenshots and the end-to-end journeys.
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need_apt+=(fonts-noto-color-emoji)
if [ "${SIYU_NEED_POSTGRES:-0}" = 1 ] && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  need_apt+=(postgresql)
fi
# Python with venv: the authority hosted in wasmtime (examples/python-authority, from PyPI).
if [ "${SIYU_NEED_POSTGRES:-0}" = 1 ] && ! python3 -m venv --help >/dev/null 2>&1; then
  need_apt+=(python3 python3-venv)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# npm tooling: wasm-opt (binaryen; never Debian's, whose build crashes modules), playwright-core
# (driving Debian's chromium), typescript (checks the published types), pg (the Node backend).
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/pg ] || [ package.json -nt node_modules/.package-lock.json ]; then
  log "installing npm tooling"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "ready (wasm-bindgen $WASM_BINDGEN_VERSION)"
