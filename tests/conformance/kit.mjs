// The conformance kit: the sync protocol's guarantees (docs/protocol.md) as black-box HTTP tests
// any siyu backend can run — exactly once, order, the 400/401/403/409/413/422/426 paths, patch
// pulls that rebuild the state, lost replies, history pages, one coupon and one stock unit
// under concurrency, tampered intents, and (when the kit starts the backend itself) kill -9
// during pushes. The devices are the package's own engine (`Mall`) speaking HTTP, as a
// storefront does.
//
// A backend under test offers demo login (`POST /api/login {memberId}` → `{token}`), the QA
// clock (`/api/qa/clock`), and the conformance program (`conformanceProgram()`): the demo
// program with a sale of 3 units and a coupon quota of 3, so that the kit can empty them.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const siyu = await import(`${root}pkg/index.js`);
siyu.initSync({ module: readFileSync(`${root}pkg/siyu_bg.wasm`) });

export const SALE_SKU = 'honey-manuka';
export const QUOTA_TEMPLATE = 'full-300-50';

/** The program every backend under test runs: the demo's, with counters the kit can empty. */
export function conformanceProgram() {
  const program = JSON.parse(readFileSync(`${root}programs/health-food.json`, 'utf8'));
  const sale = program.limitedSales.find((s) => s.sku === SALE_SKU);
  Object.assign(sale, { stock: 3, perMember: 1, startsAt: Date.parse('2026-01-01T00:00:00Z'), endsAt: Date.parse('2028-01-01T00:00:00Z') });
  program.couponTemplates.find((t) => t.id === QUOTA_TEMPLATE).totalQuota = 3;
  return program;
}

/** One HTTP call: `{status, body}` (never throws on a status). */
async function call(backend, path, { token, body, method } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(backend.url + path, { method: method ?? (body === undefined ? 'GET' : 'POST'), headers, body: text });
  return { status: res.status, body: await res.json().catch(() => null) };
}

let unique = 0;
/** A member id no earlier run used. */
const memberId = (what) => `k-${what}-${process.pid}-${Date.now().toString(36)}-${unique++}`;

/** A device: the engine's replica of one member, syncing over HTTP. */
class Device {
  constructor(backend, program, member, clientId) {
    Object.assign(this, { backend, member, clientId });
    this.mall = new siyu.Mall(program, { memberId: member, clientId, now: backend.now });
  }

  static async open(backend, program, member, clientId = `${member}-d${unique++}`) {
    const device = new Device(backend, program, member, clientId);
    device.token = (await call(backend, '/api/login', { body: { memberId: member } })).body.token;
    await device.pull();
    return device;
  }

  /** The server's clock as this device last learnt it. */
  now() {
    return this.mall.now();
  }

  async push() {
    const reply = await call(this.backend, '/api/push', { token: this.token, body: this.mall.pushRequest() });
    if (reply.status === 200) this.mall.applyPushResponse(reply.body);
    return reply;
  }

  async pull() {
    const sent = Date.now();
    const reply = await call(this.backend, '/api/pull', { token: this.token, body: this.mall.pullRequest() });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    this.mall.applyPullResponse(reply.body, sent, Date.now());
    return reply.body;
  }

  async sync() {
    const pushed = await this.push();
    assert.equal(pushed.status, 200, JSON.stringify(pushed.body));
    await this.pull();
    return pushed.body;
  }

  /** A placeOrder for `lines` at the price the engine quotes now. */
  order(lines, coupons = []) {
    const quote = this.mall.quote({ lines, coupons }, this.now());
    const expectedTotal = quote.total;
    quote.free();
    return this.mall.placeOrder({ orderId: this.mall.nextOrderId(), lines, coupons, expectedTotal }, this.now());
  }
}

