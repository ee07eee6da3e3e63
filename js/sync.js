// The thin shim around the engine: HTTP, storage, tabs and the app's lifecycle. Every rule — what a mutation
// does, how a reply is merged, how long to back off — lives in the engine; this file only moves
// bytes and keeps them safe.
//
//   const client = await openMall({ program, memberId, baseUrl: '/api', getToken });
//   client.on('status', s => badge(s));          // synced | pending | offline | error
//   await client.mutate(mall => mall.checkIn()); // optimistic, persisted, then synced
import { Mall, backoffDelayMs, pushRecovery, pullRecovery } from './siyu.js';
import { SiyuError } from './errors.js';

const DB_NAME = 'siyu';
const STORE = 'kv';
const recordKey = (memberId) => `mall:${memberId}`;

// ---------------------------------------------------------------------------------------------
// Storage: IndexedDB, else localStorage, else memory. One record per member: {rev, clientId,
// snapshot}. A write names the revision it builds on (`putIfRev`): when another tab wrote in
// between, it is refused and the writer starts again from what that tab stored — so two tabs
// never hand out one mutation id twice, with or without Web Locks.

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function indexedDbStorage(idb) {
  const open = idb.open(DB_NAME, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  const db = await request(open);
  db.onversionchange = () => db.close();
  return {
    kind: 'indexeddb',
    async get(key) {
      const value = await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(key));
      return value === undefined ? null : value;
    },
    put(key, value) {
      return new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, 'readwrite');
        tx.objectStore(STORE).put(value, key);
        tx.oncomplete = () => resolve();
        tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
      });
    },
    // One readwrite transaction: no other tab's write can land between the check and the put.
    putIfRev(key, rev, value) {
      return new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, 'readwrite');
        const store = tx.objectStore(STORE);
        let written = false;
        const read = store.get(key);
        read.onsuccess = () => {
          if ((read.result?.rev ?? 0) !== rev) return;
          store.put(value, key);
          written = true;
        };
        tx.oncomplete = () => resolve(written);
        tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
      });
    },
  };
}

/**
 * A storage without `putIfRev`, shared by tabs that cannot take Web Locks, would let two tabs read
 * the same revision and both write it: both hand out one mutation id, and one change never
 * reaches the server. That combination is refused up front, never left to lose a change.
 */
function refuseUnsafeStorage(storage, multiTab) {
  if (!storage || typeof storage.putIfRev === 'function' || multiTab === false || globalThis.navigator?.locks) return;
  throw new SiyuError(
    'STORAGE_UNSAFE',
    `the storage "${storage.kind}" has no putIfRev and this runtime has no Web Locks: two tabs sharing it could hand out one mutation id twice. ` +
      'Give the storage an atomic putIfRev(key, rev, value), or pass multiTab: false when only one tab or process uses it',
    { storage: storage.kind },
  );
}

/** `putIfRev` for a storage without one: read, compare, write (atomic where get and put are: one
 * writer at a time, which `refuseUnsafeStorage` makes sure of). */
async function putIfRev(storage, key, rev, value) {
  if (storage.putIfRev) return storage.putIfRev(key, rev, value);
  const current = await storage.get(key);
  if ((current?.rev ?? 0) !== rev) return false;
  await storage.put(key, value);
  return true;
}

function localStorageStorage(ls, prefix = 'siyu:') {
  // Probe: Safari's private mode and disabled storage throw here.
  ls.setItem(`${prefix}probe`, '1');
  ls.removeItem(`${prefix}probe`);
  return {
    kind: 'localstorage',
    async get(key) {
      const text = ls.getItem(prefix + key);
      return text === null ? null : JSON.parse(text);
    },
    async put(key, value) {
      ls.setItem(prefix + key, JSON.stringify(value));
    },
    // Synchronous within one task: no other tab runs between the read and the write.
    async putIfRev(key, rev, value) {
      const text = ls.getItem(prefix + key);
      if ((text === null ? 0 : (JSON.parse(text)?.rev ?? 0)) !== rev) return false;
      ls.setItem(prefix + key, JSON.stringify(value));
      return true;
    },
  };
}

