// Quote benchmarks in node: `node bench/quote-node.mjs FIXTURES.json OUT.json [--quick]`.
// Runs in its own process so fixture building leaves no garbage behind.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadEngine } from './lib/node-engine.mjs';
import { quoteCases, runQuotes, timeSnapshotLoad } from './lib/cases.mjs';
import { quoteShape } from './lib/api.mjs';

const [fixturesPath, outPath] = process.argv.slice(2);
const quick = process.argv.includes('--quick');
const fx = JSON.parse(readFileSync(fixturesPath, 'utf8'));
const siyu = await loadEngine();
const cases = quoteCases();
let done = 0;
const quotes = await runQuotes(siyu, fx, cases, {
  withTotal: true,
  budgetMs: quick ? 150 : 600,
  log: (r) => process.stderr.write(`\r  node quotes ${++done}/${cases.length} ${r.id}`.padEnd(78)),
});
process.stderr.write('\n');
const snapshot = timeSnapshotLoad(siyu, fx, { budgetMs: quick ? 300 : 1500 });
writeFileSync(outPath, JSON.stringify({ shape: quoteShape(siyu), quotes, snapshot }));
