// Times Medusa 2.21.2's promotion computation on a deterministic 50-line cart:
//   cd bench/medusa && npm ci && node run.mjs [--json]
// Prints the median µs per call of medusaCase(cart).run() (the computeActions loop over Medusa's
// utils, no database) and, as a cross-check, of the real PromotionModuleService.computeActions
// with its data access stubbed; asserts both give the same, plausible actions.
import assert from 'node:assert/strict';
import { medusaCase, totalOff, THRESHOLD, ORDER_OFF } from './medusa.mjs';
import { cart50 } from './cart.mjs';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Warm up, then batches of `batch` calls for ~budgetMs; median µs per call over the batches. */
async function time(fn, { warmup = 200, batch = 50, budgetMs = 2000, isAsync = false } = {}) {
  for (let i = 0; i < warmup; i++) isAsync ? await fn() : fn();
  const perCall = [];
  const end = performance.now() + budgetMs;
  while (performance.now() < end || perCall.length < 5) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) isAsync ? await fn() : fn();
    perCall.push(Number(process.hrtime.bigint() - t0) / 1e3 / batch);
  }
  return { median: median(perCall), min: Math.min(...perCall), max: Math.max(...perCall), batches: perCall.length };
}

// JSON-comparable form of the actions (amounts are BigNumber after transformPropertiesToBigNumber).
const plain = (actions) => actions.map((a) => ({ ...a, amount: a.amount == null ? undefined : a.amount.toString() }));

const cart = cart50();
const c = medusaCase(cart);
const subtotal = c.context.subtotal;

// Correctness first: something real was computed, and it matches Medusa's own service method.
const actions = c.run();
assert.ok(actions.length > 0, 'no actions computed');
assert.deepEqual(plain(actions), plain(await c.service()), 'run() differs from PromotionModuleService.computeActions');
const orderOff = totalOff(actions, 'ORDER50');
if (subtotal >= THRESHOLD) {
  // Spread across all 50 lines in proportion; the shares are fractional BigNumbers.
  assert.ok(Math.abs(orderOff - ORDER_OFF) < 1e-6, `ORDER50 totals ${orderOff}, want ${ORDER_OFF}`);
}
const byCode = {};
for (const a of actions) byCode[a.code] = (byCode[a.code] ?? 0) + 1;

const fast = await time(c.run);
const svc = await time(c.service, { isAsync: true });
const fmt = (t) => `${t.median.toFixed(1)} µs (min ${t.min.toFixed(1)}, max ${t.max.toFixed(1)}, ${t.batches} batches)`;

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ lines: cart.length, subtotal, actions: actions.length, byCode, totalOff: totalOff(actions), run: fast, service: svc }));
} else {
  console.log(`Medusa @medusajs/promotion 2.21.2, node ${process.version}`);
  console.log(`cart: ${cart.length} lines, ${cart.reduce((n, l) => n + l.qty, 0)} units, subtotal ${subtotal} fen`);
  console.log(`actions: ${actions.length} (${Object.entries(byCode).map(([k, v]) => `${k} ${v}`).join(', ')}); ` +
    `ORDER50 total ${orderOff.toFixed(6)} fen; all promotions ${totalOff(actions).toFixed(2)} fen off`);
  console.log('sample:');
  for (const code of Object.keys(byCode)) {
    const a = actions.find((x) => x.code === code);
    const line = cart[Number(a.item_id.slice(5)) - 1];
    console.log(`  ${a.action} ${a.code} ${a.item_id} (${line.sku} ${line.category} ${line.qty}×${line.unitPrice}) amount ${a.amount.toString()}`);
  }
  console.log(`medusaCase(cart).run()                 median ${fmt(fast)} per call`);
  console.log(`PromotionModuleService.computeActions  median ${fmt(svc)} per call (data access stubbed)`);
}