/** Storage that forgets everything on reload (tests, or when the browser offers none). */
export function memoryStorage() {
  const map = new Map();
  return {
    kind: 'memory',
    // Stored as JSON text, like the other storages (and with no need for `structuredClone`).
    async get(key) {
      return map.has(key) ? JSON.parse(map.get(key)) : null;
    },
    async put(key, value) {
      map.set(key, JSON.stringify(value));
    },
    async putIfRev(key, rev, value) {
      if ((map.has(key) ? (JSON.parse(map.get(key))?.rev ?? 0) : 0) !== rev) return false;
      map.set(key, JSON.stringify(value));
      return true;
    },
  };
}

/**
 * The best storage this browser offers: IndexedDB, else localStorage, else memory.
 * @param {import('./sync.js').OpenStorageOptions} [options]
 */
export async function openStorage({ indexedDB = globalThis.indexedDB, localStorage } = {}) {
  if (indexedDB) {
    try {
      return await indexedDbStorage(indexedDB);
    } catch {
      // Blocked or broken (some private modes): fall through.
    }
  }
  try {
    const ls = localStorage ?? globalThis.localStorage;
    if (ls) return localStorageStorage(ls);
  } catch {
    // Disabled storage throws on access.
  }
  return memoryStorage();
}

/** A full device: the browser's quota errors, or an adapter's `STORAGE_FULL`. */
function isQuotaError(e) {
  return e?.name === 'QuotaExceededError' || e?.code === 22 || e?.name === 'NS_ERROR_DOM_QUOTA_REACHED' || e?.code === 'STORAGE_FULL';
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** A failed API call: the server's `{code, message, details}` with the HTTP status (0 = network). */
export class SyncError extends Error {
  constructor(status, code, message, details = {}, retryAfterMs = null) {
    super(message);
    this.name = 'SyncError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterMs = retryAfterMs;
  }

  /** Network failures, 408, 429 and 5xx are worth retrying; other 4xx are not (the engine's rule). */
  get retryable() {
    return pullRecovery(this.status, this.code).action === 'retry';
  }
}

function retryAfterMs(response, details) {
  const header = response.headers.get('Retry-After');
  const seconds = header !== null && /^\d+$/.test(header.trim()) ? Number(header) : details?.retryAfterSeconds;
  if (typeof seconds === 'number') return seconds * 1000;
  const date = header ? Date.parse(header) : NaN;
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/**
 * POST (or GET without a body) JSON to the API; throws SyncError.
 * @param {import('./sync.js').FetchLike} fetchFn
 * @param {string} url
 * @param {import('./sync.js').CallApiOptions} [options]
 */
export async function callApi(fetchFn, url, { token, body, method = body === undefined ? 'GET' : 'POST' } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetchFn(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch (e) {
    throw new SyncError(0, 'NETWORK', e?.message || 'network error');
  }
  const text = await response.text().catch(() => '');
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's error page): reported by status below.
  }
  if (!response.ok) {
    const code = typeof json?.code === 'string' ? json.code : `HTTP_${response.status}`;
    const message = typeof json?.message === 'string' ? json.message : response.statusText || `HTTP ${response.status}`;
    throw new SyncError(response.status, code, message, json?.details ?? {}, retryAfterMs(response, json?.details));
  }
  return json;
}

// ---------------------------------------------------------------------------------------------
// Lifecycle: when to sync without being asked.

/**
 * A browser page's: the window's `online`/`offline` events, the document becoming visible, and
 * `navigator.onLine`. Where there is no window or document (node, workers), nothing is heard.
 */
export function browserLifecycle() {
  return {
    subscribe({ online, offline, foreground }) {
      const win = globalThis.window;
      const doc = globalThis.document;
      const visible = () => doc.visibilityState === 'visible' && foreground();
      win?.addEventListener?.('online', online);
      win?.addEventListener?.('offline', offline);
      doc?.addEventListener?.('visibilitychange', visible);
      return () => {
        win?.removeEventListener?.('online', online);
        win?.removeEventListener?.('offline', offline);
        doc?.removeEventListener?.('visibilitychange', visible);
      };
    },
    online: () => globalThis.navigator?.onLine,
  };
}

// ---------------------------------------------------------------------------------------------
// The client

function localMutex() {
  let tail = Promise.resolve();
  return (fn) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {});
    return run;
  };
}

