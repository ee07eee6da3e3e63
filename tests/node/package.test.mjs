// The built npm package, as a front-end developer uses it (run after scripts/build-pkg.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const siyu = await import(`${root}pkg/index.js`);
const wasm = siyu.initSync({ module: readFileSync(`${root}pkg/siyu_bg.wasm`) });
const program = JSON.parse(readFileSync(`${root}programs/health-food.json`, 'utf8'));
const WEDNESDAY = Date.parse('2026-11-25T10:00:00+08:00');

test('package.json is an ESM package with types and the wasm file', () => {
  const pkg = JSON.parse(readFileSync(`${root}pkg/package.json`, 'utf8'));
  assert.equal(pkg.name, 'siyu');
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.exports['.'].types, './index.d.ts');
  for (const f of ['index.js', 'index.d.ts', 'siyu.js', 'siyu.d.ts', 'siyu_bg.wasm', 'sync.js', 'sync.d.ts']) {
    assert.ok(pkg.files.includes(f), `${f} is published`);
  }
});

test('a shopper checks in, claims, quotes and orders', () => {
  const mall = new siyu.Mall(program, { memberId: 'm1', clientId: 'node-1', now: WEDNESDAY });
  const receipt = mall.checkIn(WEDNESDAY);
  assert.equal(receipt.mutationId, 1);
  assert.equal(mall.points(WEDNESDAY).balance, 15); // 5 base + 10 on member day
  mall.claimCoupon('full-300-50', WEDNESDAY);
  const cart = { lines: [{ sku: 'protein-1kg', qty: 1 }, { sku: 'almond-250', qty: 2 }] };
  const quote = mall.quote(cart, WEDNESDAY);
  assert.equal(quote.total, 32123);
  assert.deepEqual(quote.toJSON().savings.map((s) => s.kind), ['memberDay', 'coupon', 'shipping']);
  assert.equal(JSON.parse(JSON.stringify(quote)).total, 32123, 'JSON.stringify gives the plain quote');
  const ids = quote.couponIds;
  quote.free();
  mall.placeOrder({ orderId: mall.nextOrderId(), lines: cart.lines, coupons: ids, expectedTotal: 32123 }, WEDNESDAY);
  assert.equal(mall.pendingCount(), 3);
  assert.equal(mall.pushRequest().mutations.map((m) => m.id).join(), '1,2,3');
  // Restoring from the snapshot's JSON text gives the same member and queue.
  const restored = new siyu.Mall(program, { memberId: 'm1', clientId: 'node-1', snapshot: mall.snapshotJson(), now: WEDNESDAY });
  assert.equal(restored.clientId, 'node-1');
  assert.deepEqual(restored.state(), mall.state());
  assert.deepEqual(restored.pending(), mall.pending());
  assert.throws(() => new siyu.Mall(program, { memberId: 'm1', clientId: 'node-1', snapshot: mall.snapshotJson(), colour: 'red' }),
    (e) => e.code === 'INVALID_INPUT' && e.details.path === 'colour');
});

test('errors are Error objects with a code listed in errorCodes()', () => {
  const mall = new siyu.Mall(program, { memberId: 'm1', clientId: 'node-2', now: WEDNESDAY });
  mall.checkIn(WEDNESDAY);
  assert.throws(() => mall.checkIn(WEDNESDAY), (e) => e instanceof Error && e.code === 'ALREADY_CHECKED_IN' && e.details.day === '2026-11-25');
  assert.throws(() => new siyu.Mall({ ...program, refundDays: -1 }, { memberId: 'm', clientId: 'c' }),
    (e) => e instanceof Error && e.code === 'INVALID_PROGRAM' && e.details.path === 'refundDays');
  assert.throws(() => mall.quote({ lines: [{ sku: 'nope', qty: 1 }] }), (e) => e.code === 'UNKNOWN_SKU');
  const codes = siyu.errorCodes();
  assert.ok(codes.includes('PRICE_CHANGED') && codes.includes('INVALID_PROGRAM'));
  const readme = readFileSync(`${root}README.md`, 'utf8');
  for (const code of codes) assert.ok(readme.includes(`\`${code}\``), `README lists ${code}`);
  // The hand-written ErrorCode union in the types lists exactly the engine's codes.
  const dts = readFileSync(`${root}pkg/siyu.d.ts`, 'utf8');
  const union = dts.match(/export type ErrorCode =([^;]+);/)[1].match(/"([A-Z_]+)"/g).map((c) => c.slice(1, -1));
  assert.deepEqual([...union].sort(), [...codes].sort());
});

