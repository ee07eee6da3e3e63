// Targets the report measures against, and the CI budgets (scripts/check-budgets.mjs).
// Sizes in kB = 1,000 bytes.
export const TARGETS = {
  wasmGzipKB: 150, // target
  wasmGzipStretchKB: 90, // stretch target
  startupMs: 15, // compile + instantiate + restore the heavy member, headless Chromium
  chosenUs: 50, // 50 lines × 2 chosen coupons, from JS
  bestUs: 300, // 50 lines × 50 coupons with best selection, from JS
  jsonRatio: 3, // each quote ≤ 3× the JSON round trip of its own request and result
};

export const BUDGETS = {
  // For now; the target is TARGETS.wasmGzipKB. Raised from 300 when operator actions (§15) and
  // referral (§14) added some 15 kB (294.8 → 309.7 kB); the 150 kB target is unchanged.
  wasmGzipKB: 320,
  bestUsNode: 3000, // 10× TARGETS.bestUs, so CI noise cannot fail it
};
