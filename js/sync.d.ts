// Types of the browser sync shim (sync.js).
import type { Mall, Program, Reversal, Snapshot } from './siyu.js';

/** A key-value store for the member's record and the device's client id. */
export interface SyncStorage {
    readonly kind: "indexeddb" | "localstorage" | "memory";
    get(key: string): Promise<unknown>;
    /** Rejects with the browser's error (e.g. a QuotaExceededError) when it cannot write. */
    put(key: string, value: unknown): Promise<void>;
}

/** What is stored per member: the snapshot (queue included) and a revision shared by tabs. */
export interface StoredRecord {
    rev: number;
    snapshot: Snapshot;
    savedAt: number;
}

export interface OpenStorageOptions {
    indexedDB?: IDBFactory;
    localStorage?: Storage;
}

/** The best storage this browser offers: IndexedDB, else localStorage, else memory. */
export function openStorage(options?: OpenStorageOptions): Promise<SyncStorage>;
/** Storage that forgets everything on reload. */
export function memoryStorage(): SyncStorage;

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

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
    /** Defaults to the global fetch. */
    fetch?: FetchLike;
    /** Where the queue and snapshot live; without it nothing survives a reload. */
    storage?: SyncStorage | null;
    /** How often the leader pulls when nothing else happens (default 30 000). */
    intervalMs?: number;
    /** false: ignore other tabs (no Web Locks, no BroadcastChannel). */
    multiTab?: boolean;
}

export interface OpenMallOptions extends Omit<SyncOptions, "mall" | "memberId"> {
    program: Program | string;
    memberId: string;
    /** Defaults to this device's id for the member, made once and kept in storage. */
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
     * true: syncing is held until the app reloads — the server refused the oldest pending batch
     * as a client bug (400, 413 for a single mutation, 422: it is not sent again while it heads the
     * queue; pulls go on), or speaks another protocol version (426: nothing is sent).
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
     * the promise and nothing is queued.
     */
    mutate<T>(fn: (mall: Mall) => T): Promise<T>;
    /** Push what is queued, then pull; resolves once this round is over. */
    sync(): Promise<SyncStatus>;
    dismissReversals(): Promise<void>;
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
