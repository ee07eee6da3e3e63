// Where the time goes on the device: JavaScriptCore's sampling profiler over one piece of work,
// without JIT, in the mini-program module (MVP features, as shipped) built once more with its
// function names kept.
//
//   node bench/jsc-profile.mjs [CASE] [--runs N] [--no-build] [--top N]
//
// CASE: restore (the one-year member from its snapshot text; the default), new-mall (the program
// alone), quote4, quote50 (full explanation), best (quoteTotals, 50 lines), wallet, checkin
// (checkIn + snapshotJson). Uses bench/jsc.mjs's fixtures (run it once first). Builds into
// target/jsc-profile/ and leaves pkg/ alone, except that it reads pkg/'s JS. Prints the hottest
// functions by samples (1 ms apart) and the share of interpreted wasm, JS and native code.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, PKG } from './lib/node-engine.mjs';

const JSC = process.env.SIYU_JSC || '/usr/bin/jsc';
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const which = args.find((a, i) => !a.startsWith('--') && !['--runs', '--top'].includes(args[i - 1])) || 'restore';
const WORK = join(ROOT, 'target', 'jsc-profile');
const FIXTURES = join(ROOT, 'target', 'bench', 'jsc', 'fixtures.json');

const CASES = {
  restore: 'new siyu.Mall(fx.programText, { memberId: fx.memberId, clientId: fx.clientId, snapshot: fx.snapshotText, now: fx.now }).free()',
  'new-mall': "new siyu.Mall(fx.programText, { memberId: 'm-new', clientId: 'c-new', now: fx.now }).free()",
  quote4: 'const q = mall.quote({ lines: fx.cart4 }, fx.now); q.toJSON(); q.free()',
  quote50: 'const q = mall.quote({ lines: fx.cart50 }, fx.now); q.toJSON(); q.free()',
  best: 'mall.quoteTotals({ lines: fx.cart50 }, fx.now)',
  wallet: 'mall.wallet(fx.now)',
  checkin: 'mall.checkIn(fx.now + day++ * 86400000); mall.snapshotJson()',
};
if (!CASES[which]) {
  console.error(`unknown case ${which}: one of ${Object.keys(CASES).join(', ')}`);
  process.exit(2);
}
if (!existsSync(FIXTURES)) {
  console.error('no fixtures: run `node bench/jsc.mjs` once first');
  process.exit(2);
}

const run = (cmd, argv, env = {}) => {
  const r = spawnSync(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.HOME}/.cargo/bin:${process.env.PATH}`, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed`);
};

if (!args.includes('--no-build')) {
  // The same steps as scripts/build-pkg.sh, names kept (-g, no --strip-debug, strip = false).
  process.stderr.write('[jsc-profile] building the mini-program module with names (target/jsc-profile)…\n');
  const features = '--enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-call-indirect-overlong'.split(' ');
  const cargo = join(WORK, 'cargo');
  run('cargo', ['build', '--profile', 'wasm-release', '--lib', '--target', 'wasm32-unknown-unknown', '--target-dir', cargo], { RUSTFLAGS: '-C target-cpu=mvp', CARGO_PROFILE_WASM_RELEASE_STRIP: 'false' });
  const pkg = join(WORK, 'pkg');
  rmSync(pkg, { recursive: true, force: true });
  mkdirSync(pkg, { recursive: true });
  for (const f of ['errors.js', 'index.js', 'miniprogram.js', 'sync.js', 'text.js', 'miniprogram.d.ts', 'index.d.ts', 'sync.d.ts']) cpSync(join(PKG, f), join(pkg, f));
  run('wasm-opt', [...features, '-g', '--strip-target-features', join(cargo, 'wasm32-unknown-unknown', 'wasm-release', 'siyu.wasm'), '-o', join(WORK, 'stripped.wasm')]);
  run('wasm-bindgen', ['--target', 'web', '--keep-debug', '--out-dir', pkg, '--out-name', 'siyu', join(WORK, 'stripped.wasm')]);
  run('wasm-opt', [...features, '-g', '--llvm-memory-copy-fill-lowering', '--signext-lowering', '--llvm-nontrapping-fptoint-lowering', join(pkg, 'siyu_bg.wasm'), '-o', join(WORK, 'lowered.wasm')]);
  run('wasm-opt', ['--mvp-features', '--enable-mutable-globals', '-Oz', '-g', join(WORK, 'lowered.wasm'), '-o', join(pkg, 'siyu_bg.wasm')]);
  run('node', [join(ROOT, 'scripts', 'patch-glue.mjs')], { SIYU_PKG_DIR: pkg });
  run('node', [join(ROOT, 'scripts', 'build-miniprogram.mjs')], { SIYU_PKG_DIR: pkg });
}

