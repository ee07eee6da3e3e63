import { quoteObject } from './api.mjs';

// Benchmark fixtures: programs, carts, wallets and the heavy member's snapshot.
//
// Everything is deterministic (seeded PRNG, explicit instants), so two runs price the same carts
// for the same member. Fixtures are built in node with the engine itself and handed to the
// browser page as JSON.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const OFFSET = 8 * HOUR; // the demo program's utcOffsetMinutes = 480

/** Local midnight (UTC+8) of a calendar day, as an instant. */
export function localMidnight(y, m, d) {
  return Date.UTC(y, m - 1, d) - OFFSET;
}

/** The history year is 2025; every quote is priced on Tuesday 2026-01-06 at 12:00 (not a member day). */
export const HISTORY_START = localMidnight(2025, 1, 1);
export const HISTORY_DAYS = 365;
export const QUOTE_NOW = localMidnight(2026, 1, 6) + 12 * HOUR;

export const MEMBER_ID = 'm-bench-1';
export const CLIENT_ID = 'c-bench-1';

/** mulberry32: small, fast, deterministic. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(rand, items) {
  return items[Math.floor(rand() * items.length)];
}

function weighted(rand, table) {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = rand() * total;
  for (const [v, w] of table) {
    if ((x -= w) < 0) return v;
  }
  return table[table.length - 1][0];
}

function clone(v) {
  return JSON.parse(JSON.stringify(v));
}

// ---------------------------------------------------------------------------------------------
// Programs

const EXTRA_CATEGORIES = [
  ['snacks', '零食', ['海苔脆', '冻干草莓', '全麦饼干', '鸡胸肉干', '黑巧克力', '果蔬脆', '牛肉粒', '坚果棒']],
  ['dairy', '乳品', ['希腊酸奶', '有机纯牛奶', '奶酪棒', 'A2 牛奶', '低脂酸奶', '羊奶粉', '益生菌酸奶', '黄油']],
  ['fruit', '生鲜果蔬', ['牛油果', '蓝莓', '车厘子', '猕猴桃', '有机胡萝卜', '羽衣甘蓝', '小番茄', '苹果']],
  ['pantry', '粮油调味', ['冷榨橄榄油', '亚麻籽油', '低钠酱油', '喜马拉雅盐', '椰子油', '苹果醋', '有机红糖', '芝麻酱']],
];
const BASE_NAMES = {
  nuts: ['夏威夷果', '碧根果', '榛子', '松子', '南瓜子', '葡萄干', '蔓越莓干', '无花果干'],
  grains: ['荞麦面', '黑米', '小米', '红豆', '绿豆', '薏米', '鹰嘴豆', '燕麦米'],
  drinks: ['气泡水', '乌龙茶', '红茶', '椰奶', '豆奶', '电解质水', '挂耳咖啡', '花草茶'],
  wellness: ['鱼油', '钙片', '复合维生素', '叶黄素', '辅酶Q10', '维生素D', '膳食纤维', '蛋白棒'],
};

/**
 * The demo program with a catalog of `skus` SKUs (the demo's 20 plus generated ones in 8
 * categories), so a 100-line cart needs no repeated SKU. Rules and templates are untouched.
 */
export function withCatalog(program, skus) {
  const p = clone(program);
  for (const [id, name] of EXTRA_CATEGORIES) {
    if (!p.categories.some((c) => c.id === id)) p.categories.push({ id, name });
  }
  const categories = p.categories.map((c) => c.id);
  const names = { ...BASE_NAMES };
  for (const [id, , list] of EXTRA_CATEGORIES) names[id] = list;
  const rand = rng(20250101);
  let n = 0;
  while (p.catalog.length < skus) {
    const category = categories[n % categories.length];
    const base = names[category][Math.floor(n / categories.length) % names[category].length];
    const size = [100, 200, 250, 300, 500, 1000][n % 6];
    const listPrice = Math.round((1500 + rand() * 28000) / 10) * 10;
    p.catalog.push({
      id: `${category}-${n + 1}`,
      name: `${base} ${size}g`,
      category,
      listPrice,
      memberPrices: { gold: Math.round(listPrice * 0.95), diamond: Math.round(listPrice * 0.9) },
      ...(n % 17 === 5 ? { memberDayEligible: false } : {}),
    });
    n++;
  }
  return p;
}

