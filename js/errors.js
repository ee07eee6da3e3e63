// The one error type of the package: the engine's refusals (made in wasm), the device's (storage)
// and the package's own (used before init, a runtime without what a path needs).

/** `e` is an error thrown by siyu: an `Error` named `SiyuError` with a string `code`. */
export function isSiyuError(e) {
  return e instanceof Error && e.name === 'SiyuError' && typeof (/** @type {{ code?: unknown }} */ (e)).code === 'string';
}

/**
 * What every siyu call throws. The engine makes its errors inside wasm as plain `Error`s named
 * `SiyuError`; `instanceof SiyuError` recognises those too.
 */
export class SiyuError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = 'SiyuError';
    this.code = code;
    this.details = details;
  }

  static [Symbol.hasInstance](value) {
    return isSiyuError(value);
  }
}

/** Thrown by every engine call made before the module is initialised. */
export function notInitialised() {
  return new SiyuError(
    'NOT_INITIALIZED',
    'siyu is not initialised: await init() first (in node: initSync({ module }); in a mini-program: the siyu/miniprogram init, or initWith(instantiate))',
  );
}

/** Thrown when an init path needs what this runtime does not have. */
export function unsupportedRuntime(missing, hint) {
  return new SiyuError('UNSUPPORTED_RUNTIME', `this runtime has no ${missing}: ${hint}`, { missing });
}
