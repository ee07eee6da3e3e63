// The example mini-program (examples/miniprogram) in a simulated mini-program runtime
// (./runtime.mjs) against a real siyu-server: a shopper's day, offline and back, and the
// package's behaviour where a mini-program lacks what a browser has.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startNodeBackend, freshDatabase, ROOT, eventually } from '../e2e/harness.mjs';
import { ABSENT, installExample, launch, packageFile } from './runtime.mjs';

let server;
let work;
let database;

// `SIYU_MINIPROGRAM_BACKEND=node`: the same example against the Node backend (backends/node, on
// a PostgreSQL database of its own), which serves it unchanged.
before(async () => {
  if (process.env.SIYU_MINIPROGRAM_BACKEND === 'node') {
    database = await freshDatabase('mp_node');
    server = await startNodeBackend({ database: database.url });
  } else {
    server = await startServer();
  }
  work = mkdtempSync(join(tmpdir(), 'siyu-mp-'));
});

after(async () => {
  await server?.stop();
  await database?.drop();
  rmSync(work, { recursive: true, force: true });
});

/** A fresh install of the example pointing at the test server, with its own phone storage. */
const install = (name, memberId) => installExample(work, name, server.url, memberId);

const synced = (page) => page.data.sync === '已同步';

/** The package's key-value storage over the runtime's wx storage, with 4 kB keys. */
function smallKeys(mp) {
  return mp.require('siyu').keyValueStorage({
    kind: 'wx',
    read: (k) => mp.wx.getStorageSync(k),
    write: (k, t) => mp.wx.setStorageSync(k, t),
    remove: (k) => mp.wx.removeStorageSync(k),
    maxBytes: 4096,
    isFull: (e) => /exceed/.test(e.errMsg),
    prefix: 'small:',
  });
}

test('the runtime holds only what a mini-program has', () => {
  const phone = install('bare', 'new');
  const mp = launch({ ...phone, start: false });
  for (const name of ABSENT) assert.equal(mp.evaluate(`typeof ${name}`), 'undefined', `${name} must be absent`);
  assert.equal(mp.evaluate('typeof WXWebAssembly'), 'object');
  mp.kill();
});

