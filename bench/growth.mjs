// The growth table (rulebook §12): what a member costs after 0, 1, 2, 5 and 10 years of the same
// activity, driven through real pushes and pulls (server/src/bin/growth.rs), then the client's
// costs measured on each snapshot with the built package in node.
//
//   node bench/growth.mjs [--quick] [--json OUT]
//
// Prints a markdown table and the ratios 5 years ÷ new; exits 0 (figures, not a test).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadEngine, loadDemoProgram, ROOT } from './lib/node-engine.mjs';
import { timeIt } from './lib/measure.mjs';

const quick = process.argv.includes('--quick');
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : null;

export async function runGrowth({ quick = false, log = (s) => process.stderr.write(`${s}\n`) } = {}) {
  log('growth: building and living ten years against the service (siyu-growth)');
  const build = spawnSync('cargo', ['build', '--release', '-q', '-p', 'siyu-server', '--bin', 'siyu-growth'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) throw new Error('cargo build of siyu-growth failed');
  const run = spawnSync(`${ROOT}/target/release/siyu-growth`, [], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`siyu-growth failed: ${run.stderr}`);
  const milestones = run.stdout.trim().split('\n').map((line) => JSON.parse(line));

  const siyu = await loadEngine();
  const program = JSON.stringify(loadDemoProgram());
  const budget = { budgetMs: quick ? 150 : 600 };
  const lines = [
    { sku: 'almond-250', qty: 2 },
    { sku: 'oats-1kg', qty: 1 },
    { sku: 'greentea-100', qty: 1 },
    { sku: 'walnut-500', qty: 1 },
  ];
  const rows = [];
  for (const m of milestones) {
    const snapshot = JSON.parse(m.snapshot);
    const options = { memberId: snapshot.confirmed.memberId, clientId: snapshot.clientId, snapshot: m.snapshot };
    // The member's own time (the server's clock in its simulated life), not this machine's.
    const now = m.now;
    const restore = timeIt(() => new siyu.Mall(program, { ...options, now }).free(), budget);
    const mall = new siyu.Mall(program, { ...options, now });
    const day = new Date(now + 8 * 3_600_000);
    const quote = timeIt(() => {
      const priced = mall.quote({ lines, points: 'max' }, now);
      priced.toJSON();
      priced.free();
    }, budget);
    const shown = mall.wallet(now);
    const held = shown.available.length + shown.used.length + shown.expired.length;
    const wallet = timeIt(() => mall.wallet(now), budget);
    const calendar = timeIt(() => mall.calendar(day.getUTCFullYear(), day.getUTCMonth() + 1, now), budget);
    mall.free();
    rows.push({
      years: m.years,
      orders: m.orders,
      coupons: held,
      snapshotKb: m.snapshotBytes / 1000,
      pullAfterCheckInKb: m.pullAfterCheckInBytes / 1000,
      pushCheckInMs: m.pushCheckInMs,
      restoreMs: restore.median / 1000,
      quoteUs: quote.median,
      walletUs: wallet.median,
      calendarUs: calendar.median,
      ledgerPageMs: m.ledgerPageMs,
      archivedLedger: m.archivedLedger,
    });
    log(`growth: ${m.years} years measured`);
  }
  return rows;
}

export function growthMarkdown(rows) {
  const f = (n, d = 1) => n.toFixed(d);
  const out = [
    '| history | orders | coupons shown | snapshot | pull reply after one check-in | push of one check-in | restore | quote (4 lines, full) | `wallet()` | `calendar()` | ledger page (20, archive) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    out.push(`| ${r.years === 0 ? 'new' : `${r.years} year${r.years > 1 ? 's' : ''}`} | ${r.orders} | ${r.coupons} | ${f(r.snapshotKb)} kB | ${f(r.pullAfterCheckInKb)} kB | ${f(r.pushCheckInMs, 2)} ms | ${f(r.restoreMs, 3)} ms | ${f(r.quoteUs, 0)} µs | ${f(r.walletUs, 1)} µs | ${f(r.calendarUs, 1)} µs | ${f(r.ledgerPageMs, 3)} ms |`);
  }
  const ratios = (a, b) => {
    const ratio = (k) => f(a[k] / b[k], 2);
    return `push ${ratio('pushCheckInMs')}×, restore ${ratio('restoreMs')}×, quote ${ratio('quoteUs')}×, wallet ${ratio('walletUs')}×, calendar ${ratio('calendarUs')}×`;
  };
  const [base, one, five] = [0, 1, 5].map((y) => rows.find((r) => r.years === y));
  if (base && five) out.push('', `5 years ÷ new: ${ratios(five, base)} (target ≤ 1.5× each).`);
  if (one && five) out.push('', `5 years ÷ 1 year: ${ratios(five, one)}. \`wallet()\` and a quote cost what the coupons shown cost, which stay bounded by their validity and the 30 days used or ended ones show. Timings are medians of one run; the push includes the compaction that follows it.`);
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await runGrowth({ quick });
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 2));
  console.log(growthMarkdown(rows));
}
