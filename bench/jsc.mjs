// WeChat on iOS runs wasm without JIT: the same timings in JavaScriptCore's shell with the JIT
// off (wasm interpreted, as there) and in node, side by side, on the same fixtures — the demo
// program, a member after one year of daily use (server/src/bin/siyu-growth.rs, compacted as the
// server keeps it) holding a wallet of 50, carts of 4 and 50 lines.
//
//   node bench/jsc.mjs            (needs pkg/ built and Debian's libjavascriptcoregtk-4.0-bin:
//                                  scripts/bench.sh installs it)
//
// Prints a table (median of a few runs, ms) and the ratio jsc ÷ node; a JS loop of 5M steps is
// timed in the same runs so a noisy machine's figures can be judged. Figures, not a test.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, PKG, loadDemoProgram } from './lib/node-engine.mjs';
import * as F from './lib/fixtures.mjs';

const JSC = process.env.SIYU_JSC || '/usr/bin/jsc';
const dir = join(ROOT, 'target', 'bench', 'jsc');

function fixtures() {
  const build = spawnSync('cargo', ['build', '--release', '-q', '-p', 'siyu-server', '--bin', 'siyu-growth'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) throw new Error('cargo build of siyu-growth failed');
  const run = spawnSync(join(ROOT, 'target', 'release', 'siyu-growth'), ['--years', '1'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`siyu-growth failed: ${run.stderr}`);
  const year = run.stdout.trim().split('\n').map((l) => JSON.parse(l)).at(-1);
  const snapshot = JSON.parse(year.snapshot);
  const program = loadDemoProgram();
  // The wallet valid at the member's own now.
  const wallet = F.wallet(program, 50).map((c) => ({ ...c, claimedAt: year.now - (F.QUOTE_NOW - c.claimedAt), validFrom: year.now - (F.QUOTE_NOW - c.validFrom), validTo: year.now + (c.validTo - F.QUOTE_NOW) }));
  snapshot.confirmed = { ...snapshot.confirmed, coupons: [...snapshot.confirmed.coupons, ...wallet] };
  const cart4 = [
    { sku: 'almond-250', qty: 2 },
    { sku: 'oats-1kg', qty: 1 },
    { sku: 'greentea-100', qty: 1 },
    { sku: 'walnut-500', qty: 1 },
  ];
  return { program, snapshot, memberId: snapshot.confirmed.memberId, clientId: snapshot.clientId, now: year.now, cart4, cart50: F.cart(program, 50), walletSize: snapshot.confirmed.coupons.length };
}

function inNode() {
  const require = createRequire(import.meta.url);
  const exports = require(join(dir, 'index.cjs'));
  return new Promise((resolve) => {
    const host = { dir, exports, readText: (p) => readFileSync(p, 'utf8'), readBinary: (p) => readFileSync(p), now: () => performance.now(), print: (t) => resolve(JSON.parse(t)) };
    new Function('host', readFileSync(join(ROOT, 'bench', 'device', 'timings.js'), 'utf8'))(host);
  });
}

function inJsc() {
  writeFileSync(join(dir, 'dir.js'), `var SIYU_BENCH_DIR = ${JSON.stringify(dir)};\n`);
  const run = spawnSync(JSC, ['--useJIT=false', join(dir, 'dir.js'), join(ROOT, 'bench', 'device', 'jsc-host.js'), join(ROOT, 'bench', 'device', 'timings.js')], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (run.status !== 0) throw new Error(`jsc failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1));
}

if (!existsSync(JSC)) {
  console.error(`no JavaScriptCore shell at ${JSC}: apt-get install libjavascriptcoregtk-4.0-bin (or set SIYU_JSC)`);
  process.exit(1);
}
mkdirSync(dir, { recursive: true });
cpSync(join(PKG, 'miniprogram', 'index.js'), join(dir, 'index.js'));
cpSync(join(PKG, 'miniprogram', 'index.js'), join(dir, 'index.cjs'));
cpSync(join(PKG, 'siyu_bg.wasm'), join(dir, 'siyu_bg.wasm'));
const fx = fixtures();
writeFileSync(join(dir, 'fixtures.json'), JSON.stringify(fx));
process.stderr.write(`[jsc] fixtures: program ${JSON.stringify(fx.program).length} B, member snapshot ${JSON.stringify(fx.snapshot).length} B, wallet ${fx.walletSize}\n`);
const node = await inNode();
const jsc = inJsc();
if (node.error || jsc.error) throw new Error(node.error || jsc.error);
const fmt = (x) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
console.log('| work | node | jsc --useJIT=false | ÷ |');
console.log('|---|---:|---:|---:|');
for (const k of Object.keys(jsc)) console.log(`| ${k} | ${fmt(node[k].median)} ms | ${fmt(jsc[k].median)} ms | ${(jsc[k].median / node[k].median).toFixed(0)}× |`);
