// Types of the sync shim (sync.js). No DOM types: it also runs in mini-programs and node.
import type { CheckIn, CouponInstance, LedgerEntry, Mall, Order, PointLot, Program, Redemption, Reversal, Snapshot } from './siyu.js';

/** A key-value store for the member's record. Values are JSON-serialisable. */
export interface SyncStorage {
    /** What it is, for the status (`indexeddb`, `localstorage`, `memory`, or an adapter's own name). */
    readonly kind: string;
    get(key: string): Promise<unknown>;
    /** Rejects with the platform's error (e.g. a QuotaExceededError) when it cannot write. */
    put(key: string, value: unknown): Promise<void>;
    /**
     * Write `value` only if the stored record's `rev` is still `rev` (0 when there is none);
     * resolves whether it wrote. Optional where tabs take Web Locks (the shim then reads, compares
     * and writes under the lock) or with `multiTab: false`; elsewhere a storage without it is
     * refused `STORAGE_UNSAFE` when the client opens, since two tabs could hand out one id.
     */
    putIfRev?(key: string, rev: number, value: StoredRecord): Promise<boolean>;
}

/** What is stored per member: the snapshot (queue included) as JSON text, its client id, and a
 * revision shared by tabs. */
export interface StoredRecord {
    rev: number;
    clientId: string;
    /** `mall.snapshotJson()` (older records hold the object). */
    snapshot: string | Snapshot;
    savedAt: number;
}

export interface OpenStorageOptions {
    /** The browser's `indexedDB` (default: the global one). */
    indexedDB?: object;
    /** The browser's `localStorage` (default: the global one). */
    localStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void };
}

/** The best storage this browser offers: IndexedDB, else localStorage, else memory. */
export function openStorage(options?: OpenStorageOptions): Promise<SyncStorage>;
/** Storage that forgets everything on reload. */
export function memoryStorage(): SyncStorage;

/** What the shim sends: always a JSON text body (or none) and plain headers. */
export interface FetchInit {
    method: string;
    headers: Record<string, string>;
    body?: string;
    cache?: "no-store";
}

/** The part of a fetch `Response` the shim reads. */
export interface FetchResponse {
    readonly ok: boolean;
    readonly status: number;
    readonly statusText: string;
    readonly headers: { get(name: string): string | null };
    text(): Promise<string>;
}

/** `fetch`, or an adapter with its shape (`wxFetch` over `wx.request`). */
export type FetchLike = (input: string, init: FetchInit) => Promise<FetchResponse>;

/** When to sync without being asked: the platform's network and foreground events. */
export interface SyncLifecycle {
    /** Call `online` when the network returns, `offline` when it goes, `foreground` when the app
     * or page is shown again; returns what stops listening. */
    subscribe(handlers: { online(): void; offline(): void; foreground(): void }): (() => void) | void;
    /** false when the platform knows it is offline (a round is then not tried). */
    online?(): boolean | undefined;
}

/** A browser page's lifecycle: `online`/`offline` on window, `visibilitychange`, `navigator.onLine`. */
export function browserLifecycle(): SyncLifecycle;

export interface SyncOptions {
    /** The mall to sync. */
    mall: Mall;
    /** Defaults to the mall's member. */
    memberId?: string;
    /** The protocol base: the shim POSTs to `${baseUrl}/push` and `${baseUrl}/pull` (default "/api", same origin). */
    baseUrl?: string;
    /** A bearer token, or a provider called before each round. One of the two is required. */
    token?: string;
    getToken?: () => string | Promise<string>;
    /** Defaults to the global fetch (required where there is none). */
    fetch?: FetchLike;
    /** Defaults to `browserLifecycle()`. */
    lifecycle?: SyncLifecycle;
    /** Where the queue and snapshot live; without it nothing survives a reload. */
    storage?: SyncStorage | null;
    /** How often the leader pulls when nothing else happens (default 30 000). */
    intervalMs?: number;
    /** false: ignore other tabs (no Web Locks, no BroadcastChannel). */
    multiTab?: boolean;
    /** The host's payment call for `pay()`: given what `POST ${baseUrl}/orders/{id}/pay` answered
     * (with WeChat Pay, `{ provider: "wechatpay", requestPayment: { timeStamp, nonceStr, package,
     * signType, paySign } }` for `wx.requestPayment`), it resolves once the shopper has paid and
     * rejects if the payment failed or was cancelled. The siyu/miniprogram entry passes one over
     * `wx.requestPayment`; without one, only the demo provider's payment is made. */
    requestPayment?: (payment: PaymentRequest) => Promise<unknown>;
}

/** What the server answers to start paying an order: the provider, and what its host call needs. */
export interface PaymentRequest {
    provider: string;
    orderId: string;
    amount: number;
    payBy: number;
    [field: string]: unknown;
}

export interface PayResult {
    orderId: string;
    /** As the device holds the order after the payment: `paid` once the store's result arrived. */
    status: "awaitingPayment" | "paid" | "cancelled" | null;
    provider: string | null;
}

export interface OpenMallOptions extends Omit<SyncOptions, "mall" | "memberId"> {
    program: Program | string;
    memberId: string;
    /** Defaults to the id stored with the member's record on this device, or a new one (a client id
     * is never reused without the record holding its queue). An id given here that this device
     * holds no record of is used only once a pull says the server decided nothing under it (that
     * pull is the client's first); offline, or when another install used it, the client starts
     * under a new id of its own, so no change is ever taken for another install's. */
    clientId?: string;
}

