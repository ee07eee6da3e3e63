// The quote cases and their runner, shared by node (bench/quote-node.mjs) and the browser page.

import { quoteObject, quoteTotal } from './api.mjs';
import { timeIt } from './measure.mjs';
import * as F from './fixtures.mjs';

// 100 lines is the engine's cap per cart (TOO_MANY_LINES beyond).
export const LINES = [1, 10, 50, 100];
export const WALLETS = [0, 10, 50, 200];
export const GROWTH_LINES = [1, 10, 25, 50, 100];
export const GROWTH_WALLETS = [0, 10, 25, 50, 100, 200, 400];

/** Program variants, by name (built by buildFixtures). */
export const PROGRAMS = {
  shipped: 'the demo program as shipped (20 SKUs, 12 templates)',
  catalog: 'the demo program, catalog grown to 240 SKUs (12 templates)',
  rich: 'the 240-SKU program with 96 more templates (108 in all)',
  catalog100: 'the demo program, 100 SKUs',
  catalog1000: 'the demo program, 1,000 SKUs',
  promos: 'the 240-SKU program with 30 more promotions (34 in all, every fourth not combining with coupons)',
};

/** Everything the quote benchmarks need, built in node with the engine. */
export function buildFixtures(siyu, demo) {
  const catalog = F.withCatalog(demo, 240);
  const programs = {
    shipped: demo,
    catalog,
    rich: F.withRichTemplates(catalog),
    catalog100: F.withCatalog(demo, 100),
    catalog1000: F.withCatalog(demo, 1000),
    promos: F.withPromotions(catalog),
  };
  const heavy = F.heavySnapshot(siyu, demo);
  const history = { ...heavy.snapshot.confirmed, coupons: [] };
  const chosen = {};
  for (const [name, mix] of [['catalog', 'demo'], ['rich', 'rich'], ['shipped', 'demo']]) {
    const p = programs[name];
    chosen[name] = F.twoChosen(siyu, p, F.withWallet(history, F.wallet(p, 50, mix)), F.cart(p, 50));
  }
  return { now: F.QUOTE_NOW, programs, history, heavySnapshot: heavy.snapshot, heavyCounts: heavy.counts, heavyEngineMade: heavy.engineMade, chosen };
}

function caseId(c) {
  return `${c.program}/${c.mix}/L${c.lines}/W${c.wallet}/${c.coupons}${c.history ? '' : '/new'}`;
}

/** Every quote case, without duplicates. */
export function quoteCases() {
  const cases = new Map();
  const add = (c) => {
    const full = { history: true, coupons: 'best', ...c };
    const id = caseId(full);
    if (!cases.has(id)) cases.set(id, { id, ...full });
  };
  for (const [program, mix] of [['catalog', 'demo'], ['rich', 'rich']]) {
    for (const lines of LINES) for (const wallet of WALLETS) add({ program, mix, lines, wallet });
    add({ program, mix, lines: 50, wallet: 50, coupons: 'chosen' });
    for (const lines of GROWTH_LINES) add({ program, mix, lines, wallet: 50 });
    for (const wallet of GROWTH_WALLETS) add({ program, mix, lines: 50, wallet });
  }
  add({ program: 'shipped', mix: 'demo', lines: 50, wallet: 50 });
  add({ program: 'shipped', mix: 'demo', lines: 50, wallet: 50, coupons: 'chosen' });
  add({ program: 'catalog', mix: 'demo', lines: 50, wallet: 50, history: false });
  add({ program: 'catalog100', mix: 'demo', lines: 50, wallet: 50 });
  add({ program: 'catalog1000', mix: 'demo', lines: 50, wallet: 50 });
  for (const [lines, wallet] of [[10, 10], [50, 50], [100, 200]]) add({ program: 'promos', mix: 'demo', lines, wallet });
  return [...cases.values()];
}

export function caseKey(program, mix, lines, wallet, coupons = 'best', history = true) {
  return caseId({ program, mix, lines, wallet, coupons, history });
}

/**
 * Run `cases`: for each, the full quote, optionally the total alone, and the JSON round trip of
 * the quote's own request and result. Times in µs.
 */
export async function runQuotes(siyu, fx, cases, { withTotal = false, budgetMs = 600, log = () => {} } = {}) {
  const malls = new Map();
  const mallFor = (c) => {
    const key = `${c.program}/${c.mix}/${c.wallet}/${c.history}`;
    if (!malls.has(key)) {
      const program = fx.programs[c.program];
      const base = c.history ? fx.history : { memberId: fx.history.memberId, joinedAt: fx.history.joinedAt };
      const state = F.withWallet(base, F.wallet(program, c.wallet, c.mix));
      malls.set(key, F.mallWithState(siyu, program, state));
    }
    return malls.get(key);
  };
  const results = [];
  for (const c of cases) {
    const program = fx.programs[c.program];
    const mall = mallFor(c);
    const request = { lines: F.cart(program, c.lines), coupons: c.coupons === 'chosen' ? fx.chosen[c.program] : 'best', points: 'max' };
    const out = quoteObject(mall, request, fx.now);
    const full = timeIt(() => quoteObject(mall, request, fx.now), { budgetMs });
    const total = withTotal ? timeIt(() => quoteTotal(mall, request, fx.now), { budgetMs: budgetMs / 2 }) : null;
    const json = timeIt(() => {
      JSON.parse(JSON.stringify(request));
      JSON.parse(JSON.stringify(out));
    }, { budgetMs: budgetMs / 3 });
    const wallet = F.wallet(program, c.wallet, c.mix);
    const r = {
      ...c,
      full,
      total,
      json,
      ratio: full.median / json.median,
      requestBytes: JSON.stringify(request).length,
      resultBytes: JSON.stringify(out).length,
      distinctTemplates: F.distinctTemplates(wallet),
      applied: out.coupons.map((x) => x.template),
      quoteTotal: out.total,
    };
    results.push(r);
    log(r);
    // Let the event loop breathe between cases (browser progress messages, timers).
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  for (const m of malls.values()) m.free();
  return results;
}

/** Restoring the heavy member from its snapshot text, warm (after the first load). */
export function timeSnapshotLoad(siyu, fx, { budgetMs = 1500 } = {}) {
  const text = JSON.stringify(fx.heavySnapshot);
  const load = () => {
    const m = new siyu.Mall(fx.programs.shipped, { memberId: F.MEMBER_ID, clientId: F.CLIENT_ID, snapshot: JSON.parse(text), now: fx.now });
    m.free();
  };
  return { bytes: text.length, load: timeIt(load, { budgetMs, minBatchMs: 20 }) };
}
