#!/usr/bin/env bash
# Builds the npm package `siyu` into pkg/: the engine compiled to wasm, optimised with binaryen's
# wasm-opt from npm, the thin JS shim, and one entry point with TypeScript types.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

wasm-pack build --release --target web --out-dir pkg --out-name siyu --no-pack
wasm-opt -Oz --strip-debug --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  pkg/siyu_bg.wasm -o pkg/siyu_bg.opt.wasm
mv pkg/siyu_bg.opt.wasm pkg/siyu_bg.wasm

cp js/*.js js/*.d.ts pkg/ 2>/dev/null || true
node scripts/write-package-json.mjs
echo "pkg/ built: $(wc -c < pkg/siyu_bg.wasm) bytes wasm, $(gzip -9 -c pkg/siyu_bg.wasm | wc -c) gzip"
