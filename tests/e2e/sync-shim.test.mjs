// The sync shim on its own (node, no browser) against the real server: restore from storage,
// retries on 429/5xx/network with the engine's backoff, a full disk never drops the queue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, ROOT, pinDeviceClock } from './harness.mjs';

const siyu = await import(join(ROOT, 'pkg', 'index.js'));
siyu.initSync({ module: readFileSync(join(ROOT, 'pkg', 'siyu_bg.wasm')) });

let server;
let program;

before(async () => {
  server = await startServer();
  // The device's clock is pinned with the server's (harness PINNED_AT).
  pinDeviceClock(server.startedAt);
  program = await server.api('/api/program');
});

after(async () => {
  await server?.stop();
});

const until = async (what, fn, timeout = 10_000) => {
  const end = Date.now() + timeout;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

function open(options) {
  return siyu.openMall({ program, baseUrl: `${server.url}/api`, multiTab: false, intervalMs: 60_000, ...options });
}

test('a second open on the same storage resumes the queue and the client id', async () => {
  const token = await server.login('shim-a');
  const storage = siyu.memoryStorage();
  const offline = async () => {
    throw new TypeError('fetch failed');
  };
  const first = await open({ memberId: 'shim-a', token, storage, fetch: offline });
  await first.mutate((m) => m.checkIn());
  await first.mutate((m) => m.claimCoupon('free-ship'));
  await until('offline status', () => first.status.state === 'offline');
  assert.equal(first.status.pending, 2);
  const clientId = first.mall.snapshot().clientId;
  first.close();

  const second = await open({ memberId: 'shim-a', token, storage });
  assert.equal(second.mall.snapshot().clientId, clientId);
  assert.equal(second.mall.pendingCount(), 2);
  const status = await second.sync();
  assert.equal(status.state, 'synced');
  assert.equal(status.pending, 0);
  const state = await server.serverState('shim-a');
  assert.equal(state.checkIns.length, 1);
  assert.ok(state.coupons.some((c) => c.template === 'free-ship'));
  second.close();
});

test('429 and 503 are retried with backoff; statuses are reported', async () => {
  const token = await server.login('shim-b');
  let failures = 2;
  const calls = [];
  const flaky = async (url, init) => {
    calls.push(url.replace(server.url, ''));
    if (failures > 0) {
      failures -= 1;
      const status = failures === 1 ? 429 : 503;
      return new Response(JSON.stringify({ code: status === 429 ? 'RATE_LIMITED' : 'UNAVAILABLE', message: 'busy', details: {} }), {
        status,
        headers: { 'content-type': 'application/json', 'retry-after': '0' },
      });
    }
    return fetch(url, init);
  };
  const client = await open({ memberId: 'shim-b', token, storage: siyu.memoryStorage(), fetch: flaky });
  const seen = [];
  client.on('status', (s) => seen.push(s.code ? `${s.state}:${s.code}` : s.state));
  await client.mutate((m) => m.checkIn());
  await until('synced', () => client.status.state === 'synced' && client.status.pending === 0);
  assert.ok(seen.includes('error:RATE_LIMITED') || seen.includes('error:UNAVAILABLE'), `statuses: ${seen}`);
  assert.equal(seen.at(-1), 'synced');
  assert.ok(calls.filter((c) => c === '/api/push').length >= 1);
  assert.equal((await server.serverState('shim-b')).checkIns.length, 1);
  client.close();
});

test('a full disk refuses a change instead of showing what a reload would lose, and recovers', async () => {
  const token = await server.login('shim-c');
  const backing = siyu.memoryStorage();
  let full = false;
  const storage = {
    kind: 'memory',
    get: (key) => backing.get(key),
    put: async (key, value) => {
      if (full) throw new DOMException('quota', 'QuotaExceededError');
      return backing.put(key, value);
    },
  };
  const offline = async () => {
    throw new TypeError('fetch failed');
  };
  let online = false;
  const net = (url, init) => (online ? fetch(url, init) : offline());
  const client = await open({ memberId: 'shim-c', token, storage, fetch: net });
  await client.mutate((m) => m.claimCoupon('free-ship'));
  full = true;
  await assert.rejects(client.mutate((m) => m.checkIn()), (e) => e.code === 'STORAGE_FULL');
  assert.equal(client.status.state, 'error');
  assert.equal(client.status.code, 'STORAGE_FULL');
  assert.equal(client.mall.pendingCount(), 1, 'the refused check-in is not queued');
  assert.equal(client.mall.streak().checkedInToday, false, 'nor shown');
  client.close();

  // A reload before any push: what the shopper was told is saved is there, nothing more.
  const reloaded = await open({ memberId: 'shim-c', token, storage, fetch: net });
  assert.equal(reloaded.mall.pendingCount(), 1);
  // The disk frees up: the change goes through and the queue syncs.
  full = false;
  online = true;
  await reloaded.mutate((m) => m.checkIn());
  await until('synced', () => reloaded.status.state === 'synced');
  const state = await server.serverState('shim-c');
  assert.equal(state.checkIns.length, 1);
  assert.equal(state.coupons.length, 1);
  reloaded.close();
});

test('an unreadable saved record is set aside and replaced: later changes reach the server', async () => {
  const token = await server.login('shim-u');
  const storage = siyu.memoryStorage();
  await storage.put('mall:shim-u', { rev: 7, clientId: 'shim-u-old', snapshot: JSON.stringify({ version: 99 }), savedAt: 0 });
  const client = await open({ memberId: 'shim-u', token, storage });
  assert.equal(client.status.code, 'SNAPSHOT_UNREADABLE');
  assert.ok(await storage.get('mall:shim-u:unreadable'), 'the record is kept aside');
  await client.mutate((m) => m.checkIn());
  await until('synced', () => client.status.state === 'synced');
  assert.equal((await server.serverState('shim-u')).checkIns.length, 1);
  const record = await storage.get('mall:shim-u');
  assert.ok(record.rev > 7 && record.clientId === client.mall.clientId, 'the new record replaced the unreadable one');
  client.close();
});

test('a device that lost its record never reuses its client id: the next claim is applied, not taken for an old one', async () => {
  const token = await server.login('shim-r');
  const storage = siyu.memoryStorage();
  const first = await open({ memberId: 'shim-r', token, storage });
  await first.mutate((m) => m.checkIn());
  await first.mutate((m) => m.claimCoupon('free-ship'));
  await until('synced', () => first.status.state === 'synced');
  const oldId = first.mall.clientId;
  first.close();
  // The record is gone (a full disk, a cleared store); only an old-style client-id key is left.
  const bare = siyu.memoryStorage();
  await bare.put('clientId:shim-r', oldId);
  const again = await open({ memberId: 'shim-r', token, storage: bare });
  assert.notEqual(again.mall.clientId, oldId);
  await again.mutate((m) => m.claimCoupon('pct-90-cap30'));
  await until('synced', () => again.status.state === 'synced');
  assert.ok((await server.serverState('shim-r')).coupons.some((c) => c.template === 'pct-90-cap30'));
  again.close();
});

test('an app-chosen client id another install used is never numbered under: the first change reaches the server', async () => {
  const token = await server.login('shim-reuse');
  const a = await open({ memberId: 'shim-reuse', token, storage: siyu.memoryStorage(), clientId: 'shim-reuse-x' });
  assert.equal(a.mall.clientId, 'shim-reuse-x', 'an unused id the app chose is kept');
  await a.mutate((m) => m.claimCoupon('free-ship'));
  await until('synced', () => a.status.state === 'synced');
  a.close();
  // A second install handed the same id, with no record of it on its device.
  const b = await open({ memberId: 'shim-reuse', token, storage: siyu.memoryStorage(), clientId: 'shim-reuse-x' });
  assert.notEqual(b.mall.clientId, 'shim-reuse-x', 'the used id is not taken');
  await b.mutate((m) => m.claimCoupon('pct-90-cap30'));
  await b.mutate((m) => m.checkIn());
  await until('synced', () => b.status.state === 'synced' && b.status.pending === 0);
  const state = await server.serverState('shim-reuse');
  assert.ok(state.coupons.some((c) => c.template === 'pct-90-cap30') && state.checkIns.length === 1, 'both changes were applied');
  b.close();
  // Offline, an unrecorded chosen id cannot be checked: the install starts under its own.
  const offline = await open({ memberId: 'shim-reuse', token, storage: siyu.memoryStorage(), clientId: 'shim-reuse-y', fetch: recorder().fetch });
  assert.notEqual(offline.mall.clientId, 'shim-reuse-y');
  offline.close();
});

test('422 MUTATION_ID_REUSED moves the queue to a new client id: the change is applied, not dropped', async () => {
  const token = await server.login('shim-422');
  // A device restored from a backup taken before its last changes: its record says id 1 is next.
  const a = await open({ memberId: 'shim-422', token, storage: siyu.memoryStorage(), clientId: 'shim-422-x' });
  const backup = siyu.memoryStorage();
  await backup.put('mall:shim-422', { rev: 1, clientId: 'shim-422-x', snapshot: a.mall.snapshotJson(), savedAt: 0 });
  await a.mutate((m) => m.checkIn());
  await until('synced', () => a.status.state === 'synced');
  a.close();
  // Restored, offline: its first push sends id 1 for another change.
  const net = recorder();
  const b = await open({ memberId: 'shim-422', token, storage: backup, clientId: 'shim-422-x', fetch: net.fetch });
  const reversals = [];
  b.on('reversals', (r) => reversals.push(...r));
  await b.mutate((m) => m.claimCoupon('free-ship'));
  await until('offline', () => b.status.state === 'offline');
  net.online = true;
  await b.sync();
  await until('synced', () => b.status.state === 'synced' && b.status.pending === 0);
  assert.equal(net.calls[0], 'push:1', 'the reused id was pushed first');
  assert.notEqual(b.mall.clientId, 'shim-422-x');
  assert.deepEqual(reversals, []);
  assert.ok((await server.serverState('shim-422')).coupons.some((c) => c.template === 'free-ship'), 'the claim was applied');
  b.close();
});

test('403 CLIENT_NOT_OWNED moves the queue to a new client id instead of stranding it', async () => {
  const tokenA = await server.login('shim-own-a');
  const tokenB = await server.login('shim-own-b');
  const a = await open({ memberId: 'shim-own-a', token: tokenA, storage: siyu.memoryStorage(), clientId: 'shim-shared' });
  await a.sync();
  a.close();
  const b = await open({ memberId: 'shim-own-b', token: tokenB, storage: siyu.memoryStorage(), clientId: 'shim-shared' });
  await b.mutate((m) => m.checkIn());
  await until('synced', () => b.status.state === 'synced' && b.status.pending === 0);
  assert.notEqual(b.mall.clientId, 'shim-shared');
  assert.equal((await server.serverState('shim-own-b')).checkIns.length, 1);
  b.close();
});

test('two tabs without Web Locks on one storage never hand out one id twice', async () => {
  const token = await server.login('shim-tabs');
  const storage = siyu.memoryStorage();
  const offline = async () => {
    throw new TypeError('fetch failed');
  };
  const one = await open({ memberId: 'shim-tabs', token, storage, fetch: offline });
  const two = await open({ memberId: 'shim-tabs', token, storage, fetch: offline });
  assert.equal(one.mall.clientId, two.mall.clientId, 'one device, one client id');
  // Both tabs change the member at once, each from what it last read.
  await Promise.all([one.mutate((m) => m.claimCoupon('free-ship')), two.mutate((m) => m.claimCoupon('pct-90-cap30'))]);
  one.close();
  two.close();
  const back = await open({ memberId: 'shim-tabs', token, storage });
  assert.deepEqual(back.mall.pending().map((p) => p.id), [1, 2]);
  await until('synced', () => back.status.state === 'synced' && back.status.pending === 0);
  const coupons = (await server.serverState('shim-tabs')).coupons.map((c) => c.template).sort();
  assert.deepEqual(coupons, ['free-ship', 'pct-90-cap30']);
  back.close();
});

test('a storage without putIfRev where tabs cannot take Web Locks is refused STORAGE_UNSAFE, never left to lose a change', async () => {
  const token = await server.login('shim-unsafe');
  const inner = siyu.memoryStorage();
  const bare = { kind: 'bare-kv', get: (k) => inner.get(k), put: (k, v) => inner.put(k, v) };
  assert.equal(globalThis.navigator?.locks, undefined, 'node takes no Web Locks');
  await assert.rejects(
    siyu.openMall({ program, baseUrl: `${server.url}/api`, memberId: 'shim-unsafe', token, storage: bare }),
    (e) => e instanceof siyu.SiyuError && e.code === 'STORAGE_UNSAFE' && e.details.storage === 'bare-kv' && /multiTab: false/.test(e.message),
  );
  assert.equal(await inner.get('mall:shim-unsafe'), null, 'nothing was written');
  // Used by one tab only (multiTab: false), the same storage is safe: its changes reach the server.
  const one = await open({ memberId: 'shim-unsafe', token, storage: bare });
  await one.mutate((m) => m.checkIn());
  await until('synced', () => one.status.state === 'synced' && one.status.pending === 0);
  assert.equal((await server.serverState('shim-unsafe')).checkIns.length, 1);
  one.close();
});

test('a rejected mutation comes back as a reversal', async () => {
  const tokenA = await server.login('shim-d');
  // Two devices of one member claim the same once-per-member coupon while apart.
  const a = await open({ memberId: 'shim-d', token: tokenA, storage: siyu.memoryStorage(), clientId: 'shim-d-phone' });
  const b = await open({ memberId: 'shim-d', token: tokenA, storage: siyu.memoryStorage(), clientId: 'shim-d-pad', fetch: async () => { throw new TypeError('offline'); } });
  await a.sync();
  await until('b offline', () => b.status.state === 'offline');
  await a.mutate((m) => m.claimCoupon('full-300-50'));
  await b.mutate((m) => m.claimCoupon('full-300-50'));
  await until('a synced', () => a.status.state === 'synced');
  b.close();

  // The pad comes back online with its own storage snapshot.
  const snapshot = b.mall.snapshot();
  const storage = siyu.memoryStorage();
  await storage.put('mall:shim-d', { rev: 1, snapshot });
  const reversals = [];
  // Its record names its client id (the pad was offline when it opened, so not the chosen one).
  const back = await open({ memberId: 'shim-d', token: tokenA, storage });
  back.on('reversals', (r) => reversals.push(...r));
  await back.sync();
  assert.equal(reversals.length, 1);
  assert.equal(reversals[0].error.code, 'PER_MEMBER_LIMIT');
  await back.dismissReversals();
  assert.equal(back.mall.reversals().length, 0);
  assert.equal(back.mall.wallet().available.filter((c) => c.template === 'full-300-50').length, 1);
  a.close();
  back.close();
});

test('409 OUT_OF_ORDER: pull, then push again', async () => {
  const token = await server.login('shim-e');
  let refused = false;
  const calls = [];
  const fetchOnce409 = async (url, init) => {
    const path = url.replace(server.url, '');
    calls.push(path);
    if (path === '/api/push' && !refused) {
      refused = true;
      return new Response(JSON.stringify({ code: 'OUT_OF_ORDER', message: 'expected 1', details: { expected: 1, got: 1 } }), { status: 409, headers: { 'content-type': 'application/json' } });
    }
    return fetch(url, init);
  };
  const client = await open({ memberId: 'shim-e', token, storage: siyu.memoryStorage(), fetch: fetchOnce409 });
  await client.sync();
  calls.length = 0;
  await client.mutate((m) => m.checkIn());
  await until('synced', () => client.status.state === 'synced' && client.status.pending === 0);
  assert.deepEqual(calls.slice(0, 3), ['/api/push', '/api/pull', '/api/push']);
  assert.equal((await server.serverState('shim-e')).checkIns.length, 1);
  client.close();
});

/** A fetch that is offline until `online` is set, records pushes (their sizes) and pulls, and can answer a push itself. */
function recorder(answerPush = () => null) {
  const r = { online: false, calls: [], pushed: [] };
  r.fetch = async (url, init) => {
    if (!r.online) throw new TypeError('fetch failed');
    const path = url.replace(server.url, '');
    const body = init.body ? JSON.parse(init.body) : null;
    r.calls.push(path === '/api/push' ? `push:${body.mutations.length}` : 'pull');
    if (path === '/api/push') {
      const answer = answerPush(body);
      if (answer) return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
      r.pushed.push(body.mutations.map((m) => m.id));
    }
    return fetch(url, init);
  };
  return r;
}

async function queued(memberId, net, n) {
  const token = await server.login(memberId);
  const client = await open({ memberId, token, storage: siyu.memoryStorage(), fetch: net.fetch });
  const intents = [(m) => m.checkIn(), ...['full-300-50', 'pct-90-cap30', 'nuts-8', 'nuts-8', 'free-ship'].map((t) => (m) => m.claimCoupon(t))];
  for (const intent of intents.slice(0, n)) await client.mutate(intent);
  await until('offline', () => client.status.state === 'offline');
  assert.equal(client.status.pending, n);
  return client;
}

test('400 for a batch finds the mutation at fault: it becomes a reversal, the rest is applied', async () => {
  const net = recorder((body) => (body.mutations.some((m) => m.name === 'claimCoupon' && m.args.template === 'nuts-8') ? { status: 400, body: { code: 'BAD_REQUEST', message: 'refused', details: {} } } : null));
  const client = await queued('shim-400', net, 4);
  const reversals = [];
  client.on('reversals', (r) => reversals.push(...r));
  net.online = true;
  await client.sync();
  await until('synced', () => client.status.state === 'synced' && client.status.pending === 0);
  assert.deepEqual(reversals.map((r) => [r.name, r.error.code]), [['claimCoupon', 'BAD_REQUEST']]);
  const state = await server.serverState('shim-400');
  assert.equal(state.checkIns.length, 1);
  assert.deepEqual(state.coupons.map((c) => c.template).sort(), ['full-300-50', 'pct-90-cap30']);
  client.close();
});

test('413 for a batch sends fewer mutations at a time; for one mutation it becomes a reversal', async () => {
  const net = recorder((body) => (body.mutations.length > 2 ? { status: 413, body: { code: 'BATCH_TOO_LARGE', message: 'too big', details: { maxBytes: 10 } } } : null));
  const client = await queued('shim-split', net, 5);
  net.online = true;
  await client.sync();
  await until('synced', () => client.status.state === 'synced' && client.status.pending === 0);
  assert.deepEqual(net.pushed, [[1, 2], [3, 4], [5]]);
  assert.deepEqual(net.calls.filter((c) => c.startsWith('push')), ['push:5', 'push:3', 'push:2', 'push:2', 'push:1']);
  const state = await server.serverState('shim-split');
  assert.equal(state.checkIns.length, 1);
  client.close();

  // One mutation too large on its own can never be decided: a reversal, and the queue goes on.
  const single = recorder((body) => (body.mutations.some((m) => m.name === 'checkIn') ? { status: 413, body: { code: 'BATCH_TOO_LARGE', message: 'too big', details: { maxBytes: 10 } } } : null));
  const big = await queued('shim-split-one', single, 2);
  const reversals = [];
  big.on('reversals', (r) => reversals.push(...r));
  single.online = true;
  await big.sync();
  await until('synced', () => big.status.state === 'synced' && big.status.pending === 0);
  assert.deepEqual(reversals.map((r) => r.error.code), ['BATCH_TOO_LARGE']);
  assert.ok((await server.serverState('shim-split-one')).coupons.some((c) => c.template === 'full-300-50'));
  big.close();
});

test('426 stops syncing until the app reloads', async () => {
  const net = recorder(() => ({ status: 426, body: { code: 'VERSION_NOT_SUPPORTED', message: 'reload', details: { supported: [2], got: 1 } } }));
  const client = await queued('shim-426', net, 1);
  net.online = true;
  const status = await client.sync();
  assert.deepEqual([status.state, status.code, status.httpStatus, status.halted], ['error', 'VERSION_NOT_SUPPORTED', 426, true]);
  await client.mutate((m) => m.setBirthday('05-05'));
  await client.sync();
  assert.deepEqual(net.calls, ['push:1'], 'neither pushes nor pulls after 426');
  client.close();
});
