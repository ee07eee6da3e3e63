// WeChat on iOS runs wasm without JIT: the same timings in JavaScriptCore's shell with the JIT
// off (wasm interpreted, as there) and in node, side by side, on the same fixtures — the demo
// program, a member after one year of daily use (server/src/bin/siyu-growth.rs, compacted as the
// server keeps it) holding a wallet of 50, carts of 4 and 50 lines.
//
//   node bench/jsc.mjs [--runs N] [--write BENCHMARKS.md]     (SIYU_PKG_DIR=dir: another build)
//        (needs pkg/ built and Debian's libjavascriptcoregtk-4.0-bin: scripts/bench.sh installs it)
//
// Each host runs N fresh processes (default 5): each measures one cold first screen, then the
// warm figures. Prints the medians over the processes (ms), the ratio jsc ÷ node, and the
// targets on the device with their status; --write puts the same in that file's section between
// `<!-- jsc:start -->` and `<!-- jsc:end -->`. A JS loop of 5M steps is timed in the same runs
// so a noisy machine's figures can be judged. Figures, not a test.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, PKG as BUILT, loadDemoProgram } from './lib/node-engine.mjs';
import * as F from './lib/fixtures.mjs';
import { writeSection } from './lib/section.mjs';

const JSC = process.env.SIYU_JSC || '/usr/bin/jsc';
const dir = join(ROOT, 'target', 'bench', 'jsc');
// SIYU_PKG_DIR: measure another build of the package (an earlier commit's, for before/after).
const PKG = process.env.SIYU_PKG_DIR || BUILT;

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
  return { programText: JSON.stringify(program), snapshotText: JSON.stringify(snapshot), memberId: snapshot.confirmed.memberId, clientId: snapshot.clientId, now: year.now, cart4, cart50: F.cart(program, 50), walletSize: snapshot.confirmed.coupons.length };
}

const timings = join(ROOT, 'bench', 'device', 'timings.js');

function lastJsonLine(run, what) {
  if (run.status !== 0) throw new Error(`${what} failed: ${run.stderr}`);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1));
  if (result.error) throw new Error(`${what}: ${result.error}`);
  return result;
}

// node, in a fresh process each time as jsc is (a cold start is one per process).
function inNode() {
  const script = `const { readFileSync } = require('node:fs');
const host = { dir: ${JSON.stringify(dir)}, exports: require(${JSON.stringify(join(dir, 'index.cjs'))}), readText: (p) => readFileSync(p, 'utf8'), readBinary: (p) => readFileSync(p), now: () => performance.now(), print: (t) => console.log(t) };
new Function('host', readFileSync(${JSON.stringify(timings)}, 'utf8'))(host);`;
  return lastJsonLine(spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', maxBuffer: 16 << 20 }), 'node');
}

function inJsc() {
  writeFileSync(join(dir, 'dir.js'), `var SIYU_BENCH_DIR = ${JSON.stringify(dir)};\n`);
  return lastJsonLine(spawnSync(JSC, ['--useJIT=false', join(dir, 'dir.js'), join(ROOT, 'bench', 'device', 'jsc-host.js'), timings], { encoding: 'utf8', maxBuffer: 16 << 20 }), 'jsc');
}

/** The median over processes of each figure's own median. */
function over(runs) {
  const out = {};
  for (const k of Object.keys(runs[0])) {
    const xs = runs.map((r) => r[k].median).sort((a, b) => a - b);
    out[k] = { median: xs[Math.floor(xs.length / 2)], min: xs[0], max: xs.at(-1) };
  }
  return out;
}

const args = process.argv.slice(2);
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const runs = Number(flag('--runs') ?? 5);
const write = flag('--write');

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
process.stderr.write(`[jsc] fixtures: program ${fx.programText.length} B, member snapshot ${fx.snapshotText.length} B, wallet ${fx.walletSize}\n`);
const node = over(Array.from({ length: runs }, inNode));
const jsc = over(Array.from({ length: runs }, inJsc));
const fmt = (x) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
const range = (f) => (runs > 1 ? ` (${fmt(f.min)}–${fmt(f.max)})` : '');
const lines = [];
lines.push('| work | node | jsc --useJIT=false | ÷ |', '|---|---:|---:|---:|');
for (const k of Object.keys(jsc)) lines.push(`| ${k.replace(/^ {2}/, '… ')} | ${fmt(node[k].median)} ms | ${fmt(jsc[k].median)} ms${range(jsc[k])} | ${(jsc[k].median / node[k].median).toFixed(0)}× |`);
// The targets on the device (issue "fast where shoppers are"), judged on jsc's medians.
const figure = (prefix) => jsc[Object.keys(jsc).find((k) => k.startsWith(prefix))].median;
const targets = [
  ['first screen, cold: instantiate + restore the one-year member + one full 4-line quote', figure('first screen'), 30],
  [`quote + full explanation, 50 lines × ${fx.walletSize} coupons`, figure('quote + full explanation, 50 lines'), 4],
  [`best selection, 50 lines × ${fx.walletSize} coupons`, figure('best selection'), 10],
  ['check-in + snapshot written, the one-year member', figure('checkIn + snapshotJson'), 2],
];
const loop = jsc['js loop 5M (reference)'].median;
lines.push('', '| on the device (jsc without JIT) | measured | target | status |', '|---|---:|---:|---|');
for (const [what, ms, target] of targets) lines.push(`| ${what} | ${fmt(ms)} ms | ≤ ${target} ms | ${ms <= target ? 'met' : `**over**, ${(ms / target).toFixed(1)}×`} |`);
const table = lines.join('\n');
console.log(table);
console.log(`\n(medians of ${runs} processes per host; the reference loop took ${fmt(loop)} ms in jsc: judge a noisy run by it)`);
if (write) {
  const when = new Date().toISOString();
  writeSection(write, 'jsc', `## WeChat on iOS: JavaScriptCore without JIT

Generated by \`node bench/jsc.mjs\` (${when}): Debian's JavaScriptCore shell with \`--useJIT=false\` (wasm and JS interpreted, as in WeChat on iOS) beside node, the package's mini-program bundle in both (the shell, like a mini-program, has no TextDecoder/TextEncoder: there the package's own UTF-8 codec runs). Fixtures: the demo program (${fmt(fx.programText.length / 1000)} kB of JSON), a member after one year of daily use (${fmt(fx.snapshotText.length / 1000)} kB snapshot, compacted as the server keeps it) holding ${fx.walletSize} coupons. Each host ran ${runs} fresh processes; each figure is the median over them (jsc's min–max in parentheses). The reference JS loop (5M steps) took ${fmt(loop)} ms in jsc.

${table}
`);
  console.log(`written to ${write}`);
}
