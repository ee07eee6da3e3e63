// Where the time goes: CPU profile of one benchmark case with Rust function names.
//
//   node bench/profile.mjs [CASE] [--seconds N] [--no-build] [--top N]
//
// CASE: best (50 lines × 50 coupons, demo templates; the default), chosen (50 lines × 2 chosen),
// rich (50 × 50, rich templates), restore (the heavy member from its snapshot), first-screen, or
// a quote case id from the report's raw results (e.g. rich/rich/L50/W200/best). A quote case
// followed by `:total` profiles the total alone (no explanation brought back), e.g. best:total.
//
// Builds the engine once more with its symbol names kept and without wasm-opt, into
// target/bench-profile/ (pkg/ is left alone), runs the case under `node --cpu-prof`, and prints
// the functions by self time and by inclusive time. The figures are node's; relative weights
// carry over to the browser.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, loadEngine, loadDemoProgram } from './lib/node-engine.mjs';
import { buildFixtures, quoteCases } from './lib/cases.mjs';
import { quoteObject, quoteTotal } from './lib/api.mjs';
import * as F from './lib/fixtures.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const positional = args.filter((a, i) => !a.startsWith('--') && !['--seconds', '--top', '--child'].includes(args[i - 1]));
const WORK = join(ROOT, 'target', 'bench-profile');
const PROF_PKG = join(WORK, 'pkg');

const NAMED = {
  best: 'catalog/demo/L50/W50/best',
  chosen: 'catalog/demo/L50/W50/chosen',
  rich: 'rich/rich/L50/W50/best',
};

if (args.includes('--child')) {
  // The profiled process: build fixtures (not profiled: the profile starts after), run the case.
  const which = opt('--child');
  const seconds = Number(opt('--seconds', 4));
  const siyu = await loadEngine(PROF_PKG);
  const fx = buildFixtures(siyu, loadDemoProgram());
  let fn;
  if (which === 'restore') {
    const text = JSON.stringify(fx.heavySnapshot);
    fn = () => new siyu.Mall(fx.programs.shipped, { memberId: F.MEMBER_ID, clientId: F.CLIENT_ID, snapshot: JSON.parse(text), now: fx.now }).free();
  } else if (which === 'first-screen') {
    const mall = new siyu.Mall(fx.programs.shipped, { memberId: F.MEMBER_ID, clientId: F.CLIENT_ID, snapshot: fx.heavySnapshot, now: fx.now });
    fn = () => [mall.tier(fx.now), mall.points(fx.now), mall.wallet(fx.now), mall.streak(fx.now), mall.calendar(2026, 1, fx.now), mall.reminders(fx.now)];
  } else {
    const [name, form] = which.split(':');
    const id = NAMED[name] || name;
    const c = quoteCases().find((x) => x.id === id);
    if (!c) throw new Error(`unknown case ${which}`);
    const program = fx.programs[c.program];
    const base = c.history ? fx.history : { memberId: fx.history.memberId, joinedAt: fx.history.joinedAt };
    const mall = F.mallWithState(siyu, program, F.withWallet(base, F.wallet(program, c.wallet, c.mix)));
    const request = { lines: F.cart(program, c.lines), coupons: c.coupons === 'chosen' ? fx.chosen[c.program] : 'best', points: 'max' };
    fn = form === 'total' ? () => quoteTotal(mall, request, fx.now) : () => quoteObject(mall, request, fx.now);
  }
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (m, p) => new Promise((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))));
  for (let i = 0; i < 20; i++) fn(); // warm
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    fn();
    n++;
  }
  const { profile } = await post('Profiler.stop');
  writeFileSync(join(WORK, 'case.cpuprofile'), JSON.stringify(profile));
  console.log(`${which}: ${n} calls in ${seconds} s, ${((seconds * 1e6) / n).toFixed(0)} µs per call (names build, no wasm-opt)`);
  process.exit(0);
}

if (!args.includes('--no-build')) {
  mkdirSync(WORK, { recursive: true });
  rmSync(PROF_PKG, { recursive: true, force: true });
  process.stderr.write('[profile] building the engine with names (target/bench-profile)…\n');
  const r = spawnSync('wasm-pack', ['build', '--release', '--target', 'web', '--out-dir', PROF_PKG, '--out-name', 'siyu', '--no-pack'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.HOME}/.cargo/bin:${process.env.PATH}`,
      CARGO_TARGET_DIR: join(WORK, 'cargo'),
      CARGO_PROFILE_RELEASE_STRIP: 'false',
    },
  });
  if (r.status !== 0) process.exit(1);
}

const which = positional[0] || 'best';
const child = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--child', which, '--seconds', opt('--seconds', '4')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
if (child.status !== 0) process.exit(1);

// Aggregate: self time and inclusive time by function name (a function counted once per stack).
const profile = JSON.parse(readFileSync(join(WORK, 'case.cpuprofile'), 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
const ticks = new Map();
profile.samples.forEach((id, i) => ticks.set(id, (ticks.get(id) || 0) + (profile.timeDeltas[i] || 0)));
const name = (n) => (n.callFrame.functionName || `(${n.callFrame.url.split('/').at(-1) || 'program'})`).replace(/::h[0-9a-f]{16}$/, '').replace(/\[[0-9a-f]{16}\]/g, '');
const self = new Map();
const incl = new Map();
let total = 0;
for (const [id, t] of ticks) {
  total += t;
  self.set(name(byId.get(id)), (self.get(name(byId.get(id))) || 0) + t);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = name(byId.get(cur));
    if (!seen.has(k)) {
      seen.add(k);
      incl.set(k, (incl.get(k) || 0) + t);
    }
  }
}
const top = Number(opt('--top', 25));
const show = (title, m, filter = () => true) => {
  console.log(`\n${title}`);
  for (const [k, t] of [...m].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * t) / total).toFixed(1).padStart(6)}%  ${k.slice(0, 130)}`);
  }
};
show('self time', self);
show('inclusive time (engine functions)', incl, (k) => /siyu|serde|json|alloc|core::|JSON|Mall|quote/.test(k) && !/shim|js-to-wasm|maybe_catch_unwind/.test(k));
