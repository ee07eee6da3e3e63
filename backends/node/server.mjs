#!/usr/bin/env node
// The Node reference backend of siyu: node:http and PostgreSQL (`pg`), deciding with the
// engine's authority (`siyu/authority`). It serves the demo mall and the example mini-program
// as siyu-server does — the sync API, history, demo login, the demo payment, the QA clock — and
// leaves out what a shop's own backend would bring (its login, its payment provider, webhooks,
// the operator API). docs/backend.md walks through it.
//
//   node backends/node/server.mjs --database postgres://… [--listen 127.0.0.1:8787]
//     [--program programs/health-food.json] [--www www] [--pkg pkg] [--demo] [--clock-at MS]
//     [--schema NAME]   (tables in their own PostgreSQL schema, created if missing)
import { createServer } from 'node:http';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
// An application imports this as 'siyu/authority'; here it is the package built in this repository.
import { loadAuthority } from '../../pkg/authority.js';
import { Refused, Service } from './service.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

function parseArgs(argv) {
  const args = { listen: '127.0.0.1:8787', program: join(root, 'programs', 'health-food.json'), www: join(root, 'www'), pkg: join(root, 'pkg'), demo: false, clockAt: null, schema: null, database: process.env.DATABASE_URL };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i];
    if (flag === '--demo') args.demo = true;
    else if (flag === '--database') args.database = value();
    else if (flag === '--listen') args.listen = value();
    else if (flag === '--program') args.program = value();
    else if (flag === '--www') args.www = value();
    else if (flag === '--pkg') args.pkg = value();
    else if (flag === '--clock-at') args.clockAt = Number(value());
    else if (flag === '--schema') args.schema = value();
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!args.database?.startsWith('postgres')) throw new Error('--database postgres://… (or DATABASE_URL) is required');
  if (args.schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(args.schema)) throw new Error('--schema must be a lower-case SQL identifier');
  return args;
}

/** The business clock: the system's, moved by the QA clock in demo mode. */
class Clock {
  constructor(at) {
    this.offsetMs = at === null ? 0 : at - Date.now();
  }
  now() {
    return Date.now() + this.offsetMs;
  }
}

/** Demo tokens: `base64url(claims).base64url(HMAC-SHA256)`, valid 30 days. */
class Tokens {
  constructor(secret) {
    this.secret = secret;
  }
  #mac(payload) {
    return createHmac('sha256', this.secret).update(payload).digest();
  }
  issue(memberId, now) {
    const payload = Buffer.from(JSON.stringify({ sub: memberId, exp: now + 30 * 86_400_000 }));
    return `${payload.toString('base64url')}.${this.#mac(payload).toString('base64url')}`;
  }
  verify(token, now) {
    const [payload, sig] = String(token).split('.');
    if (!payload || !sig) return null;
    const body = Buffer.from(payload, 'base64url');
    const given = Buffer.from(sig, 'base64url');
    const expected = this.#mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const claims = JSON.parse(body.toString());
    return claims.exp > now ? claims.sub : null;
  }
}

