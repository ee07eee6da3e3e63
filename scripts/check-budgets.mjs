#!/usr/bin/env node
// CI budgets for the built package (pkg/ must be built: `bash scripts/build-pkg.sh`).
//
//   node scripts/check-budgets.mjs
//
// 1. siyu_bg.wasm gzip -9 ≤ 320 kB for now (target 150 kB, stretch 90 kB; kB = 1,000 bytes).
// 2. A quote of 50 lines × 50 coupons with best selection, from JS in node, median ≤ 3 ms: ten
//    times the 300 µs target, so a noisy CI machine cannot fail it, while a regression of an
//    order of magnitude does. The case is the report's headline case (docs/benchmarks.md): the
//    demo program with a 240-SKU catalog, a member with a year of history, a wallet of 50.
// Prints every figure; exits 1 when a budget is exceeded. Takes a few seconds.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PKG, loadEngine, loadDemoProgram } from '../bench/lib/node-engine.mjs';
import { TARGETS, BUDGETS } from '../bench/lib/targets.mjs';
import { timeIt } from '../bench/lib/measure.mjs';
import { quoteObject } from '../bench/lib/api.mjs';
import * as F from '../bench/lib/fixtures.mjs';

const wasmPath = join(PKG, 'siyu_bg.wasm');
if (!existsSync(wasmPath)) {
  console.error(`check-budgets: ${wasmPath} is missing; build the package first (bash scripts/build-pkg.sh)`);
  process.exit(2);
}

const failures = [];
const fmtKB = (b) => `${(b / 1000).toFixed(1)} kB`;

// 1. Size.
const wasm = readFileSync(wasmPath);
const gzip = gzipSync(wasm, { level: 9 }).length;
const sizeOk = gzip <= BUDGETS.wasmGzipKB * 1000;
console.log(`wasm gzip      ${fmtKB(gzip)} (raw ${fmtKB(wasm.length)})  budget ≤ ${BUDGETS.wasmGzipKB} kB, target ≤ ${TARGETS.wasmGzipKB} kB, stretch ≤ ${TARGETS.wasmGzipStretchKB} kB  ${sizeOk ? 'ok' : 'OVER BUDGET'}`);
if (!sizeOk) failures.push('wasm gzip size');

// 2. Quote time.
const siyu = await loadEngine(PKG);
const demo = loadDemoProgram();
const program = F.withCatalog(demo, 240);
const history = F.heavySnapshot(siyu, demo).snapshot.confirmed;
const mall = F.mallWithState(siyu, program, F.withWallet(history, F.wallet(program, 50, 'demo')));
const request = { lines: F.cart(program, 50), coupons: 'best', points: 'max' };
const quote = quoteObject(mall, request, F.QUOTE_NOW);
if (quote.coupons.length === 0) failures.push('the 50 × 50 quote applied no coupon (fixtures broken?)');
const t = timeIt(() => quoteObject(mall, request, F.QUOTE_NOW), { warmupMs: 300, samples: 21, minSamples: 21, budgetMs: 10_000 });
mall.free();
const timeOk = t.median <= BUDGETS.bestUsNode;
const us = (v) => `${v.toFixed(0)} µs`;
console.log(`quote 50×50    ${us(t.median)} median (p10 ${us(t.p10)}, p90 ${us(t.p90)}; ${t.n} samples of ${t.batch})  ceiling ≤ ${us(BUDGETS.bestUsNode)}, target ≤ ${us(TARGETS.bestUs)}  ${timeOk ? 'ok' : 'OVER BUDGET'}`);
if (!timeOk) failures.push('50 × 50 quote time');

if (failures.length) {
  console.error(`check-budgets: exceeded: ${failures.join(', ')}`);
  process.exit(1);
}
console.log("check-budgets: within budgets");
