// One cold start, in a fresh browser context: compile + instantiate the engine, then restore the
// heavy member from its snapshot text, then the queries of a first screen.
// ?mode=bytes: compile from bytes already fetched (no network in the figure).
// ?mode=streaming: init() with the fetch of the .wasm (compile while downloading, loopback).
import init, { Mall } from '/pkg/siyu.js';

const mode = new URLSearchParams(location.search).get('mode') || 'bytes';
const fx = await (await fetch('/startup.json')).json();
const bytes = mode === 'bytes' ? await (await fetch('/pkg/siyu_bg.wasm')).arrayBuffer() : null;
await new Promise((r) => setTimeout(r, 30));

const t0 = performance.now();
let t1 = NaN;
let exports;
if (mode === 'bytes') {
  const module = await WebAssembly.compile(bytes);
  t1 = performance.now();
  exports = await init({ module_or_path: module });
} else {
  exports = await init({ module_or_path: fetch('/pkg/siyu_bg.wasm') });
}
const t2 = performance.now();
// Stored snapshots are JSON text (what the shim keeps): restore straight from it.
const snapshot = fx.snapshotText;
const t3 = performance.now();
const mall = new Mall(fx.program, { memberId: fx.memberId, clientId: fx.clientId, snapshot, now: fx.now });
const t4 = performance.now();
const first = [mall.tier(fx.now), mall.points(fx.now), mall.wallet(fx.now), mall.streak(fx.now), mall.calendar(2026, 1, fx.now), mall.reminders(fx.now)];
const t5 = performance.now();

window.__startup = {
  mode,
  compile: t1 - t0,
  instantiate: t2 - t1,
  init: t2 - t0,
  parse: t3 - t2,
  restore: t4 - t3,
  total: t4 - t0,
  firstScreen: t5 - t4,
  memoryBytes: exports.memory.buffer.byteLength,
  isolated: self.crossOriginIsolated,
  ok: first.every(Boolean),
};
