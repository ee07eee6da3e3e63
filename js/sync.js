// The thin browser shim around the engine: HTTP, storage and tabs. Every rule — what a mutation
// does, how a reply is merged, how long to back off — lives in the engine; this file only moves
// bytes and keeps them safe.
//
//   const client = await openMall({ program, memberId, baseUrl: '/api', getToken });
//   client.on('status', s => badge(s));          // synced | pending | offline | error
//   await client.mutate(mall => mall.checkIn()); // optimistic, persisted, then synced
import { Mall, backoffDelayMs } from './siyu.js';

const DB_NAME = 'siyu';
const STORE = 'kv';
const recordKey = (memberId) => `mall:${memberId}`;
// A client id belongs to one member (the server refuses it for another): one per member and device.
const clientIdKey = (memberId) => `clientId:${memberId}`;

// ---------------------------------------------------------------------------------------------
// Storage: IndexedDB, else localStorage, else memory. One record per member: {rev, snapshot}.

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
  };
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
  };
}

/** Storage that forgets everything on reload (tests, or when the browser offers none). */
export function memoryStorage() {
  const map = new Map();
  return {
    kind: 'memory',
    async get(key) {
      return map.has(key) ? structuredClone(map.get(key)) : null;
    },
    async put(key, value) {
      map.set(key, structuredClone(value));
    },
  };
}

/** The best storage this browser offers: IndexedDB, else localStorage, else memory. */
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

