// The quote cases in the browser, warm: the page loads the engine once and runs every case.
import init, * as siyu from '/pkg/siyu.js';
import { quoteCases, runQuotes, timeSnapshotLoad } from '/bench/lib/cases.mjs';

window.__bench = {
  async run({ budgetMs }) {
    await init({ module_or_path: fetch('/pkg/siyu_bg.wasm') });
    const fx = await (await fetch('/fixtures.json')).json();
    const cases = quoteCases();
    let done = 0;
    const quotes = await runQuotes(siyu, fx, cases, {
      withTotal: true,
      budgetMs,
      log: (r) => console.log(`progress ${++done}/${cases.length} ${r.id}`),
    });
    const snapshot = timeSnapshotLoad(siyu, fx, { budgetMs: budgetMs * 2 });
    return { quotes, snapshot, isolated: self.crossOriginIsolated };
  },
};
window.__ready = true;