const ORDER_STEPS = [
  [4900, 500], [6900, 800], [9900, 1000], [9900, 1500], [12900, 1500], [15900, 2000], [19900, 2500],
  [19900, 3000], [25900, 3500], [29900, 4000], [29900, 5000], [39900, 6000], [49900, 7000],
  [49900, 8000], [59900, 9000], [69900, 10000], [79900, 12000], [99900, 15000], [129900, 20000],
  [159900, 25000],
];

/**
 * The demo program with a large template set in every stack group: category- and SKU-scoped item
 * coupons, 满减 and percentage order coupons (some with exclusions), conditional free shipping,
 * and a few exclusive coupons. `n` templates are appended to the demo's own.
 */
export function withRichTemplates(program, n = 96) {
  const p = clone(program);
  const categories = p.categories.map((c) => c.id);
  const skus = p.catalog.filter((s) => !p.limitedSales.some((l) => l.sku === s.id)).map((s) => s.id);
  const rand = rng(7);
  const validity = (days) => ({ type: 'relative', days, fromNextDay: false });
  const out = [];
  for (let i = 0; out.length < n; i++) {
    const slot = i % 12;
    const id = `rich-${i + 1}`;
    if (slot < 3) {
      // Item coupons scoped to a category.
      const cat = categories[i % categories.length];
      const [min, off] = [[3000, 300], [5000, 800], [8000, 1500], [12000, 2000]][i % 4];
      out.push({ id, name: `${cat}满${min / 100}减${off / 100}`, kind: { type: 'amountOff', amount: off }, minSpend: min, scope: { categories: [cat] }, stackGroup: 'item', validity: validity(14), claimable: true, perMember: 2 });
    } else if (slot === 3) {
      // Item coupons on a handful of SKUs.
      const picked = Array.from({ length: 6 }, () => pick(rand, skus));
      out.push({ id, name: `单品券 ${i}`, kind: { type: 'percentOff', bp: 1500, maxDiscount: 2000 }, scope: { skus: picked }, stackGroup: 'item', validity: validity(7), claimable: false });
    } else if (slot < 9) {
      // Order coupons: 满减 ladders and percentages, some excluding a category.
      const [min, off] = ORDER_STEPS[i % ORDER_STEPS.length];
      const excl = i % 5 === 0 ? { scope: { excludeCategories: [categories[i % categories.length]] } } : {};
      if (i % 4 === 1) {
        out.push({ id, name: `全场${100 - (5 + (i % 3) * 5)}折`, kind: { type: 'percentOff', bp: 500 + (i % 3) * 500, maxDiscount: off * 2 }, minSpend: min, stackGroup: 'order', validity: validity(7), claimable: true, perMember: 1, ...excl });
      } else {
        out.push({ id, name: `满${min / 100}减${off / 100}`, kind: { type: 'amountOff', amount: off }, minSpend: min, stackGroup: 'order', validity: validity(10), claimable: true, perMember: 1, ...excl });
      }
    } else if (slot < 11) {
      // Conditional free shipping.
      out.push({ id, name: `满${(i % 4) * 20 + 29}包邮`, kind: { type: 'freeShipping' }, minSpend: ((i % 4) * 20 + 29) * 100, stackGroup: 'shipping', validity: validity(14), claimable: true, perMember: 1 });
    } else {
      // Exclusive: cannot be combined with anything.
      out.push({ id, name: `限时独享 满${(i % 5) * 100 + 200}减${(i % 5) * 20 + 50}`, kind: { type: 'amountOff', amount: ((i % 5) * 20 + 50) * 100 }, minSpend: ((i % 5) * 100 + 200) * 100, stackGroup: 'order', exclusive: true, validity: validity(3), claimable: false });
    }
  }
  p.couponTemplates.push(...out);
  return p;
}

/**
 * The program with `n` more promotions (rulebook §13) of every kind, cycling over its categories:
 * 第二件半价 and 买二送一 on a category, N件M折, bundles of two SKUs, 满减 ladders (some with free
 * shipping, some 每满减), 满折, and 满赠 gifts with stock; every fourth does not combine with
 * coupons. They run through QUOTE_NOW's year.
 */