test('backoff is full jitter from 1 s doubling to a 5 minute cap, honouring Retry-After', () => {
  assert.equal(siyu.backoffDelayMs(0, 0.5), 500);
  assert.equal(siyu.backoffDelayMs(4, 0.5), 8000);
  assert.equal(siyu.backoffDelayMs(40, 0.999999), 299999);
  assert.equal(siyu.backoffDelayMs(1, 0, 30000), 30000);
});

test('the published types compile in a strict TypeScript consumer, with no any on the public surface', () => {
  execFileSync(`${root}node_modules/.bin/tsc`, ['-p', `${root}tests/node/tsconfig.json`], { stdio: 'pipe' });
  const dts = readFileSync(`${root}pkg/siyu.d.ts`, 'utf8');
  const publicPart = dts.split('export type InitInput')[0].replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  assert.doesNotMatch(publicPart, /\bany\b/);
  assert.match(publicPart, /quote\(request: QuoteRequest, now\?: Instant \| Date \| null\): PricedCart;/);
});

test('a wrong argument throws INVALID_INPUT naming it and the module keeps working', () => {
  const mall = new siyu.Mall(program, { memberId: 'm1', clientId: 'node-3', now: WEDNESDAY });
  const invalid = (call, path) => assert.throws(call, (e) => e instanceof Error && e.code === 'INVALID_INPUT' && e.details.path === path);
  invalid(() => mall.claimCoupon(5, WEDNESDAY), 'template');
  invalid(() => mall.redeemReward(true, WEDNESDAY), 'reward');
  invalid(() => mall.refundOrder({}, WEDNESDAY), 'orderId');
  invalid(() => mall.makeupCheckIn(20261125, WEDNESDAY), 'day');
  invalid(() => mall.setBirthday(1225, WEDNESDAY), 'birthday');
  invalid(() => mall.claimCoupon(undefined, WEDNESDAY), 'template');
  invalid(() => mall.claimCoupon(null, WEDNESDAY), 'template');
  invalid(() => mall.claimCoupon(['full-300-50'], WEDNESDAY), 'template');
  invalid(() => mall.wallet('2026-11-25'), 'now');
  invalid(() => mall.wallet(NaN), 'now');
  invalid(() => mall.streak(Math.floor(WEDNESDAY / 1000)), 'now');
  invalid(() => mall.ledger(-1, 20), 'offset');
  // A BigInt or a Symbol where a number belongs: SiyuError naming the argument, never the glue's
  // bare TypeError.
  invalid(() => mall.ledger(0n, 20), 'offset');
  invalid(() => mall.ledger(0, Symbol('limit')), 'limit');
  invalid(() => mall.calendar(2026n, 11, WEDNESDAY), 'year');
  invalid(() => mall.calendar(2026, Symbol('m'), WEDNESDAY), 'month');
  invalid(() => mall.calendar(2026, 13, WEDNESDAY), 'month');
  invalid(() => mall.calendar(2026.5, 11, WEDNESDAY), 'year');
  invalid(() => mall.refusePending(1n, { code: 'X', message: 'x' }), 'id');
  const reply = { cookie: 1, lastMutationId: 0, serverTime: WEDNESDAY, businessDay: '2026-11-25', state: null, stock: {}, results: [] };
  invalid(() => mall.applyPullResponse(reply, BigInt(WEDNESDAY), WEDNESDAY), 'sentAt');
  invalid(() => mall.applyPullResponse(reply, WEDNESDAY, Symbol('t')), 'receivedAt');
  assert.equal(mall.calendar(2026, 11, WEDNESDAY).days.length, 30);
  assert.throws(() => mall.quote({ lines: [{ sku: 'almond-250', qty: 1 }], points: -100 }), (e) => e.code === 'INVALID_INPUT');
  // A Date is an instant; omitting `now` uses the clock.
  assert.deepEqual(mall.streak(new Date(WEDNESDAY)), mall.streak(WEDNESDAY));
  assert.equal(typeof mall.wallet().available.length, 'number');
  // The module is alive and nothing was queued.
  const receipt = mall.claimCoupon('full-300-50', WEDNESDAY);
  assert.equal(receipt.coupon.template, 'full-300-50');
  assert.equal(mall.pendingCount(), 1);
});

