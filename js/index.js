// The npm package `siyu`: the engine (wasm) and the thin browser shim that syncs it.
import { Mall, PricedCart } from './siyu.js';
import { SiyuError } from './errors.js';

export * from './siyu.js';
export { default } from './siyu.js';
export * from './sync.js';
export { SiyuError, isSiyuError } from './errors.js';

// A method called on a freed (or never constructed) object would enter wasm with a null pointer,
// and the engine's refusal would unwind through wasm frames without restoring its stack: enough
// of them and every later call fails. The check is made here, before wasm is entered.
for (const Class of [Mall, PricedCart]) {
  const proto = Class.prototype;
  for (const key of Object.getOwnPropertyNames(proto)) {
    if (key === 'constructor' || key === 'free' || key.startsWith('__')) continue;
    const desc = Object.getOwnPropertyDescriptor(proto, key);
    const guard = (fn) =>
      function guarded(...args) {
        if (!(this?.__wbg_ptr > 0)) {
          throw new SiyuError('INVALID_INPUT', `${Class.name}.${key} called on a freed ${Class.name}`, {
            input: 'this',
            path: '',
            problem: `the ${Class.name} was freed`,
          });
        }
        return fn.apply(this, args);
      };
    if (typeof desc.value === 'function') Object.defineProperty(proto, key, { ...desc, value: guard(desc.value) });
    else if (desc.get) Object.defineProperty(proto, key, { ...desc, get: guard(desc.get) });
  }
}