test('a shopper’s day in the example mini-program: check in, claim, order offline, relaunch offline, back online', async () => {
  const phone = install('day', 'loyal');
  let mp = launch(phone);
  await mp.app.ready;

  // Check-in page: synced with the server, then a check-in that reaches it.
  const checkin = mp.open('pages/checkin/index');
  await eventually(() => synced(checkin), { what: 'check-in page synced' });
  assert.equal(checkin.data.checkedInToday, false);
  const before = checkin.data.balance;
  await mp.tap(checkin, 'checkIn');
  assert.match(checkin.data.message, /^签到成功 \+\d+ 积分$/);
  const earned = Number(checkin.data.message.match(/\+(\d+)/)[1]);
  assert.ok(earned > 0);
  assert.equal(checkin.data.checkedInToday, true);
  assert.equal(checkin.data.balance, before + earned);
  assert.ok(checkin.data.days.some((d) => d.status === 'checked'));
  await eventually(() => synced(checkin), { what: 'check-in synced' });
  const afterCheckIn = await server.serverState('loyal');
  assert.equal(afterCheckIn.checkIns.at(-1).day, mp.app.client.mall.businessDay());

  // Wallet page: claim the first claimable coupon.
  const wallet = mp.open('pages/wallet/index');
  await wallet.ready;
  const offer = wallet.data.offers.find((o) => o.claimable);
  assert.ok(offer, `the demo program offers a claimable coupon: ${JSON.stringify(wallet.data.offers)}`);
  const held = wallet.data.available.length;
  await mp.tap(wallet, 'claim', { template: offer.template });
  assert.equal(wallet.data.message, `已领取 ${offer.template}`);
  assert.equal(wallet.data.available.length, held + 1);
  await eventually(() => synced(wallet), { what: 'claim synced' });
  assert.ok((await server.serverState('loyal')).coupons.some((c) => c.id === mp.app.client.mall.wallet().available.find((w) => w.template === offer.template).id));

  // Offline: the order is placed on the phone and waits.
  mp.setOnline(false);
  const cart = mp.open('pages/cart/index');
  await cart.ready;
  assert.equal(cart.data.orderable, true);
  const total = cart.data.total;
  await mp.tap(cart, 'placeOrder');
  const orderId = cart.data.message.replace('下单成功 ', '');
  assert.match(orderId, /\S/);
  assert.equal(cart.data.pending, 1, JSON.stringify([mp.app.client.status, mp.app.client.mall.pending().map((p) => p.name ?? p)]));
  await eventually(() => cart.data.sync === '离线 · 1 待同步', { what: 'offline badge' });
  assert.equal((await server.serverState('loyal')).orders?.some((o) => o.id === orderId) ?? false, false);

  // The app is killed and started again, still offline: everything comes back from wx storage.
  mp.kill();
  mp = launch(phone);
  await mp.app.ready;
  const reopened = mp.open('pages/cart/index');
  await reopened.ready;
  assert.equal(reopened.data.pending, 1);
  assert.ok(JSON.stringify(mp.app.client.mall.pending()[0]).includes(orderId), 'the queued change is the order');
  const stored = readdirSync(phone.storageDir).map(decodeURIComponent);
  assert.ok(stored.includes('siyu:mall:loyal.json'), `stored keys: ${stored}`);

  // Back online: the network event syncs, the server takes the order at the price shown.
  mp.setOnline(true);
  await eventually(() => synced(reopened) && reopened.data.pending === 0, { what: 'order synced after reconnect', timeout: 15_000 });
  const order = (await server.serverState('loyal')).orders.find((o) => o.id === orderId);
  assert.ok(order, 'the server holds the order placed offline');
  assert.equal(`¥${Math.floor(order.total / 100)}.${String(order.total % 100).padStart(2, '0')}`, total);
  const checkinAgain = mp.open('pages/checkin/index');
  await checkinAgain.ready;
  assert.equal(checkinAgain.data.checkedInToday, true);
  mp.kill();
});

test('referral in the example mini-program: the share carries the code, a friend opening it accepts', async () => {
  const referrer = launch(install('share', 'loyal'));
  await referrer.app.ready;
  const page = referrer.open('pages/checkin/index');
  await eventually(() => synced(page), { what: 'referrer synced' });
  const code = referrer.app.client.mall.referral().code;
  const share = page.onShareAppMessage();
  assert.equal(share.path, `/pages/checkin/index?ref=${code}`);
  referrer.kill();

  const friend = launch(install('shared', 'new'));
  await friend.app.ready;
  const opened = friend.open('pages/checkin/index', { ref: code });
  await opened.accepted;
  assert.equal(opened.data.message, '已接受好友邀请，好友券已到账');
  await eventually(() => synced(opened), { what: 'acceptance synced' });
  const state = await server.serverState('new');
  assert.equal(state.referral.referredBy.code, code);
  assert.ok(state.coupons.some((c) => c.source === 'referral'));
  friend.kill();
});

test('a full wx storage is reported as full and the change is not kept', async () => {
  const phone = install('full', 'new');
  let mp = launch(phone);
  await (await mp.app.ready).sync();
  mp.kill();
  // The phone's storage is full to within a few bytes of what the app holds now.
  const used = readdirSync(phone.storageDir).reduce((sum, f) => sum + statSync(join(phone.storageDir, f)).size, 0);
  mp = launch({ ...phone, maxTotalBytes: used + 8 });
  const client = await mp.app.ready;
  await assert.rejects(
    client.mutate((mall) => mall.checkIn()),
    // (made in the mini-program's realm: its own Error, so no host instanceof)
    (e) => e.name === 'SiyuError' && e.code === 'STORAGE_FULL',
  );
  assert.equal(client.status.state, 'error');
  assert.equal(client.status.code, 'STORAGE_FULL');
  assert.equal(client.mall.pendingCount(), 0, 'the change that could not be saved is undone');
  assert.equal(client.mall.streak().checkedInToday, false);
  mp.kill();
});

