// Events out (docs/events.md) through the real server binary: a webhook receiver that is down
// for a while, then up; the server killed with -9 in the middle of delivering and started again
// on the same database. The receiver must end with every event the outbox holds, exactly as
// decided (the admin API lists them), each signed, duplicates only with the same id, and each
// member's events first seen in decision order. On SQLite, and on PostgreSQL when
// SIYU_TEST_POSTGRES_URL is set (the test command sets it). From the pinned instant (harness
// PINNED_AT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { startServer, eventually } from './harness.mjs';

const SECRET = 'events-secret-0123456789';
const ADMIN = 'events-admin-token';
// Unique per run: a PostgreSQL database outlives it.
const RUN = `${process.pid.toString(36)}${Date.now().toString(36)}`;

/** A receiver answering 503 while `down`; it checks each signature and keeps what it took. */
async function receiver() {
  const r = { down: true, calls: 0, received: [] };
  r.server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      r.calls++;
      if (r.down) {
        res.writeHead(503).end();
        return;
      }
      const timestamp = req.headers['siyu-timestamp'];
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`;
      const event = JSON.parse(body);
      r.received.push({ id: req.headers['siyu-event-id'], body, event, signed: req.headers['siyu-signature'] === expected });
      // A slow receiver (50 ms an event), so that the kill lands in the middle of the deliveries.
      setTimeout(() => res.writeHead(204).end(), 50);
    });
  });
  await new Promise((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${r.server.address().port}/hook`;
  return r;
}

async function throughAKill(database, tag) {
  const MEMBERS = ['a', 'b', 'c', 'd'].map((m) => `ev-${tag}-${RUN}-${m}`);
  const hook = await receiver();
  const env = { SIYU_WEBHOOK_URLS: hook.url, SIYU_WEBHOOK_SECRET: SECRET, SIYU_ADMIN_TOKEN: ADMIN };
  let server = await startServer({ env, database });
  const dir = server.dir;
  const admin = (path, body) => server.api(path, { token: ADMIN, body });
  const grants = async (from, to) => {
    for (const m of MEMBERS) for (let j = from; j < to; j++) await admin(`/api/admin/members/${m}/points`, { delta: 10 + j, reason: `补录 ${j}` });
  };
  try {
    for (const m of MEMBERS) await server.serverState(m);
    await grants(0, 6);
    // Down: nothing taken yet, tries made.
    await eventually(() => hook.calls >= 2, { what: 'delivery tries while the receiver is down' });
    assert.equal(hook.received.length, 0);
    // Up: deliveries start; the server is killed -9 while they are under way.
    hook.down = false;
    await eventually(() => hook.received.filter((r) => MEMBERS.includes(r.event.memberId)).length >= 3, { what: 'first deliveries', timeout: 20_000 });
    await server.kill9();
    const atKill = hook.received.filter((r) => MEMBERS.includes(r.event.memberId)).length;
    server = await startServer({ env, dir, database });
    await grants(6, 9);
    const outbox = {};
    for (const m of MEMBERS) outbox[m] = (await admin(`/api/admin/members/${m}/events`)).events;
    const all = Object.values(outbox).flat();
    assert.equal(all.length, MEMBERS.length * 9, 'one points.credited event per grant');
    assert.ok(all.every((e) => e.type === 'points.credited'));
    await eventually(() => all.every((e) => hook.received.some((r) => r.id === e.id)), { what: 'every event delivered', timeout: 30_000 });

    // Exactly as decided, signed; duplicates only with the same id and body.
    // (On a shared database the server also decides for other members — a resumed campaign, an
    // order past its deadline — and tells those too: only this run's members are counted.)
    const ours = hook.received.filter((r) => MEMBERS.includes(r.event.memberId));
    const byId = new Map();
    for (const r of ours) {
      assert.ok(r.signed, `event ${r.id} is signed`);
      assert.equal(r.event.id, r.id);
      if (byId.has(r.id)) assert.equal(byId.get(r.id), r.body, 'a duplicate is the same event');
      else byId.set(r.id, r.body);
    }
    assert.equal(byId.size, all.length, 'nothing delivered that the outbox does not hold');
    for (const e of all) assert.deepEqual(JSON.parse(byId.get(e.id)), e);
    // Each member's events first seen in decision order.
    for (const m of MEMBERS) {
      const seen = [];
      for (const r of ours) if (r.event.memberId === m && !seen.includes(r.id)) seen.push(r.id);
      assert.deepEqual(seen, outbox[m].map((e) => e.id), `${m}'s events in order`);
    }
    assert.ok(atKill < MEMBERS.length * 6, `the kill came before the first ${MEMBERS.length * 6} events were all delivered (${atKill})`);
  } finally {
    await server.stop();
    hook.server.close();
  }
}

test('events reach a receiver that was down, through a kill -9 and a restart (SQLite): all, signed, in order per member', () => throughAKill(undefined, 'sqlite'));

test('events through a kill -9 and a restart on PostgreSQL', { skip: !process.env.SIYU_TEST_POSTGRES_URL && 'SIYU_TEST_POSTGRES_URL is not set' }, () =>
  throughAKill(process.env.SIYU_TEST_POSTGRES_URL, 'pg'));
