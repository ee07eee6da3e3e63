// End-to-end harness: starts the already-built server binary in demo mode on a temp SQLite
// database and a free port, launches Debian's chromium through playwright-core, and talks to the
// API directly to check what the server holds. It builds nothing.
import { spawn } from 'node:child_process';
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The instant every journey starts at, never the day the suite happens to run: `SIYU_TEST_AT`
 * (an ISO 8601 instant such as `2027-02-28T23:30:00+08:00`, or ms since the epoch) or, by default,
 * Thursday 3 December 2026, 10:00 China time. The server's QA clock starts there (`--clock-at`),
 * the demo members are seeded as of then, and every client learns it from its first pull.
 */
export const PINNED_AT = pinnedInstant(process.env.SIYU_TEST_AT) ?? Date.parse('2026-12-03T10:00:00+08:00');

/**
 * Make this process's device clock (`Date.now`, what the engine reads when no `now` is given)
 * read `at` now and run on from there, so a client agrees with the pinned server from its first
 * change, before any pull has taught it the offset.
 */
export function pinDeviceClock(at = PINNED_AT) {
  const skew = at - Date.now();
  const real = Date.now.bind(Date);
  Date.now = () => real() + skew;
  return skew;
}

function pinnedInstant(text) {
  if (!text) return null;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new Error(`SIYU_TEST_AT=${text} is neither an ISO 8601 instant nor ms since the epoch`);
  return ms;
}

/**
 * Start `siyu-server --demo` (env SIYU_SERVER_BIN, default target/release/siyu-server) with its
 * QA clock at `at` (default PINNED_AT).
 */
export async function startServer({ extraArgs = [], at = PINNED_AT, env = {}, dir: reuse, database } = {}) {
  const bin = process.env.SIYU_SERVER_BIN || join(ROOT, 'target', 'release', 'siyu-server');
  if (!existsSync(bin)) throw new Error(`no server binary at ${bin}: build it with \`cargo build -p siyu-server --release\` or set SIYU_SERVER_BIN`);
  if (!existsSync(join(ROOT, 'pkg', 'siyu_bg.wasm'))) throw new Error('no pkg/: build it with `bash scripts/build-pkg.sh`');
  // `dir`: a previous server's folder (its database and secret), to start again after a crash.
  const dir = reuse ?? mkdtempSync(join(tmpdir(), 'siyu-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // `database`: another database than the folder's SQLite file (a PostgreSQL URL).
  const args = ['--demo', '--database', database ?? `sqlite://${join(dir, 'e2e.db')}`, '--listen', `127.0.0.1:${port}`, '--www', join(ROOT, 'www'), '--pkg', join(ROOT, 'pkg'), '--data-dir', dir, '--rate-burst', '0', '--clock-at', String(at), ...extraArgs];
  // `env` may depend on the server's own address (a payment provider's notify URL).
  const extraEnv = typeof env === 'function' ? env(url) : env;
  const { child, exited, log } = await spawnBackend('siyu-server', bin, args, url, extraEnv);

  return {
    ...backendClient(url, at),
    dir,
    log,
    /** kill -9: no shutdown at all; the folder stays for a restart (`startServer({ dir })`). */
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Spawn a backend and wait until `/api/health` answers: the child, its exit and its log. */
async function spawnBackend(what, bin, args, url, env) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIYU_SECRET: 'e2e-secret-e2e-secret', ...env } });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${text}`);
    if (await fetch(`${url}/api/health`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${what} did not become healthy:\n${text}`);
    }
    await sleep(100);
  }
  return { child, exited, log: () => text };
}

