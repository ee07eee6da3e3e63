// The conformance kit (kit.mjs) against every backend this repository ships, each started here
// on a database of its own: siyu-server on SQLite, siyu-server on PostgreSQL, and the Node
// backend (backends/node) on PostgreSQL. Needs the server built (target/release/siyu-server),
// pkg/ built, and PostgreSQL (SIYU_TEST_POSTGRES_URL, from scripts/start-postgres.sh).
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startNodeBackend, freshDatabase } from '../e2e/harness.mjs';
import { conformance, conformanceProgram } from './kit.mjs';

assert.ok(process.env.SIYU_TEST_POSTGRES_URL, 'SIYU_TEST_POSTGRES_URL: start PostgreSQL with scripts/start-postgres.sh');
const dir = mkdtempSync(join(tmpdir(), 'siyu-conformance-'));
const program = join(dir, 'program.json');
writeFileSync(program, JSON.stringify(conformanceProgram()));
const cleanups = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

async function database(tag) {
  const db = await freshDatabase(`conf_${tag}`);
  cleanups.push(db.drop);
  return db.url;
}

/** A started backend as the kit takes it, restartable on the same database after kill -9. */
function kitView(backend, restart) {
  cleanups.push(() => backend.stop());
  return { url: backend.url, kill9: () => backend.kill9(), restart: async () => kitView(await restart(backend), restart) };
}

function siyuServer(tag) {
  const start = async () => {
    const url = tag ? await database(tag) : undefined;
    return kitView(await startServer({ database: url, extraArgs: ['--program', program] }), (old) => startServer({ dir: old.dir, database: url, extraArgs: ['--program', program] }));
  };
  start.restartable = true;
  return start;
}

function nodeBackend() {
  const start = async () => kitView(await startNodeBackend({ database: await database('node'), program }), (old) => old.restart());
  start.restartable = true;
  return start;
}

conformance('siyu-server on SQLite', siyuServer(null));
conformance('siyu-server on PostgreSQL', siyuServer('rust'));
conformance('the Node backend on PostgreSQL', nodeBackend());
