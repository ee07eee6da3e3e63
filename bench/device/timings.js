// The on-device timings, in plain script: run as is by JavaScriptCore's shell (`jsc
// --useJIT=false`, wasm interpreted as in WeChat on iOS) and by node, with the same fixtures and
// the package's mini-program bundle (no TextDecoder, fetch or WebAssembly streaming needed).
// The host defines `host` first: { readText(path), readBinary(path), now() (ms), print(text),
// dir, exports (the bundle's exports object) } and loads the bundle into `host.exports`.
// Prints one JSON line: { figure: { median ms, min, max, runs } }. One process measures one cold
// start (its first screen); bench/jsc.mjs runs several and takes the medians.
//
// The program and the snapshot go in as JSON text, as the package's sync client passes them
// (js/sync.js keeps both as text).
(function (host) {
  const siyu = host.exports;
  const fx = JSON.parse(host.readText(host.dir + '/fixtures.json'));
  const out = {};
  function median(xs) {
    const s = xs.slice().sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  }
  function record(name, xs) {
    out[name] = { median: median(xs), min: Math.min.apply(null, xs), max: Math.max.apply(null, xs), runs: xs.length };
  }
  // `fn` may return the milliseconds of the part it measured itself (a number); else the call
  // is timed whole.
  function time(name, runs, fn) {
    fn(); // warm-up (and any lazy init)
    const xs = [];
    for (let i = 0; i < runs; i++) {
      const t0 = host.now();
      const part = fn();
      xs.push(typeof part === 'number' ? part : host.now() - t0);
    }
    record(name, xs);
  }
  // A fixed loop the machine's speed is judged against (noisy machines: compare ratios).
  let sink = 0;
  function loop() {
    let x = 0;
    for (let i = 0; i < 5e6; i++) x = (x + i * 7) % 1000003;
    sink += x;
  }
  const programText = fx.programText;
  const snapshotText = fx.snapshotText;
  const restore = () => new siyu.Mall(programText, { memberId: fx.memberId, clientId: fx.clientId, snapshot: snapshotText, now: fx.now });
  const full = (mall, lines) => {
    const q = mall.quote({ lines }, fx.now);
    q.toJSON();
    q.free();
  };
  const bytes = host.readBinary(host.dir + '/siyu_bg.wasm');
  // The first screen, cold: nothing compiled, nothing warmed up.
  const t0 = host.now();
  siyu
    .initWith((imports) => WebAssembly.instantiate(bytes, imports))
    .then(() => {
      const t1 = host.now();
      const first = restore();
      const t2 = host.now();
      full(first, fx.cart4);
      const t3 = host.now();
      first.free();
      record('first screen, cold (instantiate + restore + 4-line quote)', [t3 - t0]);
      record('  compile + instantiate', [t1 - t0]);
      record('  restore, cold', [t2 - t1]);
      record('  4-line quote + explanation, cold', [t3 - t2]);
      time('js loop 5M (reference)', 3, loop);
      time('new Mall, no snapshot (the program parsed and validated)', 5, () => new siyu.Mall(programText, { memberId: 'm-new', clientId: 'c-new', now: fx.now }).free());
      time(`restore the one-year member (${Math.round(snapshotText.length / 1000)} kB snapshot)`, 5, () => restore().free());
      const mall = restore();
      // Where the time goes, at the API's seams.
      time('  JSON.parse of the snapshot text (JS, for scale)', 9, () => {
        JSON.parse(snapshotText);
      });
      time('  pricing only, 50 lines (the handle, no toJSON)', 9, () => mall.quote({ lines: fx.cart50 }, fx.now).free());
      time('  the explanation to JS, 50 lines (toJSON)', 9, () => {
        const q = mall.quote({ lines: fx.cart50 }, fx.now);
        const t = host.now();
        q.toJSON();
        const spent = host.now() - t;
        q.free();
        return spent;
      });
      time('quote + full explanation, 4 lines', 9, () => full(mall, fx.cart4));
      time(`quote + full explanation, 50 lines × ${fx.walletSize} coupons`, 9, () => full(mall, fx.cart50));
      time(`best selection, 50 lines × ${fx.walletSize} coupons (quoteTotals)`, 9, () => {
        mall.quoteTotals({ lines: fx.cart50 }, fx.now);
      });
      // A shopper's change as the sync client makes it: the mutation, then the snapshot written.
      let day = 1;
      time('checkIn + snapshotJson, the one-year member', 9, () => {
        mall.checkIn(fx.now + day++ * 86400000);
        mall.snapshotJson();
      });
      // The first snapshot after a restore from text (the confirmed state taken from that text;
      // after a pull it is written: the checkIn row's first call shows that cost).
      time('  snapshotJson, the first after a restore', 5, () => {
        const m = restore();
        const t = host.now();
        m.snapshotJson();
        const spent = host.now() - t;
        m.free();
        return spent;
      });
      mall.free();
      if (sink < 0) host.print('');
      host.print(JSON.stringify(out));
    })
    .catch((e) => host.print(JSON.stringify({ error: String(e && e.stack ? e.stack : e) })));
})(host);
