// Package weight: the .wasm and the JS files of pkg/, raw, gzip -9 and brotli -q 11.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

export function weigh(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length,
  };
}

/** Weights of pkg/: the engine (.wasm), its wasm-bindgen glue (siyu.js) and the shim (every other .js). */
export function packageWeight(pkgDir) {
  const read = (f) => readFileSync(join(pkgDir, f));
  const js = readdirSync(pkgDir).filter((f) => f.endsWith('.js')).sort();
  const shimFiles = js.filter((f) => f !== 'siyu.js');
  const shim = Buffer.concat(shimFiles.map(read));
  return {
    wasm: weigh(read('siyu_bg.wasm')),
    glue: weigh(read('siyu.js')),
    shim: { ...weigh(shim), files: shimFiles },
  };
}
