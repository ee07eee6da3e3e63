// The host of bench/device/timings.js in JavaScriptCore's shell: `dir` is set by the caller
// (bench/jsc.mjs) in a first script; this one defines `host` and loads the bundle.
var exports = {};
var module = { exports: exports };
var host = {
  dir: SIYU_BENCH_DIR,
  exports: exports,
  readText: function (p) { return readFile(p); },
  readBinary: function (p) { return readFile(p, 'binary'); },
  now: function () { return preciseTime() * 1000; },
  print: function (t) { print(t); },
};
load(SIYU_BENCH_DIR + '/index.js');
