// The engine's quote API, whichever shape the built package has: `mall.quote()` returning the
// quote as a plain object, or a priced-cart handle whose `toJSON()` gives the plain object and
// whose `total` getter gives the total. Benchmarks measure the full quote (every line, coupon
// and saving as a JS object) and, separately, the total alone.

/** The full quote as a plain object. */
export function quoteObject(mall, request, now) {
  const q = mall.quote(request, now);
  if (q && typeof q.toJSON === 'function' && typeof q.free === 'function') {
    const o = q.toJSON();
    q.free();
    return o;
  }
  return q;
}

/** Just the total (fen): `quoteTotal` where it exists, else the handle's `total` getter. */
export function quoteTotal(mall, request, now) {
  if (typeof mall.quoteTotal === 'function') return mall.quoteTotal(request, now);
  const q = mall.quote(request, now);
  if (q && typeof q.free === 'function') {
    const t = q.total;
    q.free();
    return t;
  }
  return q.total;
}

/** Which API shape the package has, for the report. */
export function quoteShape(siyu) {
  const proto = siyu.Mall.prototype;
  if (typeof proto.quoteTotal === 'function') return 'mall.quote() returns a plain object; mall.quoteTotal() returns the total';
  return 'mall.quote() returns a priced-cart handle: full quote = quote() + toJSON(); total only = quote().total';
}