function isQuotaError(e) {
  return e?.name === 'QuotaExceededError' || e?.code === 22 || e?.name === 'NS_ERROR_DOM_QUOTA_REACHED';
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

  /** Network failures, 408, 429 and 5xx are worth retrying; other 4xx are not. */
  get retryable() {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

function retryAfterMs(response, details) {
  const header = response.headers.get('Retry-After');
  const seconds = header !== null && /^\d+$/.test(header.trim()) ? Number(header) : details?.retryAfterSeconds;
  if (typeof seconds === 'number') return seconds * 1000;
  const date = header ? Date.parse(header) : NaN;
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** POST (or GET without a body) JSON to the API; throws SyncError. */
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
  // A push the server refused as a client bug (400, 413 for one mutation, 422): that batch is not
  // sent again until the app reloads or the queue moves on (pulls go on). {firstId, httpStatus, code, message}
  #halted = null;
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

  constructor(options) {
    const { mall, baseUrl = '/api', token, getToken, fetch: fetchFn, storage = null, intervalMs = 30_000, rev = 0 } = options;
    if (!mall) throw new TypeError('createSyncClient: `mall` is required');
    if (!token && !getToken) throw new TypeError('createSyncClient: `token` or `getToken` is required');
    this.#mall = mall;
    this.#clientId = mall.clientId;
    this.#memberId = options.memberId ?? mall.state().memberId;
    this.#program = options.programText ?? JSON.stringify(mall.program());
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#getToken = getToken ?? (() => token);
    this.#fetch = fetchFn ?? globalThis.fetch.bind(globalThis);
    this.#storage = storage;
    this.#intervalMs = intervalMs;
    this.#rev = rev;
    this.#locks = options.multiTab === false ? null : globalThis.navigator?.locks ?? null;
    if (options.storageError) this.#storageError = options.storageError;

    if (options.multiTab !== false && typeof BroadcastChannel === 'function') {
      this.#channel = new BroadcastChannel(`siyu:${this.#memberId}`);
      this.#channel.onmessage = (e) => this.#onMessage(e.data);
    }
    const win = globalThis.window;
    const doc = globalThis.document;
    if (win?.addEventListener) this.#listen(win, 'online', () => this.sync());
    if (win?.addEventListener) this.#listen(win, 'offline', () => this.#setNetwork({ state: 'offline' }));
    if (doc?.addEventListener) this.#listen(doc, 'visibilitychange', () => doc.visibilityState === 'visible' && this.sync());
    this.#electLeader();
    if (this.#locks) this.sync(); // a follower asks the leader for a round (and its status)
  }

  #listen(target, type, fn) {
    target.addEventListener(type, fn);
    this.#teardown.push(() => target.removeEventListener(type, fn));
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
    const refused = this.#stopped ?? this.#halted;
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
    const fresh = reversals.filter((r) => !this.#announced.has(r.mutationId));
    if (!fresh.length) return;
    for (const r of fresh) this.#announced.add(r.mutationId);
    this.#emit('reversals', reversals);
  }

  /**
   * Run `fn` against the mall under the member's lock, after adopting any newer data another tab
   * wrote; persist and announce if `write`.
   */
  #exclusive(fn, write) {
    const body = async () => {
      await this.#refresh();
      const result = fn(this.#mall);
      if (write) await this.#persist();
      return result;
    };
    return this.#locked(body);
  }

  /** One writer at a time: across tabs with Web Locks, else within this page. */
  #locked(body) {
    return this.#mutex(this.#locks ? () => this.#locks.request(`siyu:${this.#memberId}:data`, body) : body);
  }

  /** Adopt what another tab wrote; true if anything changed. */
  #reload() {
    return this.#locked(() => this.#refresh());
  }

  async #refresh() {
    if (!this.#storage || this.#dirty) return false;
    let record;
    try {
      record = await this.#storage.get(recordKey(this.#memberId));
    } catch {
      return false;
    }
    if (!record || record.rev === this.#rev || !record.snapshot) return false;
    if (recordClientId(record) !== this.#clientId) return false;
    this.#mall = new Mall(this.#program, { memberId: this.#memberId, clientId: this.#clientId, snapshot: record.snapshot });
    this.#rev = record.rev;
    return true;
  }

  async #persist() {
    this.#rev += 1;
    if (this.#storage) {
      try {
        await this.#storage.put(recordKey(this.#memberId), { rev: this.#rev, clientId: this.#clientId, snapshot: this.#mall.snapshotJson(), savedAt: Date.now() });
        this.#dirty = false;
        this.#storageError = null;
      } catch (e) {
        // Keep everything in memory; the next write tries again.
        this.#dirty = true;
        this.#storageError = isQuotaError(e)
          ? { code: 'STORAGE_FULL', message: 'device storage is full: changes are kept in memory until it frees up' }
          : { code: 'STORAGE_FAILED', message: `cannot save on this device: ${e?.message ?? e}` };
      }
    }
    this.#post({ type: 'changed', rev: this.#rev });
    this.#emit('change', this.#mall);
    this.#emitStatus();
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
      if (this.#leader) this.sync();
    } else if (message.type === 'network' && !this.#leader) {
      this.#lastSyncedAt = message.lastSyncedAt ?? this.#lastSyncedAt;
      this.#halted = message.refused ?? null;
      this.#setNetwork(message.network);
    } else if (message.type === 'sync' && this.#leader) {
      this.sync();
    }
  }

  #setNetwork(network) {
    this.#network = network;
    if (this.#leader) this.#post({ type: 'network', network, lastSyncedAt: this.#lastSyncedAt, refused: this.#stopped ?? this.#halted });
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
    const result = await this.#exclusive(fn, true);
    this.sync();
    return result;
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
    if (globalThis.navigator?.onLine === false) {
      this.#setNetwork({ state: 'offline' });
      return; // the `online` event starts the next round
    }
    try {
      const token = await this.#getToken();
      // Push the queue in batches, oldest first, until it is empty or stops shrinking.
      let body = this.#batch(await this.#exclusive((m) => m.pushRequest(), false));
      // The refused batch left the queue (decided after all, or dropped by another tab): go on.
      if (this.#halted && body.mutations[0]?.id !== this.#halted.firstId) this.#halted = null;
      while (body.mutations.length > 0 && !this.#halted) {
        let reply;
        try {
          reply = await callApi(this.#fetch, `${this.#baseUrl}/push`, { token, body });
        } catch (e) {
          if (!(e instanceof SyncError)) throw e;
          // OUT_OF_ORDER: the server decided more than we know; the pull below catches up.
          if (e.status === 409 && this.#attempt < 3) {
            this.#attempt += 1;
            this.#again = true;
            break;
          }
          // Too large: send fewer mutations at a time (the server's maximum if it names one).
          const n = body.mutations.length;
          if (e.status === 413 && n > 1) {
            const max = Number.isInteger(e.details?.max) && e.details.max > 0 && e.details.max < n ? e.details.max : Math.ceil(n / 2);
            this.#maxBatch = max;
            body = this.#batch(body);
            continue;
          }
          // 400, 413 (one mutation), 422: a client bug. Sending the same batch again cannot help:
          // stop pushing it and report it; pulls go on.
          if (e.status === 400 || e.status === 413 || e.status === 422) {
            this.#halted = { firstId: body.mutations[0].id, httpStatus: e.status, code: e.code, message: e.message };
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
      const reply = await callApi(this.#fetch, `${this.#baseUrl}/pull`, { token, body: pull });
      const receivedAt = Date.now();
      await this.#exclusive((m) => m.applyPullResponse(reply, sentAt, receivedAt), true);
      if (!this.#again) this.#attempt = 0;
      // The pull may have settled a refused batch (it was decided after all).
      if (this.#halted) {
        const next = await this.#exclusive((m) => m.pushRequest(), false);
        if (next.mutations[0]?.id !== this.#halted.firstId) this.#halted = null;
      }
      this.#lastSyncedAt = Date.now();
      this.#setNetwork({ state: 'ok' });
      this.#emitReversals();
      // Pending mutations start another round, unless they wait behind a refused batch.
      if (this.#mall.pendingCount() > 0 && !this.#halted) this.#again = true;
    } catch (e) {
      const error = e instanceof SyncError ? e : new SyncError(0, e?.code ?? 'SYNC_FAILED', e?.message ?? String(e));
      const offline = error.status === 0 && error.code === 'NETWORK';
      if (error.status === 426) {
        this.#stopped = { httpStatus: 426, code: error.code, message: error.message };
        this.#setNetwork({ state: 'error', code: error.code, message: error.message, httpStatus: 426 });
        return;
      }
      this.#setNetwork(offline ? { state: 'offline' } : { state: 'error', code: error.code, message: error.message, httpStatus: error.status });
      if (error.retryable) {
        const delay = backoffDelayMs(this.#attempt, Math.random(), error.retryAfterMs ?? undefined);
        this.#attempt += 1;
        this.#retryTimer = setTimeout(() => this.sync(), delay);
      }
    }
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
 * client id is kept per member on this device, so the same queue resumes after a reload.
 */
export async function openMall(options) {
  const { program, memberId } = options;
  if (!memberId) throw new TypeError('openMall: `memberId` is required');
  const storage = options.storage ?? (await openStorage());
  const programText = typeof program === 'string' ? program : JSON.stringify(program);
  let clientId = options.clientId ?? (await storage.get(clientIdKey(memberId)).catch(() => null));
  if (!clientId) {
    clientId = newClientId();
    await storage.put(clientIdKey(memberId), clientId).catch(() => {});
  }
  let record = await storage.get(recordKey(memberId)).catch(() => null);
  let mall = null;
  let storageError = null;
  if (record?.snapshot && recordClientId(record) === clientId) {
    try {
      mall = new Mall(programText, { memberId, clientId, snapshot: record.snapshot });
    } catch (e) {
      // Unreadable (a newer format, a changed program): keep the record aside, start afresh.
      await storage.put(`${recordKey(memberId)}:unreadable`, record).catch(() => {});
      storageError = { code: 'SNAPSHOT_UNREADABLE', message: `the saved data could not be restored: ${e?.message ?? e}` };
      record = null;
    }
  }
  mall ??= new Mall(programText, { memberId, clientId });
  return new SyncClient({ ...options, mall, memberId, programText, storage, rev: record?.rev ?? 0, storageError });
}

/** The client a stored record belongs to (records keep the snapshot as JSON text; older ones as an object). */
function recordClientId(record) {
  return record.clientId ?? record.snapshot?.clientId;
}
