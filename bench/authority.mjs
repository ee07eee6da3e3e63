// The authority in node (`siyu/authority`, the wasm module a JavaScript backend hosts): what one
// decision costs the backend's CPU, for a new member and for a member with a year of history
// (a check-in every day and an order a week, decided through the authority itself and
// compacted as a backend would store them). Prints figures; asserts nothing.
//
//   node bench/authority.mjs
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { loadAuthority } from '../pkg/authority.js';
import { timeIt } from './lib/measure.mjs';

const root = new URL('../', import.meta.url);
const program = readFileSync(new URL('programs/health-food.json', root), 'utf8');
const wasm = readFileSync(new URL('pkg/siyu_authority.wasm', root));
const t0 = performance.now();
const authority = await loadAuthority(program);
const startMs = performance.now() - t0;
const DAY = 86_400_000;
const START = Date.parse('2025-12-01T02:00:00Z');

/** decidePush as a backend calls it: what it `needs` looked up (archived orders, referral codes)
 * is answered — none are stored here — and the call made again. */
function decidePush(input) {
  let answer = authority.decidePush(input);
  while (answer.needs) {
    const lookups = { orders: { ...input.lookups?.orders }, codes: { ...input.lookups?.codes } };
    for (const id of answer.needs.orders) lookups.orders[id] = null;
    for (const code of answer.needs.codes) lookups.codes[code] = null;
    input = { ...input, lookups };
    answer = authority.decidePush(input);
  }
  if (!answer.ok) throw new Error(`decidePush: ${JSON.stringify(answer).slice(0, 300)}`);
  return answer;
}

/** A member row as a backend holds it, advanced by deciding `mutations` one push at a time. */
function member(id) {
  const row = { state: authority.newMember(id, START).ok.state, version: 0, stateVersion: 0, last: 0 };
  const stock = authority.initialStock();
  const input = (mutations, now) => ({
    memberId: id, request: { protocol: 2, clientId: 'c1', mutations }, state: row.state, version: row.version,
    stateVersion: row.stateVersion, lastMutationId: row.last, stock, now,
  });
  const decide = (name, args, now) => {
    const m = [{ id: row.last + 1, name, args, clientTime: now }];
    const answer = decidePush(input(m, now));
    const w = answer.ok.writes;
    Object.assign(row, { version: w.version, stateVersion: w.stateVersion, last: w.lastMutationId, state: w.state ?? row.state });
    return answer;
  };
  return { row, decide, input };
}

const fresh = member('bench-new');
const year = member('bench-year');
for (let day = 0; day < 365; day++) {
  const now = START + day * DAY;
  year.decide('checkIn', {}, now);
  if (day % 7 === 3) {
    const orderId = `o${day}`;
    const lines = [{ sku: 'almond-250', qty: 1 }, { sku: 'oats-1kg', qty: 2 }];
    // The total the engine quotes is in the rejection of a wrong one (PRICE_CHANGED).
    const probe = year.input([{ id: year.row.last + 1, name: 'placeOrder', args: { orderId, lines, coupons: [], points: 0, expectedTotal: 0 }, clientTime: now }], now);
    const quoted = decidePush(probe).ok.results[0].error.details.actual;
    year.decide('placeOrder', { orderId, lines, coupons: [], points: 0, expectedTotal: quoted }, now);
  }
}

const at = START + 365 * DAY;
const checkIn = (who) => () => decidePush(who.input([{ id: who.row.last + 1, name: 'checkIn', args: {}, clientTime: at }], at));
const lines = [{ sku: 'almond-250', qty: 1 }, { sku: 'walnut-500', qty: 2 }, { sku: 'oats-1kg', qty: 1 }, { sku: 'granola-400', qty: 1 }, { sku: 'cashew-300', qty: 1 }];
const order = (who) => () =>
  decidePush(who.input([{ id: who.row.last + 1, name: 'placeOrder', args: { orderId: 'bench', lines, coupons: [], points: 0, expectedTotal: 1 }, clientTime: at }], at));
const us = (r) => `${r.median.toFixed(0)} µs (p10 ${r.p10.toFixed(0)}, p90 ${r.p90.toFixed(0)})`;
console.log(`authority module: ${statSync(new URL('pkg/siyu_authority.wasm', root)).size} bytes raw, ${gzipSync(wasm, { level: 9 }).length} gzip; compile + instantiate + loadProgram ${startMs.toFixed(1)} ms`);
console.log(`one-year member: state ${year.row.state.length} bytes stored, ${year.row.version} decisions`);
console.log(`decidePush checkIn, new member:        ${us(timeIt(checkIn(fresh), { samples: 30 }))}`);
console.log(`decidePush checkIn, one-year member:   ${us(timeIt(checkIn(year), { samples: 30 }))}`);
console.log(`decidePush 5-line order, one-year:     ${us(timeIt(order(year), { samples: 30 }))}`);