export function withPromotions(program, n = 30) {
  const p = clone(program);
  const categories = p.categories.map((c) => c.id);
  const skus = cartSkus(p);
  const rand = rng(13);
  const validity = { from: localMidnight(2026, 1, 1), to: localMidnight(2027, 1, 1) };
  const out = [];
  for (let i = 0; out.length < n; i++) {
    const cat = categories[i % categories.length];
    const base = { id: `promo-${i + 1}`, validity, scope: { categories: [cat] }, withCoupons: i % 4 !== 3 };
    const rules = [
      { name: `${cat} 第二件半价`, rule: { type: 'nth', n: 2, offBp: 5000 } },
      { name: `${cat} 买二送一`, rule: { type: 'nth', n: 3, offBp: 10000 } },
      { name: `${cat} 3件8折`, rule: { type: 'minQty', qty: 3, offBp: 2000 } },
      { name: `组合价 ${i}`, rule: { type: 'bundle', items: [{ sku: pick(rand, skus), qty: 1 }, { sku: pick(rand, skus), qty: 1 }], price: 9900, maxTimes: 3 }, scope: {} },
      { name: `${cat} 满199减20 满299减40包邮`, rule: { type: 'ladder', tiers: [{ threshold: 19900, amountOff: 2000 }, { threshold: 29900, amountOff: 4000, freeShipping: true }] } },
      { name: `${cat} 每满100减10`, rule: { type: 'ladder', every: true, maxTimes: 5, tiers: [{ threshold: 10000, amountOff: 1000 }] } },
      { name: `${cat} 满3件9折`, rule: { type: 'ladder', by: 'units', tiers: [{ threshold: 3, offBp: 1000 }] } },
      { name: `${cat} 满299送礼`, rule: { type: 'gift', tiers: [{ threshold: 29900, gift: { sku: pick(rand, skus), qty: 1 }, stock: 500 }] } },
    ];
    const r = rules[i % rules.length];
    // A bundle of one SKU twice is refused by the program's validation: skip that draw.
    if (r.rule.type === 'bundle' && r.rule.items[0].sku === r.rule.items[1].sku) continue;
    out.push({ ...base, ...r });
  }
  p.promotions = [...(p.promotions ?? []), ...out];
  return p;
}

// ---------------------------------------------------------------------------------------------
// Carts and wallets

/** SKUs a cart may hold: everything but limited-sale SKUs (their lines depend on the sale window). */
function cartSkus(program) {
  return program.catalog.filter((s) => !program.limitedSales.some((l) => l.sku === s.id)).map((s) => s.id);
}

/**
 * A cart of `lines` lines, quantities 1–3. Distinct SKUs while the catalog allows; on a small
 * catalog SKUs repeat (the engine prices each line on its own).
 */
export function cart(program, lines, seed = 42) {
  const rand = rng(seed);
  const skus = cartSkus(program);
  // Deterministic shuffle, then take in order.
  const order = skus.map((s) => [rand(), s]).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
  return Array.from({ length: lines }, (_, i) => ({ sku: order[i % order.length], qty: 1 + Math.floor(rand() * 3) }));
}

/**
 * How a member's wallet is made up, by template: gifts and streak coupons pile up, claimed ones
 * are rarer. Templates missing from a program are skipped.
 */
const DEMO_MIX = [
  ['repurchase-8', 26], ['streak-5', 20], ['mall-5', 10], ['nuts-8', 8], ['full-300-50', 6],
  ['pct-90-cap30', 6], ['free-ship', 8], ['memberday-15', 6], ['winback-20', 4], ['bday-20', 2],
  ['bday-50', 2], ['first-order-10', 2],
];

/**
 * `n` coupons valid at QUOTE_NOW, drawn from `program`'s templates: by DEMO_MIX for the demo's
 * templates (mix = "demo") or uniformly over all templates (mix = "rich"). Wallet n is a prefix
 * of wallet m > n, so growth compares like with like.
 */
