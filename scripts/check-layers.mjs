#!/usr/bin/env node
// Which engine modules import which (`use crate::x`, `crate::x::` paths), and the cycles among
// them. Prints the cycles; exits 1 when there is one (with --strict).
import { readdirSync, readFileSync } from 'node:fs';

const dir = new URL('../src/', import.meta.url);
const modules = readdirSync(dir).filter((f) => f.endsWith('.rs') && f !== 'lib.rs').map((f) => f.slice(0, -3));
const edges = new Map();
for (const m of modules) {
  const text = readFileSync(new URL(`${m}.rs`, dir), 'utf8').replace(/#\[cfg\(test\)\][\s\S]*$/, '');
  const deps = new Set();
  for (const match of text.matchAll(/crate::([a-z_]+)/g)) if (match[1] !== m && modules.includes(match[1])) deps.add(match[1]);
  edges.set(m, deps);
}
// Strongly connected components (Tarjan).
let index = 0;
const stack = [];
const info = new Map();
const components = [];
function visit(v) {
  info.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of edges.get(v)) {
    if (!info.has(w)) {
      visit(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).onStack) info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
  }
  if (info.get(v).low === info.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) components.push(component.sort());
  }
}
for (const m of modules) if (!info.has(m)) visit(m);
for (const c of components) console.log(`cycle: ${c.join(' ↔ ')}`);
console.log(`${modules.length} modules, ${components.length} cycle(s)`);
if (components.length && process.argv.includes('--strict')) process.exit(1);
