// The benchmark suite: package weight, start-up and quotes in headless Chromium, quotes in node,
// and the server's own benchmark when there is one. Prints the report and writes BENCHMARKS.md.
//
//   node bench/run.mjs [--quick] [--no-browser] [--no-server] [--out FILE] [--no-write]
//
// Expects pkg/ to be built (scripts/bench.sh builds it first). The package is copied to
// target/bench/pkg so a rebuild during the run cannot mix two builds.
import { cpSync, mkdirSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { ROOT, PKG, loadDemoProgram } from './lib/node-engine.mjs';
import { buildFixtures } from './lib/cases.mjs';
import { packageWeight } from './size.mjs';
import { runBrowser } from './browser.mjs';
import { runServerBench } from './server.mjs';
import { growthMarkdown, runGrowth } from './growth.mjs';
import { render } from './report.mjs';
import { checkPkg } from './lib/pkg-check.mjs';
import * as F from './lib/fixtures.mjs';

const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const quick = flag('--quick');
const outFile = args.includes('--out') ? args[args.indexOf('--out') + 1] : join(ROOT, 'BENCHMARKS.md');

const WORK = join(ROOT, 'target', 'bench');
const pkgDir = join(WORK, 'pkg');
const progress = (msg) => process.stderr.write(`\r\x1b[2K[bench] ${msg}`);
const step = (msg) => process.stderr.write(`\r\x1b[2K[bench] ${msg}\n`);

function sh(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] || os.cpus()[0]?.model || 'unknown';
  const lock = readFileSync(join(ROOT, 'Cargo.lock'), 'utf8');
  return {
    cpu: model.trim(),
    cores: os.cpus().length,
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    rustc: sh('rustc', ['--version']),
    wasmBindgen: lock.match(/name = "wasm-bindgen"\nversion = "([^"]+)"/)?.[1],
    commit: sh('git', ['rev-parse', '--short', 'HEAD']),
    dirty: Boolean(sh('git', ['status', '--porcelain', '--', 'src', 'js', 'Cargo.toml', 'Cargo.lock'])),
  };
}

const started = new Date();
const loadBefore = os.loadavg();
if (!existsSync(join(PKG, 'siyu_bg.wasm'))) {
  console.error('pkg/ is not built: run `bash scripts/build-pkg.sh` (or `bash scripts/bench.sh`)');
  process.exit(1);
}
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
for (let attempt = 1; ; attempt++) {
  rmSync(pkgDir, { recursive: true, force: true });
  cpSync(PKG, pkgDir, { recursive: true });
  const problems = checkPkg(pkgDir);
  if (!problems.length) break;
  if (attempt === 5) {
    console.error(`pkg/ is not a consistent build: ${problems.join('; ')}. Rebuild it with \`bash scripts/build-pkg.sh\`.`);
    process.exit(1);
  }
  step(`pkg/ looks half-built (${problems.join('; ')}); waiting for the build to finish`);
  await new Promise((r) => setTimeout(r, 15_000));
}
process.env.SIYU_PKG_DIR = pkgDir;

step('package weight');
const weight = packageWeight(pkgDir);

step('fixtures: a year of history for the heavy member');
const { loadEngine } = await import('./lib/node-engine.mjs');
const siyu = await loadEngine(pkgDir);
const fx = buildFixtures(siyu, loadDemoProgram());
const fixturesPath = join(WORK, 'fixtures.json');
writeFileSync(fixturesPath, JSON.stringify(fx));
const startupPath = join(WORK, 'startup.json');
writeFileSync(startupPath, JSON.stringify({ program: fx.programs.shipped, snapshotText: JSON.stringify(fx.heavySnapshot), memberId: F.MEMBER_ID, clientId: F.CLIENT_ID, now: fx.now }));
const heavy = {
  counts: Object.fromEntries(['checkIns', 'lots', 'ledger', 'coupons', 'orders'].map((k) => [k, fx.heavySnapshot.confirmed[k].length])),
  engineMade: fx.heavyEngineMade,
  mutations: fx.heavyCounts,
  snapshotBytes: JSON.stringify(fx.heavySnapshot).length,
  partBytes: Object.fromEntries(['checkIns', 'lots', 'ledger', 'coupons', 'orders', 'redemptions'].map((k) => [k, JSON.stringify(fx.heavySnapshot.confirmed[k] ?? []).length])),
};

step('node: quotes');
const nodeOut = join(WORK, 'quotes-node.json');
const child = spawnSync(process.execPath, [join(ROOT, 'bench', 'quote-node.mjs'), fixturesPath, nodeOut, ...(quick ? ['--quick'] : [])], {
  cwd: ROOT,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, SIYU_PKG_DIR: pkgDir },
});
if (child.status !== 0) {
  console.error('node quote benchmarks failed');
  process.exit(1);
}
const node = JSON.parse(readFileSync(nodeOut, 'utf8'));

let browser = null;
if (!flag('--no-browser')) {
  step('chromium: start-up and quotes');
  browser = await runBrowser({
    pkgDir,
    benchDir: join(ROOT, 'bench'),
    files: { '/fixtures.json': fixturesPath, '/startup.json': startupPath },
    startupRuns: quick ? 4 : 15,
    budgetMs: quick ? 150 : 600,
    log: progress,
  });
  process.stderr.write('\n');
}

let server = { status: 'pending', reason: 'skipped (--no-server)' };
if (!flag('--no-server')) {
  step('server: its own benchmark, if any');
  server = await runServerBench(ROOT, { runs: quick ? 1 : 3, log: progress });
  process.stderr.write('\n');
}

let memberGrowth = { reason: 'skipped (--no-server)' };
if (!flag('--no-server')) {
  step('growth: a member over 0–10 years');
  try {
    const rows = await runGrowth({ quick, log: progress });
    memberGrowth = { rows, markdown: growthMarkdown(rows) };
  } catch (e) {
    memberGrowth = { reason: String(e.message ?? e) };
  }
  process.stderr.write('\n');
}

const results = {
  date: started.toISOString(),
  machine: { ...machine(), loadBefore, loadAfter: os.loadavg() },
  chromium: browser?.version ?? null,
  quick,
  weight,
  heavy,
  node,
  browser,
  server,
  memberGrowth,
};
writeFileSync(join(WORK, 'results.json'), JSON.stringify(results, null, 1));
const report = render(results);
console.log(report);
if (!flag('--no-write')) {
  writeFileSync(outFile, report);
  step(`wrote ${outFile} (raw figures: target/bench/results.json)`);
}
