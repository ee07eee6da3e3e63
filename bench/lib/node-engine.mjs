// Loads the built package in node: the same module the browser gets. `dir` defaults to
// $SIYU_PKG_DIR, then pkg/.
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PKG = join(ROOT, 'pkg');

export async function loadEngine(dir = process.env.SIYU_PKG_DIR || PKG) {
  const siyu = await import(pathToFileURL(join(dir, 'siyu.js')).href);
  siyu.initSync({ module: readFileSync(join(dir, 'siyu_bg.wasm')) });
  return siyu;
}

export function loadDemoProgram() {
  return JSON.parse(readFileSync(join(ROOT, 'programs', 'health-food.json'), 'utf8'));
}