class SyncClient {
  #mall;
  #clientId;
  #program;
  #memberId;
  #baseUrl;
  #getToken;
  #fetch;
  #storage;
  #intervalMs;
  #locks;
  #channel = null;
  #mutex = localMutex();
  #rev = 0;
  #dirty = false; // the last write failed: memory is ahead of storage
  #storageError = null;
  #network = { state: 'idle' }; // idle | ok | offline | error (+ code, message, httpStatus)
  // 426: this app speaks a protocol the server no longer does; nothing is sent until a reload.
  #stopped = null;
  // Mutations per push, lowered when the server answers 413 to a larger batch.
  #maxBatch = Infinity;
  #leader = false;
  #releaseLeader = null;
  #inflight = null;
  #again = false;
  #attempt = 0;
  #retryTimer = null;
  #interval = null;
  #listeners = { status: new Set(), change: new Set(), reversals: new Set() };
  #lastStatusKey = '';
  #announced = new Set();
  #lastSyncedAt = null;
  #closed = false;
  #teardown = [];
  #lifecycle;
  #requestPayment;

  constructor(options) {
    const { mall, baseUrl = '/api', token, getToken, fetch: fetchFn, storage = null, intervalMs = 30_000, rev = 0 } = options;
    if (!mall) throw new TypeError('createSyncClient: `mall` is required');
    if (!token && !getToken) throw new TypeError('createSyncClient: `token` or `getToken` is required');
    refuseUnsafeStorage(storage, options.multiTab);
    this.#mall = mall;
    this.#clientId = mall.clientId;
    this.#memberId = options.memberId ?? mall.state().memberId;
    this.#program = options.programText ?? JSON.stringify(mall.program());
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#getToken = getToken ?? (() => token);
    const platformFetch = typeof fetch === 'function' ? fetch : null;
    if (!fetchFn && !platformFetch) {
      throw new TypeError('createSyncClient: this runtime has no `fetch`: pass `fetch` (in a mini-program, the siyu/miniprogram entry passes one over wx.request)');
    }
    this.#fetch = fetchFn ?? ((url, init) => platformFetch(url, init));
    this.#storage = storage;
    this.#intervalMs = intervalMs;
    this.#rev = rev;
    this.#locks = options.multiTab === false ? null : globalThis.navigator?.locks ?? null;
    if (options.storageError) this.#storageError = options.storageError;

    if (options.multiTab !== false && typeof BroadcastChannel === 'function') {
      this.#channel = new BroadcastChannel(`siyu:${this.#memberId}`);
      this.#channel.onmessage = (e) => this.#onMessage(e.data);
    }
    this.#requestPayment = options.requestPayment ?? null;
    this.#lifecycle = options.lifecycle ?? browserLifecycle();
    // A page opened (or reloaded) without a network says so at once, not "syncing" until a
    // request fails.
    if (this.#lifecycle.online?.() === false) this.#network = { state: 'offline' };
    const unsubscribe = this.#lifecycle.subscribe({
      online: () => this.sync(),
      offline: () => this.#setNetwork({ state: 'offline' }),
      foreground: () => this.sync(),
    });
    if (typeof unsubscribe === 'function') this.#teardown.push(unsubscribe);
    this.#electLeader();
    if (this.#locks) this.sync(); // a follower asks the leader for a round (and its status)
  }

  /** The engine instance. It is replaced when another tab changes the member's data. */
  get mall() {
    return this.#mall;
  }

  /** Whether this tab is the one talking to the server. */
  get leader() {
    return this.#leader;
  }

  get storageKind() {
    return this.#storage?.kind ?? 'none';
  }