/** What a test asks of a running backend (siyu-server or the Node backend) over its API. */
export function backendClient(url, at) {
  async function api(path, { token, body } = {}) {
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(url + path, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json().catch(() => null);
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  return {
    url,
    api,
    login: (memberId) => api('/api/login', { body: { memberId } }).then((r) => r.token),
    /** The member's state as the server holds it (a pull from a probe client). */
    async serverState(memberId) {
      const token = await api('/api/login', { body: { memberId } }).then((r) => r.token);
      const reply = await api('/api/pull', { token, body: { protocol: 2, clientId: `e2e-probe-${memberId}`, cookie: null } });
      return reply.state;
    },
    /** The instant the server's clock started at. */
    startedAt: at,
    clock: () => api('/api/qa/clock'),
    setClock: (offsetMs) => api('/api/qa/clock', { body: { offsetMs } }),
    /** Move the server's clock to `instant` (it runs on from there). */
    async setClockTo(instant) {
      const { now, offsetMs } = await api('/api/qa/clock');
      return api('/api/qa/clock', { body: { offsetMs: offsetMs + (instant - now) } });
    },
  };
}

/**
 * Start the Node backend (backends/node) in demo mode on PostgreSQL `database`, its QA clock at
 * `at`: the same client as `startServer`'s, plus `kill9`, `stop` and `restart` (same database).
 */
export async function startNodeBackend({ database, at = PINNED_AT, program } = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [join(ROOT, 'backends', 'node', 'server.mjs'), '--database', database, '--listen', `127.0.0.1:${port}`, '--demo', '--clock-at', String(at)];
  if (program) args.push('--program', program);
  const { child, exited, log } = await spawnBackend('the Node backend', process.execPath, args, url, {});
  const kill9 = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  return {
    ...backendClient(url, at),
    log,
    kill9,
    stop: kill9,
    restart: () => startNodeBackend({ database, at, program }),
  };
}

/** A PostgreSQL database of its own (on the cluster of `SIYU_TEST_POSTGRES_URL`) and its drop. */
export async function freshDatabase(tag) {
  const { default: pg } = await import('pg');
  const base = process.env.SIYU_TEST_POSTGRES_URL;
  if (!base) throw new Error('SIYU_TEST_POSTGRES_URL is not set: start PostgreSQL with scripts/start-postgres.sh');
  const name = `siyu_${tag}_${process.pid}`;
  const admin = async (sql) => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export function launchBrowser() {
  return chromium.launch({ executablePath: process.env.SIYU_CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** A phone-sized page with console errors collected. */
export async function newPhone(browser, { locale = 'zh-CN' } = {}) {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, locale, hasTouch: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|ERR_INTERNET_DISCONNECTED|net::ERR_/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors };
}

/** Open the mall and log in as a demo member; resolves once the first sync is done. */
export async function loginAs(page, url, memberId) {
  await page.goto(`${url}/#/home`);
  await page.click(`#login-${memberId}`);
  await waitSynced(page);
}

export async function waitSynced(page, timeout = 15_000) {
  await page.locator('#sync-badge[data-state="synced"]').waitFor({ timeout });
}

/**
 * Pay in the demo provider's sheet, which opens after an order is placed (or from its pay
 * button): resolves once the order shows paid, i.e. the store's result came back by pull.
 */
export async function payInSheet(page, orderId) {
  const sheet = page.locator('#pay-form');
  await sheet.waitFor();
  await sheet.locator('button[value="pay"]').click();
  await page.locator(`#orders .order[data-order="${orderId}"][data-state="done"]`).waitFor();
}

/** The sync badge's state and pending count. */
export async function badge(page) {
  const el = page.locator('#sync-badge');
  return { state: await el.getAttribute('data-state'), pending: Number(await el.getAttribute('data-pending')), text: (await el.textContent()).trim() };
}

export async function go(page, route) {
  await page.click(`#tab-${route}`);
  await page.locator(`#tab-${route}[aria-current="page"]`).waitFor();
}

/** Poll `fn` until it returns something truthy; returns that. */
export async function eventually(fn, { timeout = 10_000, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The business day 'YYYY-MM-DD' of an instant at UTC+8. */
export function businessDay(instant, offsetMinutes = 480) {
  return new Date(instant + offsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** One demo server and one browser for a test file, started before its tests and stopped after. */
export function useServerAndBrowser() {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await startServer();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

/** The cart summary rows as signed fen, and the checkout bar's total and "you save". */
export async function summaryOf(page) {
  const rows = {};
  for (const row of await page.locator('.summary-row').all()) rows[await row.getAttribute('data-row')] = Number(await row.locator('dd').getAttribute('data-fen'));
  const total = Number(await page.locator('#cart-total').getAttribute('data-total'));
  const saved = (await page.locator('#cart-saved').count()) ? Number((await page.locator('#cart-saved').textContent()).replace(/[^\d]/g, '')) : 0;
  return { rows, total, saved };
}

/** Every row of the summary adds up to the total, and "you save" is the sum of the discounts. */
export function assertAddsUp({ rows, total, saved }) {
  const values = Object.values(rows);
  assert.equal(values.reduce((a, b) => a + b, 0), total, `the rows add up to the total: ${JSON.stringify(rows)}`);
  assert.equal(-values.filter((v) => v < 0).reduce((a, b) => a + b, 0), saved, `"you save" is the sum of the discounts shown: ${JSON.stringify(rows)}`);
}
