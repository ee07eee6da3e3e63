#!/usr/bin/env node
// Which modules of each engine crate import which (`use crate::x`, `crate::x::` paths), and the
// cycles among them; between crates Cargo itself refuses a cycle. A module is a `name.rs` file or a
// `name/` directory with a `mod.rs` (its files read as one text). Prints the cycles; exits 1 when
// there is one (with --strict).
import { readdirSync, readFileSync } from 'node:fs';

const crates = ['crates/core/src/', 'crates/sync/src/', 'src/'];
let moduleCount = 0;
const cycles = [];
for (const crate of crates) {
  const dir = new URL(`../${crate}`, import.meta.url);
  const files = new Map();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.rs') && entry.name !== 'lib.rs') files.set(entry.name.slice(0, -3), [entry.name]);
    else if (entry.isDirectory()) {
      const inside = readdirSync(new URL(`${entry.name}/`, dir)).filter((f) => f.endsWith('.rs')).sort();
      if (inside.includes('mod.rs')) files.set(entry.name, inside.map((f) => `${entry.name}/${f}`));
    }
  }
  const modules = [...files.keys()];
  moduleCount += modules.length;
  const edges = new Map();
  for (const m of modules) {
    // Each file without its `#[cfg(test)]` tail (the unit tests close a file).
    const text = files.get(m).map((f) => readFileSync(new URL(f, dir), 'utf8').replace(/#\[cfg\(test\)\][\s\S]*$/, '')).join('\n');
    const deps = new Set();
    for (const match of text.matchAll(/crate::([a-z_]+)/g)) if (match[1] !== m && modules.includes(match[1])) deps.add(match[1]);
    edges.set(m, deps);
  }
  for (const component of stronglyConnected(modules, edges)) cycles.push(`${crate}: ${component.join(' ↔ ')}`);
}
for (const c of cycles) console.log(`cycle: ${c}`);
console.log(`${crates.length} crates, ${moduleCount} modules, ${cycles.length} cycle(s)`);
if (cycles.length && process.argv.includes('--strict')) process.exit(1);

// Tarjan's strongly connected components with more than one module.
function stronglyConnected(nodes, edges) {
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
  for (const v of nodes) if (!info.has(v)) visit(v);
  return components;
}