  get status() {
    const pending = this.#mall.pendingCount();
    const base = { pending, lastSyncedAt: this.#lastSyncedAt, storage: this.storageKind };
    if (this.#storageError) return { ...base, state: 'error', ...this.#storageError };
    const refused = this.#stopped;
    if (refused) return { ...base, state: 'error', code: refused.code, message: refused.message, httpStatus: refused.httpStatus, halted: true };
    const n = this.#network;
    if (n.state === 'offline') return { ...base, state: 'offline' };
    if (n.state === 'error') return { ...base, state: 'error', code: n.code, message: n.message, httpStatus: n.httpStatus };
    return { ...base, state: pending > 0 || n.state === 'idle' ? 'pending' : 'synced' };
  }

  /** Listen to `status`, `change` (the mall's data changed) or `reversals`; returns an unsubscribe. */
  on(type, listener) {
    const set = this.#listeners[type];
    if (!set) throw new TypeError(`unknown event ${type}`);
    set.add(listener);
    return () => set.delete(listener);
  }

  #emit(type, value) {
    for (const fn of this.#listeners[type]) {
      try {
        fn(value);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    }
  }

  #emitStatus() {
    const status = this.status;
    const key = JSON.stringify([status.state, status.pending, status.code, status.message, status.halted]);
    if (key === this.#lastStatusKey) return;
    this.#lastStatusKey = key;
    this.#emit('status', status);
  }

  /** Announce the undismissed reversals when one appears that was not announced yet. */
  #emitReversals() {
    const reversals = this.#mall.reversals();
    // Keyed by client id too: ids start again at 1 when the queue moves to a new client id.
    const key = (r) => `${r.clientId}:${r.mutationId}`;
    const fresh = reversals.filter((r) => !this.#announced.has(key(r)));
    if (!fresh.length) return;
    for (const r of fresh) this.#announced.add(key(r));
    this.#emit('reversals', reversals);
  }

  /**
   * Run `fn` against the mall under the member's lock, after adopting any newer data another tab
   * wrote; persist and announce if `write`. When another tab wrote in between (no Web Locks),
   * `fn` runs again on what it stored. With `keepOnly: 'saved'` (a shopper's change) a change
   * that cannot be saved is undone and refused: nothing is shown applied that a reload would lose.
   * @param {{ keepOnly?: 'saved' }} [options]
   */
  #exclusive(fn, write, options = {}) {
    const { keepOnly } = options;
    const body = async () => {
      for (let attempt = 0; ; attempt++) {
        await this.#refresh(attempt > 0);
        const result = fn(this.#mall);
        if (!write) return result;
        const saved = await this.#persist();
        if (saved === 'conflict' && attempt < 8) continue;
        if (saved !== 'ok' && keepOnly === 'saved' && this.#storage) {
          const error = this.#storageError ?? { code: 'STORAGE_FAILED', message: 'another tab keeps writing: try again' };
          await this.#restoreSaved();
          this.#emit('change', this.#mall);
          this.#emitStatus();
          throw new SiyuError(error.code, error.message);
        }
        return result;
      }
    };
    return this.#locked(body);
  }

  /** Back to what storage holds (the last write that succeeded, under whatever client id it
   * has); with nothing readable there, a fresh mall under a new client id (ids are never reused). */
  async #restoreSaved() {
    const record = await this.#storage.get(recordKey(this.#memberId)).catch(() => null);
    const mall = record ? tryRestore(this.#program, this.#memberId, record) : null;
    if (mall) this.#rev = record.rev;
    this.#mall = mall ?? new Mall(this.#program, { memberId: this.#memberId, clientId: newClientId() });
    this.#clientId = this.#mall.clientId;
    this.#dirty = false;
  }

  /** One writer at a time: across tabs with Web Locks, else within this page. */
  #locked(body) {
    return this.#mutex(this.#locks ? () => this.#locks.request(`siyu:${this.#memberId}:data`, body) : body);
  }

  /** Adopt what another tab wrote; true if anything changed. */
  #reload() {
    return this.#locked(() => this.#refresh());
  }