const MAX_BODY_BYTES = 1 << 20;
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png', '.webmanifest': 'application/manifest+json', '.ts': 'text/plain', '.br': 'application/octet-stream' };

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function sendError(res, e) {
  if (e instanceof Refused) return send(res, e.status, { code: e.code, message: e.message, details: e.details });
  console.error(e);
  return send(res, 500, { code: 'INTERNAL', message: 'the server failed to handle this request', details: {} });
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Refused({ status: 413, code: 'BODY_TOO_LARGE', message: `the request body is larger than ${MAX_BODY_BYTES} bytes`, details: { maxBytes: MAX_BODY_BYTES } });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function serveFile(res, base, path) {
  const file = normalize(join(base, decodeURIComponent(path)));
  if (!file.startsWith(resolve(base))) return send(res, 404, { code: 'NOT_FOUND', message: 'no such file', details: {} });
  let target = file;
  try {
    if (statSync(target).isDirectory()) target = join(target, 'index.html');
    statSync(target);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' });
    return res.end('not found');
  }
  res.writeHead(200, { 'content-type': TYPES[extname(target)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
  createReadStream(target).pipe(res);
}

export async function start(argv) {
  const args = parseArgs(argv);
  const programText = readFileSync(args.program, 'utf8');
  const authority = await loadAuthority(programText);
  const poolOptions = { connectionString: args.database, max: 16 };
  if (args.schema) {
    const admin = new pg.Client({ connectionString: args.database });
    await admin.connect();
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${args.schema}`);
    await admin.end();
    poolOptions.options = `-c search_path=${args.schema}`;
  }
  const pool = new pg.Pool(poolOptions);
  const clock = new Clock(args.clockAt);
  const service = new Service({ pool, authority, clock });
  await service.init(readFileSync(join(here, 'schema.sql'), 'utf8'));
  const tokens = new Tokens(process.env.SIYU_SECRET ?? randomBytes(32).toString('hex'));

  const memberOf = (req) => {
    const header = req.headers.authorization;
    if (!header) throw new Refused({ status: 401, code: 'UNAUTHENTICATED', message: 'missing Authorization: Bearer token', details: {} });
    const member = header.startsWith('Bearer ') ? tokens.verify(header.slice(7).trim(), Date.now()) : null;
    if (!member) throw new Refused({ status: 401, code: 'UNAUTHENTICATED', message: 'the token is invalid or expired', details: {} });
    return member;
  };
  const demoOnly = () => {
    if (!args.demo) throw new Refused({ status: 404, code: 'NOT_FOUND', message: 'only offered in demo mode', details: {} });
  };
  const clockBody = () => ({ offsetMs: clock.offsetMs, now: clock.now(), businessDay: authority.businessDay(clock.now()) });
  /** A small JSON body: an object with only the fields named (unknown ones are refused, as siyu-server does). */
  const json = (text, what, fields) => {
    let body;
    try {
      body = JSON.parse(text || 'null');
    } catch {
      throw new Refused({ status: 400, code: 'BAD_REQUEST', message: `the ${what} is not JSON`, details: {} });
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Refused({ status: 400, code: 'BAD_REQUEST', message: `the ${what} must be an object`, details: { path: '' } });
    const unknown = Object.keys(body).find((k) => !fields.includes(k));
    if (unknown !== undefined) throw new Refused({ status: 400, code: 'BAD_REQUEST', message: `unknown field ${JSON.stringify(unknown)} in the ${what}`, details: { path: unknown } });
    return body;
  };

  const routes = [
    ['POST', /^\/api\/push$/, async (req) => service.push(memberOf(req), await readBody(req))],
    ['POST', /^\/api\/pull$/, async (req) => service.pull(memberOf(req), await readBody(req))],
    // The query string goes to the authority as received: it reads it as siyu-server does.
    ['GET', /^\/api\/history\/([^/]+)$/, async (req, [kind], url) => service.history(memberOf(req), decodeURIComponent(kind), url.search.slice(1))],
    ['POST', /^\/api\/orders\/([^/]+)\/pay$/, async (req, [id]) => service.pay(memberOf(req), decodeURIComponent(id))],
    ['POST', /^\/api\/orders\/([^/]+)\/demo-pay$/, async (req, [id]) => service.demoPay(memberOf(req), decodeURIComponent(id))],
    ['POST', /^\/api\/login$/, async (req) => {
      demoOnly();
      const body = json(await readBody(req), 'login request', ['memberId']);
      const memberId = body?.memberId;
      if (typeof memberId !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(memberId)) {
        throw new Refused({ status: 400, code: 'BAD_REQUEST', message: 'memberId must be 1–64 characters of A-Z a-z 0-9 _ - . :', details: { path: 'memberId' } });
      }
      const now = Date.now();
      return { token: tokens.issue(memberId, now), memberId, expiresAt: now + 30 * 86_400_000 };
    }],
    ['GET', /^\/api\/program$/, async () => authority.program()],
    // Replacing the program is an operator's tool this backend leaves out (siyu-server has it).
    ['PUT', /^\/api\/program$/, async () => {
      throw new Refused({ status: 403, code: 'ADMIN_DISABLED', message: 'this backend does not replace the program: restart it with another --program', details: {} });
    }],
    ['GET', /^\/api\/qa\/clock$/, async () => (demoOnly(), clockBody())],
    ['POST', /^\/api\/qa\/clock$/, async (req) => {
      demoOnly();
      const offsetMs = json(await readBody(req), 'clock request', ['offsetMs']).offsetMs;
      if (!Number.isSafeInteger(offsetMs) || Math.abs(offsetMs) > 10 * 366 * 86_400_000) {
        throw new Refused({ status: 400, code: 'BAD_REQUEST', message: 'offsetMs must be an integer within ±10 years', details: { path: 'offsetMs' } });
      }
      clock.offsetMs = offsetMs;
      await service.sweepExpired();
      return clockBody();
    }],
    ['GET', /^\/api\/health$/, async () => ({ ok: true, protocol: 2, maxBatch: 100, demo: args.demo, serverTime: clock.now() })],
  ];

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    try {
      if (url.pathname.startsWith('/api/')) {
        const route = routes.find(([method, pattern]) => pattern.test(url.pathname) && method === req.method);
        if (!route) {
          const allowed = routes.filter(([, pattern]) => pattern.test(url.pathname)).map(([method]) => method);
          return allowed.length
            ? send(res, 405, { code: 'METHOD_NOT_ALLOWED', message: 'this API route does not take that method', details: {} }, { allow: allowed.join(', ') })
            : send(res, 404, { code: 'NOT_FOUND', message: 'no such API route', details: {} });
        }
        const match = url.pathname.match(route[1]).slice(1);
        return send(res, 200, await route[2](req, match, url));
      }
      if (url.pathname.startsWith('/pkg/')) return serveFile(res, args.pkg, url.pathname.slice(5));
      return serveFile(res, args.www, url.pathname);
    } catch (e) {
      return sendError(res, e);
    }
  });
  const [host, port] = args.listen.split(':');
  await new Promise((ok) => server.listen(Number(port), host, ok));
  const sweep = setInterval(() => service.sweepExpired().catch((e) => console.error('sweep', e)), 5_000);
  sweep.unref();
  console.log(`siyu node backend listening on http://${args.listen}${args.demo ? ' (demo)' : ''}`);
  return { server, pool, service, close: async () => (clearInterval(sweep), server.close(), await pool.end()) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  start(process.argv.slice(2)).catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
