// siyu against Medusa 2.21.2 on the same 50-line cart, in one node process, interleaved:
//   cd bench/medusa && npm ci && node compare.mjs [--json] [--write ../../BENCHMARKS.md]
// (needs pkg/: bash scripts/build-pkg.sh; scripts/bench.sh runs it and writes its section.)
//
// Both price the cart of run.mjs (`cart50()`) with the same three promotions: ¥50 off orders of
// ¥300 (siyu: a `ladder` over every category; Medusa: a fixed order promotion, across), 10% off
// one category and 5% off another (siyu: `minQty` with qty 1, every unit; Medusa: a percentage, each). Timed:
// - Medusa: `medusaCase(cart).run()`, Medusa's computeActions loop over its own utils, promotions
//   already loaded (no database: a lower bound on what Medusa pays);
// - siyu, full: `mall.quote()` with the whole explanation brought to JS (every line, saving,
//   promotion and hint as a plain object), as a storefront renders it;
// - siyu, total only: the total in fen and nothing else.
// Batches of each case take turns, so a noisy moment slows all three alike. The targets are the
// issue's: full ≥ 5× Medusa, total only ≥ 25×.
import { medusaCase, totalOff, THRESHOLD, ORDER_OFF, PERCENT_CATEGORY, FOOD_CATEGORY, FOOD_PERCENT } from './medusa.mjs';
import { cart50, CATEGORIES } from './cart.mjs';
import { loadEngine, loadDemoProgram } from '../lib/node-engine.mjs';
import { quoteObject, quoteTotal } from '../lib/api.mjs';
import * as F from '../lib/fixtures.mjs';
import { writeSection } from '../lib/section.mjs';

/** The demo program with the cart's catalog and exactly the three promotions. */
function siyuProgram(cart) {
  const p = loadDemoProgram();
  const validity = { from: F.QUOTE_NOW - 30 * 86_400_000, to: F.QUOTE_NOW + 30 * 86_400_000 };
  p.categories = CATEGORIES.map((id) => ({ id, name: id }));
  p.catalog = cart.map((l) => ({ id: l.sku, name: l.sku, category: l.category, listPrice: l.unitPrice }));
  // What referred to the demo catalog goes with it.
  p.couponTemplates = p.couponTemplates.filter((t) => !t.scope);
  p.gifts = [];
  p.rewards = [];
  p.limitedSales = [];
  p.promotions = [
    { id: 'order-50', name: '满300减50', validity, rule: { type: 'ladder', tiers: [{ threshold: THRESHOLD, amountOff: ORDER_OFF }] } },
    { id: 'beauty-10', name: '美妆9折', validity, scope: { categories: [PERCENT_CATEGORY] }, rule: { type: 'minQty', qty: 1, offBp: 1000 } },
    { id: 'food-5', name: '食品95折', validity, scope: { categories: [FOOD_CATEGORY] }, rule: { type: 'minQty', qty: 1, offBp: FOOD_PERCENT * 100 } },
  ];
  return p;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const cart = cart50();
const medusa = medusaCase(cart);
const siyu = await loadEngine();
const program = siyuProgram(cart);
const mall = new siyu.Mall(program, { memberId: F.MEMBER_ID, clientId: F.CLIENT_ID, now: F.QUOTE_NOW });
const request = { lines: cart.map((l) => ({ sku: l.sku, qty: l.qty })), coupons: 'none' };

// Both computed the discounts (they differ by the order in which they stack: Medusa takes the
// ¥50 first, siyu the item promotions first, as rulebook §13 says).
const quote = quoteObject(mall, request, F.QUOTE_NOW);
const applied = new Set(quote.promotions?.map((x) => x.id) ?? []);
for (const id of ['order-50', 'beauty-10', 'food-5']) if (!applied.has(id)) throw new Error(`siyu did not apply ${id}: ${JSON.stringify(quote.promotions)}`);
if (quoteTotal(mall, request, F.QUOTE_NOW) !== quote.total) throw new Error('total only differs from the full quote');
const actions = medusa.run();
if (Math.abs(totalOff(actions, 'ORDER50') - ORDER_OFF) > 1e-6) throw new Error('Medusa did not take the ¥50');

const cases = {
  medusa: () => medusa.run(),
  full: () => quoteObject(mall, request, F.QUOTE_NOW),
  total: () => quoteTotal(mall, request, F.QUOTE_NOW),
};
const BATCH = 50;
for (const fn of Object.values(cases)) for (let i = 0; i < 200; i++) fn();
const perCall = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
const end = performance.now() + 6000;
while (performance.now() < end || perCall.medusa.length < 10) {
  for (const [name, fn] of Object.entries(cases)) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) fn();
    perCall[name].push(Number(process.hrtime.bigint() - t0) / 1e3 / BATCH);
  }
}
const m = Object.fromEntries(Object.entries(perCall).map(([k, v]) => [k, median(v)]));
const result = {
  node: process.version,
  lines: cart.length,
  subtotal: medusa.context.subtotal,
  siyuTotal: quote.total,
  medusaOff: totalOff(actions),
  batches: perCall.medusa.length,
  medianMicros: m,
  fullRatio: m.medusa / m.full,
  totalRatio: m.medusa / m.total,
};
const status = (ratio, target) => (ratio >= target ? 'met' : `**under**, ${(ratio / target).toFixed(2)} of it`);
const table = [
  '| 50-line cart, three promotions, node | median per call | Medusa ÷ siyu | target | status |',
  '|---|---:|---:|---:|---|',
  `| Medusa: computeActions over its utils (promotions loaded) | ${m.medusa.toFixed(1)} µs | — | — | — |`,
  `| siyu: quote + full explanation as a JS object | ${m.full.toFixed(1)} µs | ${result.fullRatio.toFixed(1)}× | ≥ 5× | ${status(result.fullRatio, 5)} |`,
  `| siyu: total only | ${m.total.toFixed(1)} µs | ${result.totalRatio.toFixed(1)}× | ≥ 25× | ${status(result.totalRatio, 25)} |`,
].join('\n');
const about = `${result.lines} lines (${cart.reduce((n, l) => n + l.qty, 0)} units, subtotal ${result.subtotal} fen), node ${process.version}, ${result.batches} interleaved batches of ${BATCH} calls per case; siyu's total ${quote.total} fen, Medusa ${result.medusaOff.toFixed(2)} fen off in ${actions.length} actions (the two stack the ¥50 and the percentages in a different order)`;
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(result));
} else {
  console.log(`siyu against Medusa @medusajs/promotion 2.21.2: ${about}\n\n${table}`);
}
const write = process.argv.includes('--write') ? process.argv[process.argv.indexOf('--write') + 1] : null;
if (write) {
  writeSection(write, 'medusa', `## Against Medusa

Generated by \`node bench/medusa/compare.mjs\` (${new Date().toISOString()}): the same cart and the same three promotions (¥50 off ¥300, 10% off one category, 5% off another) priced by siyu and by Medusa 2.21.2's promotion computation in one process; what Medusa's side leaves out: bench/medusa/README.md. ${about}.

${table}`);
  console.log(`written to ${write}`);
}
mall.free();
