#!/usr/bin/env bash
# Builds the npm package `siyu` into pkg/: the engine compiled to wasm that every runtime accepts
# (MVP features plus mutable globals: see docs/miniprogram.md), optimised with binaryen's wasm-opt
# from npm, brotli-compressed for mini-programs, the glue adapted to runtimes without
# TextDecoder/fetch/WebAssembly (scripts/patch-glue.mjs), the thin JS shim and its entry points.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# Our code is compiled for the wasm MVP; the precompiled standard library uses newer features,
# which binaryen lowers below. Its own target directory keeps the test builds' cache intact.
target=target/pkg
RUSTFLAGS="-C target-cpu=mvp" cargo build --profile wasm-release --lib --target wasm32-unknown-unknown --target-dir "$target"
# The module's feature section still lists the standard library's features, and wasm-bindgen
# would then emit externref glue the MVP build has no support code for: strip the section.
features="--enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-call-indirect-overlong"
# shellcheck disable=SC2086
wasm-opt $features --strip-target-features "$target/wasm32-unknown-unknown/wasm-release/siyu.wasm" -o "$target/siyu.wasm"
rm -f pkg/siyu.js pkg/siyu.d.ts pkg/siyu_bg.wasm pkg/siyu_bg.wasm.d.ts
wasm-bindgen --target web --out-dir pkg --out-name siyu "$target/siyu.wasm"
# Lower what the standard library brought (memory.copy/fill, sign extension, saturating
# float-to-int), optimise, and check the result validates with MVP features only.
# shellcheck disable=SC2086
wasm-opt $features --llvm-memory-copy-fill-lowering --signext-lowering --llvm-nontrapping-fptoint-lowering \
  pkg/siyu_bg.wasm -o pkg/siyu_bg.lowered.wasm
wasm-opt --mvp-features --enable-mutable-globals -Oz --strip-debug --strip-producers \
  pkg/siyu_bg.lowered.wasm -o pkg/siyu_bg.wasm
rm pkg/siyu_bg.lowered.wasm
node scripts/patch-glue.mjs

# The authority's module (`siyu/authority`, docs/backend.md): the server algorithm behind a plain
# C ABI, without wasm-bindgen's runtime, for backends (Node, edge runtimes, wasmtime, Chicory).
# Backends run it on current runtimes: no MVP lowering.
authority=target/pkg-authority
cargo build --profile wasm-release --lib --target wasm32-unknown-unknown --no-default-features --features authority --target-dir "$authority"
# shellcheck disable=SC2086
wasm-opt $features -Oz --strip-debug --strip-producers "$authority/wasm32-unknown-unknown/wasm-release/siyu.wasm" -o pkg/siyu_authority.wasm

cp js/*.js js/*.d.ts pkg/
node scripts/build-miniprogram.mjs
cp README.md LICENSE-MIT LICENSE-APACHE pkg/
node scripts/write-package-json.mjs
echo "pkg/ built: $(wc -c < pkg/siyu_bg.wasm) bytes wasm, $(gzip -9 -c pkg/siyu_bg.wasm | wc -c) gzip, $(wc -c < pkg/miniprogram/siyu_bg.wasm.br) brotli"
echo "authority: $(wc -c < pkg/siyu_authority.wasm) bytes wasm, $(gzip -9 -c pkg/siyu_authority.wasm | wc -c) gzip"
