// A simulated WeChat mini-program runtime for tests: a node `vm` context holding only what a
// mini-program has — `wx` (storage backed by real files, `wx.request` over real HTTP, network and
// app-show events), `WXWebAssembly` (loading the real `.wasm.br` from the app's package folder),
// `App`, `Page`, `getApp`, `require` (CommonJS, `miniprogram_npm` for packages), timers and
// `console` — and none of `window`, `document`, `fetch`, `TextDecoder`, `TextEncoder`,
// `structuredClone`, IndexedDB, `WebAssembly` or `FinalizationRegistry`.
//
// What it does not cover: WeChat's JS engines themselves (JavaScriptCore on iOS, V8 on Android),
// the real base library's quirks, rendering WXML/WXSS, DevTools' npm build, request-domain
// checks, and the real storage's accounting. The module's features are checked separately
// (MVP + mutable globals, what both engines accept).
import vm from 'node:vm';
import http from 'node:http';
import { readFileSync, writeFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, cpSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { PINNED_AT, ROOT } from '../e2e/harness.mjs';

/** What a mini-program must not find: asserted by the tests, removed here where V8 adds it. */
export const ABSENT = ['window', 'document', 'fetch', 'TextDecoder', 'TextEncoder', 'structuredClone', 'indexedDB', 'localStorage', 'WebAssembly', 'FinalizationRegistry', 'navigator', 'process', 'require', 'module'];

/** "Build npm": the example with `miniprogram_npm/siyu/` filled from the package's `miniprogram` folder. */
export function buildApp(exampleDir, pkgDir, into) {
  rmSync(into, { recursive: true, force: true });
  cpSync(exampleDir, into, { recursive: true, filter: (src) => !src.includes('node_modules') && !src.includes('miniprogram_npm') });
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  cpSync(join(pkgDir, manifest.miniprogram), join(into, 'miniprogram_npm', manifest.name), { recursive: true });
  return into;
}

const ONE_MB = 1024 * 1024;

/**
 * wx storage in a folder: one file per key. 1 MB per key and `maxTotalBytes` (10 MB) in all, as
 * WeChat documents; values are kept as WeChat keeps them (any JSON value).
 */
function fileStorage(dir, maxTotalBytes) {
  mkdirSync(dir, { recursive: true });
  const file = (key) => join(dir, `${encodeURIComponent(key)}.json`);
  const size = () => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  const fail = (message) => Object.assign(new Error(message), { errMsg: message });
  return {
    getStorageSync(key) {
      return existsSync(file(key)) ? JSON.parse(readFileSync(file(key), 'utf8')).data : '';
    },
    setStorageSync(key, data) {
      const text = JSON.stringify({ data });
      const bytes = Buffer.byteLength(text);
      if (bytes > ONE_MB) throw fail('setStorageSync:fail entry size limit reached');
      const before = existsSync(file(key)) ? statSync(file(key)).size : 0;
      if (size() - before + bytes > maxTotalBytes) throw fail('setStorageSync:fail exceed storage max size 10Mb');
      writeFileSync(file(key), text);
    },
    removeStorageSync(key) {
      rmSync(file(key), { force: true });
    },
    getStorageInfoSync() {
      return { keys: readdirSync(dir).map((f) => decodeURIComponent(f.replace(/\.json$/, ''))), currentSize: Math.ceil(size() / 1024), limitSize: maxTotalBytes / 1024 };
    },
  };
}

/**
 * One launch of the app: a fresh context, as when WeChat starts the mini-program again. Storage
 * (`storageDir`) and the network switch (`network`) outlive it, like the phone's.
 */
/**
 * A fresh install of the example mini-program under `work/name`, pointing at `serverUrl` as
 * `memberId`, with its own phone storage.
 */
export function installExample(work, name, serverUrl, memberId) {
  const appDir = buildApp(join(ROOT, 'examples', 'miniprogram'), join(ROOT, 'pkg'), join(work, name, 'app'));
  const config = join(appDir, 'config.js');
  const text = readFileSync(config, 'utf8')
    .replace(/baseUrl: '[^']*'/, `baseUrl: '${serverUrl}/api'`)
    .replace(/memberId: '[^']*'/, `memberId: '${memberId}'`);
  // Written by another process, as a developer's editor would (the runtime caches nothing).
  execFileSync('node', ['-e', `require('fs').writeFileSync(${JSON.stringify(config)}, ${JSON.stringify(text)})`]);
  return { appDir, storageDir: join(work, name, 'storage'), network: { online: true } };
}

/** The bytes of a code-package file, for tests that instantiate by hand. */
export function packageFile(appDir, path) {
  const raw = readFileSync(join(appDir, path.replace(/^\//, '')));
  return path.endsWith('.br') ? brotliDecompressSync(raw) : raw;
}

export function launch({ appDir, storageDir, network = { online: true }, maxTotalBytes = 10 * ONE_MB, start = true, withWXWebAssembly = true, payments = null }) {
  const listeners = { network: new Set(), show: new Set() };
  const timers = new Set();
  const requests = { sent: 0 };
  let app = null;
  const pages = {};
  let loadingPage = null;

  const wx = {
    ...fileStorage(storageDir, maxTotalBytes),
    request(options) {
      requests.sent += 1;
      const fail = (errMsg) => setTimeout(() => options.fail?.({ errMsg }), 1);
      if (!network.online) return fail('request:fail net::ERR_INTERNET_DISCONNECTED');
      const url = new URL(options.url);
      const body = options.data === undefined ? undefined : typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
      const req = http.request(url, { method: options.method ?? 'GET', headers: options.header ?? {}, timeout: options.timeout ?? 60_000 }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let data = text;
          if ((options.dataType ?? 'json') === 'json') {
            try {
              data = JSON.parse(text);
            } catch {
              // wx hands the text over when it is not JSON
            }
          }
          options.success?.({ statusCode: res.statusCode, header: res.headers, data });
          options.complete?.();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => options.fail?.({ errMsg: `request:fail ${e.message}` }));
      if (body !== undefined) req.write(body);
      req.end();
      return { abort: () => req.destroy() };
    },
    onNetworkStatusChange: (fn) => listeners.network.add(fn),
    offNetworkStatusChange: (fn) => listeners.network.delete(fn),
    onAppShow: (fn) => listeners.show.add(fn),
    offAppShow: (fn) => listeners.show.delete(fn),
    getNetworkType: ({ success }) => success({ networkType: network.online ? 'wifi' : 'none' }),
    /**
     * WeChat's pay sheet: the parameters the server prepared, each required as on the device;
     * `payments.confirm(options)` is the shopper confirming (it pays at the provider), or
     * `payments.cancel` closes the sheet.
     */
    requestPayment(options) {
      const missing = ['timeStamp', 'nonceStr', 'package', 'signType', 'paySign'].filter((k) => typeof options[k] !== 'string' || !options[k]);
      const done = (ok, result) => setTimeout(() => (ok ? options.success?.(result) : options.fail?.(result)), 1);
      if (missing.length) return done(false, { errMsg: `requestPayment:fail parameter error: ${missing.join(', ')}` });
      if (!payments || payments.cancel) return done(false, { errMsg: 'requestPayment:fail cancel' });
      Promise.resolve(payments.confirm(options)).then(
        () => done(true, { errMsg: 'requestPayment:ok' }),
        (e) => done(false, { errMsg: `requestPayment:fail ${e?.message ?? e}` }),
      );
    },
  };

  const WXWebAssembly = {
    // Only a code-package path to a .wasm or .wasm.br, as on the device (no bytes, no URLs).
    async instantiate(path, imports) {
      if (typeof path !== 'string' || !/\.wasm(\.br)?$/.test(path)) throw new TypeError('WXWebAssembly.instantiate: path must be a code-package path to a .wasm or .wasm.br file');
      const file = join(appDir, path.replace(/^\//, ''));
      if (!existsSync(file)) throw new Error(`WXWebAssembly.instantiate: ${path} is not in the code package`);
      const raw = readFileSync(file);
      const bytes = path.endsWith('.br') ? brotliDecompressSync(raw) : raw;
      return WebAssembly.instantiate(bytes, imports);
    },
  };

  let killed = false;
  // The app's timers, so that killing it stops them; a killed app's late callbacks schedule
  // nothing. A timeout leaves the set when it fires; an interval stays until cleared.
  const tracked = (set, clear, once) => ({
    set: (fn, ms, ...args) => {
      if (killed) return 0;
      const id = set(() => {
        if (once) timers.delete(id);
        fn(...args);
      }, ms);
      timers.add(id);
      return id;
    },
    clear: (id) => {
      timers.delete(id);
      clear(id);
    },
  });
  const timeout = tracked(setTimeout, clearTimeout, true);
  const interval = tracked(setInterval, clearInterval, false);

  const context = vm.createContext({
    wx,
    ...(withWXWebAssembly ? { WXWebAssembly } : {}),
    console,
    setTimeout: timeout.set,
    clearTimeout: timeout.clear,
    setInterval: interval.set,
    clearInterval: interval.clear,
    App: (definition) => {
      app = definition;
    },
    Page: (definition) => {
      pages[loadingPage] = definition;
    },
    getApp: () => app,
  });
  // V8 gives every context these; a mini-program has no WebAssembly (WXWebAssembly instead) and
  // may have no FinalizationRegistry.
  vm.runInContext('delete globalThis.WebAssembly; delete globalThis.FinalizationRegistry;', context);
  // The phone's clock reads the pinned instant the suite runs at (harness PINNED_AT), not today.
  vm.runInContext(`{ const skew = ${PINNED_AT - Date.now()}; const real = Date.now; Date.now = () => real() + skew; }`, context);

  const cache = new Map();
  function load(file) {
    if (cache.has(file)) return cache.get(file).exports;
    const module = { exports: {} };
    cache.set(file, module);
    const source = readFileSync(file, 'utf8');
    const fn = vm.runInContext(`(function (require, module, exports) {${source}\n})`, context, { filename: file });
    fn(requireFrom(dirname(file)), module, module.exports);
    return module.exports;
  }
  function requireFrom(dir) {
    return (spec) => {
      const base = spec.startsWith('.') || spec.startsWith('/') ? resolve(spec.startsWith('/') ? appDir : dir, spec.replace(/^\//, '')) : join(appDir, 'miniprogram_npm', spec);
      const candidates = [base, `${base}.js`, join(base, 'index.js')];
      const file = candidates.find((f) => existsSync(f) && statSync(f).isFile());
      if (!file) throw new Error(`module '${spec}' is not defined (from ${relative(appDir, dir) || '.'})`);
      return load(file);
    };
  }

  if (start) {
    load(join(appDir, 'app.js'));
    if (!app) throw new Error('app.js did not call App()');
    app.onLaunch?.({ path: 'pages/checkin/index', scene: 1001, query: {} });
  }

  return {
    app,
    context,
    wx,
    requests,
    /** `require` as the app's root sees it (`siyu` is miniprogram_npm/siyu). */
    require: requireFrom(appDir),
    /** Evaluate code in the mini-program's context. */
    evaluate: (code) => vm.runInContext(code, context),
    /** Open a page as WeChat would: load its module, make the instance, onLoad, onShow. */
    open(route, query = {}) {
      loadingPage = route;
      load(join(appDir, `${route}.js`));
      const definition = pages[route];
      if (!definition) throw new Error(`${route}.js did not call Page()`);
      const page = { route, data: JSON.parse(JSON.stringify(definition.data ?? {})) };
      for (const [key, value] of Object.entries(definition)) if (key !== 'data') page[key] = value;
      page.setData = (patch) => Object.assign(page.data, JSON.parse(JSON.stringify(patch)));
      page.onLoad?.(query);
      page.onShow?.();
      return page;
    },
    /** A tap on an element bound to `handler`, with its `data-` set. */
    tap(page, handler, dataset = {}) {
      return page[handler]({ type: 'tap', currentTarget: { dataset }, target: { dataset } });
    },
    setOnline(online) {
      network.online = online;
      for (const fn of listeners.network) fn({ isConnected: online, networkType: online ? 'wifi' : 'none' });
    },
    show() {
      for (const fn of listeners.show) fn({ path: 'pages/checkin/index', scene: 1001, query: {} });
    },
    /** The app is killed: its sync stops and its timers die with it. */
    kill() {
      killed = true;
      app?.client?.close();
      // Still opening: close it once it is open.
      app?.ready?.then((client) => client?.close(), () => {});
      for (const id of timers) {
        clearTimeout(id);
        clearInterval(id);
      }
    },
  };
}
