// The server's own benchmark, when server/ has one: a [[bin]] of siyu-server whose name contains
// "bench", run as `cargo run -p siyu-server --release --bin NAME`. What it prints is carried
// into the report: JSON lines (objects) as figures, anything else verbatim. No binary, a failure
// or no output at all: the server figures are "pending".
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

export function findBenchBinary(root) {
  const manifest = join(root, 'server', 'Cargo.toml');
  if (!existsSync(manifest)) return null;
  const text = readFileSync(manifest, 'utf8');
  for (const block of text.split(/^\[\[bin\]\]\s*$/m).slice(1)) {
    const name = block.match(/^\s*name\s*=\s*"([^"]+)"/m)?.[1];
    const path = block.match(/^\s*path\s*=\s*"([^"]+)"/m)?.[1];
    if (name && /bench/.test(name) && (!path || existsSync(join(root, 'server', path)))) return name;
  }
  return null;
}

function run(cmd, args, { cwd, timeoutMs, log, env }) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      const line = String(d).trim().split('\n').at(-1);
      if (line) log(line.slice(0, 70));
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * A PostgreSQL URL for the server benchmark: $SIYU_TEST_POSTGRES_URL, else the local cluster of
 * scripts/start-postgres.sh when PostgreSQL is installed (nothing is installed from here).
 */
function postgresUrl(root, log) {
  if (process.env.SIYU_TEST_POSTGRES_URL) return { url: process.env.SIYU_TEST_POSTGRES_URL };
  const script = join(root, 'scripts', 'start-postgres.sh');
  const installed = existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/postgres`));
  if (!existsSync(script)) return { note: 'no scripts/start-postgres.sh' };
  if (!installed) return { note: 'PostgreSQL is not installed (scripts/start-postgres.sh installs and starts it)' };
  log('starting PostgreSQL (scripts/start-postgres.sh)');
  const r = spawnSync('bash', [script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return { note: `scripts/start-postgres.sh failed: ${(r.stderr || '').trim().split('\n').at(-1)}` };
  return { url: r.stdout.trim().split('\n').at(-1) };
}

/** Figures from the binary's text: per database, the backlog time and the sustained rate. */
function parseText(text) {
  const dbs = [];
  let cur = null;
  for (const line of text.split('\n')) {
    const head = line.match(/^(SQLite|PostgreSQL)\b(.*)$/);
    if (head) {
      cur = { db: head[1], skipped: /skipped/.test(head[2]) };
      dbs.push(cur);
      continue;
    }
    if (!cur) continue;
    const backlog = line.match(/backlog:\s*(\d+)[^:]*:\s*([\d.]+)\s*s\b(?:\s*\(([\d.]+)\s*ms\/mutation)?/);
    if (backlog) Object.assign(cur, { backlogMutations: +backlog[1], backlogSeconds: +backlog[2], backlogMsPerMutation: backlog[3] ? +backlog[3] : null });
    const sustained = line.match(/sustained:\s*(\d+)\s*members.*?=\s*([\d,.]+)\s*mutations\/s/);
    if (sustained) Object.assign(cur, { members: +sustained[1], mutationsPerSecond: +sustained[2].replace(/,/g, '') });
  }
  return dbs;
}

export async function runServerBench(root, { timeoutMs = 30 * 60_000, runs: runsWanted = 3, log = () => {} } = {}) {
  if (process.env.SIYU_BENCH_SERVER === '0') return { status: 'pending', reason: 'skipped (SIYU_BENCH_SERVER=0)' };
  const bin = findBenchBinary(root);
  if (!bin) return { status: 'pending', reason: 'server/ has no bench binary yet' };
  const command = `cargo run -p siyu-server --release --bin ${bin}`;
  const pg = postgresUrl(root, log);
  const runs = [];
  for (let i = 0; i < Math.max(1, runsWanted); i++) {
    log(`${command} (run ${i + 1} of ${runsWanted})`);
    const r = await run('cargo', ['run', '-q', '-p', 'siyu-server', '--release', '--bin', bin], {
      cwd: root,
      timeoutMs,
      log,
      env: pg.url ? { ...process.env, SIYU_TEST_POSTGRES_URL: pg.url } : process.env,
    });
    if (r.code !== 0) {
      return { status: 'pending', command, reason: `${command} failed (${r.signal || `exit ${r.code}`})`, stderr: r.stderr.trim().split('\n').slice(-15).join('\n') };
    }
    const figures = [];
    const text = [];
    for (const line of r.stdout.split('\n')) {
      const t = line.trim();
      if (!t) continue;
      if (t.startsWith('{')) {
        try {
          figures.push(JSON.parse(t));
          continue;
        } catch {
          /* not JSON: keep as text */
        }
      }
      text.push(line);
    }
    if (!figures.length && !text.length) return { status: 'pending', command, reason: `${command} ran but printed no figures` };
    runs.push({ figures, text: text.join('\n'), parsed: parseText(text.join('\n')) });
  }
  const last = runs[runs.length - 1];
  return { status: 'measured', command, runs: runs.length, figures: last.figures, text: last.text, parsed: aggregate(runs.map((r) => r.parsed)), postgres: pg.url ? 'local' : pg.note };
}

/** Per database, the figures of every run: median and min–max. */
function aggregate(perRun) {
  const out = [];
  for (const first of perRun[0] || []) {
    const same = perRun.map((dbs) => dbs.find((d) => d.db === first.db)).filter(Boolean);
    const series = (k) => same.map((d) => d[k]).filter((v) => v != null);
    const summary = (k) => {
      const v = series(k).sort((a, b) => a - b);
      return v.length ? { median: v[Math.floor((v.length - 1) / 2)] + (v.length % 2 ? 0 : (v[v.length / 2] - v[v.length / 2 - 1]) / 2), min: v[0], max: v[v.length - 1], n: v.length } : null;
    };
    out.push({ db: first.db, skipped: first.skipped, backlogMutations: first.backlogMutations, members: first.members, backlogSeconds: summary('backlogSeconds'), backlogMsPerMutation: summary('backlogMsPerMutation'), mutationsPerSecond: summary('mutationsPerSecond') });
  }
  return out;
}
