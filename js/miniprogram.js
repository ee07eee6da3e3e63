// The mini-program entry of siyu: the engine loaded with WXWebAssembly from the code package,
// storage over wx storage, HTTP over wx.request, sync on network and foreground changes. Built
// into pkg/miniprogram/index.js (CommonJS, one file) with siyu_bg.wasm.br beside it: the folder
// that WeChat DevTools' "build npm" copies to miniprogram_npm/siyu/ (package.json `miniprogram`).
//
//   const siyu = require('siyu');
//   await siyu.init();
//   const client = await siyu.openMall({ program, memberId, baseUrl: 'https://shop.example/api', getToken });
//
// Every adapter is a small object over a few platform calls, so Alipay (`my.`), uni-app or Taro
// take a few lines (docs/miniprogram.md).
import { initWith } from './siyu.js';
import { openMall as openMallWith, createSyncClient as createSyncClientWith } from './sync.js';
import { SiyuError, unsupportedRuntime } from './errors.js';
import { newTextEncoder } from './text.js';

export {
  Mall,
  PricedCart,
  validateProgram,
  errorCodes,
  backoffDelayMs,
  initWith,
  SiyuError,
  isSiyuError,
  SyncError,
  callApi,
  memoryStorage,
} from './index.js';

/** Where WeChat's npm build puts the engine: `miniprogram_npm/<package>/siyu_bg.wasm.br`. */
export const WASM_PATH = '/miniprogram_npm/siyu/siyu_bg.wasm.br';

/** The `wx` object, when this is a WeChat mini-program (an injected global, not on globalThis). */
function platformWx() {
  return typeof wx === 'undefined' ? undefined : wx; // eslint-disable-line no-undef
}

/**
 * Load the engine with `WXWebAssembly.instantiate(path, imports)`. `path` is a code-package path
 * (default `WASM_PATH`; a `.wasm.br` needs base library 2.14.0). Pass `WXWebAssembly` (or Alipay's
 * `MyWebAssembly`, …) where it is not the global of that name.
 */
export function init(options = {}) {
  const path = options.path ?? WASM_PATH;
  const engine = options.WXWebAssembly ?? (typeof WXWebAssembly === 'undefined' ? undefined : WXWebAssembly); // eslint-disable-line no-undef
  if (!engine) {
    return Promise.reject(unsupportedRuntime('WXWebAssembly', 'WeChat base library 2.14.0 or later loads the engine; elsewhere pass options.WXWebAssembly or use initWith(instantiate)'));
  }
  return initWith((imports) => engine.instantiate(path, imports));
}

// ---------------------------------------------------------------------------------------------
// Storage: one key per record, split over several keys when it is larger than a key may hold.

/**
 * A `SyncStorage` over a synchronous key-value store of strings. `read(key)` returns the text or
 * `''`/`null`/`undefined` when there is none; `write(key, text)` throws when it cannot write;
 * `remove(key)`. `isFull(error)` says whether a write failed because the storage is full (it is
 * then reported `STORAGE_FULL`). A value larger than `maxBytes` (UTF-8) is written in parts, and the
 * record's head is written last, so a write cut short leaves the previous record whole.
 */
/** @param {import('./miniprogram.js').KeyValueStorageOptions} options */
export function keyValueStorage({ kind, read, write, remove, maxBytes, isFull = () => false, prefix = 'siyu:' }) {
  // Each UTF-16 unit is at most 3 bytes of UTF-8, so parts of this many units always fit.
  const partUnits = Math.max(1, Math.floor((maxBytes - 64) / 3));
  const encoder = newTextEncoder();
  const load = (key) => {
    const text = read(prefix + key);
    return text === '' || text === null || text === undefined ? null : JSON.parse(text);
  };
  const store = (key, value) => {
    try {
      write(prefix + key, value);
    } catch (e) {
      if (isFull(e)) throw Object.assign(new Error(`${kind} storage is full`), { code: 'STORAGE_FULL', cause: e });
      throw e instanceof Error ? e : new Error(e?.errMsg ?? e?.errorMessage ?? String(e));
    }
  };
  const get = (key) => {
    const head = load(key);
    if (!head || head.parts === undefined) return head;
    let text = '';
    for (let i = 0; i < head.parts; i++) text += read(`${prefix}${key}@${head.rev}#${i}`) ?? '';
    return JSON.parse(text);
  };
  // `old`: the head stored now (putIfRev has read it already: one parse per write, not two).
  const put = (key, value, old = load(key)) => {
    const text = JSON.stringify(value);
    const rev = value?.rev ?? 0;
    let parts = 0;
    if (text.length * 3 <= maxBytes - 64 || encoder.encode(text).length <= maxBytes - 64) {
      store(key, text);
    } else {
      parts = Math.ceil(text.length / partUnits);
      let written = 0;
      try {
        for (; written < parts; written++) store(`${key}@${rev}#${written}`, text.slice(written * partUnits, (written + 1) * partUnits));
        store(key, JSON.stringify({ rev, clientId: value?.clientId, parts }));
      } catch (e) {
        // The head still names the previous record; the parts of this one would only take space.
        for (let i = 0; i < written; i++) {
          if (!(old?.rev === rev && i < old.parts)) removeQuietly(`${prefix}${key}@${rev}#${i}`);
        }
        throw e;
      }
    }
    // The previous record's parts that the new head does not name.
    if (old?.parts !== undefined) {
      for (let i = old.rev === rev ? parts : 0; i < old.parts; i++) removeQuietly(`${prefix}${key}@${old.rev}#${i}`);
    }
  };
  const removeQuietly = (fullKey) => {
    try {
      remove(fullKey);
    } catch {
      // Left behind; harmless.
    }
  };
  return {
    kind,
    async get(key) {
      return get(key);
    },
    async put(key, value) {
      put(key, value);
    },
    // Synchronous from read to write: nothing else runs in between.
    async putIfRev(key, rev, value) {
      const old = load(key);
      if ((old?.rev ?? 0) !== rev) return false;
      put(key, value, old);
      return true;
    },
  };
}

