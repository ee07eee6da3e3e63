// The authority hosted outside JavaScript: examples/python-authority runs the engine's module in
// wasmtime (installed from PyPI into a virtual environment under target/) and decides a push.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const venv = `${root}target/python-venv`;
const python = `${venv}/bin/python`;

test('Python decides a push with the engine through wasmtime', { timeout: 300_000 }, () => {
  if (!existsSync(python)) {
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'pipe' });
  }
  // wasmtime's Python package, pinned: the example's only dependency.
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', 'wasmtime==50.0.1'], { stdio: 'pipe' });
  const out = execFileSync(python, [`${root}examples/python-authority/example.py`, `${root}pkg/siyu_authority.wasm`, `${root}programs/health-food.json`], { encoding: 'utf8' });
  const steps = Object.fromEntries(out.trim().split('\n').map((line) => JSON.parse(line)).map((s) => [s.step, s]));
  assert.equal(steps.first.status, 'applied');
  assert.deepEqual(steps.first.guards, ['checkIn', 'lot'], 'the guard rows a database must keep');
  assert.equal(steps.again.status, 'duplicate', 'a resend is answered from the stored decision');
  assert.equal(steps.again.writes, null, 'and writes nothing');
  assert.deepEqual([steps.twice.status, steps.twice.code], ['rejected', 'ALREADY_CHECKED_IN']);
  assert.deepEqual([steps.state.checkIns, steps.state.points], [1, 5]);
});