export function wallet(program, n, mix = 'demo', seed = 99) {
  const rand = rng(seed);
  const known = new Set(program.couponTemplates.map((t) => t.id));
  const table = mix === 'demo'
    ? DEMO_MIX.filter(([t]) => known.has(t))
    : program.couponTemplates.map((t) => [t.id, 1]);
  const coupons = [];
  for (let i = 0; i < n; i++) {
    const template = weighted(rand, table);
    const claimedAt = QUOTE_NOW - Math.floor(1 + rand() * 5) * DAY;
    coupons.push({
      id: `w-${String(i + 1).padStart(4, '0')}`,
      template,
      claimedAt,
      validFrom: claimedAt,
      validTo: QUOTE_NOW + Math.floor(1 + rand() * 20) * DAY,
      source: 'claim',
      state: { type: 'available' },
    });
  }
  return coupons;
}

/** Distinct templates in a wallet. */
export function distinctTemplates(coupons) {
  return new Set(coupons.map((c) => c.template)).size;
}

/** Two coupons of `coupons` that a `lines` cart can use together: an item coupon and an order coupon. */
export function twoChosen(siyu, program, state, lines) {
  const mall = mallWithState(siyu, program, state);
  try {
    const q = quoteObject(mall, { lines, coupons: 'none' }, QUOTE_NOW);
    const usable = new Set(q.usable.map((c) => c.id));
    const byId = new Map(state.coupons.map((c) => [c.id, c]));
    const group = (id) => program.couponTemplates.find((t) => t.id === byId.get(id).template);
    const item = [...usable].find((id) => group(id).stackGroup === 'item' && !group(id).exclusive);
    const order = [...usable].find((id) => group(id).stackGroup === 'order' && !group(id).exclusive);
    const chosen = [item, order].filter(Boolean);
    const check = quoteObject(mall, { lines, coupons: chosen }, QUOTE_NOW);
    if (check.coupons.length !== 2) throw new Error(`the chosen coupons ${chosen} do not both apply`);
    return chosen;
  } finally {
    mall.free();
  }
}

/** A snapshot whose confirmed state is `state`, nothing pending. */
export function snapshotOf(state, stock = {}, nextMutationId = 1) {
  return {
    version: 1,
    clientId: CLIENT_ID,
    nextMutationId,
    cookie: 1,
    clockOffsetMs: 0,
    confirmed: state,
    stock,
    acknowledged: [],
    pending: [],
    reversals: [],
  };
}

export function mallWithState(siyu, program, state) {
  return new siyu.Mall(program, { memberId: state.memberId, clientId: CLIENT_ID, snapshot: snapshotOf(state), now: QUOTE_NOW });
}

// ---------------------------------------------------------------------------------------------
// The heavy member: a year of history

export const HEAVY = { checkIns: 365, lots: 2000, coupons: 300, orders: 200 };

/**
 * Drive a Mall through 2025 with explicit instants: a check-in every day, 200 orders (best
 * coupons, points now and then, a few refunds), every claim the claim centre allows, the ¥5
 * reward, a birthday. A pull confirms the state every few days, as a server would. The
 * engine cannot produce 2,000 lots or 300 coupons from one year of this program (check-ins and
 * orders credit ~800 lots; per-member limits cap claims), so the snapshot's confirmed state is
 * then topped up with extra review-bonus lots (with their ledger entries) and expired
 * streak/repurchase coupons to reach exactly HEAVY.
 */
