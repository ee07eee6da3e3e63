// Timing: warm up, batch calls so one sample lasts long enough for the clock, then take samples
// until a count or a time budget is reached. Runs in node and in the browser.

export const now = () => performance.now();

export function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

/** Median, p10, p90, min, max of `values` (any unit). */
export function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), min: s[0], max: s[s.length - 1], n: s.length };
}

/**
 * Time `fn` per call, in microseconds: stats over samples, each sample the mean of a batch of
 * calls lasting at least `minBatchMs`.
 */
export function timeIt(fn, { warmupMs = 60, minBatchMs = 5, samples = 15, minSamples = 5, budgetMs = 600 } = {}) {
  let calls = 0;
  const w0 = now();
  do {
    fn();
    calls++;
  } while (now() - w0 < warmupMs || calls < 3);
  const perCall = (now() - w0) / calls;
  const batch = Math.max(1, Math.min(100_000, Math.ceil(minBatchMs / Math.max(perCall, 1e-6))));
  const out = [];
  const start = now();
  while (out.length < samples && (out.length < minSamples || now() - start < budgetMs)) {
    const t0 = now();
    for (let i = 0; i < batch; i++) fn();
    out.push(((now() - t0) / batch) * 1000);
  }
  return { ...stats(out), batch };
}