test('records larger than one wx key are split and read back whole; old parts are removed', async () => {
  const phone = install('split', 'new');
  const mp = launch(phone);
  const client = await mp.app.ready;
  const storage = smallKeys(mp);
  const keys = () => mp.wx.getStorageInfoSync().keys.filter((k) => k.startsWith('small:')).length;
  const record = { rev: 1, clientId: client.mall.clientId, snapshot: client.mall.snapshotJson() + '签'.repeat(5000), savedAt: 1 };
  await storage.put('m', record);
  const split = keys();
  assert.ok(split > 4, `split into ${split} keys`);
  assert.equal(JSON.stringify(await storage.get('m')), JSON.stringify(record));
  const next = { ...record, rev: 2, snapshot: client.mall.snapshotJson() };
  assert.equal(await storage.putIfRev('m', 1, next), true);
  assert.equal(await storage.putIfRev('m', 1, next), false, 'a stale revision is refused');
  assert.equal(JSON.stringify(await storage.get('m')), JSON.stringify(next));
  assert.ok(keys() < split, 'the previous parts are removed');
  mp.kill();
});

test('in a mini-program: calls before init and an init without WXWebAssembly say what is wrong; initWith works anywhere', async () => {
  const phone = install('init', 'new');
  const bare = launch({ ...phone, start: false, withWXWebAssembly: false });
  const siyu = bare.require('siyu');
  assert.throws(
    () => new siyu.Mall('{}', { memberId: 'm', clientId: 'c' }),
    (e) => e.name === 'SiyuError' && e.code === 'NOT_INITIALIZED' && siyu.isSiyuError(e) && e instanceof siyu.SiyuError && /init/.test(e.message),
  );
  await assert.rejects(siyu.init(), (e) => e.code === 'UNSUPPORTED_RUNTIME' && e.details.missing === 'WXWebAssembly');
  // An instantiate function works in any runtime.
  const bytes = packageFile(phone.appDir, '/miniprogram_npm/siyu/siyu_bg.wasm.br');
  await siyu.initWith((imports) => WebAssembly.instantiate(bytes, imports));
  const program = readFileSync(join(ROOT, 'programs', 'health-food.json'), 'utf8');
  const mall = new siyu.Mall(program, { memberId: 'm', clientId: 'c', now: Date.UTC(2026, 10, 25, 4) });
  // Chinese text crosses the boundary through the package's own UTF-8 codec (no TextDecoder here).
  assert.match(mall.program().name, /[\u4e00-\u9fff]/);
  assert.throws(() => mall.claimCoupon('无此券'), (e) => e.code === 'UNKNOWN_TEMPLATE' && JSON.stringify(e.details).includes('无此券'));
  mall.free();
  bare.kill();
});

test('a split record that does not fit leaves the previous one whole and no parts behind', async () => {
  const phone = install('split-full', 'new');
  const mp = launch({ ...phone, start: false });
  const storage = smallKeys(mp);
  const first = { rev: 1, clientId: 'c', snapshot: 'a'.repeat(6000), savedAt: 1 };
  await storage.put('m', first);
  const keysBefore = mp.wx.getStorageInfoSync().keys.sort();
  // Storage fills up: the next, larger record cannot be written whole.
  const full = launch({ ...phone, start: false, maxTotalBytes: keysBefore.length * 4200 });
  const tight = smallKeys(full);
  await assert.rejects(tight.put('m', { rev: 2, clientId: 'c', snapshot: 'b'.repeat(30000), savedAt: 2 }), (e) => e.code === 'STORAGE_FULL');
  assert.deepEqual(full.wx.getStorageInfoSync().keys.sort(), keysBefore, 'no parts of the refused record are left');
  assert.equal(JSON.stringify(await tight.get('m')), JSON.stringify(first));
  full.kill();
  mp.kill();
});
