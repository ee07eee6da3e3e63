// A built package is consistent when its .wasm went through wasm-opt (scripts/build-pkg.sh strips
// the `producers` section) and every export the glue calls exists in the module. A copy taken
// while another build is writing pkg/ fails one of these.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function customSections(bytes) {
  const names = [];
  let i = 8;
  const leb = () => {
    let result = 0;
    let shift = 0;
    let b;
    do {
      b = bytes[i++];
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return result >>> 0;
  };
  while (i < bytes.length) {
    const id = bytes[i++];
    const size = leb();
    const end = i + size;
    if (id === 0) {
      const len = leb();
      names.push(Buffer.from(bytes.subarray(i, i + len)).toString('utf8'));
    }
    i = end;
  }
  return names;
}

/** Problems with the package in `dir` (empty when consistent). */
export function checkPkg(dir) {
  const problems = [];
  const bytes = readFileSync(join(dir, 'siyu_bg.wasm'));
  if (customSections(bytes).includes('producers')) problems.push('siyu_bg.wasm has not been through wasm-opt');
  let exports;
  try {
    exports = new Set(WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name));
  } catch (e) {
    return [...problems, `siyu_bg.wasm does not compile: ${e.message}`];
  }
  const glue = readFileSync(join(dir, 'siyu.js'), 'utf8');
  const missing = [...new Set([...glue.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)].map((m) => m[1]))].filter((n) => !exports.has(n));
  if (missing.length) problems.push(`siyu.js calls exports the module lacks: ${missing.slice(0, 5).join(', ')}`);
  return problems;
}
