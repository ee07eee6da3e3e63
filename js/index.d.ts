export * from './siyu.js';
export { default } from './siyu.js';
export * from './sync.js';
import type { ErrorCode } from './siyu.js';

/** Codes of the package itself and of the device, beside the engine's `ErrorCode`s. */
export type DeviceErrorCode =
    /** An engine call before `init()` (or `initSync`, `initWith`) finished. */
    | "NOT_INITIALIZED"
    /** An init path needs a global this runtime does not have (`details.missing` names it). */
    | "UNSUPPORTED_RUNTIME"
    /** The device's storage is full: the change was not kept. */
    | "STORAGE_FULL"
    /** The device's storage refused the write for another reason. */
    | "STORAGE_FAILED"
    /** A storage without `putIfRev` where tabs cannot take Web Locks: refused when the client opens,
     * since two tabs could hand out one mutation id (pass `multiTab: false` for one tab). */
    | "STORAGE_UNSAFE"
    /** `pay()` with a provider whose host payment call was not given (`requestPayment`). */
    | "PAYMENT_UNAVAILABLE"
    /** The shopper closed the host's payment sheet: the order still awaits payment. */
    | "PAYMENT_CANCELLED"
    /** The host's payment call failed (`details.errMsg`): the order still awaits payment. */
    | "PAYMENT_FAILED";

/**
 * What every siyu call throws: a real `Error` with a stable `code`. `e instanceof SiyuError` and
 * `isSiyuError(e)` both recognise the engine's errors (made inside wasm) and the package's own.
 */
export declare class SiyuError extends Error {
    constructor(code: ErrorCode | DeviceErrorCode, message: string, details?: Record<string, unknown>);
    readonly name: "SiyuError";
    readonly code: ErrorCode | DeviceErrorCode;
    readonly details: Record<string, unknown>;
}

/** Narrows a caught value to a `SiyuError`. */
export declare function isSiyuError(e: unknown): e is SiyuError;