export type SyncState = "synced" | "pending" | "offline" | "error";

export interface SyncStatus {
    /**
     * `synced`: everything is confirmed by the server. `pending`: mutations wait (or the first
     * round is running). `offline`: the server cannot be reached; retried on `online`.
     * `error`: the server or the device's storage refused (see `code`, `message`).
     */
    state: SyncState;
    /** Mutations not yet decided by the server. */
    pending: number;
    /** `NETWORK`-level codes are reported as `offline`; others: the server's code (`RATE_LIMITED`,
     * `UNAUTHENTICATED`, `UNAVAILABLE`, …), or `STORAGE_FULL`, `STORAGE_FAILED`,
     * `SNAPSHOT_UNREADABLE` for the device. */
    code?: string;
    message?: string;
    /** The HTTP status of the server's refusal, when there was one (0 = no reply). */
    httpStatus?: number;
    /**
     * true: syncing is held until the app reloads — the server speaks another protocol version
     * (426: nothing is sent). Every other refusal recovers by itself: a mutation the server will
     * never decide becomes a reversal, and the queue moves to a new client id when the old one
     * cannot go on (`CLIENT_NOT_OWNED`, `MUTATION_ID_REUSED`).
     */
    halted?: boolean;
    /** Device time of the last completed round. */
    lastSyncedAt: number | null;
    storage: SyncStorage["kind"] | "none";
}

export interface SyncEvents {
    status: SyncStatus;
    /** The mall's data changed (a mutation, a server reply, another tab): re-render. */
    change: Mall;
    /**
     * Every undismissed reversal (a mutation the server rejected after it was shown), sent when
     * one appears that was not announced before. Show them, then `dismissReversals()`.
     */
    reversals: Reversal[];
}

/** What the archive keeps, by kind. */
export interface HistoryItem {
    ledger: LedgerEntry;
    orders: Order;
    coupons: CouponInstance;
    checkIns: CheckIn;
    lots: PointLot;
    redemptions: Redemption;
}

export type HistoryKind = keyof HistoryItem;

export interface HistoryQuery {
    /** The `next` of the previous page; absent: the newest. */
    before?: number;
    /** 1–100, default 20. */
    limit?: number;
    /** With `month`: one calendar month of check-ins. */
    year?: number;
    month?: number;
}

export interface HistoryPage<T> {
    kind: HistoryKind;
    items: T[];
    /** The `before` of the next (older) page; null when this page holds the oldest item. */
    next: number | null;
}

export interface SyncClient {
    /** The engine instance; replaced when another tab changes the member's data. */
    readonly mall: Mall;
    readonly status: SyncStatus;
    /** Whether this tab talks to the server (one tab per member). */
    readonly leader: boolean;
    readonly storageKind: SyncStatus["storage"];
    /**
     * Apply a mutation optimistically, persist the queue and snapshot in one write, then sync.
     * `fn` runs synchronously, e.g. `m => m.claimCoupon("nuts-8")`; a SiyuError it throws rejects
     * the promise and nothing is queued. When the device cannot save it (`STORAGE_FULL`,
     * `STORAGE_FAILED`), the change is undone and the promise rejects with that code: nothing is
     * shown applied that a reload would lose. `fn` may run more than once when another tab wrote
     * in between; it should only call the mall.
     */
    mutate<T>(fn: (mall: Mall) => T): Promise<T>;
    /** Push what is queued, then pull; resolves once this round is over. */
    sync(): Promise<SyncStatus>;
    dismissReversals(): Promise<void>;
    /**
     * A page of the member's archive (rulebook §12): ledger entries, orders, coupons, check-ins,
     * point lots or redemptions that left the working state, newest first, shaped as in the state.
     * Page with `before: page.next` until `next` is null. For `checkIns`, `{ year, month }` gives
     * one calendar month. The working state holds the newest part: `mall.ledger(0, n)`,
     * `state().orders`, …; the archive holds what came before it.
     */
    history<K extends HistoryKind>(kind: K, query?: HistoryQuery): Promise<HistoryPage<HistoryItem[K]>>;
    /** Pay an order awaiting payment through the server and the host's payment call; resolves
     * with its status once the store's result has been pulled (see `requestPayment`). */
    pay(orderId: string): Promise<PayResult>;
    on<K extends keyof SyncEvents>(type: K, listener: (value: SyncEvents[K]) => void): () => void;
    /** Stop syncing and give up leadership; storage keeps everything. */
    close(): void;
}

/** Sync an existing mall. */
export function createSyncClient(options: SyncOptions): SyncClient;

/** Restore a member's mall from this device (or start one) and sync it. */
export function openMall(options: OpenMallOptions): Promise<SyncClient>;

/** A failed API call: the server's `{code, message, details}` and the HTTP status (0 = network). */
export class SyncError extends Error {
    constructor(status: number, code: string, message: string, details?: Record<string, unknown>, retryAfterMs?: number | null);
    name: "SyncError";
    status: number;
    code: string;
    details: Record<string, unknown>;
    retryAfterMs: number | null;
    /** Network failures, 408, 429 and 5xx. */
    readonly retryable: boolean;
}

export interface CallApiOptions {
    token?: string;
    /** JSON body; POST by default when present. */
    body?: unknown;
    method?: string;
}

/** Call the API with JSON in and out; throws SyncError. */
export function callApi<T = unknown>(fetch: FetchLike, url: string, options?: CallApiOptions): Promise<T>;
