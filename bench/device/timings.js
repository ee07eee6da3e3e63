// The on-device timings, in plain script: run as is by JavaScriptCore's shell (`jsc
// --useJIT=false`, wasm interpreted as in WeChat on iOS) and by node, with the same fixtures and
// the package's mini-program bundle (no TextDecoder, fetch or WebAssembly streaming needed).
// The host defines `host` first: { readText(path), readBinary(path), now() (ms), print(text),
// dir, exports (the bundle's exports object) } and loads the bundle into `host.exports`.
// Prints one JSON line: { figure: { median ms, min, max, runs } }.
(function (host) {
  const siyu = host.exports;
  const fx = JSON.parse(host.readText(host.dir + '/fixtures.json'));
  const out = {};
  function median(xs) {
    const s = xs.slice().sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
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
    out[name] = { median: median(xs), min: Math.min.apply(null, xs), max: Math.max.apply(null, xs), runs };
  }
  // A fixed loop the machine's speed is judged against (noisy machines: compare ratios).
  let sink = 0;
  function loop() {
    let x = 0;
    for (let i = 0; i < 5e6; i++) x = (x + i * 7) % 1000003;
    sink += x;
  }
  const bytes = host.readBinary(host.dir + '/siyu_bg.wasm');
  const t0 = host.now();
  siyu
    .initWith((imports) => WebAssembly.instantiate(bytes, imports))
    .then(() => {
      out['compile + instantiate'] = { median: host.now() - t0, min: host.now() - t0, max: host.now() - t0, runs: 1 };
      const programText = JSON.stringify(fx.program);
      const snapshotText = JSON.stringify(fx.snapshot);
      time('js loop 5M (reference)', 3, loop);
      time('new Mall (parse the program, no snapshot)', 5, () => new siyu.Mall(JSON.parse(programText), { memberId: 'm-new', clientId: 'c-new', now: fx.now }).free());
      time(`restore the member (${Math.round(snapshotText.length / 1000)} kB snapshot)`, 5, () =>
        new siyu.Mall(JSON.parse(programText), { memberId: fx.memberId, clientId: fx.clientId, snapshot: JSON.parse(snapshotText), now: fx.now }).free(),
      );
      const mall = new siyu.Mall(JSON.parse(programText), { memberId: fx.memberId, clientId: fx.clientId, snapshot: JSON.parse(snapshotText), now: fx.now });
      const full = (lines) => {
        const q = mall.quote({ lines }, fx.now);
        q.toJSON();
        q.free();
      };
      // Where the time goes, at the API's seams: JS parsing the JSON, the engine pricing, the
      // explanation crossing to JS, the snapshot written.
      time('  of which: JSON.parse of the program (JS)', 9, () => {
        JSON.parse(programText);
      });
      time('  of which: JSON.parse of the snapshot (JS)', 9, () => {
        JSON.parse(snapshotText);
      });
      time('  pricing only, 50 lines (the handle, no toJSON)', 9, () => mall.quote({ lines: fx.cart50 }, fx.now).free());
      time('  the explanation to JS, 50 lines (toJSON)', 9, () => {
        const q = mall.quote({ lines: fx.cart50 }, fx.now);
        const t1 = host.now();
        q.toJSON();
        const spent = host.now() - t1;
        q.free();
        return spent;
      });
      time('  snapshotJson of the one-year member', 9, () => {
        mall.snapshotJson();
      });
      time('quote + full explanation, 4 lines', 9, () => full(fx.cart4));
      time(`quote + full explanation, 50 lines × ${fx.walletSize} coupons`, 9, () => full(fx.cart50));
      time(`best selection, 50 lines × ${fx.walletSize} coupons (quoteTotals)`, 9, () => {
        mall.quoteTotals({ lines: fx.cart50 }, fx.now);
      });
      let day = 0;
      time('checkIn + snapshotJson (a new member)', 9, () => {
        const m = new siyu.Mall(JSON.parse(programText), { memberId: 'm-day', clientId: 'c-day', now: fx.now });
        m.checkIn(fx.now + day++ * 86400000);
        m.snapshotJson();
        m.free();
      });
      const fresh = host.now();
      // First screen (warm process): restore + one full 4-line quote.
      const m2 = new siyu.Mall(JSON.parse(programText), { memberId: fx.memberId, clientId: fx.clientId, snapshot: JSON.parse(snapshotText), now: fx.now });
      const q = m2.quote({ lines: fx.cart4 }, fx.now);
      q.toJSON();
      q.free();
      m2.free();
      out['first screen after instantiate (restore + 4-line quote)'] = { median: host.now() - fresh, min: 0, max: 0, runs: 1 };
      if (sink < 0) host.print('');
      host.print(JSON.stringify(out));
    })
    .catch((e) => host.print(JSON.stringify({ error: String(e && e.stack ? e.stack : e) })));
})(host);