  /** Adopt what another tab stored (`force`: even over unsaved memory); true if anything changed. */
  async #refresh(force = false) {
    if (!this.#storage || (this.#dirty && !force)) return false;
    let record;
    try {
      record = await this.#storage.get(recordKey(this.#memberId));
    } catch {
      return false;
    }
    if (!record || record.rev === this.#rev || !record.snapshot) return false;
    if (recordClientId(record) !== this.#clientId) {
      // Another tab moved the queue to a new client id: follow it.
      if (!record.clientId) return false;
      this.#clientId = record.clientId;
    }
    // An unreadable record (a newer format) is not adopted; the next write replaces it.
    const mall = tryRestore(this.#program, this.#memberId, record);
    if (!mall) {
      this.#rev = record.rev;
      return false;
    }
    this.#mall = mall;
    this.#rev = record.rev;
    this.#dirty = false;
    return true;
  }

  /** Write the mall on top of the revision this tab last read: 'ok', 'conflict' or 'failed'. */
  async #persist() {
    let outcome = 'ok';
    if (this.#storage) {
      const record = { rev: this.#rev + 1, clientId: this.#clientId, snapshot: this.#mall.snapshotJson(), savedAt: Date.now() };
      try {
        if (await putIfRev(this.#storage, recordKey(this.#memberId), this.#rev, record)) {
          this.#rev = record.rev;
          this.#dirty = false;
          this.#storageError = null;
        } else {
          outcome = 'conflict';
        }
      } catch (e) {
        // Kept in memory (sync results: the server has them anyway); the next write tries again.
        outcome = 'failed';
        this.#dirty = true;
        this.#storageError = isQuotaError(e)
          ? { code: 'STORAGE_FULL', message: 'device storage is full: new changes cannot be saved until it frees up' }
          : { code: 'STORAGE_FAILED', message: `cannot save on this device: ${e?.message ?? e}` };
      }
    } else {
      this.#rev += 1;
    }
    if (outcome === 'conflict') return outcome;
    this.#post({ type: 'changed', rev: this.#rev });
    this.#emit('change', this.#mall);
    this.#emitStatus();
    return outcome;
  }

  #post(message) {
    try {
      this.#channel?.postMessage(message);
    } catch {
      // A closed channel: nothing to tell.
    }
  }

  async #onMessage(message) {
    if (this.#closed || !message) return;
    if (message.type === 'changed') {
      const changed = await this.#reload().catch(() => false);
      if (changed) {
        this.#emit('change', this.#mall);
        this.#emitStatus();
        this.#emitReversals();
      }
      // Another tab queued a change: push it. (A reply another tab stored needs no round: without
      // Web Locks every tab leads, and answering each other's writes would never end.)
      if (this.#leader && this.#mall.pendingCount() > 0) this.sync();
    } else if (message.type === 'network' && !this.#leader) {
      this.#lastSyncedAt = message.lastSyncedAt ?? this.#lastSyncedAt;
      this.#stopped = message.refused ?? this.#stopped;
      this.#setNetwork(message.network);
    } else if (message.type === 'sync' && this.#leader) {
      this.sync();
    }
  }

  #setNetwork(network) {
    this.#network = network;
    if (this.#leader) this.#post({ type: 'network', network, lastSyncedAt: this.#lastSyncedAt, refused: this.#stopped });
    this.#emitStatus();
  }

  #electLeader() {
    const become = () => {
      if (this.#closed) return;
      this.#leader = true;
      this.#interval = setInterval(() => this.sync(), this.#intervalMs);
      this.sync();
    };
    if (!this.#locks) {
      become();
      return;
    }
    this.#locks
      .request(`siyu:${this.#memberId}:leader`, () => {
        become();
        return new Promise((resolve) => {
          this.#releaseLeader = resolve;
        });
      })
      .catch(() => {});
  }

  /**
   * Apply a mutation optimistically and persist it (queue and snapshot in one write), then sync.
   * `fn` runs synchronously against the mall, e.g. `m => m.claimCoupon('nuts-8')`; its error (a
   * SiyuError) rejects the promise and nothing is queued.
   */
  async mutate(fn) {
    const result = await this.#exclusive(fn, true, { keepOnly: 'saved' });
    this.sync();
    return result;
  }

  /**
   * A page of the member's archive (rulebook §12): what left the working state, newest first.
   * Items are shaped as in the state; `next` is the `before` of the next, older page (null: no
   * more). For `checkIns`, `{ year, month }` asks for one calendar month.
   * @param {import('./sync.js').HistoryKind} kind
   * @param {import('./sync.js').HistoryQuery} [query]
   * @returns {Promise<import('./sync.js').HistoryPage<any>>}
   */
  async history(kind, query = {}) {
    const params = Object.entries(query)
      .filter(([, value]) => value !== undefined && value !== null)
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
    const url = `${this.#baseUrl}/history/${encodeURIComponent(kind)}${params.length ? `?${params.join('&')}` : ''}`;
    return callApi(this.#fetch, url, { token: await this.#getToken() });
  }

  /**
   * Pay an order awaiting payment (rulebook §8): sync so the server holds it, ask the server for
   * the payment (`POST ${baseUrl}/orders/{id}/pay`), hand that to the host's payment call
   * (`requestPayment`: `wx.requestPayment` in a mini-program; with the demo provider and no
   * `requestPayment`, the demo payment is made directly), then sync until the store's result has
   * arrived. Only the store decides "paid": this resolves with the order's status as the device
   * then holds it (`paid`, or still `awaitingPayment` while the provider's notification is on its
   * way; the next syncs bring it). A host call that fails or is cancelled by the shopper rejects
   * with its error and leaves the order awaiting payment.
   * @param {string} orderId
   * @returns {Promise<import('./sync.js').PayResult>}
   */
  async pay(orderId) {
    if (typeof orderId !== 'string' || !orderId) throw new SiyuError('INVALID_INPUT', 'pay: `orderId` must be a non-empty string', { path: 'orderId' });
    const status = () => this.#mall.orders().find((o) => o.id === orderId)?.status ?? null;
    await this.sync();
    const token = await this.#getToken();
    const payment = await callApi(this.#fetch, `${this.#baseUrl}/orders/${encodeURIComponent(orderId)}/pay`, { token, body: {} });
    if (this.#requestPayment) {
      await this.#requestPayment(payment);
    } else if (payment?.provider !== 'demo') {
      throw new SiyuError('PAYMENT_UNAVAILABLE', `pay: the ${payment?.provider ?? 'unknown'} provider needs a \`requestPayment\` host call`, { provider: payment?.provider ?? null });
    }
    // The demo provider has no notification: its payment is made here, once the host call (the
    // demo sheet) resolved.
    if (payment?.provider === 'demo' && typeof payment.confirm === 'string') {
      await callApi(this.#fetch, `${this.#baseUrl}${payment.confirm.replace(/^\/api/, '')}`, { token, body: {} });
    }
    // The result reaches the store from the provider, then this device by pull.
    for (let round = 0; round < PAY_SYNC_ROUNDS && status() === 'awaitingPayment'; round += 1) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, PAY_SYNC_PAUSE_MS));
      await this.sync();
    }
    return { orderId, status: status(), provider: payment?.provider ?? null };
  }

  /** Forget the reversals shown to the shopper. */
  dismissReversals() {
    return this.#exclusive((m) => m.dismissReversals(), true);
  }

  /** Push what is queued, then pull. Resolves with the status once this round is over. */
  sync() {
    if (this.#closed) return Promise.resolve(this.status);
    if (!this.#leader) {
      this.#post({ type: 'sync' });
      return Promise.resolve(this.status);
    }
    if (this.#inflight) {
      this.#again = true;
      return this.#inflight;
    }
    this.#inflight = (async () => {
      do {
        this.#again = false;
        await this.#round();
      } while (this.#again && !this.#closed);
      return this.status;
    })().finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  /** At most `#maxBatch` of the oldest pending mutations (ids stay consecutive). */
  #batch(body) {
    return body.mutations.length > this.#maxBatch ? { ...body, mutations: body.mutations.slice(0, this.#maxBatch) } : body;
  }

  async #round() {
    clearTimeout(this.#retryTimer);
    if (this.#stopped) return; // 426: only a reload helps
    if (this.#lifecycle.online?.() === false) {
      this.#setNetwork({ state: 'offline' });
      return; // the `online` event starts the next round
    }
    try {
      const token = await this.#getToken();
      // Push the queue in batches, oldest first, until it is empty or stops shrinking.
      let body = this.#batch(await this.#exclusive((m) => m.pushRequest(), false));
      while (body.mutations.length > 0) {
        let reply;
        try {
          reply = await callApi(this.#fetch, `${this.#baseUrl}/push`, { token, body });
        } catch (e) {
          if (!(e instanceof SyncError)) throw e;
          // The engine decides what a refusal means (siyu::sync::push_recovery); this only acts.
          const n = body.mutations.length;
          const maxHint = Number.isInteger(e.details?.max) ? e.details.max : undefined;
          const recovery = pushRecovery(e.status, e.code, maxHint, n, this.#attempt);
          if (recovery.action === 'catchUp') {
            this.#attempt += 1;
            this.#again = true;
            break;
          }
          if (recovery.action === 'shrink') {
            this.#maxBatch = recovery.max;
            body = this.#batch(body);
            continue;
          }
          if (recovery.action === 'refuseFirst') {
            const id = body.mutations[0].id;
            await this.#exclusive((m) => {
              m.refusePending(id, { code: e.code, message: e.message, details: e.details ?? {} });
              this.#moveToNewClient(m);
            }, true);
            this.#emitReversals();
            this.#again = true;
            break;
          }
          if (recovery.action === 'moveClient') {
            await this.#exclusive((m) => this.#moveToNewClient(m), true);
            this.#again = true;
            break;
          }
          throw e;
        }
        const first = body.mutations[0].id;
        body = this.#batch(
          await this.#exclusive((m) => {
            m.applyPushResponse(reply);
            return m.pushRequest();
          }, true),
        );
        if (body.mutations[0]?.id === first) break; // no progress: the pull below settles it
      }
      const pull = await this.#exclusive((m) => m.pullRequest(), false);
      const sentAt = Date.now();
      let reply;
      try {
        reply = await callApi(this.#fetch, `${this.#baseUrl}/pull`, { token, body: pull });
      } catch (e) {
        if (!(e instanceof SyncError && pullRecovery(e.status, e.code).action === 'moveClient')) throw e;
        await this.#exclusive((m) => this.#moveToNewClient(m), true);
        this.#again = true;
        return;
      }
      const receivedAt = Date.now();
      await this.#exclusive((m) => m.applyPullResponse(reply, sentAt, receivedAt), true);
      if (!this.#again) this.#attempt = 0;
      this.#lastSyncedAt = Date.now();
      this.#setNetwork({ state: 'ok' });
      this.#emitReversals();
      // Pending mutations start another round.
      if (this.#mall.pendingCount() > 0) this.#again = true;
    } catch (e) {
      const error = e instanceof SyncError ? e : new SyncError(0, e?.code ?? 'SYNC_FAILED', e?.message ?? String(e));
      const offline = error.status === 0 && error.code === 'NETWORK';
      const recovery = pullRecovery(error.status, error.code).action;
      if (recovery === 'halt') {
        this.#stopped = { httpStatus: 426, code: error.code, message: error.message };
        this.#setNetwork({ state: 'error', code: error.code, message: error.message, httpStatus: 426 });
        return;
      }
      this.#setNetwork(offline ? { state: 'offline' } : { state: 'error', code: error.code, message: error.message, httpStatus: error.status });
      if (recovery === 'retry') {
        const delay = backoffDelayMs(this.#attempt, Math.random(), error.retryAfterMs ?? undefined);
        this.#attempt += 1;
        this.#retryTimer = setTimeout(() => this.sync(), delay);
      }
    }
  }

  /** The queue goes on under a fresh client id (the caller persists). */
  #moveToNewClient(mall) {
    this.#clientId = newClientId();
    mall.moveToClient(this.#clientId);
    this.#maxBatch = Infinity;
  }

  /** Stop syncing, give up leadership and close the channel. Storage keeps everything. */
  close() {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#interval);
    this.#releaseLeader?.();
    this.#channel?.close();
    for (const undo of this.#teardown) undo();
  }
}

/** After a payment, the syncs that wait for the store's result, and the pause between them. */
const PAY_SYNC_ROUNDS = 5;
const PAY_SYNC_PAUSE_MS = 1000;

/** Sync an existing mall: see `SyncOptions`. */
export function createSyncClient(options) {
  return new SyncClient(options);
}

function newClientId() {
  const random = globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  return `web-${random}`;
}

/**
 * Restore a member's mall from this device's storage (or start a fresh one) and sync it. The
 * client id lives in the record beside its queue, so the same queue resumes after a reload; a
 * client id is never reused without that record (the server may have decided ids it would hand
 * out again), so a device that lost its record starts under a new one.
 */
export async function openMall(options) {
  const { program, memberId } = options;
  if (!memberId) throw new TypeError('openMall: `memberId` is required');
  const storage = options.storage ?? (await openStorage());
  refuseUnsafeStorage(storage, options.multiTab);
  const programText = typeof program === 'string' ? program : JSON.stringify(program);
  const record = await storage.get(recordKey(memberId)).catch(() => null);
  let mall = null;
  let storageError = null;
  if (record?.snapshot && (!options.clientId || recordClientId(record) === options.clientId)) {
    mall = tryRestore(programText, memberId, record);
    if (!mall) {
      // Unreadable (a newer format, a changed program): keep the record aside, start afresh; our
      // first write replaces it (its revision is taken over below).
      await storage.put(`${recordKey(memberId)}:unreadable`, record).catch(() => {});
      storageError = { code: 'SNAPSHOT_UNREADABLE', message: 'the saved data could not be restored: starting afresh from the server' };
    }
  }
  let rev = record?.rev ?? 0;
  if (!mall) {
    mall = (options.clientId && (await chosenClient(programText, memberId, options))) || new Mall(programText, { memberId, clientId: newClientId() });
    // Stored at once, so that a reload resumes this client id; if it cannot be stored, the next
    // start takes another one, which is safe.
    const fresh = { rev: rev + 1, clientId: mall.clientId, snapshot: mall.snapshotJson(), savedAt: Date.now() };
    if (await putIfRev(storage, recordKey(memberId), rev, fresh).catch(() => false)) rev = fresh.rev;
  }
  return new SyncClient({ ...options, mall, memberId, programText, storage, rev, storageError });
}

/**
 * A mall under the client id the app chose, which this device holds no record of: another install
 * may have used it, and then neither a push of the same change nor a pull could tell that
 * install's decisions from this one's. So nothing is numbered under it before a pull says the
 * server decided nothing under it (that pull is then this mall's first); when it did, or when the
 * pull cannot be made (offline, refused), null: the device starts under an id of its own.
 */
async function chosenClient(programText, memberId, options) {
  const mall = new Mall(programText, { memberId, clientId: options.clientId });
  try {
    const fetchFn = options.fetch ?? (typeof fetch === 'function' ? (url, init) => fetch(url, init) : null);
    if (!fetchFn) throw new Error('no fetch');
    const token = options.token ?? (await options.getToken?.());
    const sentAt = Date.now();
    const reply = await callApi(fetchFn, `${(options.baseUrl ?? '/api').replace(/\/+$/, '')}/pull`, { token, body: mall.pullRequest() });
    if (reply?.lastMutationId !== 0) throw new Error('used before');
    mall.applyPullResponse(reply, sentAt, Date.now());
    return mall;
  } catch {
    mall.free();
    return null;
  }
}

/** A mall from a stored record, or null when the record cannot be read. */
function tryRestore(programText, memberId, record) {
  try {
    return new Mall(programText, { memberId, clientId: recordClientId(record), snapshot: record.snapshot });
  } catch {
    return null;
  }
}

/** The client a stored record belongs to (records keep the snapshot as JSON text; older ones as an object). */
function recordClientId(record) {
  if (record.clientId) return record.clientId;
  try {
    return (typeof record.snapshot === 'string' ? JSON.parse(record.snapshot) : record.snapshot)?.clientId;
  } catch {
    return undefined;
  }
}