/** WeChat's storage (`wx.setStorageSync`): 1 MB per key, 10 MB in all. */
export function wxStorage(api = platformWx()) {
  if (!api) throw new TypeError('wxStorage: no `wx` in this runtime: pass it');
  return keyValueStorage({
    kind: 'wx',
    read: (key) => {
      const value = api.getStorageSync(key);
      return typeof value === 'string' ? value : null; // anything else under the key is not ours
    },
    write: (key, text) => api.setStorageSync(key, text),
    remove: (key) => api.removeStorageSync(key),
    maxBytes: 1024 * 1024,
    isFull: (/** @type {any} */ e) => /exceed|quota|limit|max size/i.test(e?.errMsg ?? e?.message ?? ''),
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP: a fetch-like function over a wx.request-like call.

/**
 * `fetch` as the sync shim uses it (method, headers, a text body; status, headers and text back),
 * over `wx.request` or a call of the same shape (uni.request, Taro.request). `timeoutMs` bounds
 * each request (default 15 000).
 */
export function wxFetch(request = platformWx()?.request?.bind(platformWx()), { timeoutMs = 15_000 } = {}) {
  if (typeof request !== 'function') throw new TypeError('wxFetch: no `wx.request` in this runtime: pass a request function');
  return (url, init = {}) =>
    new Promise((resolve, reject) => {
      request({
        url,
        method: init.method ?? 'GET',
        header: init.headers ?? {},
        data: init.body,
        dataType: 'text', // the shim parses JSON itself, and error pages are not JSON
        responseType: 'text',
        timeout: timeoutMs,
        success: (res) => resolve(responseOf(res.statusCode, res.header, res.data)),
        fail: (err) => reject(new Error(err?.errMsg ?? 'request:fail')),
      });
    });
}

/** A fetch `Response`'s part that the shim reads. */
export function responseOf(status, headers = {}, data = '') {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  const lower = {};
  for (const [name, value] of Object.entries(headers ?? {})) lower[name.toLowerCase()] = String(value);
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    headers: { get: (name) => lower[name.toLowerCase()] ?? null },
    text: async () => text,
  };
}

// ---------------------------------------------------------------------------------------------
// Lifecycle: sync when the network comes back and when the app returns to the foreground.

/** `wx.onNetworkStatusChange` and `wx.onAppShow` (and their `off…` where the base library has them). */
export function wxLifecycle(api = platformWx()) {
  if (!api) throw new TypeError('wxLifecycle: no `wx` in this runtime: pass it');
  let connected = true;
  return {
    subscribe({ online, offline, foreground }) {
      const network = (status) => {
        connected = status?.isConnected !== false;
        if (connected) online();
        else offline();
      };
      api.onNetworkStatusChange?.(network);
      api.onAppShow?.(foreground);
      return () => {
        api.offNetworkStatusChange?.(network);
        api.offAppShow?.(foreground);
      };
    },
    online: () => connected,
  };
}

// Payment: the host's payment call of `client.pay(orderId)`.

/**
 * `requestPayment` over `wx.requestPayment`: WeChat Pay's parameters as the server prepared them
 * (`payment.requestPayment`: timeStamp, nonceStr, package, signType, paySign). Resolves when the
 * shopper paid; rejects with `PAYMENT_CANCELLED` when they closed the sheet, `PAYMENT_FAILED`
 * otherwise. The demo provider needs no call (the shim makes its payment).
 */
export function wxRequestPayment(api = platformWx()) {
  return (payment) => {
    if (payment?.provider === 'demo') return Promise.resolve();
    if (typeof api?.requestPayment !== 'function') {
      return Promise.reject(new SiyuError('PAYMENT_UNAVAILABLE', 'wxRequestPayment: no `wx.requestPayment` in this runtime', { provider: payment?.provider ?? null }));
    }
    const params = payment?.requestPayment ?? {};
    return new Promise((resolve, reject) => {
      api.requestPayment({
        timeStamp: params.timeStamp,
        nonceStr: params.nonceStr,
        package: params.package,
        signType: params.signType,
        paySign: params.paySign,
        success: resolve,
        fail: (e) => {
          const message = e?.errMsg ?? 'requestPayment:fail';
          reject(new SiyuError(/cancel/.test(message) ? 'PAYMENT_CANCELLED' : 'PAYMENT_FAILED', message, { errMsg: message }));
        },
      });
    });
  };
}

/**
 * `openMall` with the mini-program's adapters: wx storage, wx.request, the wx lifecycle and
 * wx.requestPayment (each can be replaced through the options of the same names). One page
 * stack, so no tabs.
 */
export function openMall(options) {
  return openMallWith({ ...options, ...adapters(options), multiTab: false });
}

/** `createSyncClient` with the mini-program's transport and lifecycle. */
export function createSyncClient(options) {
  return createSyncClientWith({ ...options, ...transport(options), multiTab: false });
}

function adapters(options) {
  return { storage: options.storage === undefined ? wxStorage() : options.storage, ...transport(options) };
}

function transport(options) {
  return { fetch: options.fetch ?? wxFetch(), lifecycle: options.lifecycle ?? wxLifecycle(), requestPayment: options.requestPayment ?? wxRequestPayment() };
}
