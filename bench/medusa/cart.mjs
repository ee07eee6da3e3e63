// The 50-line cart both benchmarks price (run.mjs: Medusa alone; compare.mjs: siyu beside it).
import { PERCENT_CATEGORY, FOOD_CATEGORY } from './medusa.mjs';

export const CATEGORIES = [FOOD_CATEGORY, PERCENT_CATEGORY, 'home', 'digital'];

/** 50 distinct SKUs, qty 1–3, unit prices 990–29900 fen, 4 categories; same every run. */
export function cart50() {
  let s = 0x5eed; // small LCG: deterministic without a dependency
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: 50 }, (_, i) => ({
    sku: `SKU-${String(i + 1).padStart(3, '0')}`,
    qty: 1 + Math.floor(rand() * 3),
    unitPrice: 990 + Math.floor(rand() * (29900 - 990 + 1)),
    category: CATEGORIES[i % CATEGORIES.length],
  }));
}