/** The member's state as the backend holds it: a pull from a new client. */
async function serverState(backend, member) {
  const token = (await call(backend, '/api/login', { body: { memberId: member } })).body.token;
  const reply = await call(backend, '/api/pull', { token, body: { protocol: 2, clientId: `${member}-probe${unique++}`, cookie: null } });
  assert.equal(reply.status, 200);
  return reply.body;
}

const push = (id, name, args, clientTime) => ({ id, name, args, clientTime });

/**
 * Registers the kit against one backend. `start()` returns `{ url }`, and may return `kill9()`
 * and `restart()` (the kill test needs them) and `stop()`.
 */
export function conformance(name, start) {
  describe(`conformance: ${name}`, { concurrency: false }, () => {
    const backend = { url: '' };
    let program;
    before(async () => {
      Object.assign(backend, await start());
      const health = await call(backend, '/api/health');
      assert.equal(health.status, 200);
      backend.now = health.body.serverTime;
      program = JSON.stringify((await call(backend, '/api/program')).body);
    });

    test('health names the protocol and the largest batch', async () => {
      const { body } = await call(backend, '/api/health');
      assert.equal(body.protocol, 2);
      assert.equal(body.maxBatch, 100);
    });

    test('a mutation is decided exactly once; its resend is answered from storage', async () => {
      const member = memberId('once');
      const d = await Device.open(backend, program, member);
      d.mall.checkIn(d.now());
      const request = d.mall.pushRequest();
      const first = await call(backend, '/api/push', { token: d.token, body: request });
      assert.equal(first.status, 200);
      assert.equal(first.body.results[0].status, 'applied');
      const again = await call(backend, '/api/push', { token: d.token, body: request });
      assert.equal(again.body.results[0].status, 'duplicate');
      assert.deepEqual(again.body.results[0].original.effects, first.body.results[0].effects);
      assert.equal(again.body.lastMutationId, 1);
      const state = (await serverState(backend, member)).state;
      assert.equal(state.checkIns.length, 1, 'one check-in, however often it was sent');
      assert.equal(state.lots.length, 1);
    });

    test('mutations follow on per client: a gap is 409 naming the id expected, a disorder 400', async () => {
      const d = await Device.open(backend, program, memberId('order'));
      const t = d.now();
      const gap = await call(backend, '/api/push', { token: d.token, body: { protocol: 2, clientId: d.clientId, mutations: [push(2, 'checkIn', {}, t)] } });
      assert.equal(gap.status, 409);
      assert.equal(gap.body.code, 'OUT_OF_ORDER');
      assert.equal(gap.body.details.expected, 1);
      const disorder = await call(backend, '/api/push', { token: d.token, body: { protocol: 2, clientId: d.clientId, mutations: [push(1, 'checkIn', {}, t), push(3, 'checkIn', {}, t)] } });
      assert.equal(disorder.status, 400);
      const zero = await call(backend, '/api/push', { token: d.token, body: { protocol: 2, clientId: d.clientId, mutations: [push(0, 'checkIn', {}, t)] } });
      assert.equal(zero.status, 400);
    });

    test('an id decided with another payload is refused 422 MUTATION_ID_REUSED', async () => {
      const d = await Device.open(backend, program, memberId('reused'));
      d.mall.checkIn(d.now());
      await d.sync();
      const other = await call(backend, '/api/push', { token: d.token, body: { protocol: 2, clientId: d.clientId, mutations: [push(1, 'claimCoupon', { template: 'nuts-8' }, d.now())] } });
      assert.equal(other.status, 422);
      assert.equal(other.body.code, 'MUTATION_ID_REUSED');
    });

    test('a batch above the maximum is refused 413 with the maximum', async () => {
      const d = await Device.open(backend, program, memberId('batch'));
      const mutations = Array.from({ length: 101 }, (_, i) => push(i + 1, 'checkIn', {}, d.now()));
      const reply = await call(backend, '/api/push', { token: d.token, body: { protocol: 2, clientId: d.clientId, mutations } });
      assert.equal(reply.status, 413);
      assert.equal(reply.body.details.max, 100);
    });

    test('numbers as JSON has them: integral floats are integers, integers beyond 2^53 − 1 are refused', async () => {
      const d = await Device.open(backend, program, memberId('numbers'));
      const t = d.now();
      const floats = `{"protocol":2.0,"clientId":${JSON.stringify(d.clientId)},"mutations":[{"id":1.0,"name":"checkIn","args":{},"clientTime":${t}.0}]}`;
      const applied = await call(backend, '/api/push', { token: d.token, body: floats });
      assert.equal(applied.status, 200, JSON.stringify(applied.body));
      assert.equal(applied.body.results[0].status, 'applied');
      const huge = `{"protocol":2,"clientId":${JSON.stringify(d.clientId)},"mutations":[{"id":2,"name":"checkIn","args":{},"clientTime":9007199254740993}]}`;
      const refused = await call(backend, '/api/push', { token: d.token, body: huge });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.details.path, 'mutations[0].clientTime');
      const cookie = await call(backend, '/api/pull', { token: d.token, body: `{"protocol":2,"clientId":${JSON.stringify(d.clientId)},"cookie":9007199254740993}` });
      assert.equal(cookie.status, 400);
      assert.equal((await call(backend, '/api/history/ledger?before=9007199254740993', { token: d.token })).status, 400);
    });

    test('another protocol is refused 426 on push and pull', async () => {
      const d = await Device.open(backend, program, memberId('proto'));
      const bodies = { '/api/push': { protocol: 99, clientId: d.clientId, mutations: [] }, '/api/pull': { protocol: 99, clientId: d.clientId, cookie: null } };
      for (const [path, body] of Object.entries(bodies)) {
        const reply = await call(backend, path, { token: d.token, body });
        assert.equal(reply.status, 426, path);
        assert.equal(reply.body.code, 'VERSION_NOT_SUPPORTED');
      }
    });

    test('no token is 401; another member’s client id is 403 CLIENT_NOT_OWNED; the store’s id is refused', async () => {
      const body = { protocol: 2, clientId: 'kit-x', cookie: null };
      assert.equal((await call(backend, '/api/pull', { body })).status, 401);
      const a = await Device.open(backend, program, memberId('owner'));
      const b = await Device.open(backend, program, memberId('thief'));
      const stolen = await call(backend, '/api/pull', { token: b.token, body: { protocol: 2, clientId: a.clientId, cookie: null } });
      assert.equal(stolen.status, 403);
      assert.equal(stolen.body.code, 'CLIENT_NOT_OWNED');
      const store = await call(backend, '/api/push', { token: b.token, body: { protocol: 2, clientId: 'store', mutations: [] } });
      assert.equal(store.status, 400);
      const malformed = await call(backend, '/api/push', { token: b.token, body: '{"protocol":2,' });
      assert.equal(malformed.status, 400);
    });

    test('tampered intents are decided and rejected: a price, a store-only change, an unknown name', async () => {
      const member = memberId('tamper');
      const d = await Device.open(backend, program, member);
      const t = d.now();
      const mutations = [
        push(1, 'placeOrder', { orderId: 'k-o1', lines: [{ sku: 'almond-250', qty: 1 }], coupons: [], points: 0, expectedTotal: 1 }, t),
        push(2, 'confirmPayment', { orderId: 'k-o1', amount: 1, transactionId: 'forged' }, t),
        push(3, 'grantPoints', { points: 100000, reason: 'forged' }, t),
        push(4, 'fly', { to: 'moon' }, t),
      ];
      const reply = await call(backend, '/api/push', { token: d.token, body: { protocol: 2, clientId: d.clientId, mutations } });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.deepEqual(reply.body.results.map((r) => r.status), ['rejected', 'rejected', 'rejected', 'rejected']);
      assert.equal(reply.body.results[3].error.code, 'INVALID_INPUT');
      const state = (await serverState(backend, member)).state;
      assert.equal(state.orders.length, 0);
      assert.equal(state.lots.length, 0, 'no points granted by a device');
    });

    test('a pull after changes from another device is a patch that rebuilds the state', async () => {
      const member = memberId('patch');
      const a = await Device.open(backend, program, member);
      const b = await Device.open(backend, program, member);
      b.mall.checkIn(b.now());
      b.mall.claimCoupon('nuts-8', b.now());
      b.mall.setBirthday('06-15', b.now());
      await b.sync();
      const reply = await a.pull();
      assert.equal(reply.state, null, 'the changes, not the whole state');
      assert.equal(reply.patch.length, 3);
      const whole = await serverState(backend, member);
      assert.deepEqual(a.mall.state(), whole.state, 'the patch replayed gives the state the backend holds');
      assert.equal(reply.stateDigest.length, 16);
      const unchanged = await a.pull();
      assert.equal(unchanged.state, null);
      assert.equal(unchanged.patch ?? null, null, 'nothing changed: neither state nor patch');
    });

    test('a result whose reply was lost comes with the next pull', async () => {
      const d = await Device.open(backend, program, memberId('lost'));
      d.mall.checkIn(d.now());
      const lost = await call(backend, '/api/push', { token: d.token, body: d.mall.pushRequest() });
      assert.equal(lost.status, 200);
      assert.equal(d.mall.pendingCount(), 1, 'the device never saw the reply');
      const reply = await d.pull();
      assert.deepEqual(reply.results.map((r) => [r.id, r.status]), [[1, 'applied']]);
      assert.equal(reply.lastMutationId, 1);
      assert.equal(d.mall.pendingCount(), 0);
    });

    test('two orders on one coupon at once: exactly one takes it', async () => {
      const member = memberId('coupon');
      const a = await Device.open(backend, program, member);
      a.mall.claimCoupon(QUOTA_TEMPLATE, a.now());
      await a.sync();
      const coupon = a.mall.state().coupons.find((c) => c.template === QUOTA_TEMPLATE);
      assert.ok(coupon, 'the coupon was claimed');
      const b = await Device.open(backend, program, member);
      const lines = [{ sku: 'walnut-500', qty: 7 }];
      a.order(lines, [coupon.id]);
      b.order(lines, [coupon.id]);
      const replies = await Promise.all([a.push(), b.push()]);
      const statuses = replies.map((r) => r.body.results[0].status).sort();
      assert.deepEqual(statuses, ['applied', 'rejected']);
      const state = (await serverState(backend, member)).state;
      assert.equal(state.orders.length, 1);
    });

    test('the last units of a sale and a coupon quota go to exactly as many members as there are', async () => {
      // Into the sale's window on the QA clock (a backend may have moved the sale).
      const clock = (await call(backend, '/api/qa/clock')).body;
      const window = JSON.parse(program).limitedSales.find((s) => s.sku === SALE_SKU);
      if (clock.now < window.startsAt || clock.now >= window.endsAt) {
        await call(backend, '/api/qa/clock', { body: { offsetMs: clock.offsetMs + (window.startsAt + 60_000 - clock.now) } });
      }
      try {
        await rush();
      } finally {
        await call(backend, '/api/qa/clock', { body: { offsetMs: clock.offsetMs } });
      }
    });

    async function rush() {
      const devices = await Promise.all(Array.from({ length: 5 }, () => Device.open(backend, program, memberId('rush'))));
      const before = (await serverState(backend, devices[0].member)).stock;
      for (const d of devices) {
        d.order([{ sku: SALE_SKU, qty: 1 }]);
        d.mall.claimCoupon(QUOTA_TEMPLATE, d.now());
      }
      const replies = await Promise.all(devices.map((d) => d.push()));
      const applied = (n) => replies.filter((r) => r.body.results[n].status === 'applied').length;
      const after = (await serverState(backend, devices[0].member)).stock;
      const sale = `saleStock:${SALE_SKU}`;
      const quota = `couponQuota:${QUOTA_TEMPLATE}`;
      assert.equal(applied(0), Math.min(5, before[sale]), 'one unit each while they last');
      assert.equal(after[sale], before[sale] - applied(0));
      assert.equal(applied(1), Math.min(5, before[quota]));
      assert.equal(after[quota], before[quota] - applied(1));
      assert.ok(after[sale] >= 0 && after[quota] >= 0, 'never below zero');
    }

    test('history pages what left the working state, newest first, and refuses bad queries', async () => {
      const member = memberId('history');
      const d = await Device.open(backend, program, member);
      const clock = (await call(backend, '/api/qa/clock')).body;
      assert.ok(clock, 'the backend offers the QA clock');
      const moveBy = async (days) => {
        const now = (await call(backend, '/api/qa/clock')).body;
        await call(backend, '/api/qa/clock', { body: { offsetMs: now.offsetMs + days * 86_400_000 } });
        await d.pull();
      };
      try {
        // Two check-ins on two days, then one 400 days later: the first two leave the working state.
        d.mall.checkIn(d.now());
        await d.sync();
        await moveBy(1);
        d.mall.checkIn(d.now());
        await d.sync();
        const days = d.mall.state().checkIns.map((c) => c.day);
        await moveBy(400);
        d.mall.checkIn(d.now());
        await d.sync();
        assert.equal(d.mall.state().checkIns.length, 1, 'the replica compacted as the backend did');
        const first = await call(backend, '/api/history/checkIns?limit=1', { token: d.token });
        assert.equal(first.status, 200, JSON.stringify(first.body));
        assert.equal(first.body.kind, 'checkIns');
        assert.deepEqual(first.body.items.map((c) => c.day), [days[1]], 'newest first');
        assert.notEqual(first.body.next, null);
        const second = await call(backend, `/api/history/checkIns?limit=1&before=${first.body.next}`, { token: d.token });
        assert.deepEqual(second.body.items.map((c) => c.day), [days[0]]);
        assert.equal(second.body.next, null, 'the oldest page');
        const [year, month] = days[0].split('-').map(Number);
        const byMonth = await call(backend, `/api/history/checkIns?year=${year}&month=${month}`, { token: d.token });
        assert.ok(byMonth.body.items.some((c) => c.day === days[0]), 'a calendar month of check-ins');
        assert.equal((await call(backend, '/api/history/secrets', { token: d.token })).status, 404);
        assert.equal((await call(backend, '/api/history/ledger?limit=1000', { token: d.token })).status, 400);
        assert.equal((await call(backend, '/api/history/checkIns?year=2026&month=13', { token: d.token })).status, 400);
      } finally {
        await call(backend, '/api/qa/clock', { body: { offsetMs: clock.offsetMs } });
      }
    });

    test('kill -9 during pushes: nothing acknowledged is lost, nothing is decided twice', { skip: !start.restartable }, async () => {
      const devices = await Promise.all(Array.from({ length: 8 }, () => Device.open(backend, program, memberId('kill'))));
      for (const d of devices) {
        d.mall.checkIn(d.now());
        d.mall.claimCoupon('nuts-8', d.now());
      }
      const inflight = devices.map((d) => d.push().catch(() => null));
      await new Promise((r) => setTimeout(r, 15));
      await backend.kill9();
      const acknowledged = (await Promise.all(inflight)).filter((r) => r?.status === 200).length;
      Object.assign(backend, await backend.restart());
      for (const d of devices) {
        d.backend = backend;
        await d.sync();
        assert.equal(d.mall.pendingCount(), 0);
      }
      for (const d of devices) {
        const state = (await serverState(backend, d.member)).state;
        assert.equal(state.checkIns.length, 1, `${d.member}: one check-in`);
        assert.equal(state.coupons.filter((c) => c.template === 'nuts-8').length, 1, `${d.member}: one coupon`);
      }
      assert.ok(acknowledged >= 0);
    });
  });
}