test('promotions: running ones, and what each does to a cart (第二件半价, the 满赠 gift line, the 满减 hint)', () => {
  const mall = new siyu.Mall(program, { memberId: 'm1', clientId: 'node-5', now: WEDNESDAY });
  assert.deepEqual(mall.promotions(WEDNESDAY).map((p) => p.id), ['drinks-ladder', 'pistachio-half', 'grains-set', 'wellness-gift']);
  const cart = { lines: [{ sku: 'pistachio-400', qty: 2 }, { sku: 'protein-1kg', qty: 2 }, { sku: 'coconut-12', qty: 1 }], coupons: 'none' };
  const priced = mall.quote(cart, WEDNESDAY);
  const byId = Object.fromEntries(priced.promotions.map((p) => [p.id, p]));
  assert.equal(byId['pistachio-half'].status, 'applied');
  assert.equal(byId['wellness-gift'].gift.sku, 'vitc-60');
  assert.deepEqual(byId['drinks-ladder'].next.by, 'amount');
  assert.ok(byId['drinks-ladder'].next.missing > 0 && byId['drinks-ladder'].next.amountOff === 2000);
  const gift = priced.lines.at(-1);
  assert.deepEqual([gift.sku, gift.gift, gift.paid], ['vitc-60', 'wellness-gift', 0]);
  assert.equal(priced.promotionDiscount, byId['pistachio-half'].discount);
  assert.equal(mall.quoteTotals(cart, WEDNESDAY).promotionDiscount, priced.promotionDiscount);
  priced.free();
});

test('quoteTotals re-prices without leaving anything in wasm memory', () => {
  const mall = new siyu.Mall(program, { memberId: 'm1', clientId: 'node-4', now: WEDNESDAY });
  const cart = { lines: [{ sku: 'protein-1kg', qty: 1 }, { sku: 'almond-250', qty: 2 }] };
  const priced = mall.quote(cart, WEDNESDAY);
  const totals = mall.quoteTotals(cart, WEDNESDAY);
  assert.deepEqual([totals.total, totals.saved, totals.couponIds], [priced.total, priced.saved, priced.couponIds]);
  priced.free();
  for (let i = 0; i < 2000; i++) mall.quoteTotals(cart, WEDNESDAY);
  const before = wasm.memory.buffer.byteLength;
  for (let i = 0; i < 50_000; i++) mall.quoteTotals(cart, WEDNESDAY);
  // A quote left unfreed keeps about 1.7 kB each (50,000 would be 85 MB); totals keep nothing.
  assert.ok(wasm.memory.buffer.byteLength - before < 1_000_000, `wasm memory grew ${wasm.memory.buffer.byteLength - before} bytes`);
});

test('calls on freed objects and options that throw never unwind through wasm: the module keeps working', () => {
  const freed = new siyu.Mall(program, { memberId: 'm1', clientId: 'node-5', now: WEDNESDAY });
  const priced = freed.quote({ lines: [{ sku: 'almond-250', qty: 1 }] }, WEDNESDAY);
  priced.free();
  freed.free();
  const hostile = new Proxy({}, { ownKeys: () => { throw new Error('no keys'); } });
  // Far more than the ~21,800 unwinds that used to exhaust the module's stack.
  for (let i = 0; i < 30_000; i++) {
    assert.throws(() => freed.checkIn(WEDNESDAY), (e) => e.code === 'INVALID_INPUT');
    assert.throws(() => priced.total, (e) => e.code === 'INVALID_INPUT');
    assert.throws(() => new siyu.Mall(program, hostile), (e) => e.code === 'INVALID_INPUT');
  }
  const mall = new siyu.Mall(program, { memberId: 'm1', clientId: 'node-6', now: WEDNESDAY });
  assert.equal(mall.checkIn(WEDNESDAY).mutationId, 1);
  assert.ok(mall.quote({ lines: [{ sku: 'almond-250', qty: 1 }] }, WEDNESDAY).total > 0);
});