export function heavySnapshot(siyu, program) {
  const rand = rng(2025);
  const mall = new siyu.Mall(program, { memberId: MEMBER_ID, clientId: CLIENT_ID, now: HISTORY_START - 30 * DAY });
  let cookie = 1;
  const sync = (now) => {
    const last = mall.pendingCount() ? mall.pending().at(-1).id : 0;
    const state = mall.state();
    mall.applyPullResponse({
      cookie: ++cookie,
      lastMutationId: last,
      serverTime: now,
      businessDay: mall.businessDay(now),
      state,
      stock: mall.stock(),
      results: [],
    }, now, now);
  };
  const skus = cartSkus(program);
  const counts = { mutations: 0, rejected: 0, orders: 0, refunds: 0, claims: 0, rewards: 0 };
  const attempt = (f) => {
    try {
      f();
      counts.mutations++;
      return true;
    } catch (e) {
      if (!e.code) throw e;
      counts.rejected++;
      return false;
    }
  };
  attempt(() => mall.setBirthday('06-15', HISTORY_START + 9 * HOUR));
  const placed = [];
  for (let d = 0; d < HISTORY_DAYS; d++) {
    const day0 = HISTORY_START + d * DAY;
    attempt(() => mall.checkIn(day0 + 8 * HOUR));
    // Claim whatever the claim centre offers today.
    for (const offer of mall.claimCentre(day0 + 10 * HOUR)) {
      if (offer.claimable && rand() < 0.7 && attempt(() => mall.claimCoupon(offer.template.id, day0 + 10 * HOUR))) counts.claims++;
    }
    // 200 orders spread over the year.
    const due = Math.floor(((d + 1) * HEAVY.orders) / HISTORY_DAYS) - Math.floor((d * HEAVY.orders) / HISTORY_DAYS);
    for (let k = 0; k < due; k++) {
      const at = day0 + (19 + k) * HOUR;
      const lines = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => ({ sku: pick(rand, skus), qty: 1 + Math.floor(rand() * 2) }));
      const points = rand() < 0.3 ? 'max' : 0;
      const q = quoteObject(mall, { lines, coupons: 'best', points }, at);
      const orderId = mall.nextOrderId();
      if (attempt(() => mall.placeOrder({ orderId, lines, coupons: q.coupons.map((c) => c.id), points: q.points.used, expectedTotal: q.total }, at))) {
        counts.orders++;
        placed.push([orderId, at]);
      }
    }
    // A refund now and then, inside the window.
    if (d % 60 === 30 && placed.length) {
      const [orderId] = placed[placed.length - 1];
      if (attempt(() => mall.refundOrder(orderId, day0 + 21 * HOUR))) counts.refunds++;
    }
    if (d % 45 === 20 && attempt(() => mall.redeemReward('coupon-5', day0 + 21 * HOUR))) counts.rewards++;
    if (d % 3 === 2) sync(day0 + 23 * HOUR);
  }
  sync(HISTORY_START + HISTORY_DAYS * DAY);
  const snap = mall.snapshot();
  mall.free();
  const engineMade = { lots: snap.confirmed.lots.length, coupons: snap.confirmed.coupons.length, checkIns: snap.confirmed.checkIns.length, orders: snap.confirmed.orders.length };
  topUp(program, snap.confirmed, rand);
  return { snapshot: snap, counts, engineMade };
}

function topUp(program, state, rand) {
  const { lots, ledger, coupons } = state;
  const template = (id) => program.couponTemplates.find((t) => t.id === id);
  for (let i = 0; lots.length < HEAVY.lots; i++) {
    const at = HISTORY_START + Math.floor(rand() * HISTORY_DAYS) * DAY + 13 * HOUR;
    const id = `review-${i + 1}`;
    const points = 5 + 5 * Math.floor(rand() * 3);
    // Earned in 2025, they expire at the end of 2026 (yearEnd, 1 year); most have been spent.
    lots.push({ id, points, remaining: rand() < 0.8 ? 0 : points, earnedAt: at, expiresAt: localMidnight(2027, 1, 1), source: 'review' });
    ledger.push({ at, delta: points, reason: 'review', lots: [{ lot: id, points }], shortfall: 0 });
  }
  ledger.sort((a, b) => a.at - b.at);
  for (let i = 0; coupons.length < HEAVY.coupons; i++) {
    const t = template(i % 2 ? 'streak-5' : 'repurchase-8');
    const claimedAt = HISTORY_START + Math.floor(rand() * (HISTORY_DAYS - 40)) * DAY + 9 * HOUR;
    coupons.push({ id: `old-${i + 1}`, template: t.id, claimedAt, validFrom: claimedAt, validTo: claimedAt + t.validity.days * DAY, source: i % 2 ? 'checkIn' : 'repurchase', state: { type: 'available' } });
  }
  if (state.checkIns.length !== HEAVY.checkIns || state.orders.length !== HEAVY.orders) {
    throw new Error(`the year produced ${state.checkIns.length} check-ins and ${state.orders.length} orders, expected ${HEAVY.checkIns} and ${HEAVY.orders}`);
  }
  if (lots.length !== HEAVY.lots || coupons.length !== HEAVY.coupons) {
    throw new Error(`the year produced ${lots.length} lots and ${coupons.length} coupons, more than ${HEAVY.lots} and ${HEAVY.coupons}`);
  }
}

/** The heavy member's confirmed state with its wallet replaced by `coupons`. */
export function withWallet(state, coupons) {
  return { ...state, coupons };
}