const dir = join(WORK, 'run');
mkdirSync(dir, { recursive: true });
cpSync(join(WORK, 'pkg', 'miniprogram', 'index.js'), join(dir, 'index.js'));
cpSync(join(WORK, 'pkg', 'siyu_bg.wasm'), join(dir, 'siyu_bg.wasm'));
cpSync(FIXTURES, join(dir, 'fixtures.json'));
const runs = Number(opt('--runs', 30));
writeFileSync(
  join(dir, 'case.js'),
  `var SIYU_BENCH_DIR = ${JSON.stringify(dir)};
var SIYU_CASE = function (siyu, fx) {
  var mall = new siyu.Mall(fx.programText, { memberId: fx.memberId, clientId: fx.clientId, snapshot: fx.snapshotText, now: fx.now });
  var day = 1;
  var one = function () { ${CASES[which]}; };
  one();
  var t0 = preciseTime();
  for (var i = 0; i < ${runs}; i++) one();
  print('${which}: ' + ((preciseTime() - t0) * 1000 / ${runs}).toFixed(2) + ' ms per call over ${runs} (names kept, jsc --useJIT=false)');
};
`,
);
writeFileSync(
  join(dir, 'main.js'),
  `host.exports.initWith(function (imports) { return WebAssembly.instantiate(host.readBinary(host.dir + '/siyu_bg.wasm'), imports); })
  .then(function () { SIYU_CASE(host.exports, JSON.parse(host.readText(host.dir + '/fixtures.json'))); })
  .catch(function (e) { print('error: ' + e + '\\n' + e.stack); });
`,
);
const top = opt('--top', '30');
const r = spawnSync(JSC, ['--useJIT=false', '--sample', `--samplingProfilerTopFunctionsCount=${top}`, join(dir, 'case.js'), join(ROOT, 'bench', 'device', 'jsc-host.js'), join(dir, 'main.js')], { encoding: 'utf8', maxBuffer: 64 << 20 });
if (r.status !== 0) {
  console.error(r.stderr);
  process.exit(1);
}
// The profiler's own report, names tidied: `siyu.wasm.wasm-function[serde_json::…::h…]#<nil>:…`.
const tidy = (line) => line.replace(/siyu\.wasm\.wasm-function\[(.*)\]#<nil>:\d+'?/, '$1').replace(/::h[0-9a-f]{16}/g, '').replace(/\[[0-9a-f]{16}\]/g, '').replace(/#<nil>:\d+'?/, '');
const out = `${r.stdout}\n${r.stderr}`.split('\n'); // the report goes to stderr
const tiers = out.filter((l) => /^(LLInt|IPInt|C\/C\+\+|Host|js builtin|RegExp):\s+[1-9]/.test(l));
console.log(out.filter((l) => /per call/.test(l)).join('\n'));
const start = out.findIndex((l) => l.startsWith('Top functions'));
const total = Number((out.find((l) => /Total samples: (\d+)/.test(l)) || '').match(/Total samples: (\d+)/)?.[1] || 0);
console.log(`\n${total} samples; by tier: ${tiers.map((l) => l.replace(/\s+/g, ' ').trim()).join(', ')} (IPInt = interpreted wasm, LLInt = interpreted JS, C/C++ = the runtime's native code)\n`);
for (const l of out.slice(start + 1, start + 1 + Number(top))) {
  const m = l.match(/^\s*(\d+)\s+'(.*)$/);
  if (m) console.log(`${((100 * Number(m[1])) / total).toFixed(1).padStart(6)}%  ${tidy(m[2]).slice(0, 140)}`);
}
