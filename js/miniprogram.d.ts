// Types of the mini-program entry (pkg/miniprogram/index.js, `require('siyu')` after WeChat's npm
// build). Written next to miniprogram.js; the copy in miniprogram/ imports from its parent.
import type { InitOutput, Instantiated, WasmImports } from './siyu.js';
import type { FetchLike, FetchResponse, PaymentRequest, SyncLifecycle, OpenMallOptions, SyncClient, SyncOptions, SyncStorage } from './sync.js';

export {
    Mall, PricedCart, validateProgram, errorCodes, backoffDelayMs, initWith,
    SyncError, callApi, memoryStorage,
} from './index.js';
export { SiyuError, isSiyuError } from './index.js';
export type * from './siyu.js';
export type * from './sync.js';
export type { DeviceErrorCode } from './index.js';

/** `miniprogram_npm/siyu/siyu_bg.wasm.br`, where WeChat's npm build puts the engine. */
export declare const WASM_PATH: string;

/** `WXWebAssembly`, Alipay's `MyWebAssembly` or anything with its `instantiate(path, imports)`. */
export interface MiniProgramWebAssembly {
    instantiate(path: string, imports: WasmImports): Promise<Instantiated>;
}

export interface InitOptions {
    /** A code-package path to the engine (default `WASM_PATH`). */
    path?: string;
    /** Default: the global `WXWebAssembly` (base library 2.14.0 for `.wasm.br`). */
    WXWebAssembly?: MiniProgramWebAssembly;
}

/** Load the engine with `WXWebAssembly.instantiate(path, imports)`. */
export declare function init(options?: InitOptions): Promise<InitOutput>;

/** A synchronous key-value store of strings, as mini-program platforms have. */
export interface KeyValueStorageOptions {
    /** Reported as the status's `storage` (e.g. "wx", "my"). */
    kind: string;
    /** The text stored under `key`, or ''/null/undefined when there is none. */
    read(key: string): string | null | undefined;
    /** Throws when it cannot write. */
    write(key: string, text: string): void;
    remove(key: string): void;
    /** The most one key may hold (UTF-8 bytes); larger records are split over several keys. */
    maxBytes: number;
    /** Whether a write's error means the storage is full (reported `STORAGE_FULL`). */
    isFull?(error: unknown): boolean;
    /** Key prefix (default "siyu:"). */
    prefix?: string;
}

/** A `SyncStorage` over a synchronous string store; records larger than a key are split. */
export declare function keyValueStorage(options: KeyValueStorageOptions): SyncStorage;

/** The parts of `wx` the adapters use (wx, or a runtime's object of the same shape). */
export interface WxStorageApi {
    getStorageSync(key: string): unknown;
    setStorageSync(key: string, data: string): void;
    removeStorageSync(key: string): void;
}

export interface WxRequestOptions {
    url: string;
    method: string;
    header: Record<string, string>;
    data?: string;
    dataType: "text";
    responseType: "text";
    timeout: number;
    success(result: { statusCode: number; header?: Record<string, unknown>; data: unknown }): void;
    fail(error: { errMsg?: string }): void;
}
export type WxRequest = (options: WxRequestOptions) => unknown;

export interface WxLifecycleApi {
    onNetworkStatusChange?(listener: (status: { isConnected: boolean; networkType?: string }) => void): void;
    offNetworkStatusChange?(listener: (status: { isConnected: boolean; networkType?: string }) => void): void;
    onAppShow?(listener: () => void): void;
    offAppShow?(listener: () => void): void;
}

/** WeChat storage: 1 MB per key (larger records are split), a full storage reported as full. */
export declare function wxStorage(api?: WxStorageApi): SyncStorage;
/** `fetch` over `wx.request` (or uni.request / Taro.request); `timeoutMs` default 15 000. */
export declare function wxFetch(request?: WxRequest, options?: { timeoutMs?: number }): FetchLike;
/** A `FetchResponse` from a status, headers and a body. */
export declare function responseOf(status: number, headers?: Record<string, unknown>, data?: unknown): FetchResponse;
/** Sync on `wx.onNetworkStatusChange` and `wx.onAppShow`. */
export declare function wxLifecycle(api?: WxLifecycleApi): SyncLifecycle;

export interface WxPaymentApi {
    requestPayment(options: { timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string; success(result: unknown): void; fail(error: { errMsg?: string }): void }): void;
}
/** `requestPayment` for `client.pay()` over `wx.requestPayment`; rejects `PAYMENT_CANCELLED` or `PAYMENT_FAILED`. */
export declare function wxRequestPayment(api?: WxPaymentApi): (payment: PaymentRequest) => Promise<unknown>;

/** `openMall` with wx storage, wx.request, the wx lifecycle and wx.requestPayment unless the options name others. */
export declare function openMall(options: OpenMallOptions & { lifecycle?: SyncLifecycle }): Promise<SyncClient>;
/** `createSyncClient` with wx.request and the wx lifecycle unless the options name others. */
export declare function createSyncClient(options: SyncOptions): SyncClient;
